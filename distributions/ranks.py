"""Mid-CDF ranks: where a value sits in its distribution, ties (atoms) at their middle.

An input drawn by inverse transform has ``F(x) = u`` where F is continuous, so its
uniform is its rank scaled to (0, 1). At an atom ``a`` (a discrete or empirical value,
a fixed component of a mixture) every draw equal to ``a`` shares one rank, and the rank
the sample statistic gives a tied block is its average rank: scaled to (0, 1) that is
``(F(a⁻) + F(a)) / 2``, the mid-CDF rank, to which ``scipy.stats.rankdata(x) / n``
converges (Kruskal 1958, Sec. 5; Ruymgaart 1974 for the mid-rank with ties).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["mid_cdf"]


def mid_cdf(dist: Any, x: Any) -> np.ndarray:
    """``(F(x⁻) + F(x)) / 2`` of ``dist`` (any object with public ``cdf`` and ``atoms``).

    ``F(x⁻)`` is ``F`` at the next double below ``x``, which is ``F(x⁻)`` exactly for the
    families here (their atoms are doubles). A continuous distribution has no atoms, so
    its mid-CDF is ``F(x)``, and only one ``cdf`` call is made.
    """
    x = np.asarray(x, dtype=float)
    at = np.asarray(dist.cdf(x), dtype=float)
    if np.asarray(dist.atoms()).size == 0:
        return at
    below = np.asarray(dist.cdf(np.nextafter(x, -np.inf)), dtype=float)
    return 0.5 * (below + at)
