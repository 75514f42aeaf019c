"""Text for the terminal: run summary, comparison, catalog, resolved inputs.

Pure functions that return strings (the CLI prints them). Numbers read in their units
on a readable scale (:mod:`simulate.report.units`): days, M$ for money, millions of GPU-hours.
Standard library only at import time, so the CLI stays fast to start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..model.chain import outputs_with
from ..model.phases import node_of
from .answer import risk_lines
from .compare import risk_table
from .units import format_estimate, format_number, format_quantity, overrides_text, scale_for

__all__ = [
    "catalog_text",
    "compare_table",
    "convergence_text",
    "inputs_text",
    "summary_table",
    "table",
]

TERMINAL_OUTPUTS = outputs_with("terminal")


def table(
    rows: Sequence[Sequence[str]], *, numeric_from: int = 2, text_from: int | None = None
) -> str:
    """Aligned columns: text left-aligned, columns from ``numeric_from`` on right-aligned
    (up to ``text_from``, from which they are text again)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    end = len(widths) if text_from is None else text_from
    return "\n".join(
        "  ".join(
            cell.rjust(width) if numeric_from <= i < end else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    )


def _quantity_row(
    name: str, v: Mapping[str, Any], keys: Sequence[str], what: str, critical: float | None
) -> list[str]:
    """A variable's percentiles and mean, each to the digits its 95% interval supports
    (:func:`simulate.report.units.format_estimate`; the mean's interval is ± ``critical``
    standard errors)."""
    values = [v["percentiles"][k] for k in keys]
    scale = scale_for(v["units"], [x for x in values if x is not None])
    bounds = [v.get("percentiles_ci95", {}).get(k, (None, None)) for k in keys]
    se = v.get("mean_standard_error")
    half = None if se is None or critical is None or v["mean"] is None else critical * se
    bounds.append((None, None) if half is None else (v["mean"] - half, v["mean"] + half))
    cells = [
        format_estimate(*(scale.apply(y) for y in (x, lo, hi)), interval=False)
        for x, (lo, hi) in zip([*values, v["mean"]], bounds, strict=True)
    ]
    return [name, scale.short or v["units"], *cells, what]


def summary_table(summary: Mapping[str, Any], out_dir: Path | None, kept: Path | None) -> str:
    """The end-of-run summary: first the answer (the per-run costs side by side, each named
    and defined, then days and GPU-hours: :func:`simulate.report.answer.answer_rows`), then
    the other terminal outputs, the risk lines and the report's path."""
    keys = summary["percentiles"]
    rows = [["quantity", "unit", *(k.upper() for k in keys), "mean", "what"]]
    answer = summary.get("answer", [])
    critical = summary.get("intervals", {}).get("critical_value")
    for row in answer:
        v = summary["variables"][row["node"]]
        what = f"{row['label']}: {row['definition']}"
        rows.append(_quantity_row(row["node"], v, keys, what, critical))
    shown = {row["node"] for row in answer}
    for name in TERMINAL_OUTPUTS:
        v = summary["variables"].get(name)
        if v is not None and name not in shown:
            rows.append(_quantity_row(name, v, keys, "", critical))
    prov = summary["provenance"]
    lines = [
        f"{prov['scenario']}: {prov['draws']:,} draws, method {prov['method']}, "
        f"seed {prov['seed']}",
        *([f"overrides (--set): {overrides_text(summary)}"] if summary.get("overrides") else []),
        table(rows, text_from=len(keys) + 3),
        *risk_lines(summary),
    ]
    if kept is not None:
        lines.append(f"earlier report kept at {kept}")
    if out_dir is not None:
        lines.append(f"report: {out_dir}")
    return "\n".join(lines)


def compare_table(summary: Mapping[str, Any], out_dir: Path | None, kept: Path | None) -> str:
    """Scenarios side by side: P5/P50/P95 of each key output, the risks, paired differences."""
    from .compare import describe_difference, describe_risk_difference  # (xarray: only here)

    scenarios = summary["scenarios"]
    names = list(scenarios)
    first = scenarios[names[0]]
    rows = [["quantity", "unit", *names]]
    for name in TERMINAL_OUTPUTS:
        present = [s["variables"][name] for s in scenarios.values() if name in s["variables"]]
        if not present:
            continue
        middles = [x for v in present for x in v["percentiles"].values() if x is not None]
        scale = scale_for(present[0]["units"], middles)
        for key in first["percentiles"]:
            cells = [
                format_number(scale.apply(s["variables"][name]["percentiles"][key]))
                if name in s["variables"]
                else "n/a"
                for s in scenarios.values()
            ]
            rows.append([f"{name} {key.upper()}", scale.short or present[0]["units"], *cells])
    for event, cells in risk_table(scenarios):
        rows.append([event, "", *cells])
    common = summary["common"]
    lines = [
        f"common random numbers: seed {common['seed']}, {common['draws']:,} draws, "
        f"method {common['method']}",
        table(rows),
    ]
    for name, entry in summary["differences"].items():
        for output, d in entry.items():
            units = scenarios[name]["variables"][output]["units"]
            lines.append(
                f"{name} - {summary['baseline']}, {output}: {describe_difference(d, units)}"
            )
    for name, entry in summary.get("risk_differences", {}).items():
        for key, d in entry.items():
            lines.append(f"{name} - {summary['baseline']}, P({key}): {describe_risk_difference(d)}")
    if kept is not None:
        lines.append(f"earlier report kept at {kept}")
    if out_dir is not None:
        lines.append(f"report: {out_dir}")
    return "\n".join(lines)


def catalog_text(catalog: Mapping[str, Any]) -> str:
    """Every accelerator: dense peaks by precision, TDP, purchase price range, and sources."""
    rows = [["key", "name", "dense peak [TFLOP/s]", "TDP [W]", "price [USD]"]]
    sources = []
    for key, entry in catalog.items():
        peaks = ", ".join(
            f"{p} {format_number(v / 1e12)}" for p, v in entry.peak_flop_per_s.items()
        )
        prices = " to ".join(f"{format_number(p)}" for p in entry.purchase_price_usd) or "n/a"
        tdp = format_number(entry.tdp_w) if entry.tdp_w is not None else "n/a"
        rows.append([key, entry.name, peaks or "n/a", tdp, prices])
        price_source = (
            f"{entry.purchase_price_date} ({entry.purchase_price_source})"
            if entry.purchase_price_source
            else entry.purchase_price_date or "n/a"
        )
        sources.append(f"  {key}: specs: {entry.spec_source or 'n/a'}; prices: {price_source}")
    return "\n".join(
        [
            table(rows, numeric_from=3),
            "peaks are dense (never 2:4 sparse); a price range is a lognormal's P5 and P95",
            "sources:",
            *sources,
        ]
    )


#: The percentiles ``show`` prints for each input, as probabilities.
SHOW_PERCENTILES = (0.01, 0.50, 0.99)


def inputs_text(scenario: Any) -> str:
    """The resolved inputs of a scenario (after catalog, defaults and ``--set``) with sources,
    and each input's P1, P50 and P99 (its quantile function at 0.01, 0.5, 0.99; exact, not
    sampled; "-" for a constant), so a reader sees what a range such as ``"0.35 to 0.45"``
    (P5 to P95) means."""
    labels = [f"P{100 * p:g}" for p in SHOW_PERCENTILES]
    rows = [["input", "unit", "value or distribution", *labels, "from", "source"]]
    for name, spec in scenario.inputs.items():
        if spec.dist.is_fixed:
            cells = ["-"] * len(SHOW_PERCENTILES)  # the value is in the column before
        else:
            cells = [format_number(float(x)) for x in spec.dist.ppf(list(SHOW_PERCENTILES))]
        rows.append(
            [
                name,
                node_of(name).units,
                spec.dist.describe(),
                *cells,
                spec.origin,
                spec.source or "-",
            ]
        )
    head = (
        f"{scenario.name} ({scenario.path}): {len(scenario.inputs)} inputs; "
        f"{scenario.draws:,} draws, method {scenario.method}, seed {scenario.seed}"
    )
    extras = []
    if scenario.accelerator:
        extras.append(f"cluster: {scenario.accelerator}, {scenario.precision}")
    if scenario.phases:
        extras.append(
            f"phases: {', '.join(p.name for p in scenario.phases)} (their inputs: "
            "<node>@<phase>; the cluster is the largest phase's n_gpus)"
        )
    if scenario.deadline_days is not None:
        extras.append(f"deadline: {format_quantity(scenario.deadline_days, 'd')}")
    if scenario.budget_usd is not None:
        budget = format_quantity(scenario.budget_usd, "USD")
        extras.append(f"budget: {budget} on {scenario.budget_node}")
    note = (
        f"{', '.join(labels)}: each input's percentiles, from its quantile function (a range "
        "'a to b' in a scenario is its P5 to P95; docs/distributions.md)"
    )
    return "\n".join([head, *extras, table(rows, numeric_from=99), note])


def convergence_text(convergence: Mapping[str, Any]) -> str:
    """One line on a ``--precision`` run: reached, or how far short and where."""
    last = convergence["history"][-1]
    head = (
        f"precision {convergence['precision']:g} "
        f"{'reached' if convergence['converged'] else 'NOT reached'} after "
        f"{convergence['n_draws']:,} draws ({convergence['percentiles_checked']} percentiles "
        f"and {convergence['probabilities_checked']} probabilities checked)"
    )
    if convergence["converged"]:
        return head
    relative, absolute = last["percentile_relative_half_width"], last["probability_half_width"]
    widest = [
        f"{last['widest_percentile']} ±{'inf' if relative is None else format(relative, '.3g')} "
        "of its value"
    ]
    if last.get("widest_probability"):
        widest.append(f"{last['widest_probability']} ±{absolute:.3g}")
    return f"{head}; widest: {', '.join(widest)}; raise --max-draws or loosen --precision"
