"""Side by side, in one process and one sitting: the default scenario's job at 1e5, 1e6
and 1e7 draws by the hand-written numpy floor, llm-cost-mc's API (every CPU, and one
thread), its CLI end to end, squigglepy, monaco and OpenTURNS (each skipped with a note
when not installed; monaco, one Python call per draw, only up to ``--monaco-max``).

    nice python benchmarks/bench.py                 # writes benchmarks/results.json
    nice python benchmarks/bench.py --billion       # 1e9 draws on dask: billion.json

Each writes its section of ``benchmarks/RESULTS.md`` (``results/bench.md`` or
``results/billion.md``, from the JSON file) and recomposes it (render.py). Medians of
``--repeats`` runs, the tools interleaved within each repeat (the machine is shared
and noisy); ratios are to the floor's median in the same sitting. Peak memory is the
rise of this process's peak resident set (Linux VmHWM, reset through
``/proc/self/clear_refs`` before each run) above its resident set before the run; the
CLI's is its child's peak less the peak of a child that only imports what a run needs.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import numpy as np  # noqa: E402
import tools  # noqa: E402

import simulate  # noqa: E402

CONFIG = Path(__file__).resolve().parent / "job.toml"
SCENARIO = simulate.load_scenario(CONFIG)
SEED = SCENARIO.seed
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
PACKAGES = ("numpy", "scipy", "xarray", "dask", "distributed", "squigglepy", "monaco", "openturns")


def _status(key: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def _trim() -> None:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass


def measure(function, *args, **kwargs) -> tuple[float, int, object]:
    """Wall seconds, peak bytes above the resident set before, and the result."""
    _trim()
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
    before = _status("VmRSS:")
    start = time.perf_counter()
    result = function(*args, **kwargs)
    seconds = time.perf_counter() - start
    return seconds, _status("VmHWM:") - before, result


#: Runs a module as ``python -m`` would, then prints the process's own peak resident set
#: (VmHWM: this process image only; ru_maxrss would also count the benchmark's memory,
#: which a forked child holds until it execs).
REPORT_PEAK = """
import runpy, sys
module, sys.argv = sys.argv[1], ["python -m " + sys.argv[1], *sys.argv[2:]]
try:
    if module != "-":
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    else:
        import simulate.cli
        import simulate.engine.memory
        import simulate.report.folder
        import simulate.scenario.config
except SystemExit as stop:
    if stop.code:
        raise
finally:
    peak = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")]
    print(int(peak[0].split()[1]) * 1024, file=sys.stderr)
"""


def _child(arguments: list[str]) -> tuple[float, int]:
    """Wall seconds and peak resident bytes of ``python -m MODULE ARGS`` (``-``: imports)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", REPORT_PEAK, *arguments],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        check=True,
    )
    seconds = time.perf_counter() - start
    return seconds, int(done.stderr.strip().splitlines()[-1])


def cli(n: int, out: str) -> tuple[float, int]:
    run = ["simulate", "run", str(CONFIG), "--draws", str(n)]
    return _child([*run, "--out", out, "--force", "--quiet", "--no-plots"])


def cli_imports() -> tuple[float, int]:
    """The imports a run needs, and nothing else."""
    return _child(["-"])


