"""Shapley effects: variance attribution that stays right when the inputs are correlated.

Sobol' indices split Var(Y) into parts only when the inputs are independent. Shapley
effects (Owen 2014, *SIAM/ASA J. Uncertain. Quantif.* 2:245) give each input its
average, over every order in which inputs can be revealed, of the variance that
revealing it explains; they are non-negative and sum to Var(Y) with any dependence.
With the value function c(J) = E[Var(Y | X_{-J})] (c(∅) = 0, c(all) = Var(Y); Song,
Nelson & Staum 2016, *SIAM/ASA J. Uncertain. Quantif.* 4:1060, Theorem 1)

    Sh_i = Σ_{J ⊆ -i} |J|! (d - |J| - 1)! / d! · (c(J ∪ {i}) - c(J)).

Estimation (Song et al. 2016, Algorithm 1 with the exact-permutation variant of §4):
Var(Y) from ``n_variance`` joint draws; each c(J) from ``n_outer`` draws of X_{-J}, for
each ``n_inner`` draws of X_J given X_{-J}, and the mean of the inner sample variances
(ddof 1, so unbiased for any ``n_inner`` >= 2). Up to ``exact_max_inputs`` (10) inputs
every subset J is estimated (the exact form, all d! orders); beyond, ``n_permutations``
random orders and the subsets along them.

Dependence is the Gaussian copula of :mod:`distributions.dependence`: the normal scores
z = Φ⁻¹(u) are N(0, R) with R = L·Lᵀ (L the copula's factor, so R is what the run
actually draws from), and z_J | z_{-J} is normal with mean R_{J,-J} R_{-J,-J}⁺ z_{-J} and
covariance R_JJ − R_{J,-J} R_{-J,-J}⁺ R_{-J,J} (Anderson, *An Introduction to
Multivariate Statistical Analysis*, 2003, Theorem 2.5.1); each input is its ppf of Φ(z).

Intervals: percentile bootstrap over the outer draws (and, independently, over the
variance draws); it does not include the randomness of sampled orders.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

from distributions import Correlations, Distribution, as_specs

from .copula import conditional_normal, copula_matrix
from .intervals import Model, _num, _z, evaluate_model, uncertain_names

__all__ = ["shapley_effects"]

_U_LOW, _U_HIGH = 2.0**-54, 1 - 2.0**-53  # keep unbounded ppfs finite
_BATCH_ROWS = 2**19


def _subsets(d: int, rng: np.random.Generator, n_permutations: int | None, exact: bool):
    """Masks of the subsets to estimate, and the (d, masks) weights giving Sh = W·c."""
    if exact:
        masks = np.arange(2**d)
        weights = np.zeros((d, masks.size))
        for mask in range(2**d):
            size = mask.bit_count()
            if size == d:
                continue
            w = math.factorial(size) * math.factorial(d - size - 1) / math.factorial(d)
            for i in range(d):
                if not mask >> i & 1:
                    weights[i, mask | 1 << i] += w
                    weights[i, mask] -= w
        return masks, weights
    orders = [rng.permutation(d) for _ in range(n_permutations or 1)]
    prefixes = {0}
    steps = []
    for order in orders:
        mask = 0
        for i in order:
            steps.append((int(i), mask, mask | 1 << int(i)))
            mask |= 1 << int(i)
            prefixes.add(mask)
    masks = np.array(sorted(prefixes))
    column = {int(m): k for k, m in enumerate(masks)}
    weights = np.zeros((d, masks.size))
    for i, before, after in steps:
        weights[i, column[after]] += 1 / len(orders)
        weights[i, column[before]] -= 1 / len(orders)
    return masks, weights


def _bootstrap_weights(n: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(resamples, n) counts of each draw in a with-replacement resample, divided by n."""
    picks = rng.integers(0, n, size=(resamples, n)) + n * np.arange(resamples)[:, None]
    return np.bincount(picks.ravel(), minlength=resamples * n).reshape(resamples, n) / n


