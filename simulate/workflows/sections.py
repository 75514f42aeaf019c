"""Scenario-level analyses: the sensitivity section of a run, and runs to a precision.

Thin glue between a :class:`~simulate.scenario.config.Scenario` and the model-agnostic
functions of :mod:`simulate.analysis.sensitivity` and :mod:`simulate.analysis.convergence`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import xarray as xr

from distributions import Distribution
from distributions.sampling import QMC_REPLICATES

from ..analysis import sensitivity
from ..analysis.convergence import run_until
from ..analysis.intervals import uncertain_names
from ..analysis.ranking import input_ranks, rank_correlation
from ..engine.limits import check_finite, evaluate_draws
from ..engine.memory import describe_inputs, run, run_uniforms, sample_inputs
from ..model.chain import HEADLINE_OUTPUTS, KEY_OUTPUTS, NODES, upstream
from ..model.phases import run_nodes, split_name
from ..scenario.config import ConfigError, Scenario

__all__ = ["check_outputs", "run_to_precision", "scenario_specs", "sensitivity_section"]


def scenario_specs(scenario: Scenario) -> dict[str, Distribution]:
    """Every given input's distribution (fixed ones included), by name."""
    return {name: spec.dist for name, spec in scenario.inputs.items()}


def check_outputs(scenario: Scenario, outputs: Sequence[str]) -> None:
    """Refuse an output to rank against that is not a node, or that this scenario does not
    compute (cut by a pin, or in a view it lacks); before any draw."""
    present = run_nodes(scenario.inputs, scenario.phases)
    for name in outputs:
        if name not in NODES:
            raise ConfigError(
                f"{scenario.path}: --output {name}: unknown node; known: {', '.join(NODES)}"
            )
        if name not in present:
            raise ConfigError(
                f"{scenario.path}: --output {name}: not computed by this scenario; it computes "
                f"{', '.join(present)}"
            )


def _outputs(ds: xr.Dataset, extra: Sequence[str]) -> list[str]:
    """Key outputs (and any asked for) that vary in this run's sample."""
    wanted = list(dict.fromkeys([*KEY_OUTPUTS, *extra]))
    return [
        name
        for name in wanted
        if name in ds and not ds[name].attrs.get("constant") and np.ptp(ds[name].values) > 0
    ]


#: The rank and log statistics' grouped jackknife: this many groups of 3 draws or more
#: (fewer groups below 60 draws; below 6 draws, 2 groups of 3, no sensitivity section).
JACKKNIFE_GROUPS = 20
MIN_GROUP_DRAWS = 3


