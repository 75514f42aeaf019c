"""Split from simulate.report.folder (issue 12 layout)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from ..analysis.sensitivity import markdown_section
from .answer import risk_lines
from .decisions import render_planning
from .planning import sweep_markdown
from .summary import PROVENANCE_KEYS
from .terminal import convergence_text
from .units import Scale, format_estimate, format_number, overrides_text, scale_for
from .views import render_compare_to, render_views

__all__ = ["render_csv", "render_markdown"]

UNSCALED = Scale(1.0, "", "")


def render_markdown(summary: dict[str, Any], *, images: Sequence[str] = ()) -> str:
    """The human report: answer first, then risk, inputs, outputs, method, plots, provenance."""
    prov, variables, keys = summary["provenance"], summary["variables"], summary["percentiles"]
    lines = [f"# Training cost and duration: {prov['scenario']}", ""]
    if summary.get("overrides"):
        lines += [f"Overrides (`--set`): {overrides_text(summary, code='`')}", ""]
    lines += [
        "## Answer",
        "",
        "The run's cost, charged each way this scenario computes (per-run costs first), then "
        "its duration.",
        "",
        "| answer | node | units | " + " | ".join(k.upper() for k in keys) + " | mean | what |",
        "|---|---|---|" + "---:|" * (len(keys) + 1) + "---|",
    ]
    for row in summary.get("answer", []):
        v = variables[row["node"]]
        values = [row["percentiles"][k] for k in keys]
        scale = scale_for(row["units"], [x for x in values if x is not None])
        spread = " | ".join([*(_percentile(v, k, scale) for k in keys), _mean(v, summary, scale)])
        lines.append(
            f"| **{row['label']}** | {row['node']} | {scale.short or row['units']} | {spread} | "
            f"{row['definition']} |"
        )
    lines.append("")
    if summary["risk"]:
        lines += ["## Risk", ""]
        lines += [f"- {line}" for line in risk_lines(summary)]
        lines.append("")
    lines += render_views(summary.get("views", {}), keys, format_number)
    lines += render_compare_to(summary.get("compare_to", []), format_number)
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
        row = " | ".join(_percentile(v, k) for k in keys)
        lines.append(f"| {name} | {v['units']} | {row} | {_mean(v, summary)} |")
    lines += [
        "",
        "## Method",
        "",
        "Each node's rule and its source; pinned nodes are given by the scenario and cut "
        "what is upstream of them.",
        "",
        *([summary["intervals"]["description"], ""] if "intervals" in summary else []),
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
        section = markdown_section(summary["sensitivity"], limit=10, number=format_estimate)
        lines += ["", "## Sensitivity", "", section]
    if "convergence" in summary:
        conv = summary["convergence"]
        lines += ["", "## Convergence", "", f"{convergence_text(conv)}; {conv['batches']} batches."]
    lines += sweep_markdown(summary.get("sweep"))  # the outline's "extra" slot
    lines += render_planning(summary)
    if summary["notes"]:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in summary["notes"]]
    if images:
        lines += ["", "## Plots", ""] + [f"![{name}]({name})" for name in images]
    lines += ["", "## Provenance", ""] + [f"- {k}: `{prov[k]}`" for k in PROVENANCE_KEYS]
    if summary.get("overrides"):
        lines.append(f"- overrides (--set): {overrides_text(summary, code='`')}")
    return "\n".join(lines) + "\n"


def _percentile(v: dict[str, Any], key: str, scale: Scale = UNSCALED) -> str:
    """A percentile (on ``scale``) to the digits its interval supports (:func:`format_estimate`)."""
    low, high = v.get("percentiles_ci95", {}).get(key, (None, None))
    values = (scale.apply(x) for x in (v["percentiles"][key], low, high))
    return format_estimate(*values, interval=False)


def _mean(v: dict[str, Any], summary: dict[str, Any], scale: Scale = UNSCALED) -> str:
    """The mean (on ``scale``) to the digits its interval (mean ± critical value × standard
    error) supports."""
    se, critical = v.get("mean_standard_error"), summary.get("intervals", {}).get("critical_value")
    if v["mean"] is None or se is None or critical is None:
        return format_number(scale.apply(v["mean"]))
    half = critical * se
    values = (scale.apply(x) for x in (v["mean"], v["mean"] - half, v["mean"] + half))
    return format_estimate(*values, interval=False)


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