def shapley_effects(
    model: Model,
    specs: Mapping[str, Distribution],
    *,
    outputs: Sequence[str],
    correlations: Correlations | None = None,
    n_variance: int = 2**14,
    n_outer: int = 2**11,
    n_inner: int = 3,
    n_permutations: int = 64,
    exact_max_inputs: int = 10,
    seed: int = 0,
    confidence: float = 0.95,
    n_resamples: int = 500,
) -> dict[str, Any]:
    """Shapley effects of every uncertain input on each output, with bootstrap intervals.

    ``model`` maps named arrays to named arrays (fixed specs are passed as constants);
    ``correlations`` is the inputs' Gaussian copula (None: independent). Costs
    ``n_variance`` + (subsets)·``n_outer``·``n_inner`` model evaluations, subsets being
    2^d − 2 (exact, d <= ``exact_max_inputs``) or about ``n_permutations``·(d − 1).
    Each row gives ``shapley`` (share of Var(Y); shares sum to 1) and
    ``shapley_variance`` (in squared output units; sums to Var(Y)); rows sorted by share.
    """
    specs = as_specs(specs, caller="shapley_effects")
    _z(confidence)
    names = uncertain_names(specs)
    d = len(names)
    if d == 0:
        raise ValueError("Shapley effects need an uncertain input; every input is fixed")
    for label, value, low in (
        ("n_variance", n_variance, 2),
        ("n_outer", n_outer, 2),
        ("n_inner", n_inner, 2),
        ("n_permutations", n_permutations, 1),
        ("n_resamples", n_resamples, 2),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"Shapley effects need {label} a whole number >= {low}; got {value!r}")
    rng = np.random.default_rng(seed)
    matrix = copula_matrix(names, correlations)
    joint = conditional_normal(matrix, range(d), [])[1]
    exact = d <= exact_max_inputs
    masks, weights = _subsets(d, rng, n_permutations, exact)
    full = 2**d - 1
    inner_masks = [int(m) for m in masks if 0 < m < full]

    def values(z: np.ndarray) -> np.ndarray:
        u = np.clip(stats.norm.cdf(z), _U_LOW, _U_HIGH)
        inputs = {
            name: np.asarray(specs[name].ppf(u[:, j]), dtype=float) for j, name in enumerate(names)
        }
        y = evaluate_model(model, specs, inputs, outputs=outputs)
        return np.stack([y[name] for name in outputs])  # (s, rows)

    y_joint = values(rng.standard_normal((n_variance, d)) @ joint.T)
    # c(J) for every inner subset J: (s, n_outer, subsets) inner variances
    inner_var = np.empty((len(outputs), n_outer, len(inner_masks)))
    pending: list[tuple[int, np.ndarray]] = []

    def flush() -> None:
        if not pending:
            return
        y = values(np.concatenate([rows for _, rows in pending]))
        offset = 0
        for column, rows in pending:
            block = y[:, offset : offset + rows.shape[0]].reshape(len(outputs), n_outer, n_inner)
            inner_var[:, :, column] = block.var(axis=2, ddof=1)
            offset += rows.shape[0]
        pending.clear()

    for column, mask in enumerate(inner_masks):
        free = [i for i in range(d) if mask >> i & 1]
        given = [i for i in range(d) if not mask >> i & 1]
        slope, root = conditional_normal(matrix, free, given)
        outer = rng.standard_normal((n_outer, d)) @ joint.T
        z = np.repeat(outer, n_inner, axis=0)
        z[:, free] = (
            z[:, given] @ slope.T + rng.standard_normal((n_outer * n_inner, len(free))) @ root.T
        )
        pending.append((column, z))
        if sum(rows.shape[0] for _, rows in pending) >= _BATCH_ROWS:
            flush()
    flush()

    def costs(variance: np.ndarray, inner: np.ndarray) -> np.ndarray:
        """c over ``masks``: (..., s, masks) from Var(Y) (..., s) and c(J) (..., s, inner)."""
        c = np.zeros((*variance.shape, masks.size))
        c[..., masks == full] = variance[..., None]
        c[..., (masks > 0) & (masks < full)] = inner
        return c

    variance = y_joint.var(axis=1, ddof=1)
    point = costs(variance, inner_var.mean(axis=1)) @ weights.T  # (s, d)
    w_var = _bootstrap_weights(n_variance, n_resamples, rng)
    w_outer = _bootstrap_weights(n_outer, n_resamples, rng)
    mean = w_var @ y_joint.T  # (B, s)
    boot_variance = (w_var @ (y_joint**2).T - mean**2) * n_variance / (n_variance - 1)
    boot_inner = np.einsum("bk,skj->bsj", w_outer, inner_var)
    boot = costs(boot_variance, boot_inner) @ weights.T  # (B, s, d)
    tail = (1 - confidence) / 2 * 100

    def cell(estimate: np.ndarray, replicates: np.ndarray) -> dict[str, np.ndarray]:
        low, high = np.percentile(replicates, [tail, 100 - tail], axis=0)
        return {
            "value": estimate,
            "standard_error": replicates.std(axis=0, ddof=1),
            "low": low,
            "high": high,
        }

    with np.errstate(divide="ignore", invalid="ignore"):
        share = cell(point / variance[:, None], boot / boot_variance[..., None])
    absolute = cell(point, boot)
    spread = cell(variance, boot_variance)
    n_evaluations = n_variance + len(inner_masks) * n_outer * n_inner
    result: dict[str, Any] = {
        "method": "shapley",
        "algorithm": (
            f"exact: all {d}! orders ({len(inner_masks)} subsets)"
            if exact
            else f"random permutations: {n_permutations} orders ({len(inner_masks)} subsets)"
        ),
        "estimator": "Song, Nelson & Staum 2016, c(J) = E[Var(Y | X_-J)]; Owen 2014",
        "dependence": (
            "Gaussian copula of [correlations], sampled conditionally"
            if correlations is not None and correlations.names
            else "independent inputs"
        ),
        "n_variance": n_variance,
        "n_outer": n_outer,
        "n_inner": n_inner,
        "n_evaluations": n_evaluations,
        "confidence": confidence,
        "interval": f"percentile bootstrap over the outer draws, {n_resamples} resamples",
        "note": (
            "Shapley effects share each output's variance among the inputs with their "
            "correlations taken into account (each input's average contribution over all "
            "orders of revealing the inputs); the shares sum to 1."
        ),
        "outputs": {},
    }
    for o, out in enumerate(outputs):
        rows = [
            {
                "input": name,
                "shapley": {key: _num(array[o, i]) for key, array in share.items()},
                "shapley_variance": {key: _num(array[o, i]) for key, array in absolute.items()},
            }
            for i, name in enumerate(names)
        ]
        rows.sort(key=lambda row: -(row["shapley"]["value"] or 0.0))
        result["outputs"][out] = {
            "variance": {key: _num(array[o]) for key, array in spread.items()},
            "inputs": rows,
        }
    return result