def sensitivity_section(
    ds: xr.Dataset,
    scenario: Scenario,
    *,
    method: Literal["rank", "sobol", "shapley"] = "rank",
    outputs: Sequence[str] = (),
    sobol_n: int = 2**14,
) -> dict[str, Any] | None:
    """The report's ``sensitivity`` section, or None when no input or output varies in the
    sample, or the run has fewer than 6 draws (the jackknife needs 2 groups of 3).

    A scenario with ``[correlations]`` passes its copula on, so every analysis of the
    section describes the joint distribution the run drew (``sobol`` becomes Shapley).
    """
    specs = scenario_specs(scenario)
    names = _outputs(ds, outputs)
    groups = min(JACKKNIFE_GROUPS, ds.sizes["draw"] // MIN_GROUP_DRAWS)
    if not names or not uncertain_names(specs) or groups < 2:
        return None
    risky = [t for t in scenario.risk_targets if t.node in names]
    return sensitivity.analyze(
        # the chain (phase by phase where the scenario has phases) in IEEE-754 arithmetic:
        # inf, never ZeroDivisionError
        functools.partial(evaluate_draws, phases=scenario.phases),
        specs,
        ds,
        outputs=names,
        targets=risky,
        method=method,
        sobol_n=sobol_n,
        seed=scenario.seed,
        groups=groups,
        correlations=scenario.correlations,
        uniforms=_run_uniforms(ds, scenario),
        depends={t.node: _target_inputs(scenario, t.node) for t in risky},
    )


def _target_inputs(scenario: Scenario, node: str) -> list[str]:
    """The scenario's uncertain inputs that ``node`` is computed from, directly or not (by
    the chain's graph; a ``<node>@<phase>`` input counts where its node does): what a
    re-run of the model for ``node`` needs."""
    read = upstream((split_name(node)[0],))
    return [
        name
        for name, spec in scenario.inputs.items()
        if not spec.dist.is_fixed and split_name(name)[0] in read
    ]


def _run_uniforms(ds: xr.Dataset, scenario: Scenario) -> dict[str, np.ndarray] | None:
    """The uniforms the run kept (every uncertain input's: the rank correlations rank
    continuous inputs by them), else its correlated inputs' regenerated, else None."""
    kept = run_uniforms(ds)
    return kept if kept is not None else _correlated_uniforms(ds, scenario)


def _correlated_uniforms(ds: xr.Dataset, scenario: Scenario) -> dict[str, np.ndarray] | None:
    """The run's uniforms of its correlated inputs (kept, or regenerated from its seed,
    method and correlations), for the risk drivers' conditioning; None if uncorrelated."""
    correlations = scenario.correlations
    if correlations is None or not correlations.names:
        return None
    from distributions import uniforms  # noqa: PLC0415

    kept = run_uniforms(ds)
    if kept is None:
        names = [name for name, spec in scenario.inputs.items() if not spec.dist.is_fixed]
        kept = uniforms(
            names,
            ds.attrs["draws"],
            method=ds.attrs["method"],
            seed=ds.attrs["seed"],
            correlations=correlations,
        )
    return {name: kept[name] for name in correlations.names}


def run_to_precision(
    scenario: Scenario, *, precision: float, max_draws: int = 2**24, batch: int = 2**14
) -> tuple[xr.Dataset, dict[str, Any]]:
    """Draw in doubling batches until the 95% interval half-width of every reported
    percentile (every variable of the run: inputs and nodes) is within ``precision`` of
    its value and every risk probability's within ``precision``, up to ``max_draws``;
    return the run of that many draws and the convergence record.

    Batches are draws [start, start + n) of the scenario's own index-addressable design
    (``random`` streams, or ``sobol``'s replicated sequences: totals stay powers of two),
    so the returned run equals a fixed run of the same number of draws and seed. An LHS
    design depends on its size, so it cannot grow in batches.
    """
    if scenario.method == "lhs":
        raise ConfigError(
            f"{scenario.path}: precision: needs method random or sobol (draws addressable by "
            f"index); got method={scenario.method!r}"
        )
    if not 0 < precision < 1:
        raise ConfigError(f"{scenario.path}: precision: must lie in (0, 1); got {precision!r}")

    def draw(start: int, n: int) -> dict[str, np.ndarray]:
        values = evaluate_draws(
            sample_inputs(
                scenario, draws=n, seed=scenario.seed, method=scenario.method, start=start
            ),
            scenario.phases,
        )
        check_finite(values, n, file=scenario.path, given=describe_inputs(scenario))
        return {
            name: np.broadcast_to(np.asarray(value, float), (n,)) for name, value in values.items()
        }

    converged = run_until(
        draw,
        precision=precision,
        percentiles=scenario.percentiles,
        targets=scenario.risk_targets,
        batch=min(batch, max_draws),
        max_draws=max_draws,
        replicates=QMC_REPLICATES if scenario.method == "sobol" else 0,
    )
    return run(scenario, draws=converged.n_draws), converged.to_dict()


def rank_run(ds: Any, scenario: Any, outputs: tuple[str, ...] = HEADLINE_OUTPUTS) -> dict:
    """:func:`rank_correlation` of an in-memory run (:func:`simulate.run`'s Dataset): each
    uncertain input's mid-CDF rank (its uniform where the run kept them and it is
    continuous, else :func:`distributions.mid_cdf` of its draws; no sort) against each
    varying output's mid-ECDF (one sort per output, :func:`ranking.sort_order`)."""
    names = [name for name, spec in scenario.inputs.items() if not spec.dist.is_fixed]
    drawn = [name for name in names if not ds[name].attrs["constant"]]
    ranks = input_ranks(
        {name: scenario.inputs[name].dist for name in drawn},
        {name: ds[name].values for name in drawn},
        run_uniforms(ds),
    )
    varying = {o: ds[o].values for o in outputs if o in ds and not ds[o].attrs["constant"]}
    return rank_correlation(ranks, varying)
