"""The planning sections of a report: the decision between cost options and the forecast
updated from a run in progress, as summary.json entries, Markdown and a figure.

The statistics come from :mod:`simulate.analysis.decision` and
:mod:`simulate.workflows.planning`'s ``update_forecast``; this module only turns their
Datasets into JSON and words.
"""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np
import xarray as xr

from ..analysis.summary import percentile_key
from .summary import json_number
from .units import format_number, format_percent, scale_for

__all__ = [
    "decision_entry",
    "decision_figure",
    "planning_sections",
    "render_planning",
    "update_entry",
]


def _keys(ds: xr.Dataset) -> list[str]:
    return [percentile_key(float(q) * 100) for q in ds["quantile"].values]


def decision_entry(ds: xr.Dataset) -> dict[str, Any]:
    """summary.json's ``decision``: options, the best, P(cheapest), regret, saving, EVPI,
    EVPPI by input (largest first)."""
    options = [str(o) for o in ds["option"].values]
    entry: dict[str, Any] = {
        "options": options,
        "best_option": str(ds["best_option"].item()),
        "runner_up": str(ds["runner_up"].item()),
        "expected_cost": {o: json_number(ds["expected_cost"].sel(option=o)) for o in options},
        "probability_cheapest": {
            o: {
                "probability": json_number(ds["probability_cheapest"].sel(option=o)),
                "ci95": [
                    json_number(ds["probability_cheapest_low"].sel(option=o)),
                    json_number(ds["probability_cheapest_high"].sel(option=o)),
                ],
            }
            for o in options
        },
        "expected_regret": {o: json_number(ds["expected_regret"].sel(option=o)) for o in options},
        "saving": dict(zip(_keys(ds), map(json_number, ds["saving"].values), strict=True)),
        "evpi": {
            "value": json_number(ds["evpi"]),
            "ci95": [json_number(ds["evpi_low"]), json_number(ds["evpi_high"])],
        },
        "draws": int(ds.attrs["draws"]),
    }
    if "input" in ds.coords:
        order = np.argsort(-ds["evppi"].values, kind="stable")
        entry["evppi"] = {
            str(ds["input"].values[i]): {
                "value": json_number(ds["evppi"].values[i]),
                "ci95": [
                    json_number(ds["evppi_low"].values[i]),
                    json_number(ds["evppi_high"].values[i]),
                ],
            }
            for i in order
        }
    return entry


def _date(start: str, days: float) -> str:
    return (datetime.date.fromisoformat(start) + datetime.timedelta(days=days)).isoformat()


def update_entry(ds: xr.Dataset) -> dict[str, Any]:
    """summary.json's ``update``: each variable's percentiles before and after, the finish
    date (with a start date), each risk target's probability before and after."""
    keys = _keys(ds)
    stages = [str(s) for s in ds["stage"].values]
    variables = {
        str(name): {"units": ds[name].attrs.get("units", "")}
        | {
            stage: dict(zip(keys, map(json_number, ds[name].sel(stage=stage).values), strict=True))
            for stage in stages
        }
        for name in ds.data_vars
        if ds[name].dims == ("stage", "quantile")
    }
    entry: dict[str, Any] = {
        "draws": int(ds.attrs["draws"]),
        "effective_draws": json_number(ds.attrs["effective_draws"]),
        "elapsed_days": json_number(ds.attrs["elapsed_days"]),
        "variables": variables,
        "risk": {
            str(key): {
                stage: {
                    "probability": json_number(ds["risk_probability"].sel(stage=stage, target=key)),
                    "ci95": [
                        json_number(ds["risk_low"].sel(stage=stage, target=key)),
                        json_number(ds["risk_high"].sel(stage=stage, target=key)),
                    ],
                }
                for stage in stages
            }
            for key in ds["target"].values
        },
    }
    if "start_date" in ds.attrs:
        start = ds.attrs["start_date"]
        entry["start_date"] = start
        entry["finish_date"] = {
            stage: {k: _date(start, d) for k, d in variables["train_days"][stage].items()}
            for stage in stages
        }
    return entry