def available(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def _same(a: tuple, b: tuple) -> bool:
    """Same means and percentiles bit for bit; rank correlations within 1e-12."""
    (sa, ra), (sb, rb) = a, b
    same = all(sa[k][0] == sb[k][0] and list(sa[k][1]) == list(sb[k][1]) for k in sa)
    return same and all(abs(ra[o][i] - rb[o][i]) < 1e-12 for o in ra for i in ra[o])


def benchmark(sizes: list[int], repeats: int, monaco_max: int) -> dict:
    cases = {
        "floor (numpy, 1 thread)": lambda n: tools.floor(SCENARIO, n, SEED),
        "llm-cost-mc API": lambda n: tools.api(SCENARIO, n, SEED),
        "llm-cost-mc API, 1 thread": lambda n: tools.api(SCENARIO, n, SEED, threads=1),
    }
    notes = []
    for label, module, function in (
        ("squigglepy", "squigglepy", tools.squigglepy_job),
        ("OpenTURNS", "openturns", tools.openturns_job),
        ("monaco", "monaco", tools.monaco_job),
    ):
        if available(module):
            cases[label] = lambda n, f=function: f(SCENARIO, n, SEED)
        else:
            notes.append(f"{label}: not installed, skipped (pip install 'llm-cost-mc[bench]')")
    tools.floor(SCENARIO, 1000, SEED)  # warm imports and caches
    tools.api(SCENARIO, 1000, SEED)
    rows: dict = {}
    out = tempfile.mkdtemp(prefix="bench-report-")
    for n in sizes:
        times: dict[str, list] = {}
        peaks: dict[str, list] = {}
        agree = {}
        for _ in range(repeats):
            reference = None
            for label, case in cases.items():
                if label == "monaco" and n > monaco_max:
                    continue
                seconds, peak, result = measure(case, n)
                times.setdefault(label, []).append(seconds)
                peaks.setdefault(label, []).append(peak)
                if label.startswith("floor"):
                    reference = result
                elif label.startswith("llm-cost-mc"):
                    agree[label] = _same(reference, result)
                del result
            seconds, peak = cli(n, out)
            base_seconds, base_peak = cli_imports()
            times.setdefault("llm-cost-mc CLI", []).append(seconds)
            peaks.setdefault("llm-cost-mc CLI", []).append(peak - base_peak)
            times.setdefault("CLI start-up (imports)", []).append(base_seconds)
            times.setdefault("CLI less start-up", []).append(seconds - base_seconds)
        floor_time = statistics.median(times["floor (numpy, 1 thread)"])
        floor_peak = statistics.median(peaks["floor (numpy, 1 thread)"])
        rows[str(n)] = {}
        for label, values in times.items():
            median = statistics.median(values)
            entry = {"seconds": median, "runs": len(values), "draws_per_s": n / median}
            entry["time_vs_floor"] = median / floor_time
            if label in peaks:
                entry["peak_bytes"] = statistics.median(peaks[label])
                entry["peak_vs_floor"] = entry["peak_bytes"] / floor_peak
            if label in agree:
                entry["same_results_as_floor"] = agree[label]
            rows[str(n)][label] = entry
            print(f"{n:>10,} {label:28} {median:8.3f} s {n / median:12,.0f} draws/s", flush=True)
    if max(sizes) > monaco_max and "monaco" in cases:
        notes.append(f"monaco: one Python call per draw; run up to {monaco_max:,} draws only")
    return {"sizes": sizes, "repeats": repeats, "rows": rows, "notes": notes}


def startup(runs: int = 10) -> dict:
    help_times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "simulate", "--help"],
            env=ENV,
            stdout=subprocess.DEVNULL,
            cwd=ROOT,
            check=True,
        )
        help_times.append(time.perf_counter() - start)
    trace = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "simulate", "--help"],
        env=ENV,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stderr.splitlines()
    cumulative = {}
    for line in trace:
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[1].isdigit():
            cumulative[parts[2]] = int(parts[1])
    top = sorted(cumulative.items(), key=lambda item: -item[1])[:6]
    return {
        "help_median_s": statistics.median(help_times),
        "help_runs": runs,
        "importtime_top_us": top,
        "heavy_imported": [m for m in ("scipy", "xarray", "matplotlib") if m in cumulative],
    }


