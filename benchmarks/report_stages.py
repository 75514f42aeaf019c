"""Where a run's time goes: sampling + chain, statistics, plots, HTML, draws.nc, and --help.

    PYTHONPATH=. python benchmarks/report_stages.py [DRAWS ...]

Prints seconds per stage for each draw count (default 100,000 and 1,000,000) and the
wall time of ``python -m simulate --help`` (best of 5). Not a test: numbers depend on
the machine.
"""

from __future__ import annotations

import subprocess
import sys
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


def main(draw_counts: list[int]) -> None:
    print(f"python -m simulate --help: {_help_seconds():.3f} s (best of 5)")
    from simulate.catalog import CONFIG_DIR
    from simulate.config import load_scenario
    from simulate.draws import draws_to_netcdf
    from simulate.engine import run
    from simulate.figures import report_figures
    from simulate.html import render_html
    from simulate.report import build_summary

    for draws in draw_counts:
        scenario = load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=draws)
        times = {}
        start = time.perf_counter()
        ds = run(scenario)
        times["sampling+chain"] = time.perf_counter() - start
        start = time.perf_counter()
        summary = build_summary(ds, scenario)
        times["statistics"] = time.perf_counter() - start
        start = time.perf_counter()
        images = report_figures(ds)
        times["plots"] = time.perf_counter() - start
        start = time.perf_counter()
        page = render_html(summary, images)
        times["html"] = time.perf_counter() - start
        start = time.perf_counter()
        netcdf = draws_to_netcdf(ds)
        times["draws.nc"] = time.perf_counter() - start
        cells = ", ".join(f"{k} {v:.2f} s" for k, v in times.items())
        print(
            f"{draws:>10,} draws: {cells}; html {len(page) / 1e6:.2f} MB, "
            f"draws.nc {len(netcdf) / 1e6:.1f} MB"
        )


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [100_000, 1_000_000])
