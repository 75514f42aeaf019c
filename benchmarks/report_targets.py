"""Issue 16's targets for the whole report, side by side in one sitting, medians of runs.

    PYTHONPATH=. python benchmarks/report_targets.py [--sizes 1e6,1e7] [--repeats 3]
        [--configs job,default]

Per draw count, interleaved in each repeat: the hand-written numpy floor and the API job
(benchmarks/tools.py, on benchmarks/job.toml, in this process, as bench.py measures
them), a child that only imports what a run needs (start-up), and in child processes
the CLI's whole report (``python -m simulate run CONFIG --draws N --out DIR --force
--quiet``, with and without ``--no-plots``) on benchmarks/job.toml (the floor's own
scenario: the apples-to-apples ratio) and on configs/llama-3.1-405b.toml (the default:
three [[phases]], a [decision], risk targets; context). Each CLI case is also run at
1,000 draws in the same repeat.

Each CLI case is reported two ways, both per the floor's seconds at the same N:
"less imports" subtracts the imports child's median (start-up); "less fixed cost"
subtracts the median of the same command at 1,000 draws (what does not grow with the
draws: imports, config, plot rendering, page writing). Not a test: numbers depend on the
machine and its load.
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

CONFIGS = {"job": bench.CONFIG, "default": bench.ROOT / "configs" / "llama-3.1-405b.toml"}
FIXED_DRAWS = 1_000

DEFINITION = (
    "ratio = seconds / floor's median seconds at the same N; CLI 'less imports' = CLI "
    "median - imports child's median; 'less fixed cost' = CLI median - median of the same "
    f"command at {FIXED_DRAWS:,} draws"
)


def _cli(config: Path, n: int, out: str, *, plots: bool) -> float:
    arguments = ["simulate", "run", str(config), "--draws", str(n), "--out", out, "--force"]
    return bench._child([*arguments, "--quiet", *([] if plots else ["--no-plots"])])[0]


def main(sizes: list[int], repeats: int, configs: list[str]) -> None:
    scenario, seed = bench.SCENARIO, bench.SEED
    tools.floor(scenario, 1000, seed)  # warm imports and caches
    tools.api(scenario, 1000, seed)
    out = tempfile.mkdtemp(prefix="report-targets-")
    cli_cases = [
        (f"CLI {name}, {'plots' if plots else 'no plots'}", CONFIGS[name], plots)
        for name in configs
        for plots in (True, False)
    ]
    print(DEFINITION)
    for n in sizes:
        times: dict[str, list[float]] = {}
        fixed: dict[str, list[float]] = {}
        for _ in range(repeats):
            for label, work in (
                ("floor (numpy, 1 thread)", tools.floor),
                ("API job (job.toml)", tools.api),
            ):
                times.setdefault(label, []).append(bench.measure(work, scenario, n, seed)[0])
            times.setdefault("start-up (imports)", []).append(bench.cli_imports()[0])
            for label, config, plots in cli_cases:
                times.setdefault(label, []).append(_cli(config, n, out, plots=plots))
                fixed.setdefault(label, []).append(_cli(config, FIXED_DRAWS, out, plots=plots))
        median = {label: statistics.median(values) for label, values in times.items()}
        floor, start = median["floor (numpy, 1 thread)"], median["start-up (imports)"]
        print(f"{n:,} draws, medians of {repeats} (seconds; ratio to the floor)")
        for label, seconds in median.items():
            if not label.startswith("CLI"):
                print(f"  {label}: {seconds:.3f} s; {seconds / floor:.2f}x  (runs: {times[label]})")
                continue
            less_start = seconds - start
            base = statistics.median(fixed[label])
            less_fixed = seconds - base
            print(
                f"  {label}: {seconds:.3f} s; less imports {less_start:.3f} s, "
                f"{less_start / floor:.2f}x; less fixed cost ({base:.3f} s at "
                f"{FIXED_DRAWS:,}) {less_fixed:.3f} s, {less_fixed / floor:.2f}x  "
                f"(runs: {[round(t, 3) for t in times[label]]})"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e6,1e7")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--configs", default="job,default", help="of: " + ", ".join(CONFIGS))
    args = parser.parse_args()
    render.record("targets", "Issue 16's targets for the whole report", fenced=True)
    main([int(float(s)) for s in args.sizes.split(",")], args.repeats, args.configs.split(","))
