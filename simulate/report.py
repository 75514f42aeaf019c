"""The report folder: ``summary.json``, ``report.md``, ``percentiles.csv`` and extra files.

The only module that writes files. A report is rendered into a fresh sibling folder
and moved into place in one rename, so a folder is never left half-written; an
earlier report at the destination is kept aside (renamed with a timestamp) unless
``force`` replaces it. What may be replaced at all is :mod:`simulate.folders`' rule.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xarray as xr

from distributions import achieved_spearman

from .chain import KEY_OUTPUTS
from .config import Scenario
from .folders import (
    MARKER_NAME,
    SignalGuard,
    check_destination,
    marker_text,
    move_into_place,
    remove_leftovers,
    staging_prefix,
)
from .sensitivity import markdown_section
from .stats import percentile_key, risk, summarize
from .units import format_number, format_percent
from .views import compare_to, render_compare_to, render_views, view_summary

__all__ = [
    "SCHEMA_VERSION",
    "assemble_summary",
    "build_summary",
    "render_csv",
    "render_markdown",
    "write_backtest_report",
    "write_files",
    "write_report",
]

SCHEMA_VERSION = 1
PROVENANCE_KEYS = ("scenario", "config_path", "config_hash", "seed", "method", "draws", "version")


def build_summary(
    ds: xr.Dataset,
    scenario: Scenario,
    *,
    sensitivity: dict[str, Any] | None = None,
    convergence: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The machine-readable summary of an in-memory run (schema in the README)."""
    return assemble_summary(
        summarize(ds, scenario.percentiles),
        {name: ds[name].attrs for name in ds.data_vars},
        ds.attrs,
        risk(ds, deadline_days=scenario.deadline_days, budget_usd=scenario.budget_usd),
        scenario,
        compare=compare_to(ds, scenario.compare_to, scenario.percentiles),
        correlations=_correlation_rows(ds, scenario),
        sensitivity=sensitivity,
        convergence=convergence,
    )