class _TreeMemory(threading.Thread):
    """Samples the resident memory of this process and all its children (psutil)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        import psutil

        self.process, self.peak, self.running = psutil.Process(), 0, True

    def run(self) -> None:
        while self.running:
            try:
                procs = [self.process, *self.process.children(recursive=True)]
                total = sum(p.memory_info().rss for p in procs)
            except Exception:  # a child that just ended
                continue
            self.peak = max(self.peak, total)
            time.sleep(0.5)


def billion(draws: int, chunk_draws: int, workers: int) -> dict:
    """The dask run of ``draws`` on a local cluster of ``workers`` processes, the one
    ``run_chunked(backend="dask")`` sets up (``dask_runner.local_cluster``), and
    where its time goes: dask's task stream gives each task's compute and transfer time
    on the workers; the wall time not spent in a pass is the cluster's start and the
    client's work (locating the order statistics, the summary)."""
    from distributed import Client, get_task_stream

    from simulate.engine.chunked import run_chunked
    from simulate.engine.dask_runner import local_cluster

    watch = _TreeMemory()
    watch.start()
    start = time.perf_counter()
    with local_cluster(workers) as cluster, Client(cluster) as client:
        started = time.perf_counter()
        with get_task_stream(client) as stream:
            run = run_chunked(
                SCENARIO,
                chunk_draws=chunk_draws,
                draws=draws,
                backend="dask",
                scheduler=cluster.scheduler_address,
            )
        ran = time.perf_counter()
    seconds = time.perf_counter() - start
    watch.running = False
    watch.join()
    variables = simulate.build_summary(run, SCENARIO)["variables"]
    return {
        "draws": draws,
        "chunk_draws": chunk_draws,
        "workers": run.workers,
        "chunks": run.chunks,
        "seconds": seconds,
        "peak_tree_rss_bytes": watch.peak,
        "time": _where_the_time_goes(stream.data, started - start, ran - started, run.workers),
        "train_days": variables["train_days"]["percentiles"]
        | {"mean": variables["train_days"]["mean"]},
        "tco_usd": variables["tco_usd"]["percentiles"] | {"mean": variables["tco_usd"]["mean"]},
        "risk": {k: v["probability"] for k, v in run.risk.items()},
        "rank_correlation": run.rank_correlation,
        "rank_error_bound": run.rank_error_bound,
    }


def _where_the_time_goes(tasks: list, start_s: float, run_s: float, workers: int) -> dict:
    """Per kind of task (first_pass, second_pass, _merge, _given): how many, seconds
    computing and transferring summed over the workers, and the pass's span (first start
    to last stop); the run's wall time outside both passes' spans is the client's."""
    kinds: dict[str, dict] = {}
    for task in tasks:
        kind = kinds.setdefault(
            str(task["key"]).split("-")[0],
            {"tasks": 0, "compute_s": 0.0, "transfer_s": 0.0, "first": math.inf, "last": 0.0},
        )
        kind["tasks"] += 1
        for part in task["startstops"]:
            if part["action"] in ("compute", "transfer"):
                kind[f"{part['action']}_s"] += part["stop"] - part["start"]
            if part["action"] == "compute":
                kind["first"] = min(kind["first"], part["start"])
                kind["last"] = max(kind["last"], part["stop"])
    spans = {k: v.pop("last") - v.pop("first") for k, v in kinds.items()}
    busy = sum(v["compute_s"] + v["transfer_s"] for v in kinds.values())
    passes = spans.get("first_pass", 0.0) + spans.get("second_pass", 0.0)
    return {
        "cluster_start_s": start_s,
        "run_s": run_s,
        "tasks": kinds,
        "pass_1_span_s": spans.get("first_pass"),
        "pass_2_span_s": spans.get("second_pass"),
        "client_s": run_s - passes,
        "worker_busy_share": busy / (workers * run_s),
    }


def machine() -> dict:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if "model name" in line),
        platform.processor(),
    )
    memory = _status_file("/proc/meminfo", "MemTotal:")
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gib": round(memory / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def _status_file(path: str, key: str) -> int:
    with open(path) as handle:
        for line in handle:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    return 0


def render() -> None:
    """Rewrite the bench and billion pieces from the JSON files and recompose RESULTS.md."""
    import render  # the Markdown lives in its own module

    render.pieces_from_json(HERE)
    (HERE / "RESULTS.md").write_text(render.compose())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e5,1e6,1e7")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--monaco-max", type=float, default=1e5)
    parser.add_argument("--billion", action="store_true", help="the 1e9-draw dask run only")
    parser.add_argument("--draws", type=float, default=1e9)
    parser.add_argument("--chunk-draws", type=float, default=1e6)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.billion:
        result = {"machine": machine()} | billion(
            int(args.draws), int(args.chunk_draws), args.workers
        )
        (HERE / "billion.json").write_text(json.dumps(result, indent=2) + "\n")
    else:
        sizes = [int(float(s)) for s in args.sizes.split(",")]
        result = {"machine": machine(), "startup": startup()}
        result |= benchmark(sizes, args.repeats, int(args.monaco_max))
        (HERE / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    render()
    print(f"wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
