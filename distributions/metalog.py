"""Metalog distributions from three or more quantiles (Keelin 2016).

Keelin, T. W. (2016), "The Metalog Distributions", *Decision Analysis* 13(4),
243–277. With y in (0, 1), L = ln(y / (1 − y)) and c = y − ½, the k-term metalog
quantile is M(y) = Σ_j a_j T_j(y) with the basis (eq. 6)

    T_1 = 1, T_2 = L, T_3 = c·L, T_4 = c,
    T_j = c^((j−1)/2) for odd j >= 5,  T_j = c^(j/2 − 1)·L for even j >= 6.

Given quantiles (y_i, x_i), the coefficients solve Y a = z in the least-squares
sense (eq. 7; exact when there are as many quantiles as terms), where z is x
(unbounded), ln(x − low) (log-metalog, semi-bounded below), −ln(high − x)
(semi-bounded above) or ln((x − low)/(high − x)) (logit-metalog, bounded)
(§4–5). The quantile function is then x = M, low + e^M, high − e^−M or
low + (high − low)·expit(M). Each transform increases with M, so the
distribution is feasible iff M′(y) > 0 on (0, 1) (§6, eq. 13), which is checked
on a grid that reaches 1e−15 of either end (the check Keelin recommends for
k > 3; for k = 3 it reproduces his closed form a_2 > 0, |a_3|/a_2 < 1.66711).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
from scipy import integrate
from scipy.special import expit

from .base import Distribution, DistributionError, _bound, _fmt
from .scipy_bridge import SpecDistribution, invert_increasing

__all__ = ["Metalog"]

#: Logits at which feasibility is checked: y from expit(−34.5) ≈ 1e−15 to 1 − 1e−15.
_FEASIBILITY_LOGITS = np.linspace(-34.5, 34.5, 20_001)
#: Bracket, in logits, of the root search that inverts M in the cdf.
_CDF_LOGIT_BRACKET = 36.0


def _basis(logit: np.ndarray, terms: int) -> np.ndarray:
    """Keelin's basis T_1..T_terms at y = expit(logit), shape (..., terms)."""
    y = expit(logit)
    centred = y - 0.5
    columns = [np.ones_like(logit), logit, centred * logit, centred]
    for j in range(5, terms + 1):
        power = (j - 1) // 2 if j % 2 else j // 2 - 1
        columns.append(centred**power if j % 2 else centred**power * logit)
    return np.stack(columns[:terms], axis=-1)


def _basis_derivative(logit: np.ndarray, terms: int) -> np.ndarray:
    """dT_j/dy at y = expit(logit): dL/dy = 1/(y(1 − y)), dc/dy = 1."""
    y = expit(logit)
    centred = y - 0.5
    dlogit = 1 / (y * expit(-logit))
    columns = [np.zeros_like(logit), dlogit, logit + centred * dlogit, np.ones_like(logit)]
    for j in range(5, terms + 1):
        if j % 2:
            power = (j - 1) // 2
            columns.append(power * centred ** (power - 1))
        else:
            power = j // 2 - 1
            columns.append(power * centred ** (power - 1) * logit + centred**power * dlogit)
    return np.stack(columns[:terms], axis=-1)


