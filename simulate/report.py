"""The report folder: ``summary.json``, ``report.md``, ``percentiles.csv``.

The only module that writes files. A report is rendered into a fresh sibling folder
and moved into place in one rename, so a folder is never left half-written; an
earlier report at the destination is kept aside (renamed with a timestamp) unless
``force`` replaces it.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import xarray as xr

from .chain import KEY_OUTPUTS
from .config import Scenario
from .stats import percentile_key, risk, summarize

__all__ = [
    "SCHEMA_VERSION",
    "assemble_summary",
    "build_summary",
    "render_csv",
    "render_markdown",
    "write_report",
]

SCHEMA_VERSION = 1
PROVENANCE_KEYS = ("scenario", "config_path", "config_hash", "seed", "method", "draws", "version")


def build_summary(ds: xr.Dataset, scenario: Scenario) -> dict[str, Any]:
    """The machine-readable summary (schema in the README)."""
    return assemble_summary(
        summarize(ds, scenario.percentiles),
        {name: ds[name].attrs for name in ds.data_vars},
        ds.attrs,
        risk(ds, deadline_days=scenario.deadline_days, budget_usd=scenario.budget_usd),
        scenario,
    )


def assemble_summary(
    stats_by_name: dict[str, dict[str, Any]],
    attrs_by_name: dict[str, Any],
    provenance: dict[str, Any],
    risk_entries: dict[str, Any],
    scenario: Scenario,
) -> dict[str, Any]:
    """The summary from statistics (:func:`simulate.stats.summarize`'s form), variable
    attrs, provenance and risk: one structure, whether a run was in memory or chunked."""
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
            "std": entry["std"],
            "percentiles": entry["percentiles"],
        }
    return {
        "schema_version": SCHEMA_VERSION,
        "provenance": {key: provenance[key] for key in PROVENANCE_KEYS},
        "percentiles": [percentile_key(q) for q in scenario.percentiles],
        "variables": variables,
        "risk": risk_entries,
        "notes": list(scenario.notes),
    }


def _num(x: float) -> str:
    """A readable number: thousands separators for large values, 4 significant digits."""
    if x == 0:
        return "0"
    if abs(x) >= 1e12 or abs(x) < 1e-3:
        return f"{x:.4g}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def _pct(p: float) -> str:
    return f"{100 * p:.2f}%"


def render_markdown(summary: dict[str, Any]) -> str:
    """The human report: answer first, then risk, inputs, outputs, method, provenance."""
    prov, variables, keys = summary["provenance"], summary["variables"], summary["percentiles"]
    lines = [f"# Training cost and duration: {prov['scenario']}", ""]
    lines += ["## Answer", ""]
    for name in KEY_OUTPUTS:
        if name in variables:
            v = variables[name]
            spread = ", ".join(f"{k.upper()} {_num(v['percentiles'][k])}" for k in keys)
            lines.append(f"- **{name}** [{v['units']}]: {spread} (mean {_num(v['mean'])})")
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
            lines.append(
                f"- P({node} > {what} {_num(entry['threshold'])}) = {_pct(entry['probability'])} "
                f"(95% CI {_pct(low)} to {_pct(high)}; {entry['draws_over']:,} of "
                f"{entry['draws']:,} draws)"
            )
        lines.append("")
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
        row = " | ".join(_num(v["percentiles"][k]) for k in keys)
        lines.append(f"| {name} | {v['units']} | {row} | {_num(v['mean'])} |")
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
    if summary["notes"]:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in summary["notes"]]
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


def _aside(out_dir: Path) -> Path:
    """A free name beside ``out_dir`` for keeping an earlier report: ``NAME.<UTC time>``."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    aside, counter = out_dir.with_name(f"{out_dir.name}.{stamp}"), 1
    while aside.exists():
        counter += 1
        aside = out_dir.with_name(f"{out_dir.name}.{stamp}-{counter}")
    return aside


def write_report(
    summary: dict[str, Any], out_dir: str | Path, *, force: bool = False
) -> tuple[Path, Path | None]:
    """Write the report folder atomically; return (folder, where an earlier one was kept)."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f"{out_dir}: exists and is not a folder")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        (staging / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        (staging / "report.md").write_text(render_markdown(summary))
        (staging / "percentiles.csv").write_text(render_csv(summary))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if not out_dir.exists():
        staging.rename(out_dir)
        return out_dir, None
    if force:
        trash = staging.with_name(staging.name + ".old")
        out_dir.rename(trash)
        staging.rename(out_dir)
        shutil.rmtree(trash)
        return out_dir, None
    kept = _aside(out_dir)
    out_dir.rename(kept)
    staging.rename(out_dir)
    return out_dir, kept
