"""summary.json: the run's summary Dataset and risk, turned into JSON here and only here
(schema: docs/reports.md, "summary.json")."""

from __future__ import annotations

import math
from typing import Any

import xarray as xr

from distributions import achieved_spearman

from ..analysis.risk import with_reachability
from ..analysis.summary import percentile_key, risk, summarize
from ..engine.chunked import ChunkedRun
from ..scenario.config import Scenario
from ..scenario.inputs import reachable_ranges
from .answer import answer_rows
from .views import compare_to, informs_prior, view_summary

__all__ = [
    "PROVENANCE_KEYS",
    "SCHEMA_VERSION",
    "assemble_summary",
    "build_summary",
    "interval_record",
    "json_number",
    "variable_entries",
]


SCHEMA_VERSION = 3


PROVENANCE_KEYS = ("scenario", "config_path", "config_hash", "seed", "method", "draws", "version")


def build_summary(
    ds: xr.Dataset | ChunkedRun,
    scenario: Scenario,
    *,
    sensitivity: dict[str, Any] | None = None,
    convergence: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The machine-readable summary of a run, in memory (a Dataset) or chunked (a
    :class:`~simulate.engine.chunked.ChunkedRun`): one schema (docs/reports.md)."""
    if isinstance(ds, ChunkedRun):
        return assemble_summary(
            ds.statistics,
            ds.attrs,
            ds.provenance,
            ds.risk,
            scenario,
            sensitivity=sensitivity,
            convergence=convergence,
        )
    return assemble_summary(
        summarize(ds, scenario.percentiles),
        {name: ds[name].attrs for name in ds.data_vars},
        ds.attrs,
        risk(ds, scenario.risk_targets),
        scenario,
        compare=compare_to(ds, scenario.compare_to, scenario.percentiles),
        correlations=_correlation_rows(ds, scenario),
        sensitivity=sensitivity,
        convergence=convergence,
    )


def variable_entries(statistics: xr.Dataset) -> dict[str, dict[str, Any]]:
    """Per variable of a summary Dataset (:func:`simulate.analysis.summary.summarize`): units,
    mean, mean_standard_error, std, percentiles and percentiles_ci95 by percentile key, as
    JSON numbers (±inf and NaN become ``None``)."""
    keys = [percentile_key(float(q)) for q in statistics["quantile"].values]
    columns = {
        name: statistics[name].values.tolist()
        for name in ("mean", "mean_standard_error", "std")
        + ("percentile", "percentile_low", "percentile_high")
    }
    entries = {}
    for i, (name, units) in enumerate(
        zip(statistics["variable"].values, statistics["units"].values, strict=True)
    ):
        entries[str(name)] = {
            "units": str(units),
            "mean": json_number(columns["mean"][i]),
            "mean_standard_error": json_number(columns["mean_standard_error"][i]),
            "std": json_number(columns["std"][i]),
            "percentiles": {
                k: json_number(v) for k, v in zip(keys, columns["percentile"][i], strict=True)
            },
            "percentiles_ci95": {
                k: [json_number(lo), json_number(hi)]
                for k, lo, hi in zip(
                    keys, columns["percentile_low"][i], columns["percentile_high"][i], strict=True
                )
            },
        }
    return entries


def json_number(x: Any) -> float | None:
    """A JSON number: None where float64 cannot hold it (±inf, NaN: e.g. the spread of
    draws near 1e300, whose squares overflow)."""
    x = float(x)
    return x if math.isfinite(x) else None


def assemble_summary(
    statistics: xr.Dataset,
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
    """The summary from the statistics (:func:`simulate.analysis.summary.summarize`'s
    Dataset), variable attrs, provenance and risk: one structure, whether a run was in
    memory or chunked.
    ``compare`` (published values placed in the run) needs the draws; without it each
    reference is listed as not placed."""
    stats_by_name = variable_entries(statistics)
    intervals = interval_record(statistics.attrs, provenance["method"])
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
                "informs_prior": informs_prior(ref),
                "status": "not placed: needs the draws in memory",
            }
            for ref in scenario.compare_to
        ]
    ranges = reachable_ranges(scenario.inputs, scenario.phases)
    risk_entries = {
        key: _finite_reachable(
            with_reachability(entry, *ranges.get(entry["node"], (-math.inf, math.inf)))
        )
        for key, entry in risk_entries.items()
    }
    optional = {
        "correlations": correlations,
        "sensitivity": sensitivity,
        "convergence": convergence,
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "provenance": {key: provenance[key] for key in PROVENANCE_KEYS},
        "overrides": [{"field": name, "value": value} for name, value in scenario.overrides],
        "percentiles": [percentile_key(q) for q in scenario.percentiles],
        "intervals": intervals,
        "answer": answer_rows(variables, scenario.views),
        "variables": variables,
        "risk": risk_entries,
        "views": view_summary(stats_by_name, scenario.views),
        "compare_to": compare,
        "notes": list(scenario.notes) + list(scenario.warnings),
        **{key: value for key, value in optional.items() if value is not None},
    }


def interval_record(attrs: dict[str, Any], method: str) -> dict[str, Any]:
    """How the run's intervals were made (summary.json ``intervals``), from the summary
    Dataset's attrs (:func:`simulate.analysis.summary.summarize`) and the sampling method."""
    confidence = float(attrs.get("confidence", 0.95))
    replicates = int(attrs.get("replicates", 0))
    percent = f"{100 * confidence:g}%"
    if replicates:
        text = (
            f"{percent} intervals of the mean and percentiles from {replicates} independent "
            f"randomizations of the {method} design: estimate ± t_{replicates - 1} × the "
            "replicates' standard error (randomized QMC; Owen 2013, ch. 17). Probabilities: "
            "Wilson score intervals as if the draws were independent (conservative for LHS, "
            "Stein 1987; approximate for Sobol')."
        )
    elif method == "random":
        text = (
            f"{percent} intervals: order statistics for percentiles, normal for the mean, "
            "Wilson score for probabilities (independent draws)."
        )
    else:
        text = (
            f"{percent} intervals computed as if the {method} draws were independent: a "
            "conservative bound, not an estimate of this design's error (too few draws per "
            "randomization, or a run in chunks)."
        )
    return {
        "confidence": confidence,
        "method": "replicates" if replicates else "iid",
        "replicates": replicates,
        "critical_value": float(attrs.get("critical_value", math.nan)),
        "description": text,
    }


def _finite_reachable(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry with its ``reachable`` bounds as JSON numbers (an unbounded end is None)."""
    return {**entry, "reachable": [json_number(x) for x in entry["reachable"]]}


def _correlation_rows(ds: xr.Dataset, scenario: Scenario) -> list[dict[str, Any]] | None:
    """Requested Spearman correlations beside those the draws achieved."""
    if scenario.correlations is None:
        return None
    requested = scenario.correlations.pairs()
    achieved = achieved_spearman({name: ds[name].values for name in scenario.correlations.names})
    return [  # achieved: None where the sample cannot tell (one draw, or no spread)
        {"inputs": [a, b], "requested": rho, "achieved": json_number(achieved[(a, b)])}
        for (a, b), rho in requested.items()
    ]
