"""Text for the terminal: run summary, comparison, catalog, resolved inputs.

Pure functions that return strings (the CLI prints them). Numbers read in their units
on a readable scale (:mod:`simulate.report.units`): days, M$ for money, millions of GPU-hours.
Standard library only at import time, so the CLI stays fast to start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..model.chain import NODES, outputs_with
from .compare import risk_rows
from .units import format_number, format_percent, format_quantity, risk_event, scale_for

__all__ = ["catalog_text", "compare_table", "inputs_text", "summary_table", "table"]

TERMINAL_OUTPUTS = outputs_with("terminal")


def table(rows: Sequence[Sequence[str]], *, numeric_from: int = 2) -> str:
    """Aligned columns: text left-aligned, columns from ``numeric_from`` on right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i < numeric_from else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    )


def _risk_lines(summary: Mapping[str, Any]) -> list[str]:
    lines = []
    for entry in summary["risk"].values():
        units = summary["variables"].get(entry["node"], {}).get("units", "")
        p, low, high = (format_percent(x) for x in (entry["probability"], *entry["ci95"]))
        event = risk_event(entry, format_quantity(entry["threshold"], units))
        lines.append(f"{event} = {p} (95% CI {low} to {high})")
    return lines


def summary_table(summary: Mapping[str, Any], out_dir: Path | None, kept: Path | None) -> str:
    """The end-of-run summary: P5/P50/P95 of the key outputs with units, risks, report path."""
    keys = summary["percentiles"]
    rows = [["quantity", "unit", *(k.upper() for k in keys), "mean"]]
    for name in TERMINAL_OUTPUTS:
        v = summary["variables"].get(name)
        if v is None:
            continue
        values = [v["percentiles"][k] for k in keys]
        scale = scale_for(v["units"], values)
        rows.append(
            [
                name,
                scale.short or v["units"],
                *(format_number(scale.apply(x)) for x in [*values, v["mean"]]),
            ]
        )
    prov = summary["provenance"]
    lines = [
        f"{prov['scenario']}: {prov['draws']:,} draws, method {prov['method']}, "
        f"seed {prov['seed']}",
        table(rows),
        *_risk_lines(summary),
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
    for event, probabilities in risk_rows(scenarios):
        cells = ["n/a" if p is None else format_percent(p) for p in probabilities]
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


def inputs_text(scenario: Any) -> str:
    """The resolved inputs of a scenario (after catalog, defaults and ``--set``) with sources."""
    rows = [["input", "unit", "value or distribution", "from", "source"]]
    for name, spec in scenario.inputs.items():
        rows.append(
            [name, NODES[name].units, spec.dist.describe(), spec.origin, spec.source or "-"]
        )
    head = (
        f"{scenario.name} ({scenario.path}): {len(scenario.inputs)} inputs; "
        f"{scenario.draws:,} draws, method {scenario.method}, seed {scenario.seed}"
    )
    extras = []
    if scenario.accelerator:
        extras.append(f"cluster: {scenario.accelerator}, {scenario.precision}")
    if scenario.deadline_days is not None:
        extras.append(f"deadline: {format_quantity(scenario.deadline_days, 'd')}")
    if scenario.budget_usd is not None:
        extras.append(f"budget: {format_quantity(scenario.budget_usd, 'USD')}")
    return "\n".join([head, *extras, table(rows, numeric_from=99)])
