"""Planning answers in the report: goal seek (solve.json, its report.md, solve.png) and
sweeps (summary.json's ``sweep``, sweep.csv, report.md's section, the fan charts, an HTML
fragment).

Pure rendering: the numbers come from :mod:`simulate.workflows.solve` and
:mod:`simulate.workflows.sweep`; figures follow :mod:`simulate.report.plots` (Agg canvas,
readable scales, the P-low/P50/P-high colours).
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .units import format_number, format_percent, scale_for

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = [
    "solve_figure",
    "solve_json",
    "solve_markdown",
    "solve_statement",
    "sweep_csv",
    "sweep_figures",
    "sweep_html",
    "sweep_markdown",
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
        tried = f"; {len(values) - 2} values between them tried too" if len(values) > 2 else ""
        return f"no value of {vary} in {where} reaches {target} ({ends}{tried}){hint}"
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
    if stats[answer]["low"] <= a["level"] <= stats[answer]["high"]:
        text += " (the interval holds the target's level: more draws would narrow the answer)"
    return text


def _num(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def solve_json(result: xr.Dataset) -> dict[str, Any]:
    """solve.json: the question, the answer with its interval, every value tried."""
    a = result.attrs
    vary = a["vary"]

    def x(value: Any) -> Any:  # whole inputs stay whole in the JSON
        value = _num(value)
        return int(value) if value is not None and a["whole"] else value

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
        "level": a["level"],
        "statistic": a["statistic_name"],
        "status": a["status"],
        "answer": x(a["answer"]),
        "answer_statistic": {
            "value": _num(a.get("answer_statistic", math.nan)),
            "ci95": [_num(a.get("answer_low", math.nan)), _num(a.get("answer_high", math.nan))],
        },
        "neighbour": x(a["neighbour"]),
        "statement": a["statement"],
        "range": [x(a["range_low"]), x(a["range_high"])],
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
                vary: x(v),
                "statistic": s,
                "ci95": [lo, hi],
                "met": bool(m),
            }
            for v, s, lo, hi, m in zip(
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
    from .plots import _MARK_COLORS, _PALETTE, _figure, _readable_ticks  # noqa: PLC0415

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
    axes.axhline(
        summary["level"],
        color="black",
        linewidth=1.5,
        label=f"target {summary['target']}",
        gid="level",
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
    if shown.min() > 0 and shown.max() / shown.min() > 20:  # the default range spans 256x
        axes.set_xscale("log")
    _readable_ticks(axes.xaxis)
    axes.legend(loc="best", fontsize="small")
    axes.set_title(f"Goal seek: {summary['target']}")
    return figure


def _fan_keys(keys: Sequence[str]) -> tuple[str, str, str]:
    """(low, middle, high): the outermost of the scenario's percentiles and P50 (or the
    middle one when P50 is not among them)."""
    middle = "p50" if "p50" in keys else keys[len(keys) // 2]
    return keys[0], middle, keys[-1]


def _row_point(row: Mapping[str, Any], names: Sequence[str]) -> str:
    return " | ".join(_value(row[n]) for n in names)


def sweep_markdown(sweep: Mapping[str, Any] | None) -> list[str]:
    """report.md's "Sweep" section (no lines when the run has no sweep): one row per point,
    each headline output's P-low/P50/P-high and each risk target's probability; for a
    two-way sweep also a table of each P50 and probability, rows by the first input."""
    if not sweep:
        return []
    names = list(sweep["inputs"])
    keys = sweep["percentiles"]
    low, mid, high = _fan_keys(keys)
    outputs, risks = list(sweep["outputs"]), dict(sweep["risk"])
    lines = [
        "",
        "## Sweep",
        "",
        f"Common random numbers: {sweep['draws']:,} draws (seed {sweep['seed']}) shared by "
        f"every point; {sweep['chain_evaluations']} chain evaluations, one per point. Each "
        f"point equals a run with `--set` at that value.",
        "",
    ]
    head = [*names]
    head += [f"{o} {k.upper()}" for o in outputs for k in (low, mid, high)]
    head += list(risks.values())
    lines += ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for row in sweep["rows"]:
        cells = [_row_point(row, names)]
        cells += [format_number(row[o][k]) for o in outputs for k in (low, mid, high)]
        cells += [format_percent(row["risk"][key]["probability"]) for key in risks]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    if len(names) == 2:
        first, second = names
        columns = sweep["inputs"][second]
        tables = [(f"{o} {mid.upper()}", lambda r, o=o: format_number(r[o][mid])) for o in outputs]
        tables += [
            (label, lambda r, k=key: format_percent(r["risk"][k]["probability"]))
            for key, label in risks.items()
        ]
        for title, cell in tables:
            lines += [
                f"{title} by {first} (rows) and {second} (columns):",
                "",
                f"| {first} \\ {second} | " + " | ".join(_value(c) for c in columns) + " |",
                "|---:|" + "---:|" * len(columns),
            ]
            for value in sweep["inputs"][first]:
                row = [r for r in sweep["rows"] if r[first] == value]
                lines.append(f"| {_value(value)} | " + " | ".join(cell(r) for r in row) + " |")
            lines.append("")
    return lines[:-1] if lines[-1] == "" else lines


def sweep_csv(sweep: Mapping[str, Any]) -> str:
    """sweep.csv: one row per point: the swept values, each output's mean and percentiles
    with their 95% interval, each risk target's probability with its interval."""
    names, keys = list(sweep["inputs"]), sweep["percentiles"]
    outputs, risks = list(sweep["outputs"]), list(sweep["risk"])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = [*names]
    for o in outputs:
        header.append(f"{o}_mean")
        for k in keys:
            header += [f"{o}_{k}", f"{o}_{k}_low", f"{o}_{k}_high"]
    for key in risks:
        header += [f"P_{key}", f"P_{key}_low", f"P_{key}_high"]
    writer.writerow(header)
    for row in sweep["rows"]:
        line = [repr(row[n]) for n in names]
        for o in outputs:
            line.append(repr(row[o]["mean"]))
            for k in keys:
                ci = row[o][f"{k}_ci95"]
                line += [repr(row[o][k]), repr(ci[0]), repr(ci[1])]
        for key in risks:
            cell = row["risk"][key]
            line += [repr(cell["probability"]), repr(cell["ci95"][0]), repr(cell["ci95"][1])]
        writer.writerow(line)
    return buffer.getvalue()


