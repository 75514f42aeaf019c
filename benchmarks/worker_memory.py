"""What each dask worker holds while a chunked run goes on: its resident set, glibc's heap
in use and free (``mallinfo2``), and the pass summaries in its memory, every few seconds.

    PYTHONPATH=. python benchmarks/worker_memory.py [DRAWS] [--every S]

Runs ``run_chunked(benchmarks/job.toml, chunks of 1e6, backend="dask")`` on the local
cluster ``run_chunked`` sets up (``dask_runner.local_cluster``, 2 workers), and asks the
workers (``client.run``) between its chunks. Growth in "in use" with more summaries held
is memory the run keeps; growth in "free" alone is the heap's fragmentation. Not a test:
numbers depend on the machine (docs/performance.md, "A billion draws: where the time goes").
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

JOB = Path(__file__).resolve().parent / "job.toml"


def worker_state(dask_worker=None) -> dict[str, int]:
    """MiB resident, heap in use and free (glibc), and the summaries the worker holds."""
    import ctypes  # noqa: PLC0415 (runs in the worker)
    import dataclasses  # noqa: PLC0415

    import numpy as np  # noqa: PLC0415

    class MallInfo2(ctypes.Structure):
        _fields_ = [
            (name, ctypes.c_size_t)
            for name in "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks "
            "keepcost".split()
        ]

    def nbytes(x) -> int:
        if isinstance(x, np.ndarray):
            return x.nbytes
        if dataclasses.is_dataclass(x):
            return sum(nbytes(getattr(x, f.name)) for f in dataclasses.fields(x))
        if isinstance(x, dict):
            return sum(nbytes(v) for v in x.values())
        if isinstance(x, list | tuple):
            return sum(nbytes(v) for v in x)
        return 0

    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = MallInfo2
    info = libc.mallinfo2()
    with open("/proc/self/statm") as statm:
        resident = int(statm.read().split()[1]) * 4096
    data = dask_worker.data if dask_worker is not None else {}
    return {
        "rss": resident >> 20,
        "in_use": info.uordblks >> 20,
        "free": info.fordblks >> 20,
        "held": len(data),
        "held_mib": sum(nbytes(v) for v in data.values()) >> 20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("draws", nargs="?", type=float, default=2e8)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between looks")
    args = parser.parse_args()

    from distributed import Client  # noqa: PLC0415

    import simulate  # noqa: PLC0415
    from simulate.engine.chunked import run_chunked  # noqa: PLC0415
    from simulate.engine.dask_runner import local_cluster  # noqa: PLC0415

    scenario = simulate.load_scenario(JOB)
    with local_cluster(2) as cluster, Client(cluster) as client:
        done: list = []
        run = threading.Thread(
            target=lambda: done.append(
                run_chunked(
                    scenario,
                    chunk_draws=1_000_000,
                    draws=int(args.draws),
                    backend="dask",
                    scheduler=cluster.scheduler_address,
                )
            )
        )
        start = time.perf_counter()
        run.start()
        print("s      per worker: MiB resident / heap in use / heap free, summaries held (MiB)")
        while run.is_alive():
            run.join(args.every)
            cells = [
                f"{s['rss']:>5} / {s['in_use']:>5} / {s['free']:>5}, {s['held']:>3} "
                f"({s['held_mib']})"
                for s in client.run(worker_state).values()
            ]
            print(f"{time.perf_counter() - start:5.0f}  " + " | ".join(cells), flush=True)
        print(f"{int(args.draws):,} draws in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
