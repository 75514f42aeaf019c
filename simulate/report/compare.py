"""Split from simulate.workflows.compare (issue 12 layout)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..model.chain import KEY_OUTPUTS
from .answer import risk_cell
from .units import format_percent, format_quantity

__all__ = [
    "COMPARED_OUTPUTS",
    "describe_difference",
    "describe_risk_difference",
    "render_compare_markdown",
    "risk_rows",
    "risk_table",
]


COMPARED_OUTPUTS = KEY_OUTPUTS


def describe_difference(difference: Mapping[str, Any], units: str) -> str:
    """One paired difference in words: its P50 and 90% range over the draws, its mean with a
    95% interval, and P(scenario > baseline)."""
    p50, p5, p95 = (format_quantity(difference[k], units) for k in ("p50", "p5", "p95"))
    higher = format_percent(difference["probability_higher"], decimals=1)
    mean = format_quantity(difference["mean"], units)
    low, high = difference.get("mean_ci95") or [None, None]
    ci = (
        ""
        if low is None
        else f" (95% CI {format_quantity(low, units)} to {format_quantity(high, units)})"
    )
    return (
        f"P50 {p50} (90% of draws {p5} to {p95}); mean {mean}{ci}; "
        f"higher in {higher} of paired draws"
    )


def describe_risk_difference(difference: Mapping[str, Any]) -> str:
    """A paired difference of P(miss) in words, in percentage points with its 95% interval."""
    low, high = difference["ci95"]
    points = f"{difference['difference'] * 100:+.2f} points"
    if low is None:
        return points
    return f"{points} (95% CI {low * 100:+.2f} to {high * 100:+.2f})"


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
    for event, cells in risk_table(scenarios):
        lines.append(f"| {event} | " + " | ".join(cells) + " |")
    if summary["differences"]:
        lines += ["", f"## Paired differences (scenario - {summary['baseline']})", ""]
        for name, entry in summary["differences"].items():
            for output, d in entry.items():
                units = scenarios[name]["variables"][output]["units"]
                lines.append(f"- {name}, {output}: {describe_difference(d, units)}")
        for name, entry in summary.get("risk_differences", {}).items():
            for key, d in entry.items():
                lines.append(f"- {name}, P({key}): {describe_risk_difference(d)}")
    if images:
        lines += ["", "## Plots", ""] + [f"![{name}]({name})" for name in images]
    lines += ["", "## Scenarios", ""]
    for name, s in scenarios.items():
        prov = s["provenance"]
        lines.append(f"- {name}: `{prov['config_path']}` (config hash `{prov['config_hash']}`)")
    return "\n".join(lines) + "\n"


def risk_rows(scenarios: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, list[float | None]]]:
    """Each risk target any scenario has: its event (``P(train_days > deadline)``) and
    each scenario's probability of missing it (None where that scenario has no such target)."""
    entries = {key: e for s in scenarios.values() for key, e in s["risk"].items()}
    rows = []
    for key, entry in entries.items():
        symbol = ">" if entry["direction"] == "above" else "<"
        probabilities = [
            s["risk"][key]["probability"] if key in s["risk"] else None for s in scenarios.values()
        ]
        rows.append((f"P({entry['node']} {symbol} {entry['label']})", probabilities))
    return rows


def risk_table(scenarios: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, list[str]]]:
    """:func:`risk_rows` as text: each scenario's cell is
    :func:`simulate.report.answer.risk_cell` (its interval, or impossible / certain under
    its priors; n/a where it has no such target)."""
    entries = {key: e for s in scenarios.values() for key, e in s["risk"].items()}
    return [
        (
            f"P({entry['node']} {'>' if entry['direction'] == 'above' else '<'} {entry['label']})",
            [risk_cell(s["risk"].get(key)) for s in scenarios.values()],
        )
        for key, entry in entries.items()
    ]
