"""Planning answers in the report: goal seek (solve.json, its report.md, solve.png) and
sweeps (summary.json's ``sweep``, sweep.csv, report.md's section, the fan charts, an HTML
fragment).

Pure rendering: the numbers come from :mod:`simulate.workflows.solve` and
:mod:`simulate.workflows.sweep`; figures follow :mod:`simulate.report.plots` (Agg canvas,
readable scales, the P-low/P50/P-high colours).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from .plots import _MARK_COLORS, _PALETTE, _figure, _readable_ticks
from .units import format_number, format_percent, scale_for

__all__ = [
    "solve_figure",
    "solve_json",
    "solve_markdown",
    "solve_statement",
]


def _value(x: float, units: str = "1", *, whole: bool = False) -> str:
    """A value of the varied input: exact for whole numbers (49,152, not 49,150)."""
    if whole or (math.isfinite(x) and x == int(x) and abs(x) < 1e15):
        return f"{int(x):,}"
    return format_number(x, digits=6)


def _stat(x: float, probability: bool) -> str:
    return format_percent(x, decimals=3) if probability else format_number(x)


def _cell(stat: Mapping[str, float], probability: bool) -> str:
    return (
        f"{_stat(stat['value'], probability)} (95% CI {_stat(stat['low'], probability)} to "
        f"{_stat(stat['high'], probability)})"
    )


def solve_statement(result: xr.Dataset) -> str:
    """One plain sentence: the answer with its statistic and interval, or why there is none."""
    a = result.attrs
    vary, target, name = a["vary"], a["target"], a["statistic_name"]
    probability = name.startswith("P(")
    where = f"[{_value(a['range_low'])}, {_value(a['range_high'])}]"
    if not math.isnan(a["step"]) and a["step"] != 1:
        where += f" in steps of {_value(a['step'])}"
    if not a["range_given"]:
        where += f" (the default range: the scenario's {_value(a['base_value'])} / 16 to x 16)"
    values = result[vary].values.tolist()
    stats = {
        x: {"value": s, "low": lo, "high": hi}
        for x, s, lo, hi in zip(
            values,
            result["statistic"].values.tolist(),
            result["statistic_low"].values.tolist(),
            result["statistic_high"].values.tolist(),
            strict=True,
        )
    }
    ends = (
        f"at {_value(values[0])} {name} = {_stat(stats[values[0]]['value'], probability)}, "
        f"at {_value(values[-1])} {_stat(stats[values[-1]]['value'], probability)}"
    )
    if a["status"] == "unreachable":
        hint = "" if a["range_given"] else "; give --range"
        return f"no value of {vary} in {where} reaches {target} ({ends}){hint}"
    answer = a["answer"]
    if a["status"] == "met_throughout" and math.isnan(answer):
        return (
            f"every value of {vary} in {where} meets {target}, and {name} is the same at both "
            f"ends ({ends}): {vary} does not move it"
        )
    cell = _cell(stats[answer], probability)
    if a["status"] == "met_throughout":
        return (
            f"every value of {vary} in {where} meets {target} ({ends}); the change lies beyond "
            f"{_value(answer)}, where {name} = {cell}"
        )
    text = (
        f"{vary} = {_value(answer)} is the {a['side']} value in {where} with {target}: "
        f"{name} = {cell}"
    )
    neighbour = a["neighbour"]
    if not math.isnan(neighbour):
        text += f"; at {_value(neighbour)}: {_stat(stats[neighbour]['value'], probability)}"
    return text


def _num(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def solve_json(result: xr.Dataset) -> dict[str, Any]:
    """solve.json: the question, the answer with its interval, every value tried."""
    a = result.attrs
    vary = a["vary"]
    return {
        "scenario": a["scenario"],
        "config_path": a["config_path"],
        "config_hash": a["config_hash"],
        "seed": a["seed"],
        "method": a["method"],
        "draws": a["draws"],
        "vary": vary,
        "units": a["units"],
        "target": a["target"],
        "statistic": a["statistic_name"],
        "status": a["status"],
        "answer": _num(a["answer"]),
        "answer_statistic": {
            "value": _num(a.get("answer_statistic", math.nan)),
            "ci95": [_num(a.get("answer_low", math.nan)), _num(a.get("answer_high", math.nan))],
        },
        "neighbour": _num(a["neighbour"]),
        "statement": a["statement"],
        "range": [a["range_low"], a["range_high"]],
        "range_given": bool(a["range_given"]),
        "step": _num(a["step"]),
        "base_value": a["base_value"],
        "chain_evaluations": a["chain_evaluations"],
        "at_answer": {
            "percentiles": a.get("at_answer_percentiles", {}),
            "risk": a.get("at_answer_risk", {}),
        },
        "evaluations": [
            {
                vary: x,
                "statistic": s,
                "ci95": [lo, hi],
                "met": bool(m),
            }
            for x, s, lo, hi, m in zip(
                result[vary].values.tolist(),
                result["statistic"].values.tolist(),
                result["statistic_low"].values.tolist(),
                result["statistic_high"].values.tolist(),
                result["met"].values.tolist(),
                strict=True,
            )
        ],
    }


def solve_markdown(summary: Mapping[str, Any], *, images: Sequence[str] = ()) -> str:
    """report.md of a goal seek: the answer first, then the values tried and the method."""
    vary, name = summary["vary"], summary["statistic"]
    probability = name.startswith("P(")
    lines = [f"# Goal seek: {summary['scenario']}", "", "## Answer", "", summary["statement"], ""]
    at = summary["at_answer"]
    if at["percentiles"]:
        lines += [f"At {vary} = {_value(summary['answer'])}:", ""]
        for node, row in at["percentiles"].items():
            spread = ", ".join(f"{k.upper()} {format_number(v)}" for k, v in row.items())
            lines.append(f"- **{node}**: {spread}")
        for entry in at["risk"].values():
            low, high = entry["ci95"]
            lines.append(
                f"- P({entry['node']} {'>' if entry['direction'] == 'above' else '<'} "
                f"{entry['label']} {format_number(entry['threshold'])}) = "
                f"{format_percent(entry['probability'])} (95% CI {format_percent(low)} to "
                f"{format_percent(high)})"
            )
        lines.append("")
    lines += [
        "## Values tried",
        "",
        f"| {vary} | {name} | 95% CI | target met |",
        "|---:|---:|---|---|",
    ]
    for row in summary["evaluations"]:
        low, high = row["ci95"]
        lines.append(
            f"| {_value(row[vary])} | {_stat(row['statistic'], probability)} | "
            f"{_stat(low, probability)} to {_stat(high, probability)} | "
            f"{'yes' if row['met'] else 'no'} |"
        )
    lines += [
        "",
        "## Method",
        "",
        f"Common random numbers: every input but {vary} was drawn once ({summary['draws']:,} "
        f"draws, seed {summary['seed']}, method {summary['method']}), and the chain was "
        f"evaluated {summary['chain_evaluations']} times on those draws, once per value tried, "
        f"with {vary} fixed at that value (as `--set {vary}=VALUE` would), so every node that "
        f"depends on it is recomputed. The target's statistic is then a deterministic "
        f"function of {vary}; bisection on the grid (whole numbers or multiples of the step), "
        f"or Brent's method otherwise, finds where the target starts to hold. The 95% "
        f"interval is the statistic's Monte Carlo uncertainty at that value (Wilson score for "
        f"a probability, order statistics for a percentile, normal for a mean).",
    ]
    if images:
        lines += ["", "## Plots", ""] + [f"![{name}]({name})" for name in images]
    lines += [
        "",
        "## Provenance",
        "",
        f"- scenario: `{summary['scenario']}`",
        f"- config_path: `{summary['config_path']}`",
        f"- config_hash: `{summary['config_hash']}`",
    ]
    return "\n".join(lines) + "\n"


def solve_figure(summary: Mapping[str, Any]) -> Any:
    """The statistic at each value tried, with its 95% interval, the level and the answer."""
    vary, name = summary["vary"], summary["statistic"]
    rows = summary["evaluations"]
    x = np.array([r[vary] for r in rows], dtype=float)
    y = np.array([r["statistic"] for r in rows], dtype=float)
    low = np.array([r["ci95"][0] for r in rows], dtype=float)
    high = np.array([r["ci95"][1] for r in rows], dtype=float)
    figure, axes = _figure()
    scale = scale_for(summary["units"], x)
    shown = x / scale.factor
    axes.errorbar(
        shown,
        y,
        yerr=[np.clip(y - low, 0, None), np.clip(high - y, 0, None)],
        fmt="o-",
        color=_PALETTE[0],
        capsize=3,
        label=f"{name} (95% CI)",
        gid="statistic",
    )
    level = float(summary["target"].rsplit(" ", 1)[-1])
    axes.axhline(
        level, color="black", linewidth=1.5, label=f"target {summary['target']}", gid="level"
    )
    if summary["answer"] is not None:
        axes.axvline(
            summary["answer"] / scale.factor,
            color=_MARK_COLORS["P50"],
            linestyle="--",
            label=f"answer {_value(summary['answer'])}",
            gid="answer",
        )
    axes.set_xlabel(f"{vary} [{scale.label}]" if scale.label else vary)
    axes.set_ylabel(name)
    _readable_ticks(axes.xaxis)
    axes.legend(loc="best", fontsize="small")
    axes.set_title(f"Goal seek: {summary['target']}")
    return figure
