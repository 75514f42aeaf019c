"""The answer a planner reads first, in one place for the terminal, report.md and report.html.

:func:`answer_rows` gives the per-run costs side by side (amortized capital + energy,
rental, then the article's TCO, each named and defined, each with the scenario's
percentiles), then the run's duration and GPU-hours; summary.json keeps them under
``answer``. :func:`risk_line` gives each risk target's line: a Monte Carlo estimate with
its Wilson interval, or "impossible" / "certain" under these priors where the threshold
lies outside what the node can reach. Standard library only at import time (the terminal).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..model.chain import COST_VIEWS, NODES, VIEWS
from .units import format_probability, format_quantity, risk_event

__all__ = ["ANSWER_TIME", "answer_rows", "risk_cell", "risk_line", "risk_lines"]

#: After the costs, the answer gives these (when the run computes them).
ANSWER_TIME = ("train_days", "gpu_hours")


def answer_rows(
    variables: Mapping[str, Mapping[str, Any]], views: Sequence[str]
) -> list[dict[str, Any]]:
    """The answer's rows: each cost view the scenario asks for and computes, in
    :data:`simulate.model.chain.COST_VIEWS` order, then :data:`ANSWER_TIME`. Each row:
    ``view`` (None for time), ``node``, ``label``, ``definition``, ``units``, ``mean``,
    ``percentiles`` (by percentile key, as in ``variables``)."""
    picked = [
        (view, VIEWS[view][1][-1], label, definition)
        for view, (label, definition) in COST_VIEWS.items()
        if view in views
    ]
    picked += [(None, name, NODES[name].description, NODES[name].formula) for name in ANSWER_TIME]
    return [
        {
            "view": view,
            "node": node,
            "label": label,
            "definition": definition,
            "units": variables[node]["units"],
            "mean": variables[node]["mean"],
            "percentiles": dict(variables[node]["percentiles"]),
        }
        for view, node, label, definition in picked
        if node in variables
    ]


def _value(x: float | None, units: str) -> str:
    return "n/a" if x is None else format_quantity(x, units)


def risk_line(entry: Mapping[str, Any], units: str) -> str:
    """One risk target in words (plain text), e.g. ``P(train_days > deadline 90 days): 0 of
    100,000 draws; < 0.004%``, or, where the threshold is out of the node's reachable range
    (``status``), ``...: impossible under these priors: train_days lies between 64.89 days
    and 89.03 days (0 of 100,000 draws)``."""
    event = risk_event(entry, format_quantity(entry["threshold"], units))
    missing, draws = entry["draws_missing"], entry["draws"]
    status = entry.get("status", "estimate")
    if status == "estimate":
        return f"{event}: {format_probability(missing, draws, *entry['ci95'])}"
    low, high = (_value(x, units) for x in entry["reachable"])
    return (
        f"{event}: {status} under these priors: {entry['node']} lies between {low} and "
        f"{high} ({missing:,} of {draws:,} draws)"
    )


def risk_cell(entry: Mapping[str, Any] | None) -> str:
    """A risk entry's probability for a table cell: ``impossible`` or ``certain`` (under
    these priors), else :func:`simulate.report.units.format_probability`; ``n/a`` for None."""
    if entry is None:
        return "n/a"
    status = entry.get("status", "estimate")
    if status != "estimate":
        return f"{status} under these priors"
    return format_probability(entry["draws_missing"], entry["draws"], *entry["ci95"])


def risk_lines(summary: Mapping[str, Any]) -> list[str]:
    """:func:`risk_line` of every risk target of a run's summary, in the summary's order."""
    variables = summary["variables"]
    return [
        risk_line(entry, variables.get(entry["node"], {}).get("units", ""))
        for entry in summary["risk"].values()
    ]
