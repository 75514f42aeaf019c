"""Prior draws reweighted by a likelihood (importance sampling with the prior as the
proposal): normalized weights, the effective sample size, weighted percentiles and
probabilities.

With log-likelihoods ℓ_i the weights are w_i = exp(ℓ_i − max ℓ) / Σ exp(ℓ_j − max ℓ), and
the effective sample size is Kish's (1965) n_eff = 1 / Σ w_i² (Liu 1996). A weighted
percentile is the inverse of the weighted empirical CDF (the smallest draw whose
cumulative weight reaches q, as ``np.quantile(method="inverted_cdf")`` does for equal
weights); a weighted probability carries the Wilson interval of n_eff draws (Kish's
approximation: the weighted mean has the variance of an unweighted mean of n_eff draws).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .risk import proportion_interval

__all__ = ["WeightError", "importance_weights", "weighted_percentiles", "weighted_probability"]


class WeightError(ValueError):
    """The observations leave no usable weight: impossible, or one draw carries it all."""


def importance_weights(log_likelihood: np.ndarray, *, min_ess: float = 100.0) -> tuple:
    """Normalized weights and Kish's effective sample size of ``log_likelihood`` (per
    draw; −inf where a draw is impossible). :class:`WeightError` when every draw is
    impossible or the effective sample size is below ``min_ess``."""
    ll = np.asarray(log_likelihood, dtype=np.float64)
    top = float(np.max(ll)) if ll.size else -math.inf
    if not math.isfinite(top):
        raise WeightError("no draw is consistent with the observations (every likelihood is 0)")
    w = np.exp(ll - top)
    w /= w.sum()
    ess = float(1.0 / np.sum(w * w))
    if ess < min_ess:
        raise WeightError(
            f"the observations leave an effective sample of {ess:.1f} of {ll.size:,} draws "
            f"(the heaviest draw carries {w.max():.1%} of the weight), below {min_ess:g}: "
            "the update would be a few draws' guess; draw more or check the observations"
        )
    return w, ess


def weighted_percentiles(
    values: np.ndarray, weights: np.ndarray, percentiles: Sequence[float]
) -> np.ndarray:
    """Percentiles (0-100) of ``values`` under ``weights`` (summing to 1): the inverse of
    the weighted empirical CDF."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="stable")
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64)[order])
    q = np.asarray(percentiles, dtype=np.float64) / 100 * cdf[-1]
    index = np.minimum(np.searchsorted(cdf, q, side="left"), values.size - 1)
    return values[order][index]


def weighted_probability(mask: np.ndarray, weights: np.ndarray, ess: float) -> dict:
    """P(mask) under ``weights``, with the Wilson 95% interval of ``ess`` draws."""
    p = float(np.sum(np.asarray(weights)[np.asarray(mask, dtype=bool)]))
    n = max(int(round(ess)), 1)
    cell = proportion_interval(int(round(p * n)), n)
    return {"probability": p, "ci95": [cell["low"], cell["high"]], "effective_draws": ess}
