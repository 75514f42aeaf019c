"""Goal seek and sweeps on common random numbers, against what they are measured by (issue 14):

1. a goal seek over n_gpus at 1e5 draws must cost no more than about 20 chain evaluations
   on the same draws, sampling once: we count the evaluations and time the whole solve
   against sampling once + one evaluation of the whole chain on those draws;
2. a 16-point sweep at 1e6 draws must cost no more than 3x a single run of 1e6 draws:
   timed against ``simulate.run`` (sampling + chain) and against ``run_report`` (what the
   ``run`` command does, no plots), with and without ``--sweep``.

Side by side in one process, each the median of ``--repeats`` runs.
Run: PYTHONPATH=. python benchmarks/bench_solve.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from render import record

import simulate
from simulate.engine.crn import CommonDraws
from simulate.engine.limits import evaluate_draws
from simulate.model.catalog import CONFIG_DIR

CONFIG = CONFIG_DIR / "dense-1t-h100.toml"
TARGET = "P(train_days <= 90) >= 0.9"
SWEEP = "n_gpus=8192:131072:8192"  # 16 points


def median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    record("solve", "Goal seek and sweeps (issue 14)", fenced=True)  # its section of RESULTS.md
    r = args.repeats

    # 1. goal seek at 1e5 draws
    small = simulate.load_scenario(CONFIG, draws=100_000)
    t_solve, result = median_time(lambda: simulate.solve(small, "n_gpus", TARGET), r)
    t_solve_step, stepped = median_time(
        lambda: simulate.solve(small, "n_gpus", TARGET, step=1024), r
    )
    common = CommonDraws(small, ["n_gpus"])
    t_sample, _ = median_time(lambda: CommonDraws(small, ["n_gpus"]), r)
    given = dict(common.given) | {"n_gpus": 49152.0}
    t_chain, _ = median_time(lambda: evaluate_draws(given), max(r, 9))
    n_eval, n_eval_step = result.attrs["chain_evaluations"], stepped.attrs["chain_evaluations"]
    print("goal seek over n_gpus, 1e5 draws, configs/dense-1t-h100.toml:")
    print(f"  answer: {result.attrs['statement']}")
    print(f"  sampling once: {t_sample:.3f} s; one evaluation of the whole chain: {t_chain:.4f} s")
    for label, t, n in (("step 1", t_solve, n_eval), ("step 1024", t_solve_step, n_eval_step)):
        equivalent = (t - t_sample) / t_chain
        print(
            f"  solve ({label}): {t:.3f} s, {n} chain evaluations; (solve - sampling) = "
            f"{equivalent:.1f} whole-chain evaluations; solve = {t / (t_sample + 20 * t_chain):.2f}"
            " x (sampling + 20 evaluations)"
        )

    # 2. a 16-point sweep at 1e6 draws
    big = simulate.load_scenario(CONFIG, draws=1_000_000)
    t_run, ds = median_time(lambda: simulate.run(big, keep_uniforms=False), r)
    t_sweep, table = median_time(lambda: simulate.sweep(big, [SWEEP]), r)
    t_sweep_reuse, _ = median_time(lambda: simulate.sweep(big, [SWEEP], ds=ds), r)
    with tempfile.TemporaryDirectory() as folder:
        t_report, _ = median_time(
            lambda: simulate.run_report(big, out=f"{folder}/a", force=True, plots=False), r
        )
        t_report_sweep, _ = median_time(
            lambda: simulate.run_report(
                big, out=f"{folder}/b", force=True, plots=False, sweep=[SWEEP]
            ),
            r,
        )
    points = table.attrs["chain_evaluations"]
    print(f"sweep {SWEEP} ({points} points), 1e6 draws:")
    print(f"  simulate.run (sampling + chain): {t_run:.3f} s")
    print(f"  simulate.sweep (sampling once + {points} evaluations): {t_sweep:.3f} s = "
          f"{t_sweep / t_run:.2f} x a run")  # fmt: skip
    print(f"  simulate.sweep reusing the run's draws: {t_sweep_reuse:.3f} s = "
          f"{t_sweep_reuse / t_run:.2f} x a run")  # fmt: skip
    print(f"  run_report (the run command, no plots): {t_report:.3f} s; with --sweep: "
          f"{t_report_sweep:.3f} s = {t_report_sweep / t_report:.2f} x")  # fmt: skip


if __name__ == "__main__":
    main()
