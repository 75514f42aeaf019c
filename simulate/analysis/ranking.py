"""Spearman's rho from mergeable sums, inputs ranked by their mid-CDF.

One estimator for every path (issue 16 §1): the Pearson correlation of an input's
POPULATION mid-CDF rank ``p = (F(x⁻) + F(x)) / 2`` (:func:`input_ranks`: its uniform where
it is continuous, :func:`distributions.mid_cdf` where it has atoms; never a sort) and the
output's SAMPLE mid-ECDF ``(F̂(y⁻) + F̂(y)) / 2`` = ``(rankdata(y) − 1/2) / n``. It
estimates the population Spearman rho_S = corr(F(X), G(Y)), as ``scipy.stats.spearmanr``
does (Spearman 1904); per sample the two differ by O(1/sqrt(n)), within the Monte Carlo
error. A tied block (an atom) shares its average rank on both sides.

* In memory (:func:`rank_correlation`, :func:`sample_ranks`) each output is sorted once
  (one sort, :func:`sort_order`, ties averaged); the inputs are not sorted.
* In chunks (:mod:`simulate.engine.chunked`) the inputs' ranks are the same exact ``p``;
  an output's rank is read from its pass-1 histogram: ``below/n`` plus the bin's share
  ``count/n`` times the value's place in its bin. Each output rank is then within its
  bin's share of the exact mid-ECDF, and :func:`angle_bound` turns that into a bound on
  rho.

Sums are kept centred at 1/2 (``a = r − 1/2``, ``b = G − 1/2``), so they are small and
mergeable across chunks.

The team's sensitivity API lives in ``simulate/analysis/sensitivity.py`` (the same
estimator, with intervals and PRCC); this module is the fast path used by the chunked
engine and :func:`simulate.workflows.sections.rank_run`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

__all__ = [
    "angle_bound",
    "correlation",
    "input_ranks",
    "order_keys",
    "order_values",
    "rank_correlation",
    "rank_sums",
    "ranked",
    "sample_ranks",
    "sort_order",
]


def sample_ranks(x: np.ndarray) -> np.ndarray:
    """Mid-ECDF of each draw, ``(F̂(x⁻) + F̂(x)) / 2`` = ``(rankdata(x) − 1/2) / n``:
    one sort (:func:`sort_order`); a tied block gets its average rank."""
    x = np.asarray(x, dtype=float).ravel()
    n = x.size
    order = sort_order(x)
    ordered = x[order]
    ranks = np.empty(n)
    new = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    if new.size == n - 1:  # no ties: ordinal ranks
        ranks[order] = (np.arange(n) + 0.5) / n
        return ranks
    starts = np.concatenate(([0], new))
    counts = np.diff(np.concatenate((starts, [n])))
    ranks[order] = np.repeat((starts + 0.5 * counts) / n, counts)
    return ranks


_FLIP = np.int64(0x7FFF_FFFF_FFFF_FFFF)


def order_keys(x: np.ndarray, signed: bool = True) -> np.ndarray:
    """Order-preserving map of doubles to int64 (negatives: flip all but the sign bit, so
    -0.0 comes just before 0.0, which it equals). Without a negative value (nor -0.0)
    the keys are the bits themselves: a view, no copy (``signed=False`` asserts there is
    none)."""
    bits = np.ascontiguousarray(x, dtype=float).view(np.int64)
    if not signed or bits.size == 0 or bits.min() >= 0:
        return bits
    return np.where(bits < 0, bits ^ _FLIP, bits)


def order_values(keys: np.ndarray) -> np.ndarray:
    """The doubles whose :func:`order_keys` are ``keys``."""
    keys = np.asarray(keys, dtype=np.int64)
    return np.where(keys < 0, keys ^ _FLIP, keys).view(float)


#: Below this many draws :func:`sort_order` is ``np.argsort`` (as fast there).
_PACKED_SORT_DRAWS = 1 << 16


def sort_order(x: np.ndarray) -> np.ndarray:
    """A permutation that sorts ``x`` (equal values in any order), as ``np.argsort(x)``,
    about 1.5 times faster at 1e6 to 1e7 draws.

    One ``np.sort`` of 64-bit words (numpy sorts plain integers faster than it argsorts),
    each holding a draw's :func:`order_keys` in its high bits and the draw's index in the
    low ``b = bit_length(n − 1)`` bits. Words that share their high bits hold draws
    within 2⁻⁽⁵²⁻ᵇ⁾ of each other: each such run whose draws differ is then put in order
    by the whole key. With NaN, or few draws: ``np.argsort``.
    """
    x = np.asarray(x, dtype=float).ravel()
    n = x.size
    if n < _PACKED_SORT_DRAWS or np.isnan(x).any():
        return np.argsort(x)
    keys = order_keys(x)
    shift = int(n - 1).bit_length()
    words = keys >> shift
    words <<= shift
    words |= np.arange(n, dtype=np.int64)
    words.sort()
    order = (words & ((1 << shift) - 1)).astype(np.intp)
    words >>= shift  # the high bits
    same = words[1:] == words[:-1]
    if not same.any():
        return order
    tied = np.zeros(n, dtype=bool)  # in a run of two or more equal high bits
    tied[:-1] = same
    tied[1:] |= same
    where = np.flatnonzero(tied)
    first = np.ones(where.size, dtype=bool)  # the first place of each run
    first[1:] = ~same[where[1:] - 1]
    starts = np.flatnonzero(first)
    full = keys[order[where]]
    mixed = np.minimum.reduceat(full, starts) != np.maximum.reduceat(full, starts)
    if not mixed.any():  # every run is one value repeated: already in order
        return order
    run = np.cumsum(first) - 1
    pick = mixed[run]
    where, full, run = where[pick], full[pick], run[pick]
    order[where] = order[where][np.lexsort((full, run))]
    return order


def input_ranks(
    dists: Mapping[str, Any],
    values: Mapping[str, np.ndarray],
    uniforms: Mapping[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Each named input's mid-CDF rank ``p = (F(x⁻) + F(x)) / 2`` (issue 12 §2, issue 16
    §1): the uniform it was drawn from where the input is continuous (``F(F⁻¹(u)) = u``,
    no cdf call, no sort), else :func:`distributions.mid_cdf` of its values (exact for
    atoms: a tied block gets its atom's mid-CDF). ``dists``: name -> distribution."""
    from distributions import mid_cdf  # noqa: PLC0415 (scipy-heavy)

    uniforms = uniforms or {}
    out = {}
    for name, dist in dists.items():
        continuous = np.asarray(dist.atoms()).size == 0
        out[name] = (
            uniforms[name] if continuous and name in uniforms else mid_cdf(dist, values[name])
        )
    return out


