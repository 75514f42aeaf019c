"""True truncation of any family, and the probability a spec puts outside a domain.

Truncating X to [low, high] conditions on low <= X <= high: with m_low = P(X < low)
and m_high = P(X <= high), the quantile is Q(m_low + u·(m_high − m_low))
(inverse transform on the restricted probability range; Devroye, *Non-Uniform
Random Variate Generation*, 1986, §II.2.3). No value is clamped to a bound. When
the interval lies in the upper tail (m_low > ½) the same is done with survival
functions, x = Q̄(s_high + (1 − u)·(s_low − s_high)) with s = P(X > ·) (or
P(X >= low) at the lower end), which keeps precision where 1 − cdf would round
to 0 (as scipy's truncnorm does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
from scipy import integrate

from .base import Distribution, DistributionError, _bound, _fmt
from .discrete import Discrete, _StepDistribution
from .families import Fixed
from .scipy_bridge import SpecDistribution, step_distribution

__all__ = ["Truncated", "mass_outside", "truncate"]


def _just_below(x: float) -> float:
    """The float before ``x``: cdf there is P(X < x) for any distribution."""
    return float(np.nextafter(x, -np.inf))


@dataclass(frozen=True)
class Truncated(Distribution):
    """``base`` conditioned on ``low <= X <= high`` (either bound may be infinite)."""

    base: Distribution
    low: float = -math.inf
    high: float = math.inf
    name: ClassVar[str] = "truncated"

    def __post_init__(self) -> None:
        object.__setattr__(self, "low", _bound("truncation", "low", self.low))
        object.__setattr__(self, "high", _bound("truncation", "high", self.high))
        self.validate()

    def validate(self) -> None:
        if not isinstance(self.base, Distribution):
            raise DistributionError(f"truncation needs a distribution spec; got {self.base!r}")
        if not self.low < self.high:
            raise DistributionError(
                f"truncation needs low < high; got low={_fmt(self.low)}, high={_fmt(self.high)}"
            )
        if not self._kept_mass > 0:
            raise DistributionError(
                f"truncation to [{_fmt(self.low)}, {_fmt(self.high)}] leaves no probability: "
                f"{self.base.describe()} puts none there"
            )

    @cached_property
    def _ends(self) -> tuple[float, float, float, float]:
        """P(X < low), P(X <= high), P(X >= low), P(X > high) under the base."""
        below = float(self.base.cdf(_just_below(self.low))) if self.low > -math.inf else 0.0
        upto = float(self.base.cdf(self.high)) if self.high < math.inf else 1.0
        from_low = float(self.base.sf(_just_below(self.low))) if self.low > -math.inf else 1.0
        above = float(self.base.sf(self.high)) if self.high < math.inf else 0.0
        return below, upto, from_low, above

    @cached_property
    def _kept_mass(self) -> float:
        below, upto, from_low, above = self._ends
        return from_low - above if below > 0.5 else upto - below

    @property
    def _upper_tail(self) -> bool:
        return self._ends[0] > 0.5

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, float)
        below, upto, from_low, above = self._ends
        if self._upper_tail:
            x = np.asarray(self.base.frozen().isf(above + (1 - u) * (from_low - above)), float)
        else:
            x = np.asarray(self.base.ppf(below + u * (upto - below)), float)
        # Round-off only: the probability lies in the kept range, so x is within a few
        # ulps of [low, high]; this moves no probability mass onto the bounds.
        return np.clip(x, self.low, self.high)

    def _cdf(self, x: Any) -> Any:
        x = np.asarray(x, float)
        below, upto, from_low, above = self._ends
        if self._upper_tail:
            inside = (from_low - np.asarray(self.base.sf(x), float)) / self._kept_mass
        else:
            inside = (np.asarray(self.base.cdf(x), float) - below) / self._kept_mass
        return np.where(x < self.low, 0.0, np.where(x >= self.high, 1.0, np.clip(inside, 0, 1)))

    def _sf(self, x: Any) -> Any:
        x = np.asarray(x, float)
        below, upto, from_low, above = self._ends
        if self._upper_tail:
            inside = (np.asarray(self.base.sf(x), float) - above) / self._kept_mass
        else:
            inside = (upto - np.asarray(self.base.cdf(x), float)) / self._kept_mass
        return np.where(x < self.low, 1.0, np.where(x >= self.high, 0.0, np.clip(inside, 0, 1)))

    def pdf(self, x: Any) -> Any:
        """Base density divided by the kept mass, inside the bounds (0 for a step base)."""
        x = np.asarray(x, float)
        if self.base.is_discrete:
            return np.zeros(x.shape)
        inside = (x >= self.low) & (x <= self.high)
        return np.where(inside, self.base.frozen().pdf(x) / self._kept_mass, 0.0)

    @property
    def is_discrete(self) -> bool:
        return self.base.is_discrete

    def atoms(self) -> np.ndarray:
        atoms = self.base.atoms()
        return atoms[(atoms >= self.low) & (atoms <= self.high)]

    def to_scipy(self) -> Any:
        """``rv_discrete`` when the base is discrete, else :class:`SpecDistribution`."""
        if self.is_discrete:
            return step_distribution(self)
        return SpecDistribution(self, pdf=self.pdf)

    def support(self) -> tuple[float, float]:
        base_low, base_high = self.base.support()
        return max(base_low, self.low), min(base_high, self.high)

    def expected(self) -> float:
        """E[X | low <= X <= high] = ∫₀¹ Q_truncated(u) du."""
        value, _ = integrate.quad(lambda u: float(self.ppf(np.array(u))), 0, 1, limit=200)
        return float(value)

    def var(self) -> float:
        """∫₀¹ (Q(u) − mean)² du."""
        mean = self.expected()
        return self._quantile_integral(lambda x: (x - mean) ** 2)

    def params(self) -> dict[str, Any]:
        return {"base": self.base, "low": self.low, "high": self.high}

    def describe(self) -> str:
        return f"{self.base.describe()} truncated to [{_fmt(self.low)}, {_fmt(self.high)}]"


def truncate(spec: Distribution, low: float = -math.inf, high: float = math.inf) -> Distribution:
    """``spec`` conditioned on ``low <= X <= high``.

    Step distributions stay step distributions (their weights inside, renormalized);
    a fixed value inside the bounds is returned as it is; anything else is
    :class:`Truncated`.
    """
    low, high = _bound("truncation", "low", low), _bound("truncation", "high", high)
    if isinstance(spec, Fixed):
        if not low <= spec.value <= high:
            raise DistributionError(
                f"truncation to [{_fmt(low)}, {_fmt(high)}] leaves no probability: "
                f"the fixed value is {_fmt(spec.value)}"
            )
        return spec
    if isinstance(spec, _StepDistribution):
        values, weights = spec.atoms(), spec.probabilities()
        kept = (values >= low) & (values <= high)
        if not kept.any():
            raise DistributionError(
                f"truncation to [{_fmt(low)}, {_fmt(high)}] leaves no probability: "
                f"{spec.describe()} puts none there"
            )
        kept_weights = weights[kept] / weights[kept].sum()
        return Discrete(values=tuple(values[kept]), weights=tuple(kept_weights))
    return Truncated(base=spec, low=low, high=high)


def mass_outside(
    spec: Distribution,
    domain_low: float,
    domain_high: float,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Probability that ``spec`` puts outside the domain between ``domain_low`` and ``domain_high``.

    ``low_open``/``high_open`` exclude the bound itself from the domain (mfu lies in
    (0, 1]: ``mass_outside(spec, 0, 1, low_open=True)``). Infinite bounds exclude
    nothing on their side. Computed as P(X < low) (or P(X <= low) if open) plus
    P(X > high) (or P(X >= high) if open), with the survival function above.
    """
    domain_low, domain_high = (
        _bound("mass_outside", "domain_low", domain_low),
        _bound("mass_outside", "domain_high", domain_high),
    )
    below = 0.0
    if domain_low > -math.inf:
        below = float(spec.cdf(domain_low if low_open else _just_below(domain_low)))
    above = 0.0
    if domain_high < math.inf:
        above = float(spec.sf(_just_below(domain_high) if high_open else domain_high))
    return min(1.0, below + above)
