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

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from .config import ConfigError, Scenario, load_scenario, safe_name
from .limits import memory_estimate_bytes, memory_refusal
from .units import format_percent, format_quantity

__all__ = [
    "COMPARED_OUTPUTS",
    "compare_folder_name",
    "compare_summary",
    "load_compared",
    "render_compare_markdown",
]

COMPARED_OUTPUTS = ("train_days", "gpu_hours", "energy_cost_usd", "tco_usd")
_DIFFERENCE_OUTPUTS = ("train_days", "tco_usd")


def load_compared(
    paths: Sequence[str],
    overrides: Sequence[str] = (),
    *,
    draws: int | None = None,
    seed: int | None = None,
    method: str | None = None,
) -> list[Scenario]:
    """Load every scenario with the common seed, draws and method (the first file's by default).

    Refuses two scenarios of the same name (their columns would be indistinguishable), and
    draws too many for every run to be held in memory at once.
    """
    first = load_scenario(paths[0], overrides, draws=draws, seed=seed, method=method)
    common = {"draws": first.draws, "seed": first.seed, "method": first.method}
    scenarios = [first] + [load_scenario(p, overrides, **common) for p in paths[1:]]
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
    """``compare-<a>-vs-<b>``, made a safe folder name by :func:`simulate.config.safe_name`
    (unsafe characters become ``_``; over the length limit, cut and ended with a hash)."""
    return safe_name("compare-" + "-vs-".join(names))


def _paired(base: np.ndarray, other: np.ndarray) -> dict[str, float]:
    difference = other - base
    p5, p50, p95 = np.quantile(difference, [0.05, 0.5, 0.95])
    return {
        "p5": float(p5),
        "p50": float(p50),
        "p95": float(p95),
        "mean": float(difference.mean()),
        "probability_higher": float(np.count_nonzero(difference > 0)) / difference.size,
    }


def compare_summary(
    summaries: Mapping[str, dict[str, Any]], datasets: Mapping[str, xr.Dataset]
) -> dict[str, Any]:
    """The compare report's summary: common settings, each scenario's summary, differences.

    ``differences[name][output]``: percentiles of (scenario - baseline) over paired draws
    and the share of draws where the scenario is higher; the baseline is the first.
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
    }


def describe_difference(difference: Mapping[str, float], units: str) -> str:
    """One paired difference in words: its P50, 90% interval and P(scenario > baseline)."""
    p50, p5, p95 = (format_quantity(difference[k], units) for k in ("p50", "p5", "p95"))
    higher = format_percent(difference["probability_higher"], decimals=1)
    return f"P50 {p50} (90% interval {p5} to {p95}); higher in {higher} of paired draws"


def render_compare_markdown(summary: Mapping[str, Any], *, images: Sequence[str] = ()) -> str:
    """Side-by-side table of the key outputs' percentiles and risks, then paired differences."""
    scenarios = summary["scenarios"]
    names = list(scenarios)
    common = summary["common"]
    lines = [
        f"# Comparison: {' vs '.join(names)}",
        "",
        f"Common random numbers: seed {common['seed']}, {common['draws']:,} draws, "
        f"method {common['method']}.",
        "",
        "| figure | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for output in COMPARED_OUTPUTS:
        for key in scenarios[names[0]]["percentiles"]:
            cells = []
            for scenario in scenarios.values():
                v = scenario["variables"].get(output)
                cells.append(format_quantity(v["percentiles"][key], v["units"]) if v else "n/a")
            lines.append(f"| {output} {key.upper()} | " + " | ".join(cells) + " |")
    risk_keys = sorted({key for s in scenarios.values() for key in s["risk"]})
    for key in risk_keys:
        cells = [
            format_percent(s["risk"][key]["probability"]) if key in s["risk"] else "n/a"
            for s in scenarios.values()
        ]
        lines.append(f"| P({key.replace('_over_', ' > ')}) | " + " | ".join(cells) + " |")
    if summary["differences"]:
        lines += ["", f"## Paired differences (scenario - {summary['baseline']})", ""]
        for name, entry in summary["differences"].items():
            for output, d in entry.items():
                units = scenarios[name]["variables"][output]["units"]
                lines.append(f"- {name}, {output}: {describe_difference(d, units)}")
    if images:
        lines += ["", "## Plots", ""] + [f"![{name}]({name})" for name in images]
    lines += ["", "## Scenarios", ""]
    for name, s in scenarios.items():
        prov = s["provenance"]
        lines.append(f"- {name}: `{prov['config_path']}` (config hash `{prov['config_hash']}`)")
    return "\n".join(lines) + "\n"