@dataclass(frozen=True)
class Metalog(Distribution):
    """Metalog through ``quantiles`` ((probability, value) pairs); bounds optional.

    ``low``/``high`` of −inf/inf mean unbounded on that side. ``terms`` defaults to
    the number of quantiles (an exact fit) and may be smaller (least squares).
    Build it with ``Metalog.from_percentiles({10: 1, 50: 2, 90: 5}, low=0)``.
    """

    quantiles: tuple[tuple[float, float], ...]
    low: float = -math.inf
    high: float = math.inf
    terms: int | None = None
    name: ClassVar[str] = "metalog"

    def __post_init__(self) -> None:
        given = self.quantiles.items() if isinstance(self.quantiles, Mapping) else self.quantiles
        pairs = []
        for entry in given:
            if not isinstance(entry, tuple | list) or len(entry) != 2:
                raise DistributionError(
                    f"{self.name} needs quantiles as (probability, value) pairs; got {entry!r}"
                )
            pairs.append(
                (
                    _bound(self.name, "a probability", entry[0]),
                    _bound(self.name, "a quantile", entry[1]),
                )
            )
        object.__setattr__(self, "quantiles", tuple(sorted(pairs)))
        object.__setattr__(self, "low", _bound(self.name, "low", self.low))
        object.__setattr__(self, "high", _bound(self.name, "high", self.high))
        if self.terms is None:
            object.__setattr__(self, "terms", len(pairs))
        self.validate()

    def _label(self) -> str:
        return ", ".join(f"p{100 * p:g}={_fmt(x)}" for p, x in self.quantiles)

    def validate(self) -> None:
        n = len(self.quantiles)
        if n < 3:
            raise DistributionError(
                f"{self.name} needs at least 3 quantiles; got {n} ({self._label()})"
            )
        if (
            isinstance(self.terms, bool)
            or not isinstance(self.terms, int)
            or not (2 <= self.terms <= n)
        ):
            raise DistributionError(
                f"{self.name} needs 2 <= terms <= number of quantiles; got terms={self.terms!r} "
                f"with {n} quantiles"
            )
        probabilities = [p for p, _ in self.quantiles]
        values = [x for _, x in self.quantiles]
        if not all(math.isfinite(v) for v in values) or not all(0 < p < 1 for p in probabilities):
            raise DistributionError(
                f"{self.name} needs finite values at probabilities in (0, 1); got {self._label()}"
            )
        if len(set(probabilities)) < n or any(
            a >= b for a, b in zip(values, values[1:], strict=False)
        ):
            raise DistributionError(
                f"{self.name} needs values that increase with the probability; got {self._label()}"
            )
        if not self.low < self.high or math.isnan(self.low) or math.isnan(self.high):
            raise DistributionError(
                f"{self.name} needs low < high; got low={_fmt(self.low)}, high={_fmt(self.high)}"
            )
        if not self.low < values[0] or not values[-1] < self.high:
            raise DistributionError(
                f"{self.name} needs every quantile strictly inside its bounds; got "
                f"low={_fmt(self.low)}, high={_fmt(self.high)} and {self._label()}"
            )
        derivative = _basis_derivative(_FEASIBILITY_LOGITS, self._terms) @ self.coefficients
        if not np.all(derivative > 0):
            bad = float(expit(_FEASIBILITY_LOGITS[np.argmin(derivative > 0)]))
            raise DistributionError(
                f"{self.name} from {self._label()} with {self.terms} terms is infeasible: its "
                f"quantile function decreases near p={bad:.3g} (Keelin 2016, §6); try other "
                f"quantiles, fewer terms or a bound"
            )

    @property
    def _terms(self) -> int:
        """The number of terms (``terms`` is filled in by ``__post_init__``)."""
        return len(self.quantiles) if self.terms is None else self.terms

    @property
    def kind(self) -> str:
        """'unbounded', 'lower' (semi-bounded below), 'upper' or 'bounded'."""
        finite = (math.isfinite(self.low), math.isfinite(self.high))
        return {
            (False, False): "unbounded",
            (True, False): "lower",
            (False, True): "upper",
            (True, True): "bounded",
        }[finite]

    @cached_property
    def coefficients(self) -> np.ndarray:
        """a_1..a_k, least-squares solution of Y a = z (Keelin 2016, eq. 7)."""
        probabilities = np.array([p for p, _ in self.quantiles])
        x = np.array([v for _, v in self.quantiles])
        z = {
            "unbounded": lambda: x,
            "lower": lambda: np.log(x - self.low),
            "upper": lambda: -np.log(self.high - x),
            "bounded": lambda: np.log((x - self.low) / (self.high - x)),
        }[self.kind]()
        logits = np.log(probabilities / (1 - probabilities))
        solution, *_ = np.linalg.lstsq(_basis(logits, self._terms), z, rcond=None)
        return solution

    def _from_logit(self, logit: np.ndarray) -> np.ndarray:
        metalog = _basis(logit, self._terms) @ self.coefficients
        if self.kind == "lower":
            return self.low + np.exp(metalog)
        if self.kind == "upper":
            return self.high - np.exp(-metalog)
        if self.kind == "bounded":
            return self.low + (self.high - self.low) * expit(metalog)
        return metalog

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, float)
        return self._from_logit(np.log(u) - np.log1p(-u))

    def _cdf(self, x: Any) -> Any:
        """Inverse of the quantile function, by root search in logit space."""
        x = np.asarray(x, float)
        bound = np.full(x.shape, _CDF_LOGIT_BRACKET)
        logit = invert_increasing(self._from_logit, x, -bound, bound)
        return np.where(x <= self.low, 0.0, np.where(x >= self.high, 1.0, expit(logit)))

    def _sf(self, x: Any) -> Any:
        return 1.0 - self.cdf(x)

    def pdf(self, x: Any) -> Any:
        """Density 1 / (dx/dy) at y = F(x) (Keelin 2016, eq. 9 and §5)."""
        x = np.asarray(x, float)
        y = np.clip(self.cdf(x), 1e-300, 1 - 1e-16)
        logit = np.log(y) - np.log1p(-y)
        metalog = _basis(logit, self._terms) @ self.coefficients
        slope = _basis_derivative(logit, self._terms) @ self.coefficients
        chain = {
            "unbounded": lambda: np.ones_like(metalog),
            "lower": lambda: np.exp(metalog),
            "upper": lambda: np.exp(-metalog),
            "bounded": lambda: (self.high - self.low) * expit(metalog) * expit(-metalog),
        }[self.kind]()
        inside = (x > self.low) & (x < self.high)
        return np.where(inside, 1 / (slope * chain), 0.0)

    def to_scipy(self) -> Any:
        return SpecDistribution(self, pdf=self.pdf)

    def support(self) -> tuple[float, float]:
        return float(self.low), float(self.high)

    def expected(self) -> float:
        """E[X] = ∫₀¹ Q(u) du."""
        value, _ = integrate.quad(lambda u: float(self.ppf(np.array(u))), 0, 1, limit=200)
        return float(value)

    def var(self) -> float:
        """∫₀¹ (Q(u) − mean)² du."""
        mean = self.expected()
        return self._quantile_integral(lambda x: (x - mean) ** 2)

    def params(self) -> dict[str, Any]:
        return {
            "quantiles": self.quantiles,
            "low": self.low,
            "high": self.high,
            "terms": self.terms,
        }

    def describe(self) -> str:
        bounds = "" if self.kind == "unbounded" else f"; in [{_fmt(self.low)}, {_fmt(self.high)}]"
        return f"{self.name}({self._label()}; {self.terms} terms{bounds})"
