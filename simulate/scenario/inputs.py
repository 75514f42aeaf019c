"""The values a scenario gives: [cluster], [inputs], catalog and default filling, node
domains, pinned nodes, [correlations], and the warning for slow scipy-family inputs."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from distributions import (
    Correlations,
    Distribution,
    DistributionError,
    Fixed,
    LogNormal,
    as_correlations,
    mass_outside,
    parse,
    reachable_range,
)
from distributions.scipy_bridge import seconds_per_draw, uses_scipy_family

from ..model.catalog import RENTAL_KINDS, PriceRange, listing_spread, load_catalog, price_interval
from ..model.chain import (
    NODES,
    REMOVED_INPUTS,
    Domain,
    evaluate,
    fallback_defaults,
    needed_inputs,
    view_sinks,
)
from ..model.phases import Phase, phase_ranges
from .base import ConfigError, InputSpec
from .fields import one_of

__all__ = [
    "SLOW_RUN_S",
    "check_domain",
    "check_pins",
    "cluster",
    "correlations",
    "fill_defaults_and_check",
    "fill_from_catalog",
    "input_value",
    "read_inputs",
    "reachable_ranges",
    "slow_inputs",
]

#: A run whose scipy-family inputs would take longer than this is warned about, in seconds.
SLOW_RUN_S = 60.0


def rental_kind(table: Mapping[str, Any], file: str) -> str:
    """[cluster] rental: which dated rental range the catalog fills, "on-demand" (list
    prices, the default) or "committed" (1- and 3-year committed-use prices)."""
    return one_of(table, "rental", RENTAL_KINDS, "on-demand", file, "cluster")


def cluster(
    table: Mapping[str, Any], file: str, *, peak_given: bool = False
) -> tuple[str | None, str]:
    """[cluster]: the accelerator (a catalog key, or None) and its precision. A precision
    the catalog has no peak for is refused unless the scenario gives
    ``gpu_peak_flop_per_s`` itself (``peak_given``): an explicit peak always wins."""
    precision = table.get("precision", "bf16")
    accelerator = table.get("accelerator")
    for key, value in (("accelerator", accelerator), ("precision", precision)):
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{file}: cluster.{key}: must be a catalog name; got {value!r}")
    if accelerator is None:
        return None, precision
    catalog = load_catalog()
    if accelerator not in catalog:
        raise ConfigError(
            f"{file}: cluster.accelerator: unknown accelerator {accelerator!r}; known: "
            f"{', '.join(catalog)}"
        )
    peaks = catalog[accelerator].peak_flop_per_s
    if peaks and precision not in peaks and not peak_given:
        raise ConfigError(
            f"{file}: cluster.precision: {accelerator} has no dense {precision!r} peak in the "
            f"catalog; known: {', '.join(peaks)}"
        )
    return accelerator, precision


def input_value(
    name: str,
    value: Any,
    file: str,
    *,
    where: str = "inputs",
    base_dir: str | Path | None = None,
) -> tuple[Distribution, str]:
    """``where.name``: a node's value or distribution, inside the node's domain, and its
    source text. Ranges, intervals without ``dist`` and ``"m ± s"`` are built for the
    node's domain (:func:`distributions.parse.interval_family`)."""
    field = f"{where}.{name}"
    if name in REMOVED_INPUTS:
        raise ConfigError(f"{file}: {field}: {REMOVED_INPUTS[name]}")
    node, at, phase = name.partition("@")
    if at and node in NODES:
        raise ConfigError(
            f"{file}: {field}: a phase's input is given in its [[phases]] table "
            f'(name = "{phase}", {node} = ...); got it under [{where}]'
        )
    if name not in NODES:
        raise ConfigError(f"{file}: {field}: unknown input or node; known: {', '.join(NODES)}")
    source = value.get("source", "") if isinstance(value, dict) else ""
    if not isinstance(source, str):
        raise ConfigError(f"{file}: {field}.source: must be a string; got {source!r}")
    domain = NODES[name].domain
    try:
        dist = parse(value, base_dir=base_dir, bounds=(domain.low, domain.high))
    except DistributionError as error:
        raise ConfigError(f"{file}: {field}: {error}") from None
    check_domain(name, dist, file=file, where=where)
    return dist, source


def read_inputs(table: Mapping[str, Any], file: str) -> dict[str, InputSpec]:
    """[inputs]: each a value or distribution given by the scenario."""
    specs = {}
    for name, value in table.items():
        dist, source = input_value(name, value, file, base_dir=Path(file).parent)
        specs[name] = InputSpec(name, dist, source, "scenario")
    return specs


