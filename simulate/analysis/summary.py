"""Statistics of a run, each with its uncertainty: one implementation, one schema.

:func:`summarize` gives an ``xarray.Dataset`` with dims ``variable`` and ``quantile``
(the percentiles in percent): ``mean``, ``mean_standard_error`` (s/√n), ``std``
(ddof=1), and ``percentile`` (numpy's linear rule) with its distribution-free interval
``percentile_low``/``percentile_high`` from order statistics; coordinate ``units`` per
variable; attrs ``n_draws``, ``confidence`` and how the intervals were made:
``interval`` (``"iid"``, or ``"replicates"`` for a randomized-QMC run's R independent
randomizations), ``replicates`` (R, 0 for iid) and ``critical_value`` (z, or t_{R−1}: the
mean's interval is mean ± critical_value · mean_standard_error). ``.to_dataframe()``
gives one row per variable and percentile. A bound beyond the sample (too few draws) is
±inf; JSON gets ``null`` at the report boundary (:mod:`simulate.report.summary`).

The chunked run finds the same order statistics and sums in two passes and builds the
same Dataset through :func:`summary_dataset`. Per risk target, the probability of
missing it with its Wilson interval: :func:`risk` (:mod:`simulate.analysis.risk`). The
estimators and their sources live in :mod:`simulate.analysis.intervals`.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import xarray as xr
from scipy import stats

from distributions.sampling import replicate_of

from .intervals import (
    _z,
    mean_interval,
    percentile_key,
    quantile_intervals,
    replicate_interval,
    replicate_statistics,
)
from .parallel import default_threads
from .risk import RiskTarget, miss_probability

__all__ = ["percentile_key", "risk", "summarize", "summary_dataset"]


def summarize(
    draws: xr.Dataset | Mapping[str, Any],
    percentiles: Sequence[float] = (5, 50, 95),
    *,
    variables: Sequence[str] | None = None,
    confidence: float = 0.95,
    replicates: int | None = None,
) -> xr.Dataset:
    """The summary Dataset (module docstring) of ``draws``: a run's Dataset along ``draw``
    or a mapping of names to arrays; ``variables`` picks some (default: all);
    ``percentiles`` are in percent.

    ``replicates`` (default: the Dataset's attr ``replicates``, which a ``lhs`` or
    ``sobol`` run sets): the draws are that many interleaved independent randomizations
    of a QMC design (draw i in replicate i mod R, :mod:`distributions.sampling`), and
    every interval is the replicate t interval
    (:func:`simulate.analysis.intervals.replicate_interval`); with fewer than 2 draws a
    replicate, the iid intervals, which overstate a QMC run's error for the mean.

    A variable whose attrs say ``constant`` is summarized from its first draw. Variables
    are summarized side by side on every CPU (numpy's partition, at just the order
    statistics needed, releases the GIL); each one's
    numbers do not depend on the others', so they are the same on any count.
    """
    names = list(draws) if variables is None else list(variables)
    missing = [name for name in names if name not in draws]
    if missing:
        raise ValueError(f"summarize: the draws hold no {', '.join(map(str, missing))}")
    probabilities = np.asarray(percentiles, dtype=float) / 100
    k = probabilities.size
    if replicates is None:
        replicates = int(getattr(draws, "attrs", {}).get("replicates", 0))
    n = max((int(np.size(draws[name])) for name in names), default=0)
    by_replicate = replicates >= 2 and n >= 2 * replicates
    replicate = replicate_of(n, replicates) if by_replicate else None

    def one(name: str) -> tuple[Any, ...]:
        variable = draws[name]
        attrs = getattr(variable, "attrs", {})
        values = np.asarray(variable, dtype=float).ravel()
        if attrs.get("constant"):
            value = float(values[0])
            full = np.full(k, value)
            return value, 0.0, full, full, full, True, 0.0
        mean = mean_interval(values, confidence=confidence)
        estimate, low, high = quantile_intervals(
            values, probabilities, confidence=confidence, partition=True
        )
        std = mean["std"] if values.size > 1 else 0.0
        se = math.nan
        if replicate is not None:
            means, quantiles = replicate_statistics(
                values, replicate, probabilities, count=replicates
            )
            se = float(replicate_interval(0.0, means, confidence=confidence)[0])
            _, low, high = replicate_interval(estimate, quantiles, confidence=confidence)
        return (_nan_if_none(mean["value"]), _nan_if_none(std), estimate, low, high, False, se)

    parallel = n >= _PARALLEL_DRAWS and len(names) > 1
    with ThreadPoolExecutor(default_threads() if parallel else 1) as pool:
        rows = list(pool.map(one, names))
    mean, std, estimate, low, high, constant, se = (
        (list(column) for column in zip(*rows, strict=True)) if rows else [[]] * 7
    )
    return summary_dataset(
        names,
        units=[getattr(draws[name], "attrs", {}).get("units", "") for name in names],
        percentiles=percentiles,
        n_draws=n,
        mean=mean,
        std=std,
        percentile=estimate,
        percentile_low=low,
        percentile_high=high,
        constant=[name for name, c in zip(names, constant, strict=True) if c],
        confidence=confidence,
        replicates=replicates if by_replicate else 0,
        mean_standard_error=se if by_replicate else None,
    )


def summary_dataset(
    names: Sequence[str],
    *,
    units: Sequence[str],
    percentiles: Sequence[float],
    n_draws: int,
    mean: Sequence[float],
    std: Sequence[float],
    percentile: Any,
    percentile_low: Any,
    percentile_high: Any,
    constant: Collection[str] = (),
    confidence: float = 0.95,
    replicates: int = 0,
    mean_standard_error: Sequence[float] | None = None,
) -> xr.Dataset:
    """The summary Dataset from its numbers, one row per name (``percentile*``: one row of
    ``len(percentiles)`` per name). The mean's standard error is ``std / √n_draws``: 0 for
    a ``constant`` variable, +inf for another with one draw (unknown); with
    ``replicates`` (R >= 2) it is ``mean_standard_error`` (the replicates', NaN for a
    constant variable, then 0) and the intervals are t_{R−1} ones."""
    std_ = np.asarray(std, dtype=float).reshape(len(names))
    is_constant = np.isin(np.asarray(names, dtype=object), list(constant))
    if replicates >= 2 and mean_standard_error is not None:
        standard_error = np.where(
            is_constant, 0.0, np.asarray(mean_standard_error, dtype=float).reshape(len(names))
        )
        critical = float(stats.t.ppf(0.5 + confidence / 2, replicates - 1))
    elif n_draws > 1:
        standard_error = std_ / math.sqrt(n_draws)
    else:
        standard_error = np.where(is_constant, 0.0, math.inf)
    if not (replicates >= 2 and mean_standard_error is not None):
        replicates, critical = 0, _z(confidence)
    shape = (len(names), len(percentiles))
    pair = ("variable", "quantile")
    return xr.Dataset(
        {
            "mean": ("variable", np.asarray(mean, dtype=float).reshape(len(names))),
            "mean_standard_error": ("variable", standard_error),
            "std": ("variable", std_),
            "percentile": (pair, np.asarray(percentile, dtype=float).reshape(shape)),
            "percentile_low": (pair, np.asarray(percentile_low, dtype=float).reshape(shape)),
            "percentile_high": (pair, np.asarray(percentile_high, dtype=float).reshape(shape)),
        },
        coords={
            "variable": np.asarray(list(names), dtype=object),
            "quantile": ("quantile", np.asarray(percentiles, dtype=float), {"units": "percent"}),
            "units": ("variable", np.asarray(list(units), dtype=object)),
        },
        attrs={
            "n_draws": int(n_draws),
            "confidence": float(confidence),
            "interval": "replicates" if replicates else "iid",
            "replicates": int(replicates),
            "critical_value": critical,
        },
    )


#: Below this many draws a variable's summary takes less than a thread costs to start.
_PARALLEL_DRAWS = 20_000


def _nan_if_none(x: float | None) -> float:
    return math.nan if x is None else float(x)


def risk(ds: xr.Dataset | Mapping[str, Any], targets: Sequence[RiskTarget]) -> dict[str, Any]:
    """P(miss) of each target whose node the run holds, by the target's key."""
    return {t.key: miss_probability(np.asarray(ds[t.node]), t) for t in targets if t.node in ds}
