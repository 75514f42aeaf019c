"""Statistics of a run: mean, standard deviation, percentiles, exceedance risk."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr
from scipy import stats

__all__ = [
    "exceedance",
    "exceedance_from_counts",
    "percentile_key",
    "risk",
    "summarize",
]


def percentile_key(q: float) -> str:
    """``5 -> "p5"``, ``2.5 -> "p2.5"``: "p" and the percent in Python's ``g`` format."""
    return f"p{q:g}"


def summarize(ds: xr.Dataset, percentiles: Sequence[float]) -> dict[str, dict[str, Any]]:
    """Per variable: units, mean, std (ddof=1) and the asked percentiles (numpy's linear rule)."""
    out = {}
    for name, variable in ds.data_vars.items():
        values = variable.values
        if variable.attrs.get("constant"):
            value = float(values[0])
            mean, std, qs = value, 0.0, [value] * len(percentiles)
        else:
            mean = float(values.mean())
            std = float(values.std(ddof=1)) if values.size > 1 else 0.0
            qs = np.quantile(values, np.asarray(percentiles) / 100).tolist()
        out[str(name)] = {
            "units": variable.attrs.get("units", ""),
            "mean": mean,
            "std": std,
            "percentiles": {
                percentile_key(q): float(v) for q, v in zip(percentiles, qs, strict=True)
            },
        }
    return out


def exceedance(values: np.ndarray, threshold: float, *, confidence: float = 0.95) -> dict[str, Any]:
    """P(value > threshold) with its Wilson score interval (Wilson 1927, via scipy)."""
    return exceedance_from_counts(
        int(np.count_nonzero(values > threshold)),
        int(values.size),
        threshold,
        confidence=confidence,
    )


def exceedance_from_counts(
    over: int, n: int, threshold: float, *, confidence: float = 0.95
) -> dict[str, Any]:
    """:func:`exceedance` from the counts: ``over`` of ``n`` draws above ``threshold``."""
    interval = stats.binomtest(over, n).proportion_ci(confidence_level=confidence, method="wilson")
    return {
        "threshold": float(threshold),
        "probability": over / n,
        "ci95": [float(interval.low), float(interval.high)],
        "draws_over": over,
        "draws": n,
    }


def risk(
    ds: xr.Dataset, *, deadline_days: float | None, budget_usd: float | None
) -> dict[str, Any]:
    """P(train_days > deadline_days) and P(tco_usd > budget_usd), where the scenario gives them."""
    out: dict[str, Any] = {}
    if deadline_days is not None and "train_days" in ds:
        out["train_days_over_deadline"] = exceedance(ds["train_days"].values, deadline_days)
    if budget_usd is not None and "tco_usd" in ds:
        out["tco_usd_over_budget"] = exceedance(ds["tco_usd"].values, budget_usd)
    return out