def check_domain(name: str, dist: Distribution, *, file: str, where: str = "inputs") -> None:
    """Refuse a value or distribution whose draws can fall outside its node's domain.

    A continuous distribution is judged by the values its draws can reach (ppf at the
    extreme uniforms any design yields), so a lognormal "0.35 to 0.45" MFU, whose tail
    above 1 no draw can reach, is accepted, and a uniform from 0.5 to 1.5 is not; a
    discrete one (fixed, discrete, empirical) by each of its values. Whole-number inputs
    (GPU counts) take only discrete distributions of whole numbers. ``where`` names the
    table in the message ("inputs", "priors").
    """
    domain: Domain = NODES[name].domain
    field = f"{file}: {where}.{name}"
    if dist.is_discrete:
        values = dist.atoms()
        bad = [
            v for v in values if not domain.contains(v, v) or (domain.whole and not v.is_integer())
        ]
        if bad:
            got = f"{bad[0]:g}" if dist.is_fixed else f"{dist.describe()}, which holds {bad[0]:g}"
            raise ConfigError(f"{field}: must be {domain.describe()}; got {got}")
        return
    if domain.whole:
        raise ConfigError(
            f"{field}: must be {domain.describe()}; {dist.describe()} gives fractions "
            f'(use dist = "discrete" with whole values)'
        )
    with np.errstate(over="ignore"):
        try:
            low, high = reachable_range(dist)
        except OverflowError:  # e.g. exp(mu) of a lognormal beyond 1.8e308
            low, high = -math.inf, math.inf
    if not (math.isfinite(low) and math.isfinite(high)):
        with np.errstate(over="ignore"):
            described = dist.describe()
        raise ConfigError(
            f"{field}: {described} reaches [{low:.6g}, {high:.6g}], beyond 64-bit floats "
            "(about ±1.8e308); every draw must be a finite number"
        )
    if not domain.contains(low, high):
        outside = mass_outside(
            dist, domain.low, domain.high, low_open=domain.low_open, high_open=domain.high_open
        )
        raise ConfigError(
            f"{field}: must lie in {domain.describe()}; {dist.describe()} reaches "
            f"[{low:.6g}, {high:.6g}] and puts probability {outside:.3g} outside; use a bounded "
            f"family or truncate it (truncate = [low, high])"
        )


def _input_range(dist: Distribution) -> tuple[float, float]:
    """The smallest and largest value a draw of ``dist`` can take: its atoms' ends if it is
    discrete, else :func:`distributions.reachable_range` (what :func:`check_domain` judges)."""
    if dist.is_discrete:
        atoms = np.asarray(dist.atoms(), dtype=float)
        return float(atoms.min()), float(atoms.max())
    with np.errstate(over="ignore"):
        try:
            return reachable_range(dist)
        except OverflowError:
            return -math.inf, math.inf


def reachable_ranges(
    specs: Mapping[str, InputSpec], phases: Sequence[Phase] = ()
) -> dict[str, tuple[float, float]]:
    """Every node's reachable range under the scenario's inputs: each input's
    (:func:`_input_range`) carried through the chain (and its ``phases``) by
    :func:`simulate.model.phases.phase_ranges` (a range it gives may be wider than the true
    one, never narrower, so a threshold outside it cannot be crossed)."""
    return phase_ranges({name: _input_range(spec.dist) for name, spec in specs.items()}, phases)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def slow_inputs(specs: Mapping[str, InputSpec], draws: int, file: str) -> tuple[str, ...]:
    """A warning line for each input built from a ``scipy.<name>`` family whose quantile
    is slow enough that ``draws`` of it would take more than SLOW_RUN_S
    (timed on up to 64 uniforms, about a quarter of a second)."""
    lines = []
    for name, spec in specs.items():
        if spec.dist.is_fixed or not uses_scipy_family(spec.dist):
            continue
        per_draw_s, timed = seconds_per_draw(spec.dist)
        total_s = per_draw_s * draws
        if total_s > SLOW_RUN_S:
            lines.append(
                f"{file}: inputs.{name}: {spec.dist.describe()} takes about "
                f"{per_draw_s * 1e3:.3g} ms a draw (timed on {timed}), so {draws:,} "
                f"draws would take about {_duration(total_s)} on one thread; use fewer draws "
                f"or a family with a closed-form quantile"
            )
    return tuple(lines)


def correlations(
    table: Mapping[str, Any] | None, specs: Mapping[str, InputSpec], file: str
) -> tuple[Correlations | None, tuple[str, ...]]:
    """The [correlations] table (``pairs = [[a, b, rho], ...]`` or ``names`` + ``matrix``),
    checked against the inputs; a matrix that is not positive semi-definite is repaired
    (Higham 2002) and the repair returned as a warning line."""
    if not table:
        return None, ()
    try:
        result = as_correlations(table)
        result.check_inputs({name: spec.dist for name, spec in specs.items()})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result.copula_pearson  # noqa: B018 (repairs now, so the warning is seen here)
    except DistributionError as error:
        raise ConfigError(f"{file}: correlations: {error}") from None
    return result, tuple(f"{file}: correlations: {w.message}" for w in caught)


