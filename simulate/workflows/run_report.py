"""What ``python -m simulate run`` does, callable from Python: run a scenario, analyse it,
write its report folder.

>>> from simulate import load_scenario, run_report
>>> result = run_report(load_scenario("configs/llama-3.1-405b.toml"), out="/tmp/r")
>>> result.summary["variables"]["train_days"]["percentiles"]["p50"]  # doctest: +SKIP

In memory (the draws kept: plots, ``draws.nc``, runs to a precision) or in chunks
(``chunk_draws``: bounded memory, threads or dask): one summary schema either way
(:func:`simulate.report.summary.build_summary`). Errors name the Python parameters
(``chunk_draws``, ``precision``); the CLI translates them into its flags.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

import xarray as xr

from ..engine.chunked import run_chunked
from ..engine.memory import run
from ..engine.runners import ChunkError
from ..report.decisions import decision_entry, decision_figure, planning_sections, update_entry
from ..report.explore import distribution_grids
from ..report.figures import caption, report_figures
from ..report.folder import FileContent, write_report
from ..report.html import markdown_block, render_html
from ..report.planning import sweep_html
from ..report.summary import build_summary
from ..scenario.config import Scenario
from .planning import decide, update_forecast
from .sections import run_to_precision, sensitivity_section
from .sweep import parse_sweeps, sweep_files, sweep_section

__all__ = ["DEFAULT_CHUNK_DRAWS", "ReportResult", "default_out_dir", "run_report"]

#: Chunk size when the dask backend is asked for without ``chunk_draws``.
DEFAULT_CHUNK_DRAWS = 1_000_000


@dataclass(frozen=True)
class ReportResult:
    """A written report: its summary, where it is, where an earlier one was kept, and the
    draws (in-memory runs only) and sensitivity section it was made from."""

    summary: dict[str, Any]
    out_dir: Path
    kept: Path | None
    dataset: xr.Dataset | None
    sensitivity: dict[str, Any] | None


def default_out_dir(scenario: Scenario) -> Path:
    """``reports/<scenario name>`` (the name is a safe folder name, checked on load)."""
    return Path("reports") / scenario.name


def _no_stage(stage: str) -> None:
    """The default ``on_stage``: no progress display."""


def run_report(
    scenario: Scenario,
    *,
    out: str | Path | None = None,
    force: bool = False,
    plots: bool = True,
    save_draws: bool = False,
    compress: bool = False,
    precision: float | None = None,
    max_draws: int = 2**24,
    chunk_draws: int | None = None,
    backend: Literal["memory", "dask"] = "memory",
    workers: int | None = None,
    scheduler: str | None = None,
    analysis: Literal["rank", "sobol"] = "rank",
    outputs: Sequence[str] = (),
    sobol_draws: int = 2**14,
    on_stage: Callable[[str], None] = _no_stage,
    sweep: Sequence[str] = (),
) -> ReportResult:
    """Run ``scenario``, analyse it and write its report folder (``out``, default
    ``reports/<name>``); an earlier report there is kept aside unless ``force``.

    ``save_draws`` adds every draw as ``draws.nc`` (uncompressed, at disk speed;
    ``compress``: zlib level 1, about a fifth smaller and some 20 times slower, see
    :mod:`simulate.report.draws`).

    ``analysis="sobol"`` adds Sobol' indices (``sobol_draws`` base draws) to the ranking;
    ``outputs`` adds nodes to rank. ``precision`` keeps drawing until every percentile's
    and risk probability's 95% interval is within it (up to ``max_draws``). ``chunk_draws``
    (or ``backend="dask"``) runs in chunks in bounded memory, on ``workers`` threads or
    dask workers, or on the cluster at ``scheduler``: no plots, no draws kept.
    ``sweep`` (one or two ``NAME=LOW:HIGH:STEP``, :mod:`simulate.workflows.sweep`) adds a
    sweep table on common random numbers (summary.json's ``sweep``, sweep.csv, fan charts).
    """
    out_dir = Path(out) if out is not None else default_out_dir(scenario)
    if compress and not save_draws:
        raise ChunkError("compress: needs save_draws (it compresses draws.nc)")
    if chunk_draws is None and (backend == "dask" or scheduler):
        chunk_draws = min(scenario.draws, DEFAULT_CHUNK_DRAWS)
    if scheduler and backend != "dask":
        raise ChunkError(f"scheduler {scheduler}: needs backend dask")
    if workers is not None and workers < 1:
        raise ChunkError(f"workers: must be a whole number >= 1; got {workers}")
    if sweep and (chunk_draws is not None or precision is not None):
        other = "chunk_draws" if chunk_draws is not None else "precision"
        raise ChunkError(f"sweep: cannot go with {other} (a sweep runs in memory at the draws)")
    if sweep:
        parse_sweeps(scenario, sweep)  # a malformed sweep is refused before the run
    if chunk_draws is not None:
        if precision is not None or save_draws:
            other = "precision" if precision is not None else "save_draws"
            raise ChunkError(f"chunk_draws: cannot go with {other} (a chunked run keeps no draws)")
        if analysis != "rank" or outputs:
            raise ChunkError("chunk_draws: ranks only the key outputs (no Sobol', no outputs)")
        if scenario.progress is not None:  # asked for explicitly: refused, not dropped
            raise ChunkError("chunk_draws: cannot go with [progress] (it weights the draws)")
        return _report_chunked(
            scenario,
            out_dir,
            force=force,
            chunk_draws=chunk_draws,
            backend=backend,
            workers=workers,
            scheduler=scheduler,
        )
    convergence = None
    if precision is not None:
        ds, convergence = run_to_precision(scenario, precision=precision, max_draws=max_draws)
    else:
        ds = run(scenario, on_stage=on_stage, threads=workers)
    on_stage("statistics")
    section = sensitivity_section(
        ds, scenario, method=analysis, outputs=outputs, sobol_n=sobol_draws
    )
    summary = build_summary(ds, scenario, sensitivity=section, convergence=convergence)
    swept = sweep_section(scenario, sweep, ds) if sweep else {}
    summary |= swept
    decision = decide(ds, scenario)
    if decision is not None:
        summary["decision"] = decision_entry(decision)
    if scenario.progress is not None:
        summary["update"] = update_entry(update_forecast(ds, scenario))
    on_stage("plots")
    images = (
        report_figures(
            ds,
            sensitivity=section,
            targets=scenario.risk_targets,
            percentiles=scenario.percentiles,
        )
        if plots
        else {}
    )
    if plots and "decision" in summary:
        images["decision_value_of_information.png"] = decision_figure(summary["decision"])
    extra: dict[str, FileContent] = dict(images)
    sweep_images = sweep_files(swept, plots=plots)
    extra |= sweep_images
    extra["report.html"] = render_html(
        summary,
        images,
        captions={
            name: caption(name, scenario.risk_targets, scenario.percentiles) for name in images
        },
        grids=distribution_grids(ds, scenario.risk_targets),
        extra_sections=(
            [("sweep", "Sweep", sweep_html(swept["sweep"], images | sweep_images))] if swept else []
        )
        + [(sid, title, markdown_block(body)) for sid, title, body in planning_sections(summary)],
    )
    on_stage("writing")
    if save_draws:
        from ..report.draws import write_draws  # noqa: PLC0415 (h5netcdf only when asked)

        extra["draws.nc"] = partial(write_draws, ds, compress=compress)
    written, kept = write_report(summary, out_dir, force=force, extra_files=extra)
    return ReportResult(summary, written, kept, ds, section)


def _report_chunked(
    scenario: Scenario,
    out_dir: Path,
    *,
    force: bool,
    chunk_draws: int,
    backend: Literal["memory", "dask"],
    workers: int | None,
    scheduler: str | None,
) -> ReportResult:
    """ "":func:`run_report` in chunks: exact statistics, rank correlations, no plots."""
    result = run_chunked(
        scenario, chunk_draws=chunk_draws, backend=backend, workers=workers, scheduler=scheduler
    )
    summary = build_summary(result, scenario)
    if scenario.decision:  # as compare_to: named, not computed, in a run that keeps no draws
        summary["decision"] = {
            "options": list(scenario.decision),
            "status": "not computed: needs the draws in memory (a chunked run keeps none)",
        }
    summary |= {
        "chunked": {
            "chunk_draws": result.chunk_draws,
            "chunks": result.chunks,
            "backend": result.backend,
            "workers": result.workers,
            "rank_correlation": result.rank_correlation,
            "rank_error_bound": result.rank_error_bound,
        }
    }
    extra = {"report.html": render_html(summary, {})}
    written, kept = write_report(summary, out_dir, force=force, extra_files=extra)
    return ReportResult(summary, written, kept, None, None)
