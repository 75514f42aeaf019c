"""Scores of probabilistic forecasts against what happened: interval score and PIT checks.

Generic statistics on arrays (the backtest uses them on published training runs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from .intervals import mean_interval

__all__ = ["interval_score", "pit_summary"]


def interval_score(low: Any, high: Any, observed: Any, alpha: float) -> np.ndarray:
    """The interval score of central (1 − α) intervals [l, u] against observations x.

    Gneiting & Raftery (2007), JASA 102(477), eq. 43:
    S = (u − l) + (2/α)(l − x)·1{x < l} + (2/α)(x − u)·1{x > u}; lower is better. Width
    counts (sharpness) as well as misses (coverage), each miss by its distance.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha: must be in (0, 1); got {alpha!r}")
    low, high, x = (np.asarray(v, dtype=float) for v in (low, high, observed))
    return (
        (high - low) + (2 / alpha) * (low - x) * (x < low) + (2 / alpha) * (x - high) * (x > high)
    )


def pit_summary(pit: Sequence[float], *, bins: int = 10) -> dict[str, Any]:
    """Probability integral transform values (each observation's predictive CDF, in [0, 1]):
    the rank histogram (``bins`` equal bins), the mean with its normal 95% interval (0.5
    under calibration; above 0.5 means observations sit high in their predictions, i.e.
    under-prediction), and the one-sample Kolmogorov–Smirnov test against U(0, 1)
    (scipy.stats.kstest)."""
    u = np.asarray(pit, dtype=float)
    if u.size == 0:
        return {"n": 0, "histogram": [0] * bins, "mean": None, "ks": None}
    counts, _ = np.histogram(u, bins=bins, range=(0.0, 1.0))
    ks = stats.kstest(u, "uniform")
    return {
        "n": int(u.size),
        "histogram": [int(c) for c in counts],
        "mean": mean_interval(u) if u.size > 1 else {"value": float(u[0])},
        "ks": {"statistic": float(ks.statistic), "p_value": float(ks.pvalue)},
    }
