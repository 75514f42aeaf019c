"""Where one chunk of a chunked (or dask) run spends its time: pass 1 and pass 2 of one
1e6-draw chunk of the benchmark job, single-threaded (medians of 5), then a profile of both.

    PYTHONPATH=. python benchmarks/profile_chunk.py [CHUNK_DRAWS]

The dask workers run with ``simulate.engine.dask_runner.WORKER_ENVIRONMENT``'s malloc
thresholds; set them to time a chunk as a worker runs it:
``MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=67108864``.
Not a test: numbers depend on the machine (docs/performance.md).
"""

from __future__ import annotations

import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

import simulate
from simulate.engine import chunked

JOB = Path(__file__).resolve().parent / "job.toml"


def _median_s(function, *args, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(chunk_draws: int = 1_000_000) -> None:
    scenario = simulate.load_scenario(JOB)
    plan = chunked.make_plan(scenario, draws=4 * chunk_draws, chunk_draws=chunk_draws)
    chunks = plan.chunks()
    first = chunked.first_pass(plan, chunks[0])
    for chunk in chunks[1:]:
        first = first.merge(chunked.first_pass(plan, chunk))
    where = chunked.targets(plan, first)
    values = _median_s(plan.values, *chunks[1])
    one = _median_s(chunked.first_pass, plan, chunks[1])
    two = _median_s(chunked.second_pass, plan, where, chunks[1])
    print(
        f"pass 1 {one:.3f} s, pass 2 {two:.3f} s per chunk of {chunk_draws:,} draws "
        f"(of each, {values:.3f} s making the draws: sampling and the chain)"
    )
    profile = cProfile.Profile()
    profile.enable()
    chunked.first_pass(plan, chunks[1])
    chunked.second_pass(plan, where, chunks[1])
    profile.disable()
    pstats.Stats(profile).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000)