def planning_sections(summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The decision and update sections as ``(id, title, Markdown body)``: report.md writes
    ``## title`` and the body, report.html the body as HTML, both at the outline's
    ``extra`` slot (none when the run has neither)."""
    sections = []
    for sid, key, lines in (
        ("decision", "decision", _decision_lines),
        ("update", "update", _update_lines),
    ):
        if key in summary:
            title, *body = lines(summary[key])
            sections.append((sid, title.removeprefix("## "), "\n".join(body).strip("\n")))
    return sections


def render_planning(summary: dict[str, Any]) -> list[str]:
    """report.md's decision and update sections (no lines when the run has neither)."""
    lines: list[str] = []
    for _, title, body in planning_sections(summary):
        lines += ["", f"## {title}", "", body]
    return lines


def _decision_lines(d: dict[str, Any]) -> list[str]:
    if "status" in d:  # a chunked run: named, not computed
        return [f"## Decision: {' or '.join(d['options'])}", "", f"{d['status'].capitalize()}."]
    best, other = d["best_option"], d["runner_up"]
    lines = [
        f"## Decision: {' or '.join(d['options'])}",
        "",
        f"On expected cost, choose **{best}** (the options share every draw, so the "
        "comparison is paired).",
        "",
        "| option | expected cost [USD] | P(cheapest) (95% CI) | expected regret [USD] |",
        "|---|---:|---:|---:|",
    ]
    for o in d["options"]:
        p = d["probability_cheapest"][o]
        low, high = p["ci95"]
        lines.append(
            f"| {o} | {format_number(d['expected_cost'][o])} | {format_percent(p['probability'])} "
            f"({format_percent(low)} to {format_percent(high)}) | "
            f"{format_number(d['expected_regret'][o])} |"
        )
    saving = ", ".join(f"{k.upper()} {format_number(v)}" for k, v in d["saving"].items())
    evpi = d["evpi"]
    lines += [
        "",
        f"Saving of {best} over {other}, draw by draw [USD]: {saving}.",
        "",
        f"Expected value of perfect information (EVPI): {format_number(evpi['value'])} USD "
        f"(95% CI {format_number(evpi['ci95'][0])} to {format_number(evpi['ci95'][1])}): "
        "the most that knowing every input before choosing could save on average.",
    ]
    if d.get("evppi"):
        lines += [
            "",
            "Value of knowing one input (EVPPI, Strong & Oakley 2013 given-data estimator "
            "on this run's draws; holds under [correlations]):",
            "",
            "| input | EVPPI [USD] | 95% CI |",
            "|---|---:|---:|",
        ]
        worthless = [name for name, v in d["evppi"].items() if v["ci95"][1] == 0]
        lines += [
            f"| {name} | {format_number(v['value'])} | {format_number(v['ci95'][0])} to "
            f"{format_number(v['ci95'][1])} |"
            for name, v in d["evppi"].items()
            if name not in worthless
        ]
        if worthless:
            lines += [
                "",
                f"Worth nothing for this choice (never changes it): {', '.join(worthless)}.",
            ]
    return lines + [""]


def _update_lines(u: dict[str, Any]) -> list[str]:
    lines = [
        "## Forecast from the run in progress",
        "",
        f"{u['elapsed_days']:g} days in. The prior draws are weighted by the likelihood of "
        f"the observations: an effective {u['effective_draws']:,.0f} of {u['draws']:,} draws.",
        "",
        "| quantity | before | after |",
        "|---|---|---|",
    ]

    def spread(values: dict[str, Any]) -> str:
        return ", ".join(f"{k.upper()} {format_number(v)}" for k, v in values.items())

    for name, v in u["variables"].items():
        label = f"{name} [{v['units']}]" if v["units"] else name
        lines.append(f"| {label} | {spread(v['before'])} | {spread(v['after'])} |")
    if "finish_date" in u:
        dates = u["finish_date"]
        lines.append(
            "| finish date | "
            + " | ".join(", ".join(f"{k.upper()} {v}" for k, v in dates[s].items()) for s in dates)
            + " |"
        )
    for key, stages in u["risk"].items():
        cells = [
            f"{format_percent(c['probability'])} ({format_percent(c['ci95'][0])} to "
            f"{format_percent(c['ci95'][1])})"
            for c in stages.values()
        ]
        lines.append(f"| P({key}) | {cells[0]} | {cells[1]} |")
    return lines + [""]


def decision_figure(entry: dict[str, Any], *, limit: int = 10) -> bytes:
    """A bar chart of EVPI and of the EVPPI of the inputs worth most (95% intervals);
    inputs worth nothing for the choice are left out (report.md names them)."""
    from .plots import _figure, figure_png  # noqa: PLC0415 (matplotlib only when drawn)

    rows = [(n, c) for n, c in entry.get("evppi", {}).items() if c["ci95"][1] != 0][:limit]
    names = ["every input (EVPI)"] + [name for name, _ in rows]
    cells = [entry["evpi"]] + [cell for _, cell in rows]
    scale = scale_for("USD", [c["value"] or 0.0 for c in cells])
    values = np.array([(c["value"] or 0.0) / scale.factor for c in cells])
    low = np.array([(c["ci95"][0] or 0.0) / scale.factor for c in cells])
    high = np.array([(c["ci95"][1] or 0.0) / scale.factor for c in cells])
    low, high = np.minimum(low, values), np.maximum(high, values)
    figure, axes = _figure(7.0, 0.45 * len(names) + 1.6)
    y = np.arange(len(names))[::-1]
    axes.barh(y, values, xerr=[values - low, high - values], color="#4c72b0", capsize=3)
    axes.set_yticks(y, names)
    axes.set_xlabel(f"expected value of information [{scale.label}]")
    axes.set_title("Worth knowing before choosing:\n" + " or ".join(entry["options"]))
    return figure_png(figure)
