"""Common random numbers: draw every input once, then evaluate the chain at many values of
one or two inputs on the same draws (goal seek, sweeps).

The varied inputs are fixed in the scenario before sampling, exactly as ``--set NAME=VALUE``
fixes them, so the other inputs' draws are those of a run with ``--set`` at the same seed
(each input has its own random stream; :func:`distributions.sample`), and the draws at a
value equal that run's. Only the chain is evaluated again at each value
(:func:`simulate.model.chain.evaluate`), so every node that depends on a varied input
(``cluster_peak_flop_per_s``, ``job_interruptions_per_hour``, ...) is recomputed from it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import xarray as xr

from distributions import Fixed
from distributions.sampling import check_whole

from ..analysis.parallel import default_threads
from ..model.chain import NODES, upstream
from ..model.phases import node_of, split_name
from ..scenario.base import ConfigError, InputSpec
from ..scenario.config import Scenario
from .limits import NonFiniteCounts, check_memory, evaluate_draws
from .memory import describe_inputs, sample_inputs

__all__ = ["CommonDraws", "check_values", "check_varied"]


def check_varied(scenario: Scenario, name: Any, *, field: str) -> str:
    """``name`` if the scenario gives it (an input or a pinned node, not correlated), else a
    :class:`ConfigError` naming ``field`` (``vary``, ``sweep``)."""
    where = f"{scenario.path}: {field}"
    if not isinstance(name, str) or split_name(name)[0] not in NODES:
        raise ConfigError(
            f"{where}: {name!r} is not a node of the chain; give one of the scenario's inputs "
            f"({', '.join(scenario.inputs)})"
        )
    if name not in scenario.inputs:
        node, phase = node_of(name), split_name(name)[1]
        phases = [p.name for p in scenario.phases]
        if phase is not None and phase not in phases:
            how = f"no phase {phase!r}; phases: {', '.join(phases) or 'none'}"
        elif node.rule is not None:
            how = f"computed from {', '.join(node.parents)}; vary one of those, or pin it"
        else:
            how = "not used by this scenario"
        raise ConfigError(
            f"{where}: {name} is not an input of this scenario ({how}); its inputs: "
            f"{', '.join(scenario.inputs)}"
        )
    if scenario.correlations is not None and name in scenario.correlations.names:
        raise ConfigError(
            f"{where}: {name} is correlated with other inputs ([correlations]); fixing it at "
            "each value would change their draws; remove it from [correlations] to vary it"
        )
    return name


def check_values(
    scenario: Scenario, name: str, values: Sequence[float], *, field: str, whole: bool = True
) -> None:
    """Each value lies in ``name``'s domain (and, if ``whole``, is whole for a count), else
    ConfigError."""
    domain = node_of(name).domain
    for value in values:
        if not math.isfinite(value) or not domain.contains(value, value):
            raise ConfigError(
                f"{scenario.path}: {field}: {name} must be "
                f"{'' if domain.whole else 'in '}{domain.describe()}; got {value:g}"
            )
        if whole and domain.whole and value != int(value):
            raise ConfigError(f"{scenario.path}: {field}: {name} is a whole number; got {value:g}")


def base_value(scenario: Scenario, name: str) -> float:
    """The scenario's value of ``name``: its constant, or its distribution's median."""
    dist = scenario.inputs[name].dist
    return float(dist.expected()) if dist.is_fixed else float(dist.ppf(0.5))


class CommonDraws:
    """The scenario's draws with ``varied`` inputs fixed; :meth:`evaluate` pushes them through
    the chain at given values of those inputs.

    ``ds``: a run of the same scenario, draws and seed whose inputs may be reused instead
    of drawing again (only when every varied input is already fixed in the scenario, so the
    draws are the same either way).
    """

    def __init__(
        self,
        scenario: Scenario,
        varied: Sequence[str],
        *,
        draws: int | None = None,
        seed: int | None = None,
        method: str | None = None,
        threads: int | None = None,
        ds: xr.Dataset | None = None,
    ) -> None:
        self.draws = scenario.draws if draws is None else draws
        self.seed = scenario.seed if seed is None else seed
        self.method = scenario.method if method is None else method
        check_whole("CommonDraws", "draws", self.draws, 1)
        self.scenario = scenario
        self.varied = tuple(varied)
        fixed_inputs = dict(scenario.inputs)
        for name in self.varied:
            spec = fixed_inputs[name]
            if not spec.dist.is_fixed:
                fixed_inputs[name] = InputSpec(
                    name, Fixed(base_value(scenario, name)), spec.source, spec.origin
                )
        self.fixed_scenario = replace(scenario, inputs=fixed_inputs)
        reusable = (
            ds is not None
            and ds.attrs.get("draws") == self.draws
            and ds.attrs.get("seed") == self.seed
            and ds.attrs.get("method") == self.method
            and all(scenario.inputs[name].dist.is_fixed for name in self.varied)
        )
        if reusable:
            assert ds is not None
            self.given: dict[str, Any] = {
                name: float(ds[name].values[0])
                if ds[name].attrs.get("constant")
                else ds[name].values
                for name in scenario.inputs
            }
        else:
            threads = default_threads() if threads is None else threads
            check_memory(self.fixed_scenario, self.draws, threads=threads)
            self.given = sample_inputs(
                self.fixed_scenario,
                draws=self.draws,
                seed=self.seed,
                method=self.method,
                threads=threads,
            )
        self.evaluations = 0

    def evaluate(self, values: Mapping[str, float], nodes: Sequence[str]) -> dict[str, np.ndarray]:
        """``nodes`` (arrays of the draws) with the varied inputs at ``values``: the chain
        evaluated once, on the inputs those nodes are computed from (the others cannot change
        them); a node that is not finite is refused as a run refuses it."""
        phases = self.scenario.phases
        if phases:  # a run in phases sums its phases: every input goes in
            given = dict(self.given)
        else:
            read = upstream(tuple(nodes))
            given = {name: value for name, value in self.given.items() if name in read}
        for name, value in values.items():
            given[name] = float(value)
        result = evaluate_draws(given, phases)
        self.evaluations += 1
        out = {
            name: np.broadcast_to(np.asarray(result[name], dtype=float), (self.draws,))
            for name in nodes
        }
        where = ", ".join(f"{k} = {v:g}" for k, v in values.items())
        bad = NonFiniteCounts.of({n: result[n] for n in nodes}, self.draws)
        if bad.counts:
            try:
                bad.raise_if_any(self.scenario.path, describe_inputs(self.fixed_scenario))
            except ConfigError as error:
                raise type(error)(f"{error} (at {where})") from None
        return out