def assemble_summary(
    stats_by_name: dict[str, dict[str, Any]],
    attrs_by_name: dict[str, Any],
    provenance: dict[str, Any],
    risk_entries: dict[str, Any],
    scenario: Scenario,
    *,
    compare: list[dict[str, Any]] | None = None,
    correlations: list[dict[str, Any]] | None = None,
    sensitivity: dict[str, Any] | None = None,
    convergence: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The summary from statistics (:func:`simulate.stats.summarize`'s form), variable
    attrs, provenance and risk: one structure, whether a run was in memory or chunked.
    ``compare`` (published values placed in the run) needs the draws; without it each
    reference is listed as not placed."""
    variables = {}
    for name, entry in stats_by_name.items():
        attrs = attrs_by_name[name]
        variables[name] = {
            "kind": attrs["kind"],
            "units": entry["units"],
            "description": attrs["description"],
            "source": attrs.get("source", ""),
            **({"distribution": attrs["distribution"]} if "distribution" in attrs else {}),
            **({"formula": attrs["formula"]} if "formula" in attrs else {}),
            "mean": entry["mean"],
            "mean_standard_error": entry["mean_standard_error"],
            "std": entry["std"],
            "percentiles": entry["percentiles"],
            "percentiles_ci95": entry["percentiles_ci95"],
        }
    if compare is None:
        compare = [
            {
                "node": ref.node,
                "value": ref.value,
                "source": ref.source,
                "status": "not placed: needs the draws in memory",
            }
            for ref in scenario.compare_to
        ]
    optional = {
        "correlations": correlations,
        "sensitivity": sensitivity,
        "convergence": convergence,
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "provenance": {key: provenance[key] for key in PROVENANCE_KEYS},
        "percentiles": [percentile_key(q) for q in scenario.percentiles],
        "variables": variables,
        "risk": risk_entries,
        "views": view_summary(stats_by_name, scenario.views),
        "compare_to": compare,
        "notes": list(scenario.notes) + list(scenario.warnings),
        **{key: value for key, value in optional.items() if value is not None},
    }


def _correlation_rows(ds: xr.Dataset, scenario: Scenario) -> list[dict[str, Any]] | None:
    """Requested Spearman correlations beside those the draws achieved."""
    if scenario.correlations is None:
        return None
    requested = scenario.correlations.pairs()
    achieved = achieved_spearman({name: ds[name].values for name in scenario.correlations.names})
    return [
        {"inputs": [a, b], "requested": rho, "achieved": achieved[(a, b)]}
        for (a, b), rho in requested.items()
    ]


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
        labels = {
            "train_days_over_deadline": ("train_days", "deadline"),
            "tco_usd_over_budget": ("tco_usd", "budget"),
        }
        for key, entry in summary["risk"].items():
            node, what = labels[key]
            low, high = entry["ci95"]
            p, low, high = (format_percent(x) for x in (entry["probability"], low, high))
            lines.append(
                f"- P({node} > {what} {format_number(entry['threshold'])}) = {p} "
                f"(95% CI {low} to {high}; {entry['draws_over']:,} of {entry['draws']:,} draws)"
            )
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
            f"| {a} · {b} | {row['requested']:.3f} | {row['achieved']:.3f} |"
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


def write_report(
    summary: dict[str, Any],
    out_dir: str | Path,
    *,
    force: bool = False,
    extra_files: Mapping[str, bytes | str] | None = None,
) -> tuple[Path, Path | None]:
    """Write the report folder atomically; return (folder, where an earlier one was kept).

    ``extra_files`` (file name -> bytes or text: plots, ``report.html``, ``draws.nc``)
    join the folder in the same single rename; ``report.md`` links the PNGs among them.
    """
    extra = dict(extra_files or {})
    images = [name for name in extra if name.endswith(".png")]
    files: dict[str, bytes | str] = {
        "summary.json": json.dumps(summary, indent=2, allow_nan=False) + "\n",
        "report.md": render_markdown(summary, images=images),
        "percentiles.csv": render_csv(summary),
    }
    clash = sorted(set(files) & set(extra))
    if clash:
        raise ValueError(f"extra_files: {', '.join(clash)} would replace the report's own")
    return write_files({**files, **extra}, out_dir, force=force)


def write_backtest_report(
    result: dict[str, Any], out_dir: str | Path, *, force: bool = False
) -> tuple[Path, Path | None]:
    """Write a backtest's folder: summary.json, report.md, runs.csv, calibration.png."""
    from .calibration import (  # noqa: PLC0415 (matplotlib only when a backtest is written)
        calibration_figure,
        render_backtest_csv,
        render_backtest_markdown,
    )

    figure = calibration_figure(result)
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=110, metadata={"Software": None})
    import matplotlib.pyplot as plt  # noqa: PLC0415

    plt.close(figure)
    files: dict[str, str | bytes] = {
        "summary.json": json.dumps(result, indent=2, allow_nan=False) + "\n",
        "report.md": render_backtest_markdown(result),
        "runs.csv": render_backtest_csv(result),
        "calibration.png": png.getvalue(),
    }
    return write_files(files, out_dir, force=force)


def write_files(
    files: Mapping[str, bytes | str], out_dir: str | Path, *, force: bool = False
) -> tuple[Path, Path | None]:
    """Write ``files`` (plain names -> bytes or UTF-8 text) as one report folder, atomically.

    Rendered with the marker file (:data:`simulate.folders.MARKER_NAME`) into a staging folder
    beside ``out_dir`` and moved into place with one rename. An earlier report (or an empty
    folder) at ``out_dir`` is kept aside (``NAME.<UTC time>``), or replaced with ``force``;
    any other destination is refused (:func:`simulate.folders.check_destination`). Staging
    leftovers of dead runs are removed first; SIGTERM/SIGINT remove this run's staging folder.
    Returns (folder, where an earlier one was kept).
    """
    for name in files:
        if not name or Path(name).name != name or name.startswith("."):
            raise ValueError(f"report file name {name!r}: must be a plain file name")
    given = Path(out_dir)
    real = check_destination(given)
    real.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(real)
    umask = os.umask(0o022)  # mkdtemp makes the folder private (0700); a report is not
    os.umask(umask)
    staging = None
    with SignalGuard() as guard:
        try:
            staging = Path(tempfile.mkdtemp(prefix=staging_prefix(real), dir=real.parent))
            staging.chmod(0o777 & ~umask)
            for name, content in {**files, MARKER_NAME: marker_text(SCHEMA_VERSION)}.items():
                if isinstance(content, str):
                    (staging / name).write_text(content, encoding="utf-8")
                else:
                    (staging / name).write_bytes(content)
            kept = move_into_place(staging, real, force=force, guard=guard)
        except BaseException:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            raise
    if kept is not None and given.name == real.name:
        kept = given.with_name(kept.name)  # shown beside the folder as the caller named it
    return given, kept
