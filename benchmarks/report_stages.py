"""Where a run's time goes, stage by stage, as ``python -m simulate run`` does them.

    PYTHONPATH=. python benchmarks/report_stages.py [DRAWS ...]

Prints seconds per stage (import, sampling, chain, statistics, sensitivity, decision,
plots, html, writing, draws.nc) for each draw count (default 100,000 and 1,000,000) and the
wall time of ``python -m simulate --help`` (best of 5). Not a test: numbers depend on
the machine.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _help_seconds(repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "simulate", "--help"], cwd=REPO, capture_output=True, check=True
        )
        best = min(best, time.perf_counter() - start)
    return best


def _timer(times: dict[str, float]):
    """``stage(name, work, *args, **kwargs)``: run ``work`` and record its seconds."""

    def stage(name: str, work, *args, **kwargs):
        start = time.perf_counter()
        result = work(*args, **kwargs)
        times[name] = time.perf_counter() - start
        return result

    return stage


def main(draw_counts: list[int]) -> None:
    print(f"python -m simulate --help: {_help_seconds():.3f} s (best of 5)")
    start = time.perf_counter()
    from simulate.analysis.parallel import default_threads
    from simulate.engine.memory import run, sample_inputs
    from simulate.model.catalog import CONFIG_DIR
    from simulate.model.chain import evaluate
    from simulate.report.draws import draws_to_netcdf
    from simulate.report.figures import report_figures
    from simulate.report.folder import write_report
    from simulate.report.html import render_html
    from simulate.report.summary import build_summary
    from simulate.scenario.config import load_scenario
    from simulate.workflows.planning import decide
    from simulate.workflows.sections import sensitivity_section

    print(f"import: {time.perf_counter() - start:.2f} s")
    for draws in draw_counts:
        scenario = load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=draws)
        times: dict[str, float] = {}
        stage = _timer(times)
        inputs = stage(
            "sampling",
            sample_inputs,
            scenario,
            draws=draws,
            seed=scenario.seed,
            method=scenario.method,
            threads=default_threads(),
        )
        stage("chain", evaluate, inputs)
        ds = run(scenario)  # the Dataset the rest works on (same draws)
        stage("statistics", build_summary, ds, scenario)
        section = stage("sensitivity", sensitivity_section, ds, scenario)
        stage("decision", decide, ds, scenario)
        summary = build_summary(ds, scenario, sensitivity=section)
        images = stage("plots", report_figures, ds, sensitivity=section)
        page = stage("html", render_html, summary, images)
        with tempfile.TemporaryDirectory() as folder:
            extra = {**images, "report.html": page}
            stage("writing", write_report, summary, Path(folder) / "r", extra_files=extra)
        netcdf = stage("draws.nc", draws_to_netcdf, ds)
        cells = ", ".join(f"{k} {v:.2f} s" for k, v in times.items())
        print(f"{draws:>10,} draws: {cells}; draws.nc {len(netcdf) / 1e6:.1f} MB")


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [100_000, 1_000_000])