def rank_sums(u: Mapping[str, np.ndarray], g: np.ndarray) -> dict[str, Any]:
    """Partial sums for :func:`correlation`: the output's ranks ``g`` and each input's
    ranks ``u[name]`` (all scaled to (0, 1)), centred at 1/2.

    Every sum is a plain ``np.sum`` (pairwise, deterministic), never BLAS, whose
    order of summation may change with its thread count.
    """
    b = g - 0.5
    out: dict[str, Any] = {"b": float(np.sum(b)), "bb": float(np.sum(b * b)), "inputs": {}}
    for name, column in u.items():
        a = column - 0.5
        out["inputs"][name] = (float(np.sum(a)), float(np.sum(a * a)), float(np.sum(a * b)))
    return out


def correlation(n: int, a: float, aa: float, b: float, bb: float, ab: float) -> float:
    """Pearson correlation from the sums of a, a², b, b², ab over ``n`` draws."""
    covariance = ab - a * b / n
    spread = (aa - a * a / n) * (bb - b * b / n)
    return float(covariance / np.sqrt(spread)) if spread > 0 else float("nan")


def angle_bound(spread: float, error: float) -> float:
    """How far rho can move when one column's ranks move by at most ``error`` each.

    rho is the cosine of the angle between the centred rank vectors. Moving a vector
    ``x`` (RMS ``spread`` once centred) by ``e`` with every ``|e_i| <= error`` moves it by
    an RMS of at most ``error`` once centred (centring does not lengthen), so it turns by
    at most ``arcsin(error / spread)`` (the largest angle when ``e`` is at right angles
    to the moved vector); cosine is 1-Lipschitz in the angle, so rho moves by at most
    that angle, and the two columns' angles add. Beyond ``error >= spread`` nothing is
    bounded short of pi.
    """
    if error <= 0.0:
        return 0.0
    if not spread > error:
        return math.pi
    return math.asin(error / spread)


def rank_correlation(
    inputs: Mapping[str, np.ndarray],
    outputs: Mapping[str, np.ndarray],
) -> dict[str, dict[str, float]]:
    """Per output, each input's Spearman rho (module doc: the input's mid-CDF rank
    against the output's mid-ECDF), largest magnitude first. ``inputs``: each input's
    mid-CDF ranks ``p`` (:func:`input_ranks`); ``outputs``: values, one sort each
    (one thread per output: numpy's sort releases the GIL)."""
    varying = {output: np.asarray(y) for output, y in outputs.items() if np.ndim(y) > 0}
    u = {name: np.asarray(p, dtype=float).ravel() for name, p in inputs.items()}
    with ThreadPoolExecutor(max(len(varying), 1)) as pool:
        g = dict(zip(varying, pool.map(sample_ranks, varying.values()), strict=True))

    def one(name: str) -> dict[str, float]:
        sums = rank_sums(u, g[name])
        return ranked(
            {
                key: correlation(g[name].size, a, aa, sums["b"], sums["bb"], ab)
                for key, (a, aa, ab) in sums["inputs"].items()
            }
        )

    return {name: one(name) for name in varying}


def ranked(rhos: Mapping[str, float | None]) -> dict[str, float | None]:
    """``rhos`` ordered by magnitude, largest first; undefined ones (None or NaN: an input
    or output without spread in the sample) last."""

    def key(item: tuple[str, float | None]) -> float:
        value = item[1]
        return float("inf") if value is None or value != value else -abs(value)

    return dict(sorted(rhos.items(), key=key))
