"""Every statistic with its uncertainty: percentiles, exceedance, mean.

* Percentiles: the point estimate is numpy's default (``method="linear"``); the
  interval is the distribution-free order-statistic interval [X_(r), X_(s)] with
  r = F⁻¹(α/2) and s − 1 = F⁻¹(1 − α/2), F the Binomial(n, p) cdf, which covers
  the true p-quantile of any continuous distribution with probability
  F(s − 1) − F(r − 1) ≥ 1 − α (David & Nagaraja, *Order Statistics*, 3rd ed. 2003,
  §7.1). It equals ``scipy.stats.quantile_test(...).confidence_interval()``
  (two-sided), computed for many percentiles and variables at once from one sort;
  where n·min(p, 1 − p) is so small that it misses the point estimate, it is
  widened to hold it (coverage can only rise).
* Exceedance probabilities (:mod:`simulate.analysis.risk`): Wilson (1927) score interval, through
  ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``.
* Mean: sample mean, standard error s/√n, normal interval.
* Randomized QMC (``lhs`` and ``sobol`` designs, whose draws are not independent): the
  design is R independent randomizations (:data:`distributions.sampling.QMC_REPLICATES`);
  each statistic is estimated from all draws and its interval is the estimate
  ± t_{R−1} · s_R/√R, s_R the standard deviation of the R replicates' own estimates
  (:func:`replicate_interval`; Owen 2013, *Monte Carlo theory, methods and examples*,
  §17.2; L'Ecuyer 2018, MCQMC 2016 proceedings; for quantiles, whose pooled estimate
  is asymptotically the replicates' average by the Bahadur representation: Kaplan, Li,
  Nakayama & Tuffin 2019, "Randomized quasi-Monte Carlo for quantile estimation", WSC).

The summary of a run (percentiles, means) is :func:`simulate.analysis.summary.summarize`;
runs to a precision are :func:`simulate.analysis.convergence.run_until`; risk drivers
are :mod:`simulate.analysis.risk_drivers`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

from distributions import Distribution, uniforms

from .risk import proportion_interval

__all__ = [
    "Model",
    "evaluate_model",
    "make_draw",
    "mean_interval",
    "interval_bounds",
    "order_statistic_indices",
    "percentile_key",
    "proportion_interval",
    "quantile_intervals",
    "replicate_interval",
    "replicate_statistics",
    "uncertain_names",
]

#: A vectorized model: named input arrays (or scalars for fixed inputs) -> named output arrays.
Model = Callable[[Mapping[str, Any]], Mapping[str, Any]]


def _num(x: Any) -> float | None:
    """A JSON-safe float: ``None`` for ±inf and NaN."""
    value = float(x)
    return value if math.isfinite(value) else None


@functools.lru_cache(maxsize=16)
def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1); got {confidence!r}")
    return float(stats.norm.ppf(0.5 + confidence / 2))


def percentile_key(percent: float) -> str:
    """``p5``, ``p50``, ``p2.5``: "p" and the percent in Python's ``g`` format (DESIGN.md)."""
    return f"p{percent:g}"


def uncertain_names(specs: Mapping[str, Distribution]) -> list[str]:
    """Names of the specs that are not fixed, in the specs' order."""
    return [name for name, spec in specs.items() if not spec.is_fixed]


def evaluate_model(
    model: Model,
    specs: Mapping[str, Distribution],
    inputs: Mapping[str, Any],
    *,
    outputs: Sequence[str],
) -> dict[str, np.ndarray]:
    """Run ``model`` on the uncertain ``inputs`` plus the fixed specs' values.

    Returns float arrays broadcast to the draws' length, one per name in ``outputs``
    (an output may also be an input, which is passed through).
    """
    given = _with_fixed(specs, inputs)
    n = max((np.size(v) for v in inputs.values()), default=1)
    result = dict(model(given))
    missing = [name for name in outputs if name not in result and name not in given]
    if missing:
        raise ValueError(f"the model does not compute {', '.join(missing)}")
    return {
        name: np.broadcast_to(np.asarray(result.get(name, given.get(name)), dtype=float), (n,))
        for name in outputs
    }


