"""Several scenarios side by side, with common random numbers.

Every scenario runs with one seed, one number of draws and one sampling design (the
first file's, unless given). The sampler keys each input's stream by the input's name,
so inputs that scenarios share get the very same draws (common random numbers), and
the paired difference between two scenarios, draw by draw, isolates the effect of what
differs (Law 2015, *Simulation Modeling and Analysis*, Sec. 11.2). This holds exactly
for the ``random`` design; ``lhs`` and ``sobol`` designs depend on the set of uncertain
inputs, so they share draws only between scenarios with the same uncertain inputs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..analysis.intervals import mean_interval
from ..analysis.risk import RiskTarget
from ..engine.limits import memory_estimate_bytes, memory_refusal
from ..engine.memory import run
from ..model.chain import HEADLINE_OUTPUTS, KEY_OUTPUTS
from ..report.compare import render_compare_markdown
from ..report.figures import caption, compare_figures
from ..report.folder import write_files
from ..report.html import render_compare_html
from ..report.summary import build_summary
from ..scenario.config import ConfigError, Scenario, load_scenario
from ..scenario.fields import safe_name

__all__ = [
    "CompareResult",
    "compare_folder_name",
    "compare_report",
    "compare_summary",
    "load_compared",
]

#: Paired differences for every headline and key output (simulate.model.chain.OUTPUT_ROLES).
_DIFFERENCE_OUTPUTS = tuple(dict.fromkeys(HEADLINE_OUTPUTS + KEY_OUTPUTS))


def load_compared(
    paths: Sequence[str],
    overrides: Sequence[str] = (),
    *,
    draws: int | None = None,
    seed: int | None = None,
    method: str | None = None,
) -> list[Scenario]:
    """Load every scenario, each followed by its ``[variants.NAME]``, with the common seed,
    draws and method (the first file's by default), and the first file's percentiles (the
    tables put them side by side).

    Refuses two scenarios of the same name (their columns would be indistinguishable), and
    draws too many for every run to be held in memory at once.
    """
    first = load_scenario(paths[0], overrides, draws=draws, seed=seed, method=method)
    common = {"draws": first.draws, "seed": first.seed, "method": first.method}
    scenarios = []
    for i, path in enumerate(paths):
        base = first if i == 0 else load_scenario(path, overrides, **common)
        scenarios += [base] + [
            load_scenario(path, overrides, variant=name, **common) for name in base.variants
        ]
    scenarios = [replace(s, percentiles=first.percentiles) for s in scenarios]
    seen: dict[str, str] = {}
    for scenario in scenarios:
        if scenario.name in seen:
            raise ConfigError(
                f"{scenario.path}: scenario.name: compared scenarios need distinct names; "
                f"got {scenario.name!r} here and in {seen[scenario.name]}"
            )
        seen[scenario.name] = scenario.path
    need = sum(memory_estimate_bytes(s, s.draws) for s in scenarios)  # every run is kept
    error = memory_refusal(
        first,
        first.draws,
        need,
        what=f" of {len(scenarios)} scenarios",
        advice="draw fewer (compare keeps every scenario's draws in memory)",
    )
    if error is not None:
        raise error
    return scenarios


def compare_folder_name(names: Sequence[str]) -> str:
    """``compare-<a>-vs-<b>``, made a safe folder name by :func:`simulate.scenario.fields.safe_name`
    (unsafe characters become ``_``; over the length limit, cut and ended with a hash)."""
    return safe_name("compare-" + "-vs-".join(names))


def _ci95(difference: np.ndarray) -> list[float | None]:
    """The 95% normal interval of the mean of paired differences
    (:func:`simulate.analysis.intervals.mean_interval`; None where a bound is not finite)."""
    cell = mean_interval(difference)
    return [cell["low"], cell["high"]]


def _paired(base: np.ndarray, other: np.ndarray) -> dict[str, Any]:
    difference = other - base
    p5, p50, p95 = np.quantile(difference, [0.05, 0.5, 0.95])
    return {
        "p5": float(p5),
        "p50": float(p50),
        "p95": float(p95),
        "mean": float(difference.mean()),
        "mean_ci95": _ci95(difference),
        "probability_higher": float(np.count_nonzero(difference > 0)) / difference.size,
    }


def _risk_difference(base: np.ndarray, other: np.ndarray) -> dict[str, Any]:
    """P(other misses) − P(base misses) from paired miss indicators, with a 95% interval
    of the mean of the paired differences (each draw's −1, 0 or 1)."""
    difference = other.astype(np.float64) - base.astype(np.float64)
    return {"difference": float(difference.mean()), "ci95": _ci95(difference)}


def compare_summary(
    summaries: Mapping[str, dict[str, Any]],
    datasets: Mapping[str, xr.Dataset],
    targets: Mapping[str, Sequence[RiskTarget]] | None = None,
) -> dict[str, Any]:
    """The compare report's summary: common settings, each scenario's summary, differences.

    ``differences[name][output]``: percentiles of (scenario - baseline) over paired draws,
    the mean with its 95% interval and the share of draws where the scenario is higher;
    ``risk_differences[name][target]``: P(miss) of the scenario minus the baseline's, with
    its 95% interval; the baseline is the first.
    """
    names = list(summaries)
    baseline = names[0]
    prov = summaries[baseline]["provenance"]
    differences: dict[str, dict[str, dict[str, float]]] = {}
    for name in names[1:]:
        differences[name] = {
            output: _paired(datasets[baseline][output].values, datasets[name][output].values)
            for output in _DIFFERENCE_OUTPUTS
            if output in datasets[name] and output in datasets[baseline]
        }
    return {
        "schema_version": summaries[baseline]["schema_version"],
        "kind": "compare",
        "common": {key: prov[key] for key in ("seed", "draws", "method")},
        "baseline": baseline,
        "scenarios": dict(summaries),
        "differences": differences,
        "risk_differences": _risk_differences(names, datasets, targets or {}),
    }


def _risk_differences(
    names: Sequence[str],
    datasets: Mapping[str, xr.Dataset],
    targets: Mapping[str, Sequence[RiskTarget]],
) -> dict[str, dict[str, Any]]:
    """Per scenario after the baseline, per risk target both have: the paired difference
    of P(miss) (:func:`_risk_difference`)."""
    baseline = names[0]
    base_targets = {t.key: t for t in targets.get(baseline, ())}
    result: dict[str, dict[str, Any]] = {}
    for name in names[1:]:
        result[name] = {
            t.key: _risk_difference(
                base_targets[t.key].misses(datasets[baseline][t.node].values),
                t.misses(datasets[name][t.node].values),
            )
            for t in targets.get(name, ())
            if t.key in base_targets and t.node in datasets[name] and t.node in datasets[baseline]
        }
    return result


@dataclass(frozen=True)
class CompareResult:
    """A written compare report: its summary, where it is, where an earlier one was kept,
    and each scenario's draws."""

    summary: dict[str, Any]
    out_dir: Path
    kept: Path | None
    datasets: dict[str, xr.Dataset]


def _no_stage(stage: str) -> None:
    """The default ``on_stage``: no progress display."""


def compare_report(
    scenarios: Sequence[Scenario],
    *,
    out: str | Path | None = None,
    force: bool = False,
    plots: bool = True,
    on_stage: Callable[[str], None] = _no_stage,
) -> CompareResult:
    """What ``python -m simulate compare`` does: run every scenario (give them one seed,
    draws and method, as :func:`load_compared` does, for common random numbers), put them
    side by side with paired differences, and write the folder (``out``, default
    ``reports/compare-<a>-vs-<b>``)."""
    if len(scenarios) < 2:
        raise ConfigError(
            "scenarios: compare needs two or more (files, or [variants.NAME] in one file); "
            f"got {len(scenarios)}"
        )
    names = [s.name for s in scenarios]
    out_dir = Path(out) if out is not None else Path("reports") / compare_folder_name(names)
    datasets = {
        s.name: run(s, on_stage=lambda stage, n=s.name: on_stage(f"{n}: {stage}"))
        for s in scenarios
    }
    on_stage("statistics")
    summaries = {s.name: build_summary(datasets[s.name], s) for s in scenarios}
    targets = {s.name: s.risk_targets for s in scenarios}
    summary = compare_summary(summaries, datasets, targets)
    on_stage("plots")
    percentiles = scenarios[0].percentiles
    images = compare_figures(datasets, targets, percentiles) if plots else {}
    on_stage("writing")
    files: dict[str, bytes | str] = {
        "summary.json": json.dumps(summary, indent=2, allow_nan=False) + "\n",
        "report.md": render_compare_markdown(summary, images=list(images)),
        "report.html": render_compare_html(
            summary,
            images,
            captions={name: caption(name, percentiles=percentiles) for name in images},
        ),
        **images,
    }
    written, kept = write_files(files, out_dir, force=force)
    return CompareResult(summary, written, kept, datasets)
