"""Rank correlation between named inputs, through a Gaussian copula on the uniforms.

Analysts state Spearman rank correlations ρs. A Gaussian copula with Pearson
correlation r has Spearman correlation ρs = (6/π)·asin(r/2) (Pearson 1907; Kruskal
1958, eq. 5.9), so the copula takes r = 2·sin(π·ρs/6). Applied to a uniform
design u (random, lhs or sobol alike): z = Φ⁻¹(u), z′ = z·Lᵀ with L the Cholesky
factor of the r-matrix, u′ = Φ(z′) (Nelsen, *An Introduction to Copulas*, 2006,
§2.3; Iman and Conover 1982 use the same idea on ranks). Each u′ column is still
uniform, so every marginal stays exactly as specified, and ranks are preserved by
monotone ppfs, so the inputs get the stated Spearman correlations.

A matrix that is not positive semi-definite (it cannot be anyone's correlation
matrix) is replaced by the nearest correlation matrix in the Frobenius norm,
found by Higham's alternating projections with Dykstra's correction (Higham,
"Computing the nearest correlation matrix", IMA J. Numer. Anal. 22, 2002,
Algorithm 3.3), with a warning saying how far it moved.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from scipy import linalg, stats

from .base import Distribution, DistributionError, _fmt

__all__ = [
    "Correlations",
    "achieved_spearman",
    "as_correlations",
    "apply_copula",
    "nearest_correlation",
    "pearson_from_spearman",
    "spearman_from_pearson",
]

#: Eigenvalues above −this count as non-negative (round-off in a valid matrix).
_PSD_TOLERANCE = 1e-10


def pearson_from_spearman(rho: Any) -> Any:
    """Pearson r of the Gaussian copula with Spearman ρs: r = 2·sin(π·ρs/6)."""
    return 2 * np.sin(np.pi * np.asarray(rho, float) / 6)


def spearman_from_pearson(r: Any) -> Any:
    """Spearman ρs of the Gaussian copula with Pearson r: ρs = (6/π)·asin(r/2)."""
    return 6 / np.pi * np.arcsin(np.asarray(r, float) / 2)


def nearest_correlation(
    matrix: Any, *, tolerance: float = 1e-12, max_iterations: int = 10_000
) -> np.ndarray:
    """Nearest correlation matrix in the Frobenius norm (Higham 2002, Algorithm 3.3).

    Alternates the projection onto positive semi-definite matrices (eigenvalues
    clipped at 0) with the projection onto unit-diagonal matrices, with
    Dykstra's correction on the first.
    """
    y = np.array(matrix, float)
    correction = np.zeros_like(y)
    for _ in range(max_iterations):
        r = y - correction
        eigenvalues, eigenvectors = linalg.eigh(r)
        x = (eigenvectors * np.maximum(eigenvalues, 0)) @ eigenvectors.T
        x = (x + x.T) / 2
        correction = x - r
        previous, y = y, x.copy()
        np.fill_diagonal(y, 1.0)
        if np.linalg.norm(y - previous) <= tolerance * np.linalg.norm(y):
            break
    return y


@dataclass(frozen=True)
class Correlations:
    """Spearman rank correlations between named inputs (a symmetric matrix).

    Build with :meth:`from_pairs` or :meth:`from_matrix`; names are kept sorted so
    the result does not depend on the order they were written in.
    """

    names: tuple[str, ...]
    spearman: tuple[tuple[float, ...], ...]

    def __post_init__(self) -> None:
        _check_matrix(self.names, _square(self.names, self.spearman))

    @classmethod
    def from_pairs(
        cls, pairs: Mapping[tuple[str, str], float] | Iterable[Sequence[Any]]
    ) -> Correlations:
        """From ``{("mfu", "goodput"): 0.6}`` or ``[["mfu", "goodput", 0.6], ...]``."""
        if isinstance(pairs, Mapping):
            for key in pairs:
                if not isinstance(key, tuple) or len(key) != 2:
                    raise DistributionError(
                        f"a correlation pair needs a key (name, name); got {key!r}"
                    )
            entries: list[Any] = [(*key, rho) for key, rho in pairs.items()]
        else:
            entries = list(pairs) if not isinstance(pairs, str) else [pairs]
        items = [_pair_entry(entry) for entry in entries]
        given: dict[frozenset[str], float] = {}
        for (first, second), rho in items:
            if first == second:
                raise DistributionError(
                    f"a correlation needs two different inputs; got {first} with itself"
                )
            key = frozenset((first, second))
            if key in given and given[key] != rho:
                raise DistributionError(
                    f"correlation of {first} and {second} is given twice; got "
                    f"{_fmt(given[key])} and {_fmt(rho)}"
                )
            _check_rho(first, second, rho)
            given[key] = float(rho)
        names = sorted({name for key in given for name in key})
        index = {name: i for i, name in enumerate(names)}
        matrix = np.eye(len(names))
        for key, rho in given.items():
            i, j = (index[name] for name in key)
            matrix[i, j] = matrix[j, i] = rho
        return cls(tuple(names), _rows(matrix))

    @classmethod
    def from_matrix(cls, names: Sequence[str], matrix: Any) -> Correlations:
        """From a Spearman matrix over ``names`` (rows and columns in that order)."""
        if isinstance(names, str) or not isinstance(names, Sequence):
            raise DistributionError(f"a correlation matrix needs a list of names; got {names!r}")
        names = [str(name) for name in names]
        if len(set(names)) != len(names):
            raise DistributionError(
                f"a correlation matrix needs distinct names; got {', '.join(names)}"
            )
        array = _square(names, matrix)
        _check_matrix(tuple(names), array)
        order = np.argsort(names)
        reordered = array[np.ix_(order, order)]
        return cls(tuple(names[i] for i in order), _rows(reordered))

    def pairs(self) -> dict[tuple[str, str], float]:
        """The off-diagonal Spearman correlations, each pair once (names sorted)."""
        return {
            (a, b): self.spearman[i][j]
            for i, a in enumerate(self.names)
            for j, b in enumerate(self.names)
            if i < j
        }

    @cached_property
    def copula_pearson(self) -> np.ndarray:
        """The Gaussian copula's Pearson matrix, repaired to the nearest correlation
        matrix (with a warning) if the stated one is not positive semi-definite."""
        size = len(self.names)
        pearson = pearson_from_spearman(np.array(self.spearman).reshape(size, size))
        np.fill_diagonal(pearson, 1.0)
        if size == 0 or linalg.eigvalsh(pearson)[0] >= -_PSD_TOLERANCE:
            return pearson
        repaired = nearest_correlation(pearson)
        moved = float(np.linalg.norm(spearman_from_pearson(repaired) - np.array(self.spearman)))
        warnings.warn(
            f"the correlations of {', '.join(self.names)} are not positive semi-definite "
            f"(no joint distribution has them); using the nearest correlation matrix "
            f"(Higham 2002), which moves the Spearman matrix by {moved:.4g} (Frobenius norm)",
            stacklevel=2,
        )
        return repaired

    @cached_property
    def factor(self) -> np.ndarray:
        """A lower-triangular L with L·Lᵀ = copula_pearson (Cholesky; from the
        eigendecomposition when the matrix is singular, which Cholesky refuses)."""
        pearson = self.copula_pearson
        try:
            return linalg.cholesky(pearson, lower=True)
        except linalg.LinAlgError:
            eigenvalues, eigenvectors = linalg.eigh(pearson)
            root = eigenvectors * np.sqrt(np.maximum(eigenvalues, 0))
            # rootᵀ = Q·R gives root·rootᵀ = Rᵀ·R: Rᵀ is a lower-triangular factor.
            _, upper = linalg.qr(root.T)
            signs = np.where(np.diag(upper) < 0, -1.0, 1.0)
            return upper.T * signs

    def check_inputs(self, specs: Mapping[str, Distribution]) -> None:
        """Every correlated name must be an uncertain input of ``specs``."""
        unknown = [name for name in self.names if name not in specs]
        if unknown:
            raise DistributionError(
                f"correlations name unknown inputs {', '.join(unknown)}; inputs are "
                f"{', '.join(sorted(specs)) or 'none'}"
            )
        fixed = [name for name in self.names if specs[name].is_fixed]
        if fixed:
            raise DistributionError(
                f"correlations need uncertain inputs; {', '.join(fixed)} "
                f"{'is a constant' if len(fixed) == 1 else 'are constants'} "
                f"({specs[fixed[0]].describe()})"
            )


def _square(names: Sequence[str], matrix: Any) -> np.ndarray:
    """``matrix`` as an n-by-n float array (n names): one row of n numbers per name."""
    size = len(names)
    if isinstance(matrix, np.ndarray):
        matrix = matrix.tolist()
    if isinstance(matrix, str) or not isinstance(matrix, Sequence) or len(matrix) != size:
        rows = len(matrix) if isinstance(matrix, Sequence) and not isinstance(matrix, str) else 0
        raise DistributionError(
            f"a correlation matrix needs one row per name ({size}: {', '.join(names)}); "
            f"got {rows} rows"
        )
    out = np.empty((size, size))
    for i, row in enumerate(matrix):
        if isinstance(row, str) or not isinstance(row, Sequence) or len(row) != size:
            got = f"with {len(row)} entries" if isinstance(row, Sequence) else f"= {row!r}"
            raise DistributionError(
                f"a correlation matrix needs {size} numbers in each row; got row {i + 1} "
                f"({names[i]}) {got}"
            )
        for j, value in enumerate(row):
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise DistributionError(
                    f"a correlation matrix needs numbers; got matrix[{names[i]}, {names[j]}]="
                    f"{value!r}"
                )
            out[i, j] = value
    return out


def _rows(matrix: np.ndarray) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(float(value) for value in row) for row in matrix)


def _pair_entry(entry: Any) -> tuple[tuple[str, str], float]:
    if (
        not isinstance(entry, list | tuple)
        or len(entry) != 3
        or not all(isinstance(name, str) for name in entry[:2])
    ):
        raise DistributionError(f"a correlation pair needs [name, name, rho]; got {entry!r}")
    return (entry[0], entry[1]), entry[2]


def _check_rho(first: str, second: str, rho: Any) -> None:
    if (
        isinstance(rho, bool)
        or not isinstance(rho, int | float | np.number)
        or not (-1 <= rho <= 1)
    ):
        raise DistributionError(
            f"a correlation needs -1 <= rho <= 1; got rho({first}, {second})={rho!r}"
        )


def _check_matrix(names: tuple[str, ...], matrix: np.ndarray) -> None:
    if matrix.shape != (len(names), len(names)):
        raise DistributionError(
            f"a correlation matrix needs one row and one column per name; got {len(names)} "
            f"names and shape {matrix.shape}"
        )
    for i, a in enumerate(names):
        if matrix[i, i] != 1:
            raise DistributionError(
                f"a correlation matrix needs 1 on the diagonal; got matrix[{a}, {a}]="
                f"{_fmt(matrix[i, i])}"
            )
        for j, b in enumerate(names[i + 1 :], start=i + 1):
            _check_rho(a, b, float(matrix[i, j]))
            if not math.isclose(matrix[i, j], matrix[j, i], rel_tol=0, abs_tol=1e-12):
                raise DistributionError(
                    f"a correlation matrix needs to be symmetric; got matrix[{a}, {b}]="
                    f"{_fmt(matrix[i, j])}, matrix[{b}, {a}]={_fmt(matrix[j, i])}"
                )


def as_correlations(value: Any) -> Correlations:
    """A :class:`Correlations` from itself, a pair mapping or a pair list."""
    if isinstance(value, Correlations):
        return value
    if isinstance(value, Mapping) and set(value) == {"names", "matrix"}:
        return Correlations.from_matrix(value["names"], value["matrix"])
    if isinstance(value, Mapping) and set(value) == {"pairs"}:
        return Correlations.from_pairs(value["pairs"])
    return Correlations.from_pairs(value)


def apply_copula(
    uniforms: Mapping[str, np.ndarray], correlations: Correlations
) -> dict[str, np.ndarray]:
    """Correlate the columns named in ``correlations``; the other columns pass unchanged.

    Row-wise, so any chunk of draws is correlated exactly as in a whole run. Φ(z′)
    rounds to 1 beyond z′ ≈ 8.3 (and to 0 below −38), where a ppf is infinite:
    :func:`distributions.sampling.uniforms` clips its result into [U_MIN, U_MAX].
    """
    missing = [name for name in correlations.names if name not in uniforms]
    if missing:
        raise DistributionError(
            f"correlations name unknown inputs {', '.join(missing)}; inputs are "
            f"{', '.join(sorted(uniforms)) or 'none'}"
        )
    out = dict(uniforms)
    if not correlations.names:
        return out
    normal = stats.norm.ppf(np.column_stack([uniforms[n] for n in correlations.names]))
    correlated = stats.norm.cdf(normal @ correlations.factor.T)
    for i, name in enumerate(correlations.names):
        out[name] = np.ascontiguousarray(correlated[:, i])
    return out


def achieved_spearman(
    draws: Mapping[str, np.ndarray], names: Sequence[str] | None = None
) -> dict[tuple[str, str], float]:
    """Sample Spearman correlation of every pair of ``names`` (default: all, sorted),
    by :func:`scipy.stats.spearmanr`, keyed like :meth:`Correlations.pairs`."""
    names = sorted(draws if names is None else names)
    out = {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            out[(a, b)] = float(stats.spearmanr(draws[a], draws[b]).statistic)
    return out