def fill_from_catalog(
    specs: dict[str, InputSpec],
    accelerator: str | None,
    precision: str,
    file: str,
    *,
    rental: str = "on-demand",
) -> None:
    """Add the accelerator's catalog values (peak, TDP, prices; the ``rental`` kind's
    range) the scenario does not give: what the scenario gives always wins."""
    if accelerator is None:
        return
    catalog = load_catalog()
    entry = catalog[accelerator]
    where = f"catalog: {entry.name}"
    found: dict[str, tuple[Distribution, str]] = {}
    if precision in entry.peak_flop_per_s:
        found["gpu_peak_flop_per_s"] = (
            Fixed(entry.peak_flop_per_s[precision]),
            f"{where}, dense {precision} ({entry.spec_source})",
        )
    if entry.tdp_w is not None:
        found["gpu_tdp_w"] = (Fixed(float(entry.tdp_w)), f"{where} ({entry.spec_source})")
    rent = entry.rental_ranges.get(rental, PriceRange(()))
    for name, prices, date, source, kind in (
        ("gpu_price_usd", entry.purchase_price_usd, entry.purchase_price_date,
         entry.purchase_price_source, "purchase"),
        ("rental_usd_per_gpu_hour", rent.usd, f"{rental} {rent.date}", rent.source, "rental"),
    ):  # fmt: skip
        spread = listing_spread(catalog, kind)
        interval = price_interval(prices, spread)
        if interval is None:
            continue
        rule = (
            "lognormal with the lowest and highest as P5 and P95"
            if len(prices) > 1
            else f"one listing: lognormal with it as median and P95/P5 = {spread:.3g}, the "
            f"median spread of the catalog's {kind} ranges with two listings or more"
        )
        found[name] = (LogNormal.from_interval(*interval), f"{where}: {date} ({source}); {rule}")
    for name, (dist, source) in found.items():
        if name not in specs:
            specs[name] = InputSpec(name, dist, source, "catalog")


def fill_defaults_and_check(
    specs: dict[str, InputSpec], file: str, *, sinks: Sequence[str] = view_sinks(["tco"])
) -> None:
    """Add the defaults of the inputs the sinks need; refuse where a needed one has none."""
    missing = []
    for name, children in needed_inputs(specs, sinks=sinks).items():
        node = NODES[name]
        if node.default is not None:
            source = f"default ({node.source})" if node.source else "default"
            specs[name] = InputSpec(name, Fixed(node.default), source, "default")
        else:
            missing.append(f"{name} [{node.units}] (needed for {children[0]})")
    if missing:
        raise ConfigError(
            f"{file}: inputs: missing {'; '.join(missing)}; give each under [inputs] "
            f"(or an accelerator under [cluster])"
        )
    for name in fallback_defaults(specs, sinks=sinks):  # e.g. attention_flop_per_token = 0
        node = NODES[name]
        source = f"default ({node.source})" if node.source else "default"
        specs[name] = InputSpec(name, Fixed(node.default), source, "default")


def check_pins(specs: Mapping[str, InputSpec], file: str) -> None:
    """Refuse a pinned node whose rule the run computes beside it.

    A pinned node cuts what is upstream of it, but a parent may still be computed or
    given for another node (``capex_usd`` for the amortized view, ``energy_cost_usd``
    for the energy share). When every parent of a pinned node is in the run, the report
    would show the node and its parents with ``node != rule(parents)``: refused, naming
    the pinned field and the parent that the scenario gives or the run computes. A node
    whose rule only recommends a value (``Node.overridable``: an optimum) may be given.
    """
    given = dict.fromkeys(specs, 0.5)  # a value that divides cleanly: only names matter
    present = set(evaluate(given))
    for name, spec in specs.items():
        node = NODES[name]
        if node.rule is None or spec.origin != "scenario" or node.overridable:
            continue
        if not node.parents or not all(parent in present for parent in node.parents):
            continue
        parts = []
        for parent in node.parents:
            if parent in specs:
                parts.append(f"inputs.{parent} ({specs[parent].origin})")
            else:
                parts.append(f"{parent} (computed)")
        raise ConfigError(
            f"{file}: inputs.{name}: pinned, but {', '.join(parts)} are in the run too, and "
            f"the report would contradict {name} = {node.formula}; give {name} or what it is "
            "computed from, not both"
        )
