"""Rank correlation of the inputs against an output, sorting only the output.

Spearman's rho is the Pearson correlation of ranks (Spearman 1904). An input drawn by
inverse transform, ``x = F⁻¹(u)``, has ``F(x) = u``: its uniform is its rank in the
population scaled to (0, 1), so the inputs need no sorting. An output's rank is its
empirical CDF ``G(y_j) = (rank_j + 1/2) / n`` (one argsort), or in a chunked run the
pass-1 histogram's CDF (:mod:`simulate.engine.chunked`). The estimate is
``corr(u, G(y))``, an estimator of the population Spearman rho
``12 E[F(X) G(Y)] − 3`` (Kruskal 1958, Sec. 5); it differs from the sample Spearman
(ranks of both) by far less than its Monte Carlo standard error (see
``docs/performance.md``).

Sums are kept centred at 1/2 (``a = u − 1/2``, ``b = G − 1/2``), so they are small and
mergeable across chunks.

The team's sensitivity API lives in ``simulate/analysis/sensitivity.py``; this module is the
fast path used by the chunked engine and the benchmark.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

__all__ = ["correlation", "output_ranks", "rank_correlation", "rank_sums", "ranked"]

#: The outputs the inputs are ranked against by default.


def output_ranks(y: np.ndarray) -> np.ndarray:
    """Empirical CDF at each draw, ``(rank + 1/2) / n`` (ordinal ranks by argsort)."""
    n = y.size
    ranks = np.empty(n)
    ranks[np.argsort(y)] = (np.arange(n) + 0.5) / n
    return ranks


def rank_sums(u: Mapping[str, np.ndarray], g: np.ndarray) -> dict[str, Any]:
    """Partial sums for :func:`correlation`: the output's and each input's, centred at 1/2.

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


def rank_correlation(
    u: Mapping[str, np.ndarray],
    outputs: Mapping[str, np.ndarray],
) -> dict[str, dict[str, float]]:
    """Per output, each input's rank correlation, largest magnitude first (one thread per
    output: argsort releases the GIL, and each output's numbers are its own)."""

    def one(y: np.ndarray) -> dict[str, float]:
        sums = rank_sums(u, output_ranks(y))
        return ranked(
            {
                name: correlation(y.size, a, aa, sums["b"], sums["bb"], ab)
                for name, (a, aa, ab) in sums["inputs"].items()
            }
        )

    varying = {output: np.asarray(y) for output, y in outputs.items() if np.ndim(y) > 0}
    with ThreadPoolExecutor(max(len(varying), 1)) as pool:
        return dict(zip(varying, pool.map(one, varying.values()), strict=True))


def ranked(rhos: Mapping[str, float | None]) -> dict[str, float | None]:
    """``rhos`` ordered by magnitude, largest first; undefined ones (None or NaN: an input
    or output without spread in the sample) last."""

    def key(item: tuple[str, float | None]) -> float:
        value = item[1]
        return float("inf") if value is None or value != value else -abs(value)

    return dict(sorted(rhos.items(), key=key))
