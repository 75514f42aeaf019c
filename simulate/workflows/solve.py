"""Goal seek at a confidence level: the value of one input at which a statistic of the run
meets a target, e.g. the fewest GPUs with ``P(train_days <= 90) >= 0.9``.

>>> import simulate
>>> scenario = simulate.load_scenario("configs/dense-1t-h100.toml")
>>> result = simulate.solve(scenario, "n_gpus", "P(train_days <= 90) >= 0.9", step=1024)
>>> result.attrs["answer"], result.attrs["statement"]  # doctest: +SKIP

Every input but the varied one is drawn once (:class:`simulate.engine.crn.CommonDraws`);
each candidate value costs one evaluation of the chain on those draws, so the statistic is
a deterministic function of the value and the search (:func:`simulate.analysis.goal_seek.seek`)
is exact for these draws: the answer equals what runs with ``--set NAME=VALUE`` at the same
seed would give, value by value. Errors name the Python parameters (``vary``, ``target``,
``value_range``, ``step``); the CLI shows its flags.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..analysis.goal_seek import GoalError, parse_target, seek, statistic_value
from ..analysis.summary import risk, summarize
from ..engine.crn import CommonDraws, base_value, check_values, check_varied
from ..model.chain import HEADLINE_OUTPUTS
from ..model.phases import node_of, run_nodes
from ..report.folder import write_files
from ..report.html import render_markdown_html
from ..report.planning import solve_figure, solve_json, solve_markdown, solve_statement
from ..scenario.base import ConfigError
from ..scenario.config import Scenario

__all__ = ["DEFAULT_SPAN", "UnreachableTarget", "solve", "solve_report"]

#: Without ``value_range``, the search spans the scenario's value / 16 to x 16 (in the domain).
DEFAULT_SPAN = 16.0


class UnreachableTarget(ConfigError):
    """No value in the range meets the target (the CLI's one line, exit 2)."""


def _range(
    scenario: Scenario, vary: str, value_range: Sequence[float] | None
) -> tuple[float, float, bool]:
    """(low, high, given): the range to search, checked against the input's domain."""
    file = scenario.path
    domain = node_of(vary).domain
    if value_range is not None:
        try:
            low, high = (float(v) for v in value_range)
        except (TypeError, ValueError):
            raise ConfigError(
                f"{file}: value_range: needs two numbers LOW:HIGH; got {value_range!r}"
            ) from None
        if not low < high:
            raise ConfigError(f"{file}: value_range: needs LOW < HIGH; got {low:g}:{high:g}")
        check_values(scenario, vary, [low, high], field="value_range", whole=False)
        return low, high, True
    x0 = base_value(scenario, vary)
    if x0 <= 0:
        raise ConfigError(
            f"{file}: value_range: {vary} is {x0:g} in the scenario, so no default range "
            f"(its value / {DEFAULT_SPAN:g} to x {DEFAULT_SPAN:g}); give one, e.g. 0:1"
        )
    low, high = x0 / DEFAULT_SPAN, x0 * DEFAULT_SPAN
    if domain.whole:
        low, high = max(math.ceil(low), math.ceil(domain.low)), math.floor(high)
    low = max(low, domain.low) if not domain.low_open else max(low, np.nextafter(domain.low, 1))
    if high >= domain.high:
        high = np.nextafter(domain.high, -np.inf) if domain.high_open else domain.high
    return float(low), float(high), False


def solve(
    scenario: Scenario,
    vary: str,
    target: str,
    *,
    value_range: Sequence[float] | None = None,
    step: float | None = None,
    draws: int | None = None,
    seed: int | None = None,
    method: str | None = None,
    threads: int | None = None,
) -> xr.Dataset:
    """The value of input ``vary`` at which ``target`` (``P(train_days <= 90) >= 0.9``,
    ``P90(train_days) <= 90``, ``P(train_days_over_deadline) <= 0.1``, ``mean(tco_usd) <= 1e9``)
    starts to hold, in ``value_range`` (default: the scenario's value / 16 to x 16), on
    multiples of ``step`` (whole inputs: of 1 at least).

    Returns a Dataset along ``evaluation`` (each value tried, in order of value: the
    statistic, its 95% interval, whether the target is met) whose attrs hold ``status``
    ("found", "met_throughout", "unreachable"), ``answer`` (NaN if none), ``statement`` (one
    plain sentence), ``chain_evaluations``, the statistic at the answer, and the headline
    outputs' percentiles and risk there (``at_answer``, JSON text).
    """
    file = scenario.path
    vary = check_varied(scenario, vary, field="vary")
    nodes = run_nodes(scenario.inputs, scenario.phases)
    try:
        goal = parse_target(target, nodes, scenario.risk_targets)
    except GoalError as error:
        raise ConfigError(f"{file}: target: {error}") from None
    whole = node_of(vary).domain.whole
    if step is not None:
        if not isinstance(step, int | float) or not math.isfinite(step) or step <= 0:
            raise ConfigError(f"{file}: step: must be a positive number; got {step!r}")
        if whole and step != int(step):
            raise ConfigError(
                f"{file}: step: {vary} is a whole number, so is its step; got {step:g}"
            )
    elif whole:
        step = 1
    low, high, given = _range(scenario, vary, value_range)
    common = CommonDraws(scenario, [vary], draws=draws, seed=seed, method=method, threads=threads)
    outputs = [n for n in HEADLINE_OUTPUTS if n in nodes]
    wanted = list(
        dict.fromkeys([goal.statistic.node, *outputs, *(t.node for t in scenario.risk_targets)])
    )
    kept: dict[float, dict[str, np.ndarray]] = {}  # the met values' nodes: only the two extremes

    def statistic_at(x: float) -> dict[str, float]:
        values = common.evaluate({vary: x}, wanted)
        stat = statistic_value(values[goal.statistic.node], goal.statistic)
        if goal.met(stat["value"]):
            kept[x] = values
            for extra in sorted(kept)[1:-1]:
                del kept[extra]
        return stat

    try:
        search = seek(statistic_at, goal, low, high, step=step)
    except GoalError as error:
        raise ConfigError(f"{file}: step: {error}") from None
    evals = search.evaluations
    ds = xr.Dataset(
        {
            "statistic": ("evaluation", [e.statistic["value"] for e in evals]),
            "statistic_low": ("evaluation", [e.statistic["low"] for e in evals]),
            "statistic_high": ("evaluation", [e.statistic["high"] for e in evals]),
            "met": ("evaluation", [e.met for e in evals]),
        },
        coords={vary: ("evaluation", [e.value for e in evals], {"units": node_of(vary).units})},
    )
    at = {e.value: e.statistic for e in evals}
    answer = search.answer
    attrs: dict[str, Any] = {
        "scenario": scenario.name,
        "config_path": file,
        "config_hash": scenario.config_hash,
        "seed": common.seed,
        "method": common.method,
        "draws": common.draws,
        "vary": vary,
        "units": node_of(vary).units,
        "whole": int(whole),
        "target": goal.text,
        "level": goal.level,
        "statistic_name": goal.statistic.text,
        "node": goal.statistic.node,
        "status": search.status,
        "side": search.side or "",
        "answer": math.nan if answer is None else answer,
        "best": search.best,
        "neighbour": math.nan if search.neighbour is None else search.neighbour,
        "range_low": low,
        "range_high": high,
        "range_given": int(given),
        "step": math.nan if step is None else float(step),
        "base_value": base_value(scenario, vary),
        "varied_was_uncertain": int(not scenario.inputs[vary].dist.is_fixed),
        "chain_evaluations": common.evaluations,
        "confidence": 0.95,
    }
    if answer is not None:
        stat = at[answer]
        attrs |= {
            "answer_statistic": stat["value"],
            "answer_low": stat["low"],
            "answer_high": stat["high"],
        }
        if answer in kept:
            arrays = kept[answer]
            table = summarize(arrays, scenario.percentiles, variables=outputs)
            attrs["at_answer_percentiles"] = {
                name: dict(
                    zip(
                        [f"p{q:g}" for q in scenario.percentiles],
                        table["percentile"].sel(variable=name).values.tolist(),
                        strict=True,
                    )
                )
                for name in outputs
            }
            attrs["at_answer_risk"] = risk(arrays, scenario.risk_targets)
    ds.attrs = attrs
    ds.attrs["statement"] = solve_statement(ds)
    return ds


def solve_report(
    result: xr.Dataset, out: str | Path, *, force: bool = False, plots: bool = True
) -> tuple[Path, Path | None]:
    """Write ``result`` (:func:`solve`) as a report folder: solve.json, report.md (the
    answer, the values tried) and solve.png; an earlier report there is kept aside unless
    ``force``. An unreachable target is refused (:class:`UnreachableTarget`, naming the range)
    and nothing is written."""
    attrs = result.attrs
    if attrs["status"] == "unreachable":
        raise UnreachableTarget(f"{attrs['config_path']}: value_range: {attrs['statement']}")
    summary = solve_json(result)
    files: dict[str, str | bytes] = {
        "solve.json": json.dumps(summary, indent=2, allow_nan=False) + "\n",
        "report.md": solve_markdown(summary, images=["solve.png"] if plots else []),
    }
    if plots:
        from ..report.plots import figure_png  # noqa: PLC0415 (matplotlib only when drawn)

        files["solve.png"] = figure_png(solve_figure(summary))
    images = {"solve.png": files["solve.png"]} if plots else {}
    files["report.html"] = render_markdown_html(str(files["report.md"]), images)  # type: ignore[arg-type]
    return write_files(files, out, force=force)
