"""Sweeps: the headline outputs' percentiles and each risk target's probability across the
values of one input, or a table over two, on common random numbers.

>>> import simulate
>>> scenario = simulate.load_scenario("configs/dense-1t-h100.toml")
>>> table = simulate.sweep(scenario, ["n_gpus=8192:65536:8192"])
>>> table["probability"].sel(risk="train_days_over_deadline")  # doctest: +SKIP

As in :mod:`simulate.workflows.solve`, every other input is drawn once
(:class:`simulate.engine.crn.CommonDraws`) and only the chain is evaluated at each point, so
a point's numbers equal a run's with ``--set NAME=VALUE`` at the same seed, and differences
between points carry no sampling noise of the other inputs. ``run --sweep`` adds the table
to the run's report folder (summary.json's ``sweep``, sweep.csv, report.md, fan charts).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..analysis.intervals import percentile_key, quantile_intervals
from ..analysis.risk import proportion_interval
from ..engine.crn import CommonDraws, check_values, check_varied
from ..model.chain import HEADLINE_OUTPUTS
from ..model.phases import node_of, run_nodes
from ..report.planning import sweep_csv, sweep_figures
from ..scenario.base import ConfigError
from ..scenario.config import Scenario

__all__ = [
    "MAX_SWEEP_POINTS",
    "parse_sweep",
    "parse_sweeps",
    "sweep",
    "sweep_files",
    "sweep_section",
    "sweep_summary",
]

#: The most points a sweep may have (both inputs together): each costs one chain evaluation.
MAX_SWEEP_POINTS = 1024
_FORMS = "NAME=LOW:HIGH:STEP or NAME=V1,V2,..., e.g. n_gpus=8192:65536:8192"


def _numbers(file: str, text: str, item: str) -> list[float]:
    try:
        values = [float(part.replace("_", "")) for part in text.split(",")]
    except ValueError:
        raise ConfigError(f"{file}: sweep: needs numbers ({_FORMS}); got {item!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise ConfigError(f"{file}: sweep: needs finite numbers; got {item!r}")
    return values


def parse_sweep(scenario: Scenario, item: str) -> tuple[str, list[float]]:
    """``NAME=LOW:HIGH:STEP`` (LOW, LOW + STEP, ... up to HIGH) or ``NAME=V1,V2,...``: the
    input and its values, checked (a given input, in its domain, whole for a count)."""
    file = scenario.path
    if not isinstance(item, str):
        raise ConfigError(f"{file}: sweep: needs {_FORMS}; got {item!r}")
    name, sep, text = item.partition("=")
    name, text = name.strip(), text.strip()
    if not sep or not name or not text:
        raise ConfigError(f"{file}: sweep: needs {_FORMS}; got {item!r}")
    check_varied(scenario, name, field="sweep")
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ConfigError(f"{file}: sweep: needs LOW:HIGH:STEP, three numbers; got {item!r}")
        low, high, step = (_numbers(file, part, item)[0] for part in parts)
        if not step > 0:
            raise ConfigError(f"{file}: sweep: STEP must be > 0; got {item!r}")
        if not low <= high:
            raise ConfigError(f"{file}: sweep: needs LOW <= HIGH; got {item!r}")
        count = math.floor((high - low) / step * (1 + 1e-12)) + 1
        if count > MAX_SWEEP_POINTS:
            raise ConfigError(
                f"{file}: sweep: {count:,} points; at most {MAX_SWEEP_POINTS:,}; got {item!r}"
            )
        values = [float(f"{low + k * step:.12g}") for k in range(count)]  # 0.35 + 2 x 0.05 = 0.45
    else:
        values = _numbers(file, text, item)
        if len(set(values)) != len(values):
            raise ConfigError(f"{file}: sweep: a value appears twice; got {item!r}")
    check_values(scenario, name, values, field="sweep")
    return name, values


def parse_sweeps(
    scenario: Scenario, sweeps: Sequence[str] | Mapping[str, Sequence[float]]
) -> dict[str, list[float]]:
    """One or two sweeps (texts for :func:`parse_sweep`, or name -> values), checked: distinct
    inputs, at most :data:`MAX_SWEEP_POINTS` points in all."""
    file = scenario.path
    items = (
        [f"{name}={','.join(repr(float(v)) for v in values)}" for name, values in sweeps.items()]
        if isinstance(sweeps, Mapping)
        else list(sweeps)
    )
    if not 1 <= len(items) <= 2:
        raise ConfigError(f"{file}: sweep: one or two inputs (a two-way table); got {len(items)}")
    axes = dict(parse_sweep(scenario, item) for item in items)
    if len(axes) != len(items):
        raise ConfigError(f"{file}: sweep: the same input twice; got {', '.join(items)}")
    points = math.prod(len(v) for v in axes.values())
    if points > MAX_SWEEP_POINTS:
        raise ConfigError(f"{file}: sweep: {points:,} points; at most {MAX_SWEEP_POINTS:,}")
    return axes


def sweep(
    scenario: Scenario,
    sweeps: Sequence[str] | Mapping[str, Sequence[float]],
    *,
    ds: xr.Dataset | None = None,
    draws: int | None = None,
    seed: int | None = None,
    method: str | None = None,
    threads: int | None = None,
) -> xr.Dataset:
    """The sweep table: one or two inputs (``["n_gpus=8192:65536:8192"]`` or
    ``{"n_gpus": [...]}``), each point evaluated on the same draws.

    Returns a Dataset with a dimension per swept input: ``percentile`` (with
    ``percentile_low``/``percentile_high``, the order-statistic 95% interval) and ``mean``
    of each headline output (dims ``output``, ``quantile``: the scenario's percentiles),
    ``probability`` (with ``probability_low``/``probability_high``, Wilson) of missing each
    risk target (dim ``risk``, by key). ``ds``: a run of this scenario whose draws are reused
    when every swept input is fixed in it (no second sampling).
    """
    axes = parse_sweeps(scenario, sweeps)
    nodes = run_nodes(scenario.inputs, scenario.phases)
    outputs = [n for n in HEADLINE_OUTPUTS if n in nodes]
    targets = list(scenario.risk_targets)
    wanted = list(dict.fromkeys([*outputs, *(t.node for t in targets)]))
    common = CommonDraws(
        scenario, list(axes), draws=draws, seed=seed, method=method, threads=threads, ds=ds
    )
    names = list(axes)
    shape = tuple(len(v) for v in axes.values())
    q = np.asarray(scenario.percentiles, dtype=float)
    est, low, high = (np.empty((*shape, len(outputs), len(q))) for _ in range(3))
    mean = np.empty((*shape, len(outputs)))
    prob, p_low, p_high = (np.empty((*shape, len(targets))) for _ in range(3))
    for index in np.ndindex(*shape):
        at = {name: axes[name][i] for name, i in zip(names, index, strict=True)}
        values = common.evaluate(at, wanted)
        if outputs:
            stacked = np.stack([values[n] for n in outputs])
            est[index], low[index], high[index] = quantile_intervals(
                stacked, q / 100, partition=True
            )
            mean[index] = stacked.mean(axis=1)
        for k, target in enumerate(targets):
            missing = int(np.count_nonzero(target.misses(values[target.node])))
            cell = proportion_interval(missing, common.draws)
            prob[index + (k,)] = cell["probability"]
            p_low[index + (k,)], p_high[index + (k,)] = cell["low"], cell["high"]
    dims = (*names, "output", "quantile")
    risk_dims = (*names, "risk")

    return xr.Dataset(
        {
            "percentile": (dims, est),
            "percentile_low": (dims, low),
            "percentile_high": (dims, high),
            "mean": ((*names, "output"), mean),
            "probability": (risk_dims, prob),
            "probability_low": (risk_dims, p_low),
            "probability_high": (risk_dims, p_high),
        },
        coords={
            **{
                name: (name, values, {"units": node_of(name).units})
                for name, values in axes.items()
            },
            "output": ("output", outputs),
            "units": ("output", [node_of(n).units for n in outputs]),
            "quantile": ("quantile", q, {"units": "percent"}),
            "risk": ("risk", [t.key for t in targets]),
        },
        attrs={
            "scenario": scenario.name,
            "draws": common.draws,
            "seed": common.seed,
            "method": common.method,
            "swept": names,
            "chain_evaluations": common.evaluations,
            "risk_labels": [f"P({t.node} {t.symbol} {t.label} {t.threshold:g})" for t in targets],
        },
    )


def sweep_summary(table: xr.Dataset) -> dict[str, Any]:
    """summary.json's ``sweep``: the swept inputs and one row per point (each headline
    output's percentiles with their 95% intervals and mean; each risk target's probability)."""
    names = list(table.attrs["swept"])
    keys = [percentile_key(float(p)) for p in table["quantile"].values]
    outputs = [str(o) for o in table["output"].values]
    risks = [str(r) for r in table["risk"].values]
    rows = []
    for index in np.ndindex(*(table.sizes[n] for n in names)):
        point = {n: _point(table, n, i) for n, i in zip(names, index, strict=True)}
        row: dict[str, Any] = dict(point)
        for j, output in enumerate(outputs):
            cell: dict[str, Any] = {"mean": float(table["mean"].values[index + (j,)])}
            for k, key in enumerate(keys):
                cell[key] = float(table["percentile"].values[index + (j, k)])
                cell[f"{key}_ci95"] = [
                    _json(table["percentile_low"].values[index + (j, k)]),
                    _json(table["percentile_high"].values[index + (j, k)]),
                ]
            row[output] = cell
        row["risk"] = {
            key: {
                "probability": float(table["probability"].values[index + (k,)]),
                "ci95": [
                    float(table["probability_low"].values[index + (k,)]),
                    float(table["probability_high"].values[index + (k,)]),
                ],
            }
            for k, key in enumerate(risks)
        }
        rows.append(row)
    return {
        "inputs": {n: [_point(table, n, i) for i in range(table.sizes[n])] for n in names},
        "units": {n: table[n].attrs.get("units", "") for n in names},
        "outputs": {o: str(u) for o, u in zip(outputs, table["units"].values, strict=True)},
        "percentiles": keys,
        "risk": dict(zip(risks, table.attrs["risk_labels"], strict=True)),
        "draws": table.attrs["draws"],
        "seed": table.attrs["seed"],
        "method": table.attrs["method"],
        "chain_evaluations": table.attrs["chain_evaluations"],
        "rows": rows,
    }


def _json(x: float) -> float | None:
    value = float(x)
    return value if math.isfinite(value) else None


def sweep_section(
    scenario: Scenario, items: Sequence[str], ds: xr.Dataset | None = None
) -> dict[str, Any]:
    """``{"sweep": ...}`` for summary.json (empty without ``items``), the draws of ``ds``
    reused where they can be."""
    if not items:
        return {}
    return {"sweep": sweep_summary(sweep(scenario, items, ds=ds))}


def sweep_files(section: dict[str, Any], *, plots: bool = True) -> dict[str, str | bytes]:
    """The report folder's sweep files: sweep.csv and (``plots``) the fan charts as PNG."""
    if not section:
        return {}
    files: dict[str, str | bytes] = {"sweep.csv": sweep_csv(section["sweep"])}
    if plots:
        from ..report.plots import figure_png  # noqa: PLC0415 (matplotlib only when drawn)

        for name, figure in sweep_figures(section["sweep"]).items():
            files[name] = figure_png(figure)
    return files


def _point(table: xr.Dataset, name: str, i: int) -> float | int:
    """A swept value for JSON: an int for a whole input (n_gpus), else a float."""
    value = float(table[name].values[i])
    return int(value) if node_of(name).domain.whole else value
