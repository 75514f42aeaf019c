"""Run a scenario: sample every input at once, push the draws through the chain.

The result is an :class:`xarray.Dataset` along dimension ``draw``: every input and
node a variable with ``units``, ``source``, ``description`` (and ``formula`` for
computed nodes) in its attrs; provenance in the Dataset's attrs.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from importlib import metadata
from typing import Any

import numpy as np
import scipy
import xarray as xr

from distributions import sample

from .chain import NODES, evaluate
from .config import Scenario

__all__ = ["package_version", "run", "sample_inputs"]


def package_version() -> str:
    try:
        return metadata.version("llm-cost-mc")
    except metadata.PackageNotFoundError:  # running from a checkout that was not installed
        return "0+unknown"


def sample_inputs(
    scenario: Scenario, *, draws: int, seed: int, method: str, start: int = 0
) -> dict[str, Any]:
    """Every given input: an array of draws if uncertain, a float if fixed."""
    specs = {name: spec.dist for name, spec in scenario.inputs.items()}
    drawn = sample(
        specs,
        draws,
        method=method,  # type: ignore[arg-type]
        seed=seed,
        start=start,
        correlations=scenario.correlations,
    )
    return {name: drawn.get(name, spec.expected()) for name, spec in specs.items()}


def _kind(is_input: bool, origin: str | None) -> str:
    """ "node" (computed), "pinned" (a computed node the scenario gives) or "input"."""
    if origin is None:
        return "node"
    return "pinned" if not is_input and origin == "scenario" else "input"


def run(
    scenario: Scenario,
    *,
    draws: int | None = None,
    seed: int | None = None,
    method: str | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> xr.Dataset:
    """Sample the scenario's inputs and evaluate the chain; one variable per node.

    ``on_stage`` (e.g. a progress bar's) is called with ``"sampling"``, then ``"chain"``.
    """
    draws = scenario.draws if draws is None else draws
    seed = scenario.seed if seed is None else seed
    method = scenario.method if method is None else method
    if on_stage is not None:
        on_stage("sampling")
    sampled = sample_inputs(scenario, draws=draws, seed=seed, method=method)
    if on_stage is not None:
        on_stage("chain")
    values = evaluate(sampled)

    data_vars = {}
    for name, value in values.items():
        node = NODES[name]
        spec = scenario.inputs.get(name)
        attrs = {
            "units": node.units,
            "description": node.description,
            "kind": _kind(node.is_input, spec.origin if spec else None),
            "constant": int(np.ndim(value) == 0),
        }
        if spec is not None:
            attrs["source"] = spec.source or spec.origin
            attrs["distribution"] = spec.dist.describe()
        else:
            attrs["source"] = node.source
            attrs["formula"] = node.formula
        array = np.broadcast_to(np.asarray(value, dtype=float), (draws,))
        data_vars[name] = xr.Variable(("draw",), array, attrs)

    attrs: dict[str, Any] = {
        "scenario": scenario.name,
        "config_path": scenario.path,
        "config_hash": scenario.config_hash,
        "seed": seed,
        "method": method,
        "draws": draws,
        "version": package_version(),
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "python_version": platform.python_version(),
    }
    if scenario.deadline_days is not None:
        attrs["deadline_days"] = scenario.deadline_days
    if scenario.budget_usd is not None:
        attrs["budget_usd"] = scenario.budget_usd
    return xr.Dataset(data_vars, attrs=attrs)
