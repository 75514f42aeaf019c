"""Run a scenario: sample every input at once, push the draws through the chain.

The result is an :class:`xarray.Dataset` along dimension ``draw``: every input and
node a variable with ``units``, ``source``, ``description`` (and ``formula`` for
computed nodes) in its attrs; provenance in the Dataset's attrs.
"""

from __future__ import annotations

import platform
import weakref
from collections.abc import Callable
from importlib import metadata
from typing import Any

import numpy as np
import scipy
import xarray as xr

from distributions import sample
from distributions.sampling import QMC_REPLICATES, check_whole

from ..analysis.parallel import default_threads
from ..model.phases import node_of, run_rule, split_name
from ..scenario.config import Scenario
from .limits import check_finite, check_memory, evaluate_draws

__all__ = [
    "describe_inputs",
    "node_attrs",
    "package_version",
    "provenance",
    "run",
    "run_uniforms",
    "sample_inputs",
]


def package_version() -> str:
    try:
        return metadata.version("llm-cost-mc")
    except metadata.PackageNotFoundError:  # running from a checkout that was not installed
        return "0+unknown"


def sample_inputs(
    scenario: Scenario,
    *,
    draws: int,
    seed: int,
    method: str,
    start: int = 0,
    threads: int = 1,
    uniforms_out: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Every given input: an array of draws if uncertain, a float if fixed (``uniforms_out``
    as in :func:`distributions.sample`)."""
    specs = {name: spec.dist for name, spec in scenario.inputs.items()}
    drawn = sample(
        specs,
        draws,
        method=method,  # type: ignore[arg-type]
        seed=seed,
        start=start,
        correlations=scenario.correlations,
        threads=threads,
        uniforms_out=uniforms_out,
    )
    # (``spec.expected()`` only where nothing was drawn: it can cost seconds, e.g. the mean
    # of a truncated mixture of mixtures, by quadrature of its quantile)
    return {name: drawn[name] if name in drawn else spec.expected() for name, spec in specs.items()}


def _kind(is_input: bool, origin: str | None) -> str:
    """ "node" (computed), "pinned" (a computed node the scenario gives) or "input"."""
    if origin is None:
        return "node"
    return "pinned" if not is_input and origin == "scenario" else "input"


def describe_inputs(scenario: Scenario) -> dict[str, str]:
    """Each given input's value or distribution, in words (for error messages)."""
    return {name: spec.dist.describe() for name, spec in scenario.inputs.items()}


def node_attrs(scenario: Scenario, name: str, *, constant: bool) -> dict[str, Any]:
    """A variable's attrs: units, description, kind, constant, source, distribution or formula."""
    node = node_of(name)
    spec = scenario.inputs.get(name)
    phase = split_name(name)[1]
    attrs: dict[str, Any] = {
        "units": node.units,
        "description": node.description + (f" (phase {phase})" if phase else ""),
        "kind": _kind(node.is_input, spec.origin if spec else None),
        "constant": int(constant),
    }
    combined = run_rule(name, scenario.phases, scenario.inputs)
    if combined is not None:  # a whole-run node the phases add up (or the cluster's GPUs)
        attrs["kind"] = "node"
        attrs["formula"], attrs["source"] = combined
    elif spec is not None:
        attrs["source"] = spec.source or spec.origin
        attrs["distribution"] = spec.dist.describe()
    else:
        attrs["source"] = node.source
        attrs["formula"] = node.formula
    return attrs


def provenance(scenario: Scenario, *, draws: int, seed: int, method: str) -> dict[str, Any]:
    """A run's provenance (the Dataset's attrs): scenario, config hash, seed, versions, risk."""
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
    if method in ("lhs", "sobol"):  # interleaved independent randomizations (summarize reads it)
        attrs["replicates"] = QMC_REPLICATES
    if scenario.deadline_days is not None:
        attrs["deadline_days"] = scenario.deadline_days
    if scenario.budget_usd is not None:
        attrs["budget_usd"] = scenario.budget_usd
        attrs["budget_node"] = scenario.budget_node
    return attrs


#: Each live run's uniforms by ``id`` of its Dataset, kept beside it rather than in it (so
#: reports and draws.nc never see them) and dropped with it: an input's rank is its
#: uniform's (simulate.analysis.ranking), so rank statistics need no sort of the inputs.
_UNIFORMS: dict[int, dict[str, np.ndarray]] = {}


def run_uniforms(ds: xr.Dataset) -> dict[str, np.ndarray] | None:
    """The uniforms behind each uncertain input of ``ds``, if this process ran it and it lives."""
    return _UNIFORMS.get(id(ds))


def run(
    scenario: Scenario,
    *,
    draws: int | None = None,
    seed: int | None = None,
    method: str | None = None,
    threads: int | None = None,
    on_stage: Callable[[str], None] | None = None,
    keep_uniforms: bool = True,
) -> xr.Dataset:
    """Sample the scenario's inputs and evaluate the chain; one variable per node.

    ``threads`` (default: every CPU this process may use) share each input's ppf;
    the draws are the same whatever their number. ``on_stage`` (e.g. a progress
    bar's) is called with ``"sampling"``, then ``"chain"``. ``keep_uniforms``: keep the
    inputs' uniforms for :func:`run_uniforms` while the Dataset lives (8 bytes a draw an
    input; the CLI, which does not use them, passes False).

    Refuses (a ``ValueError`` naming the file) a run too large for the memory available
    (:func:`simulate.engine.limits.check_memory`) and draws that are not finite
    (:func:`simulate.engine.limits.check_finite`), before any statistic.
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(
            f"run needs a Scenario (simulate.load_scenario makes one); got {scenario!r}"
        )
    draws = scenario.draws if draws is None else draws
    seed = scenario.seed if seed is None else seed
    method = scenario.method if method is None else method
    threads = default_threads() if threads is None else threads
    check_whole("run", "draws", draws, 1)
    check_whole("run", "seed", seed, 0)
    check_memory(scenario, draws, threads=threads)
    if on_stage is not None:
        on_stage("sampling")
    u: dict[str, np.ndarray] = {}
    sampled = sample_inputs(
        scenario, draws=draws, seed=seed, method=method, threads=threads, uniforms_out=u
    )
    if on_stage is not None:
        on_stage("chain")
    values = evaluate_draws(sampled, scenario.phases)
    check_finite(values, draws, file=scenario.path, given=describe_inputs(scenario))
    data_vars = {}
    for name, value in values.items():
        attrs = node_attrs(scenario, name, constant=np.ndim(value) == 0)
        array = np.broadcast_to(np.asarray(value, dtype=float), (draws,))
        data_vars[name] = xr.Variable(("draw",), array, attrs)
    ds = xr.Dataset(data_vars, attrs=provenance(scenario, draws=draws, seed=seed, method=method))
    if keep_uniforms:
        _UNIFORMS[id(ds)] = u
        weakref.finalize(ds, _UNIFORMS.pop, id(ds), None)
    return ds
