"""Split from simulate.report.folder (issue 12 layout)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from ..analysis.sensitivity import markdown_section
from ..model.chain import KEY_OUTPUTS
from .decisions import render_planning
from .summary import PROVENANCE_KEYS
from .units import format_number, format_percent, risk_event
from .views import render_compare_to, render_views

__all__ = ["render_csv", "render_markdown"]


def render_markdown(summary: dict[str, Any], *, images: Sequence[str] = ()) -> str:
    """The human report: answer first, then risk, inputs, outputs, method, plots, provenance."""
    prov, variables, keys = summary["provenance"], summary["variables"], summary["percentiles"]
    lines = [f"# Training cost and duration: {prov['scenario']}", ""]
    lines += ["## Answer", ""]
    for name in KEY_OUTPUTS:
        if name in variables:
            v = variables[name]
            spread = ", ".join(f"{k.upper()} {format_number(v['percentiles'][k])}" for k in keys)
            lines.append(f"- **{name}** [{v['units']}]: {spread} (mean {format_number(v['mean'])})")
    lines.append("")
    if summary["risk"]:
        lines += ["## Risk", ""]
        for entry in summary["risk"].values():
            low, high = entry["ci95"]
            p, low, high = (format_percent(x) for x in (entry["probability"], low, high))
            lines.append(
                f"- {risk_event(entry, format_number(entry['threshold']))} = {p} (95% CI {low} "
                f"to {high}; {entry['draws_missing']:,} of {entry['draws']:,} draws)"
            )
        lines.append("")
    lines += render_views(summary.get("views", {}), keys, format_number)
    lines += render_compare_to(summary.get("compare_to", []), format_number)
    lines += render_planning(summary)
    header = "| name | units | " + " | ".join(k.upper() for k in keys) + " | mean |"
    rule = "|---|---|" + "---:|" * (len(keys) + 1)
    inputs = {n: v for n, v in variables.items() if v["kind"] != "node"}
    lines += [
        "## Inputs",
        "",
        "| name | units | value or distribution | source |",
        "|---|---|---|---|",
    ]
    for name, v in inputs.items():
        label = name if v["kind"] == "input" else f"{name} (pinned)"
        lines.append(f"| {label} | {v['units']} | {v.get('distribution', '')} | {v['source']} |")
    lines += ["", "## Outputs", "", header, rule]
    for name, v in variables.items():
        row = " | ".join(format_number(v["percentiles"][k]) for k in keys)
        lines.append(f"| {name} | {v['units']} | {row} | {format_number(v['mean'])} |")
    lines += [
        "",
        "## Method",
        "",
        "Each node's rule and its source; pinned nodes are given by the scenario and cut "
        "what is upstream of them.",
        "",
        "| node | units | rule | source |",
        "|---|---|---|---|",
    ]
    for name, v in variables.items():
        if v["kind"] == "node":
            lines.append(f"| {name} | {v['units']} | {v['formula']} | {v['source']} |")
    if "correlations" in summary:
        lines += [
            "",
            "## Correlations",
            "",
            "Spearman rank correlations, applied through a Gaussian copula on the sampling design.",
            "",
            "| inputs | requested | achieved |",
            "|---|---:|---:|",
        ]
        lines += [
            f"| {a} · {b} | {row['requested']:.3f} | "
            f"{'n/a' if row['achieved'] is None else format(row['achieved'], '.3f')} |"
            for row in summary["correlations"]
            for a, b in [row["inputs"]]
        ]
    if "sensitivity" in summary:
        lines += ["", "## Sensitivity", "", markdown_section(summary["sensitivity"], limit=10)]
    if "convergence" in summary:
        conv = summary["convergence"]
        state = "reached" if conv["converged"] else "NOT reached (cap hit)"
        lines += [
            "",
            "## Convergence",
            "",
            f"Precision {conv['precision']:g} {state} after {conv['n_draws']:,} draws "
            f"in {conv['batches']} batches.",
        ]
    if summary["notes"]:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in summary["notes"]]
    if images:
        lines += ["", "## Plots", ""] + [f"![{name}]({name})" for name in images]
    lines += ["", "## Provenance", ""] + [f"- {k}: `{prov[k]}`" for k in PROVENANCE_KEYS]
    return "\n".join(lines) + "\n"


def render_csv(summary: dict[str, Any]) -> str:
    """One row per variable: name, units, mean, std, then the asked percentiles."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    keys = summary["percentiles"]
    writer.writerow(["name", "kind", "units", "mean", "std", *keys])
    for name, v in summary["variables"].items():
        writer.writerow(
            [
                name,
                v["kind"],
                v["units"],
                repr(v["mean"]),
                repr(v["std"]),
                *(repr(v["percentiles"][k]) for k in keys),
            ]
        )
    return buffer.getvalue()
