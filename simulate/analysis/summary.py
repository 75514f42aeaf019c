"""Statistics of a run, each with its uncertainty, in the report's shape.

Per variable: mean with its standard error, standard deviation, and the asked
percentiles (numpy's linear rule) with distribution-free 95% intervals from order
statistics; per risk target, the probability of missing it with its Wilson interval
(:mod:`simulate.analysis.risk`). The
estimators and their sources live in :mod:`simulate.analysis.intervals`.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import xarray as xr

from .intervals import mean_interval, percentile_key, quantile_intervals
from .parallel import default_threads
from .risk import RiskTarget, miss_probability

__all__ = ["percentile_key", "risk", "summarize"]


def summarize(ds: xr.Dataset, percentiles: Sequence[float]) -> dict[str, dict[str, Any]]:
    """Per variable: units, mean (and its standard error), std (ddof=1), percentiles (and CIs).

    Variables are summarized side by side on every CPU (numpy's sort releases the GIL);
    each one's numbers do not depend on the others', so they are the same on any count.
    """
    keys = [percentile_key(q) for q in percentiles]
    probabilities = np.asarray(percentiles) / 100

    def one(variable: xr.DataArray) -> dict[str, Any]:
        values = variable.values
        if variable.attrs.get("constant"):
            value = float(values[0])
            return {
                "mean": value,
                "mean_standard_error": 0.0,
                "std": 0.0,
                "percentiles": dict.fromkeys(keys, value),
                "percentiles_ci95": {k: [value, value] for k in keys},
            }
        mean = mean_interval(values)
        estimate, low, high = quantile_intervals(values, probabilities)
        return {
            "mean": mean["value"],
            "mean_standard_error": mean["standard_error"],
            "std": mean["std"] if values.size > 1 else 0.0,
            "percentiles": {k: float(v) for k, v in zip(keys, estimate, strict=True)},
            "percentiles_ci95": {
                k: [_finite_or_none(lo), _finite_or_none(hi)]
                for k, lo, hi in zip(keys, low, high, strict=True)
            },
        }

    variables = list(ds.data_vars.items())
    parallel = ds.sizes.get("draw", 0) >= _PARALLEL_DRAWS and len(variables) > 1
    with ThreadPoolExecutor(default_threads() if parallel else 1) as pool:
        entries = list(pool.map(one, [variable for _, variable in variables]))
    return {
        str(name): {"units": variable.attrs.get("units", ""), **entry}
        for (name, variable), entry in zip(variables, entries, strict=True)
    }


#: Below this many draws a variable's summary takes less than a thread costs to start.
_PARALLEL_DRAWS = 20_000


def _finite_or_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def risk(ds: xr.Dataset, targets: Sequence[RiskTarget]) -> dict[str, Any]:
    """P(miss) of each target whose node the run holds, by the target's key."""
    return {t.key: miss_probability(ds[t.node].values, t) for t in targets if t.node in ds}
