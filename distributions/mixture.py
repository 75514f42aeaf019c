"""Mixtures: "70% the plan holds, 30% a slipped delivery".

F(x) = Σ w_k F_k(x) (e.g. McLachlan and Peel, *Finite Mixture Models*, 2000, §1.2).
The quantile is the true inverse of that cdf, found numerically, not "pick a
component, then draw from it": that would also give the mixture's distribution,
but not monotonically in u, which breaks rank correlation and stratification.
The inverse lies between the smallest and largest component quantiles at u
(F(min_k Q_k(u)) <= u <= F(max_k Q_k(u))), which brackets the root search.
Point masses of components (a fixed value, a discrete component) are returned
exactly: u falls in the jump of atom a when F(a−) < u <= F(a).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from .base import Distribution, DistributionError
from .discrete import _numbers, check_weights
from .scipy_bridge import SpecDistribution, invert_increasing, step_distribution

__all__ = ["MAX_NESTING", "Mixture"]

#: Deepest nesting of distributions (a mixture of mixtures ..., or nested value tables).
MAX_NESTING = 8


@dataclass(frozen=True)
class Mixture(Distribution):
    """Components with ``weights`` summing to 1; components are any specs, mixtures included."""

    components: tuple[Distribution, ...]
    weights: tuple[float, ...]
    name: ClassVar[str] = "mixture"

    def __post_init__(self) -> None:
        if isinstance(self.components, str) or not hasattr(self.components, "__iter__"):
            raise DistributionError(
                f"{self.name} needs components to be a list of distributions; got "
                f"{self.components!r}"
            )
        object.__setattr__(self, "components", tuple(self.components))
        object.__setattr__(self, "weights", _numbers(self.name, "weights", self.weights))
        self.validate()

    def validate(self) -> None:
        if len(self.components) < 2:
            raise DistributionError(
                f"{self.name} needs at least 2 components; got {len(self.components)}"
            )
        for component in self.components:
            if not isinstance(component, Distribution):
                raise DistributionError(
                    f"{self.name} needs distribution specs as components; got {component!r}"
                )
        check_weights(self.name, self.weights, len(self.components), "component")
        if self.nesting > MAX_NESTING:
            raise DistributionError(
                f"{self.name}s nest at most {MAX_NESTING} levels deep (a mixture of mixtures "
                f"...); got {self.nesting}"
            )

    @cached_property
    def nesting(self) -> int:
        """Levels of mixtures, this one included (1 for a mixture of plain families)."""
        inner = (c.nesting for c in self.components if isinstance(c, Mixture))
        return 1 + max(inner, default=0)

    @cached_property
    def _weights(self) -> np.ndarray:
        weights = np.asarray(self.weights)
        return weights / weights.sum()

    def _cdf(self, x: Any) -> Any:
        x = np.asarray(x, float)
        return sum(
            w * np.asarray(c.cdf(x), float)
            for w, c in zip(self._weights, self.components, strict=True)
        )

    def _sf(self, x: Any) -> Any:
        x = np.asarray(x, float)
        return sum(
            w * np.asarray(c.sf(x), float)
            for w, c in zip(self._weights, self.components, strict=True)
        )

    def pdf(self, x: Any) -> Any:
        """Density of the continuous part, Σ w_k f_k(x) over continuous components
        (point masses have no density)."""
        x = np.asarray(x, float)
        out = np.zeros(x.shape)
        for weight, component in zip(self._weights, self.components, strict=True):
            if not component.is_discrete:
                out = out + weight * np.asarray(component.frozen().pdf(x), float)
        return out

    @property
    def is_discrete(self) -> bool:
        return all(c.is_discrete for c in self.components)

    def atoms(self) -> np.ndarray:
        return np.unique(np.concatenate([c.atoms() for c in self.components]))

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, float)
        flat = u.ravel()
        out = np.full(flat.shape, np.nan)
        in_jump = self._atom_of(flat, out)
        rest = ~in_jump
        if rest.any():
            quantiles = np.stack([np.asarray(c.ppf(flat[rest]), float) for c in self.components])
            low, high = quantiles.min(axis=0), quantiles.max(axis=0)
            out[rest] = invert_increasing(self.cdf, flat[rest], low, high)
        return out.reshape(u.shape)

    def _atom_of(self, u: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Fill ``out`` where u falls in an atom's jump F(a−) < u <= F(a); return that mask."""
        atoms = self.atoms()
        if atoms.size == 0:
            return np.zeros(u.shape, bool)
        at = np.asarray(self.cdf(atoms), float)
        below = np.asarray(self.cdf(np.nextafter(atoms, -np.inf)), float)
        index = np.minimum(np.searchsorted(at, u, side="left"), atoms.size - 1)
        mask = (u > below[index]) & (u <= at[index])
        out[mask] = atoms[index[mask]]
        return mask

    def to_scipy(self) -> Any:
        """``rv_discrete`` when every component is discrete, else :class:`SpecDistribution`."""
        if self.is_discrete:
            return step_distribution(self)
        return SpecDistribution(self, pdf=self.pdf)

    def support(self) -> tuple[float, float]:
        bounds = [c.support() for c in self.components]
        return min(b[0] for b in bounds), max(b[1] for b in bounds)

    def expected(self) -> float:
        return math.fsum(
            w * c.expected() for w, c in zip(self._weights, self.components, strict=True)
        )

    def var(self) -> float:
        """Σ w_k (σ_k² + μ_k²) − μ² (law of total variance)."""
        mean = self.expected()
        second = math.fsum(
            w * (c.var() + c.expected() ** 2)
            for w, c in zip(self._weights, self.components, strict=True)
        )
        return max(second - mean**2, 0.0)

    def params(self) -> dict[str, Any]:
        return {"components": self.components, "weights": self.weights}

    def describe(self) -> str:
        parts = ", ".join(
            f"{w:.3g}: {c.describe()}" for w, c in zip(self.weights, self.components, strict=True)
        )
        return f"{self.name}({parts})"