def quantile_intervals(
    values: np.ndarray,
    probabilities: Sequence[float] | np.ndarray,
    *,
    confidence: float = 0.95,
    partition: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Percentile estimates and order-statistic intervals along the last axis.

    ``probabilities`` are in [0, 1]. Returns ``(estimate, low, high)``, each of shape
    ``values.shape[:-1] + (len(probabilities),)``; a bound beyond the sample's range
    (too few draws for the confidence) is ±inf. One sort along the last axis for everything,
    or with ``partition`` one ``np.partition`` at just the order statistics needed (the same
    numbers; faster for a few percentiles of a few rows: sweeps, goal seek).
    """
    _z(confidence)
    values = np.asarray(values, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    n = values.shape[-1]
    if n == 0 or np.any((p < 0) | (p > 1)):
        raise ValueError(f"need draws and probabilities in [0, 1]; got n={n}, p={p.tolist()}")
    below, above, weight, low_index, high_index = order_statistic_indices(
        n, p, confidence=confidence
    )
    needed = np.stack([below, above, low_index.clip(0, n - 1), high_index.clip(0, n - 1)])
    # Row by row (one row's copy at a time keeps the memory small): np.partition at the dozen
    # order statistics needed, about half a full sort's time at 1e6 draws on numpy 2.4
    # (benchmarks/bench_percentile_intervals.py); the sorted values at those places are
    # the same numbers either way.
    rows = values.reshape(-1, n)
    if partition:
        kth = np.unique(needed)
        picked = np.stack([np.partition(row, kth)[needed] for row in rows])
    else:
        picked = np.stack([np.sort(row)[needed] for row in rows])
    a, b, low, high = np.moveaxis(picked.reshape(values.shape[:-1] + needed.shape), -2, 0)
    # numpy's own lerp (numpy.lib._function_base_impl._lerp), so estimates equal np.quantile's
    estimate = np.where(weight >= 0.5, b - (b - a) * (1 - weight), a + (b - a) * weight)
    return estimate, *interval_bounds(estimate, low, high, low_index, high_index, n)


def order_statistic_indices(
    n: int, p: np.ndarray, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """0-based order-statistic indices for percentiles ``p`` of ``n`` draws.

    Returns (below, above, weight) of numpy's "linear" estimate (Hyndman & Fan 1996,
    type 7) and (low, high) of the distribution-free interval [X_(r), X_(s)]:
    r − 1 = F⁻¹(α/2) − 1 and s − 1 = F⁻¹(1 − α/2), F the Binomial(n, p) cdf; an index
    outside [0, n − 1] means that bound lies beyond the sample. Read-only arrays, cached:
    a run asks the same question for every node.
    """
    p = np.asarray(p, dtype=float)
    return _order_statistic_indices(int(n), tuple(p.ravel().tolist()), p.shape, float(confidence))


@functools.lru_cache(maxsize=64)
def _order_statistic_indices(
    n: int, p_values: tuple[float, ...], shape: tuple[int, ...], confidence: float
) -> tuple[np.ndarray, ...]:
    p = np.array(p_values, dtype=float).reshape(shape)
    position = (n - 1) * p
    below = np.floor(position).astype(np.intp)
    above = np.minimum(below + 1, n - 1)
    alpha = 1 - confidence
    low_index = stats.binom.ppf(alpha / 2, n, p).astype(np.intp) - 1
    high_index = stats.binom.ppf(1 - alpha / 2, n, p).astype(np.intp)
    result = (below, above, position - below, low_index, high_index)
    for array in result:
        array.setflags(write=False)
    return result


def interval_bounds(
    estimate: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    low_index: np.ndarray,
    high_index: np.ndarray,
    n: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The interval from its order statistics: ±inf where an index lies beyond the sample.

    When n·min(p, 1 − p) is tiny, e.g. n = 2, p = 0.01, the exact interval can miss the
    interpolated estimate; widening it to hold the estimate can only raise the coverage.
    """
    low = np.where(low_index >= 0, low, -np.inf)
    high = np.where(high_index <= n - 1, high, np.inf)
    return np.minimum(low, estimate), np.maximum(high, estimate)


def mean_interval(values: np.ndarray, *, confidence: float = 0.95) -> dict[str, float | None]:
    """Sample mean, standard deviation (ddof=1), the mean's standard error s/√n, and the
    normal interval."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    std = float(values.std(ddof=1)) if values.size > 1 else math.nan
    se = std / math.sqrt(values.size) if values.size > 1 else math.inf
    half = _z(confidence) * se
    return {
        "value": _num(mean),
        "std": _num(std),
        "standard_error": _num(se),
        "low": _num(mean - half),
        "high": _num(mean + half),
    }


def replicate_interval(
    estimate: Any, replicates: np.ndarray, *, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(standard_error, low, high)`` of ``estimate`` from its R independent replicate
    estimates (``replicates``, replicate along axis 0): s_R/√R and estimate ± t_{R−1}·s_R/√R
    (the randomized-QMC interval, module docstring). Needs R >= 2."""
    _z(confidence)
    replicates = np.asarray(replicates, dtype=float)
    r = replicates.shape[0]
    if r < 2:
        raise ValueError(f"replicate_interval needs 2 replicates or more; got {r}")
    with np.errstate(invalid="ignore"):
        se = replicates.std(axis=0, ddof=1) / math.sqrt(r)
    half = float(stats.t.ppf(0.5 + confidence / 2, r - 1)) * se
    estimate = np.asarray(estimate, dtype=float)
    return se, estimate - half, estimate + half


def replicate_statistics(
    values: np.ndarray, replicate: np.ndarray, probabilities: np.ndarray, *, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each replicate's mean (shape ``(count,)``) and numpy-linear percentiles (shape
    ``(count, len(probabilities))``) of ``values``, draw ``i`` in replicate ``replicate[i]``."""
    means = np.empty(count)
    percentiles = np.empty((count, np.size(probabilities)))
    for r in range(count):
        part = values[replicate == r]
        means[r] = part.mean()
        percentiles[r] = np.quantile(part, probabilities)
    return means, percentiles


def make_draw(
    model: Model, specs: Mapping[str, Distribution], *, seed: int = 0
) -> Callable[[int, int], dict[str, np.ndarray]]:
    """A ``draw(start, n)`` callable: draws ``start`` .. ``start + n - 1`` of the inputs and
    the model's outputs, from the index-addressable ``random`` streams of
    :func:`distributions.uniforms`, so any batch is regenerated exactly."""
    names = uncertain_names(specs)

    def draw(start: int, n: int) -> dict[str, np.ndarray]:
        u = uniforms(names, n, method="random", seed=seed, start=start)
        inputs = {name: np.asarray(specs[name].ppf(u[name]), dtype=float) for name in names}
        outputs = {name: np.asarray(v) for name, v in model(_with_fixed(specs, inputs)).items()}
        return inputs | {k: np.broadcast_to(v, (n,)).astype(float) for k, v in outputs.items()}

    return draw


def _with_fixed(specs: Mapping[str, Distribution], inputs: Mapping[str, Any]) -> dict[str, Any]:
    given = {name: float(spec.ppf(0.5)) for name, spec in specs.items() if spec.is_fixed}
    return given | dict(inputs)