def _series(sweep: Mapping[str, Any]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """The rows as lines along the first input: one line, or one per value of the second."""
    names = list(sweep["inputs"])
    if len(names) == 1:
        return [("", list(sweep["rows"]))]
    second = names[1]
    return [
        (f"{second} = {_value(v)}", [r for r in sweep["rows"] if r[second] == v])
        for v in sweep["inputs"][second]
    ]


def sweep_figures(sweep: Mapping[str, Any]) -> dict[str, Any]:
    """Figures by file name: ``sweep_<output>.png`` (a fan chart: the band between the
    outermost percentiles and the P50 line against the first swept input) and
    ``sweep_risk.png`` (each risk target's probability with its 95% interval)."""
    from .plots import _MARK_COLORS, _PALETTE, _figure, _readable_ticks  # noqa: PLC0415

    first = list(sweep["inputs"])[0]
    low, mid, high = _fan_keys(sweep["percentiles"])
    x_scale = scale_for(sweep["units"][first], sweep["inputs"][first])
    x_label = f"{first} [{x_scale.label}]" if x_scale.label else first
    series = _series(sweep)
    figures: dict[str, Any] = {}
    for output, units in sweep["outputs"].items():
        figure, axes = _figure()
        y_scale = scale_for(units, [r[output][mid] for r in sweep["rows"]])
        for i, (label, rows) in enumerate(series):
            x = np.array([r[first] for r in rows]) / x_scale.factor
            color = _PALETTE[i % len(_PALETTE)] if label else _MARK_COLORS[mid.upper()]
            band = [np.array([r[output][k] for r in rows]) / y_scale.factor for k in (low, high)]
            axes.fill_between(
                x, *band, color=color, alpha=0.18, linewidth=0,
                label=f"{low.upper()}-{high.upper()} {label}".strip(), gid=f"band{i}",
            )  # fmt: skip
            axes.plot(
                x, np.array([r[output][mid] for r in rows]) / y_scale.factor, "o-",
                color=color, label=f"{mid.upper()} {label}".strip(), gid=f"p50_{i}",
            )  # fmt: skip
        axes.set_xlabel(x_label)
        axes.set_ylabel(f"{output} [{y_scale.label}]" if y_scale.label else output)
        _readable_ticks(axes.xaxis)
        _readable_ticks(axes.yaxis)
        axes.legend(loc="best", fontsize="small")
        axes.set_title(f"{output} against {first} (common random numbers)")
        figures[f"sweep_{output}.png"] = figure
    if sweep["risk"]:
        figure, axes = _figure()
        k = 0
        for key, event in sweep["risk"].items():
            for label, rows in series:
                x = np.array([r[first] for r in rows]) / x_scale.factor
                p = np.array([r["risk"][key]["probability"] for r in rows])
                ci = np.array([r["risk"][key]["ci95"] for r in rows])
                color = _PALETTE[k % len(_PALETTE)]
                axes.fill_between(x, ci[:, 0], ci[:, 1], color=color, alpha=0.2, linewidth=0)
                axes.plot(x, p, "o-", color=color, label=f"{event} {label}".strip(), gid=f"risk{k}")
                k += 1
        axes.set_xlabel(x_label)
        axes.set_ylabel("probability (95% CI)")
        axes.set_ylim(-0.02, 1.02)
        _readable_ticks(axes.xaxis)
        axes.legend(loc="best", fontsize="small")
        axes.set_title(f"Risk against {first} (common random numbers)")
        figures["sweep_risk.png"] = figure
    return figures


def sweep_html(sweep: Mapping[str, Any] | None, images: Mapping[str, bytes] | None = None) -> str:
    """The body of report.html's sweep section (empty without a sweep; titled "Sweep" like
    report.md's): the table of :func:`sweep_markdown` and the sweep's figures
    (``sweep_*.png`` of ``images``)."""
    if not sweep:
        return ""
    names = list(sweep["inputs"])
    low, mid, high = _fan_keys(sweep["percentiles"])
    outputs, risks = list(sweep["outputs"]), dict(sweep["risk"])
    head = [*names, *(f"{o} {k.upper()}" for o in outputs for k in (low, mid, high))]
    head += list(risks.values())
    rows = []
    for row in sweep["rows"]:
        cells = [_value(row[n]) for n in names]
        cells += [format_number(row[o][k]) for o in outputs for k in (low, mid, high)]
        cells += [format_percent(row["risk"][key]["probability"]) for key in risks]
        rows.append("<tr>" + "".join(f'<td class="num">{html.escape(c)}</td>' for c in cells))
    table = (
        "<table><thead><tr>"
        + "".join(f"<th>{html.escape(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "</tr>".join(rows)
        + "</tr></tbody></table>"
    )
    figures = "".join(
        f'<figure><img src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" '
        f'alt="{html.escape(name)}" data-name="{html.escape(name)}"><figcaption>'
        f"{html.escape(name)}</figcaption></figure>"
        for name, png in (images or {}).items()
        if name.startswith("sweep_")
    )
    lede = (
        f"<p>Common random numbers: {sweep['draws']:,} draws shared by every point, "
        f"{sweep['chain_evaluations']} chain evaluations.</p>"
    )
    return f'{lede}{table}<div class="figures">{figures}</div>'
