"""Cost views side by side, and published values placed in a run's distribution.

A *view* is one way to charge a run (``chain.VIEWS``): total cost of ownership (the
article's), amortized capital + energy (Epoch AI's), cloud rental, and emissions.
A *reference* is a published figure for a node (e.g. Meta's 30.84M GPU-hours for
Llama 3.1 405B); the report gives its percentile rank in the simulated distribution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..model.chain import VIEWS
from ..scenario.config import Reference

__all__ = [
    "compare_to",
    "informs_prior",
    "percentile_rank",
    "render_compare_to",
    "render_views",
    "view_summary",
]


def percentile_rank(values: np.ndarray, value: float) -> float:
    """Percent of draws below ``value``, ties counted half (the mid-rank convention).

    For draws from a continuous distribution this estimates 100 · F(value).
    """
    values = np.asarray(values, dtype=float)
    below = np.count_nonzero(values < value)
    ties = np.count_nonzero(values == value)
    return float(100.0 * (below + 0.5 * ties) / values.size)


def view_summary(
    stats_by_name: Mapping[str, Mapping[str, Any]], views: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Per asked view: its headline nodes' units, mean and percentiles (those computed)."""
    out: dict[str, dict[str, Any]] = {}
    for view in views:
        nodes = {
            name: {k: stats_by_name[name][k] for k in ("units", "mean", "percentiles")}
            for name in VIEWS[view][1]
            if name in stats_by_name
        }
        out[view] = {"total": VIEWS[view][1][-1], "nodes": nodes}
    return out


def compare_to(
    ds: xr.Dataset, references: Sequence[Reference], percentiles: Sequence[float]
) -> list[dict[str, Any]]:
    """Each published value with its percentile rank and whether the outer interval covers it.

    The interval runs from the lowest to the highest percentile the scenario asks for
    (P5 to P95 by default: the 90% interval).
    """
    low_q, high_q = min(percentiles), max(percentiles)
    out = []
    for ref in references:
        entry: dict[str, Any] = {
            "node": ref.node,
            "value": ref.value,
            "source": ref.source,
            "informs_prior": informs_prior(ref),
        }
        if ref.node not in ds:
            entry["status"] = "not computed by this scenario"
            out.append(entry)
            continue
        values = ds[ref.node].values
        low, high = np.quantile(values, [low_q / 100, high_q / 100])
        entry |= {
            "units": ds[ref.node].attrs.get("units", ""),
            "percentile_rank": percentile_rank(values, ref.value),
            "interval": [float(low), float(high)],
            "interval_percentiles": [low_q, high_q],
            "covered": bool(low <= ref.value <= high),
        }
        out.append(entry)
    return out


def informs_prior(ref: Reference) -> list[str] | None:
    """summary.json's ``informs_prior``: the inputs whose priors the figure set ([] none;
    None: the scenario does not say)."""
    return None if ref.informs_prior is None else list(ref.informs_prior)


def _prior_text(entry: Mapping[str, Any]) -> str:
    """report.md's "sets a prior" cell."""
    used = entry.get("informs_prior")
    if used is None:
        return "not stated"
    return f"yes: {', '.join(used)}" if used else "no"


def render_views(
    views: Mapping[str, Mapping[str, Any]], keys: Sequence[str], num: Any
) -> list[str]:
    """The "Cost views" section of report.md (``num`` formats a number)."""
    if not views:
        return []
    lines = [
        "## Cost views",
        "",
        "The same run charged four ways: the article's total cost of ownership (the whole "
        "cluster's purchase), Epoch AI's amortized capital + energy, cloud rental, and "
        "emissions.",
        "",
        "| view | node | units | " + " | ".join(k.upper() for k in keys) + " | mean |",
        "|---|---|---|" + "---:|" * (len(keys) + 1),
    ]
    for view, entry in views.items():
        for name, v in entry["nodes"].items():
            row = " | ".join(num(v["percentiles"][k]) for k in keys)
            label = f"**{name}**" if name == entry["total"] else name
            lines.append(f"| {view} | {label} | {v['units']} | {row} | {num(v['mean'])} |")
    return lines + [""]


def render_compare_to(entries: Sequence[Mapping[str, Any]], num: Any) -> list[str]:
    """The "Published values" section of report.md."""
    if not entries:
        return []
    lines = [
        "## Published values",
        "",
        "Whether a published figure was used to set a prior says how far it can check the "
        "run: a figure that set a prior is not an independent check of it.",
        "",
        "| node | published | units | percentile rank | interval | covered | "
        "used to set a prior | source |",
        "|---|---:|---|---:|---|---|---|---|",
    ]
    for e in entries:
        if "percentile_rank" not in e:
            lines.append(
                f"| {e['node']} | {num(e['value'])} | | | {e['status']} | | "
                f"{_prior_text(e)} | {e['source']} |"
            )
            continue
        low_q, high_q = e["interval_percentiles"]
        low, high = e["interval"]
        lines.append(
            f"| {e['node']} | {num(e['value'])} | {e['units']} | {e['percentile_rank']:.1f} | "
            f"P{low_q:g}-P{high_q:g}: {num(low)} to {num(high)} | "
            f"{'yes' if e['covered'] else 'no'} | {_prior_text(e)} | {e['source']} |"
        )
    return lines + [""]
