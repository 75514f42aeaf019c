"""The inputs' Gaussian copula as the analyses need it: the normal-scores correlation
matrix the run draws from, and normal conditionals (fix some scores, draw the rest).

:mod:`distributions.dependence` correlates uniforms by z' = z·Lᵀ with z = Φ⁻¹(u), so
the scores z' are N(0, R) with R = L·Lᵀ (the stated matrix, or its repair). For
z ~ N(0, R), z_F | z_G = g is normal with mean R_FG R_GG⁺ g and covariance
R_FF − R_FG R_GG⁺ R_GF (Anderson, *An Introduction to Multivariate Statistical
Analysis*, 2003, Theorem 2.5.1; R_GG⁺ the pseudo-inverse, for singular R).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import linalg

from distributions import Correlations

__all__ = ["conditional_normal", "copula_matrix", "fix_score"]


def copula_matrix(names: Sequence[str], correlations: Correlations | None) -> np.ndarray:
    """Correlation matrix of the normal scores of ``names`` under the run's copula: L·Lᵀ
    on the correlated names (L = ``correlations.factor``), identity elsewhere."""
    matrix = np.eye(len(names))
    if correlations is None or not correlations.names:
        return matrix
    index = {name: i for i, name in enumerate(names)}
    missing = [name for name in correlations.names if name not in index]
    if missing:
        raise ValueError(
            f"correlations name {', '.join(missing)}, which are not uncertain inputs "
            f"({', '.join(names) or 'none'})"
        )
    at = [index[name] for name in correlations.names]
    factor = correlations.factor
    matrix[np.ix_(at, at)] = factor @ factor.T
    return matrix


def conditional_normal(
    matrix: np.ndarray, free: Sequence[int], given: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """For z ~ N(0, matrix): ``(slope, root)`` with z_free | z_given = slope·z_given +
    root·e, e standard normal (root·rootᵀ = the conditional covariance)."""
    free, given = list(free), list(given)
    r_ff = matrix[np.ix_(free, free)]
    if given:
        r_fg = matrix[np.ix_(free, given)]
        slope = r_fg @ np.linalg.pinv(matrix[np.ix_(given, given)])
        covariance = r_ff - slope @ r_fg.T
    else:
        slope = np.zeros((len(free), 0))
        covariance = r_ff
    eigenvalues, eigenvectors = linalg.eigh((covariance + covariance.T) / 2)
    return slope, eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))


def fix_score(matrix: np.ndarray, scores: np.ndarray, column: int, value: float) -> np.ndarray:
    """Rows of ``scores`` (n, d) ~ N(0, matrix) moved to z_column = ``value``, the others
    drawn from their conditional given it: z_o + R_o,c (value − z_c), which keeps each
    row's part independent of z_c (so rows stay paired with the drawn ones)."""
    moved = scores + np.outer(value - scores[:, column], matrix[:, column])
    moved[:, column] = value
    return moved
