"""Issue 16's targets for the whole report, side by side in one sitting, medians of runs.

    PYTHONPATH=. python benchmarks/report_targets.py [--sizes 1e6,1e7] [--repeats 3]

Per draw count, interleaved in each repeat: the hand-written numpy floor and the API job
(benchmarks/tools.py, on benchmarks/job.toml, in this process, as bench.py measures
them), then in child processes the CLI on the default scenario
(configs/llama-3.1-405b.toml: three [[phases]], a [decision], risk targets) with and
without plots, the CLI on job.toml without plots (bench.py's case), and a child that only
imports what a run needs (start-up). Prints each case's median seconds and its ratio to
the floor's median; "less start-up" subtracts the imports child's median. Not a test:
numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # noqa: E402
import render  # noqa: E402
import tools  # noqa: E402

DEFAULT = bench.ROOT / "configs" / "llama-3.1-405b.toml"


def _cli(config: Path, n: int, out: str, *, plots: bool) -> float:
    arguments = ["simulate", "run", str(config), "--draws", str(n), "--out", out, "--force"]
    return bench._child([*arguments, "--quiet", *([] if plots else ["--no-plots"])])[0]


def main(sizes: list[int], repeats: int) -> None:
    scenario, seed = bench.SCENARIO, bench.SEED
    tools.floor(scenario, 1000, seed)  # warm imports and caches
    tools.api(scenario, 1000, seed)
    out = tempfile.mkdtemp(prefix="report-targets-")
    for n in sizes:
        times: dict[str, list[float]] = {}
        for _ in range(repeats):
            for label, work in (
                ("floor (numpy, 1 thread)", tools.floor),
                ("API job (job.toml)", tools.api),
            ):
                times.setdefault(label, []).append(bench.measure(work, scenario, n, seed)[0])
            times.setdefault("start-up (imports)", []).append(bench.cli_imports()[0])
            for label, config, plots in (
                ("CLI default scenario, plots", DEFAULT, True),
                ("CLI default scenario, no plots", DEFAULT, False),
                ("CLI job.toml, no plots", bench.CONFIG, False),
            ):
                times.setdefault(label, []).append(_cli(config, n, out, plots=plots))
        median = {label: statistics.median(values) for label, values in times.items()}
        floor, start = median["floor (numpy, 1 thread)"], median["start-up (imports)"]
        print(f"{n:,} draws, medians of {repeats} (seconds; ratio to the floor)")
        for label, seconds in median.items():
            less = seconds - start if label.startswith("CLI") else seconds
            note = " less start-up" if label.startswith("CLI") else ""
            print(f"  {label}{note}: {less:.3f} s; {less / floor:.2f}x  (runs: {times[label]})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e6,1e7")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    render.record("targets", "Issue 16's targets for the whole report", fenced=True)
    main([int(float(s)) for s in args.sizes.split(",")], args.repeats)
