"""Distribution families: small frozen, validated specs with ``to_scipy()``.

Every family maps a uniform ``u`` in (0, 1) to a value through ``_ppf`` (inverse
transform sampling; the public ``ppf`` of :mod:`distributions.base` adds scipy's
domain handling). Parameter
names follow scipy.stats where they exist. Validation errors are
:class:`DistributionError` and name the rule and the values given, without any
file or field: the caller (the scenario loader) prefixes those.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from scipy import special, stats

from .base import Distribution, DistributionError, _finite, _fmt, _ordered, _positive
from .fast_quantile import beta_ppf

__all__ = [
    "Beta",
    "Distribution",
    "DistributionError",
    "Fixed",
    "Gamma",
    "LogNormal",
    "LogUniform",
    "Normal",
    "PERT",
    "Triangular",
    "TruncatedNormal",
    "Uniform",
    "Z95",
    "as_specs",
]

#: Standard normal 95th percentile, ``scipy.stats.norm.ppf(0.95)``.
Z95 = float(stats.norm.ppf(0.95))


@dataclass(frozen=True)
class Fixed(Distribution):
    """A constant: every draw equals ``value``."""

    value: float
    name: ClassVar[str] = "fixed"

    def to_scipy(self) -> Any:
        # A point mass: uniform on [value, value] is not allowed by scipy, so a
        # one-point discrete distribution at the value stands in.
        return stats.rv_discrete(values=([float(self.value)], [1.0]), name="fixed")

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), float(self.value))

    def _cdf(self, x: Any) -> Any:
        return np.where(np.asarray(x) >= self.value, 1.0, 0.0)

    def _sf(self, x: Any) -> Any:
        return np.where(np.asarray(x) >= self.value, 0.0, 1.0)

    def atoms(self) -> np.ndarray:
        return np.array([float(self.value)])

    def support(self) -> tuple[float, float]:
        return float(self.value), float(self.value)

    def expected(self) -> float:
        return float(self.value)

    @property
    def is_fixed(self) -> bool:
        return True

    @property
    def is_discrete(self) -> bool:
        return True

    def describe(self) -> str:
        return _fmt(self.value)


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on [low, high]."""

    low: float
    high: float
    name: ClassVar[str] = "uniform"

    def validate(self) -> None:
        _ordered(self.name, low=self.low, high=self.high)

    def to_scipy(self) -> Any:
        return stats.uniform(loc=self.low, scale=self.high - self.low)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        # scipy's arithmetic written out (q * scale + loc): equal bit for bit, without the
        # frozen distribution's argument checks (which cost more than the formula)
        return np.asarray(u, dtype=float) * (self.high - self.low) + self.low


@dataclass(frozen=True)
class LogUniform(Distribution):
    """Log-uniform (reciprocal) on [low, high], 0 < low < high."""

    low: float
    high: float
    name: ClassVar[str] = "loguniform"

    def validate(self) -> None:
        _positive(self.name, low=self.low)
        _ordered(self.name, low=self.low, high=self.high)

    def to_scipy(self) -> Any:
        return stats.loguniform(self.low, self.high)


@dataclass(frozen=True)
class Triangular(Distribution):
    """Triangular on [low, high] with peak at ``mode``."""

    low: float
    mode: float
    high: float
    name: ClassVar[str] = "triangular"

    def validate(self) -> None:
        _ordered(self.name, low=self.low, high=self.high)
        if not self.low <= self.mode <= self.high:
            raise DistributionError(
                f"{self.name} needs low <= mode <= high; got low={_fmt(self.low)}, "
                f"mode={_fmt(self.mode)}, high={_fmt(self.high)}"
            )

    def to_scipy(self) -> Any:
        width = self.high - self.low
        return stats.triang(c=(self.mode - self.low) / width, loc=self.low, scale=width)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        # scipy.stats.triang's _ppf, then * scale + loc: equal to scipy's bit for bit
        u = np.asarray(u, dtype=float)
        width = self.high - self.low
        c = (self.mode - self.low) / width
        return np.where(u < c, np.sqrt(c * u), 1 - np.sqrt((1 - c) * (1 - u))) * width + self.low


@dataclass(frozen=True)
class PERT(Triangular):
    """(Modified) PERT: Beta(1 + λ(m−a)/(b−a), 1 + λ(b−m)/(b−a)) on [a, b].

    λ = 4 is the classic PERT (Malcolm et al. 1959; Vose, *Risk Analysis*, 2008, §9.1.4).
    """

    lamb: float = 4.0
    name: ClassVar[str] = "pert"

    def validate(self) -> None:
        super().validate()
        _positive(self.name, lamb=self.lamb)

    def shapes(self) -> tuple[float, float]:
        """The Beta shapes (α, β) = (1 + λ(m−a)/(b−a), 1 + λ(b−m)/(b−a))."""
        width = self.high - self.low
        return (
            1 + self.lamb * (self.mode - self.low) / width,
            1 + self.lamb * (self.high - self.mode) / width,
        )

    def to_scipy(self) -> Any:
        return stats.beta(*self.shapes(), loc=self.low, scale=self.high - self.low)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse transform through :func:`~distributions.fast_quantile.beta_ppf` (HINV table)."""
        return beta_ppf(*self.shapes(), u) * (self.high - self.low) + self.low


@dataclass(frozen=True)
class Normal(Distribution):
    """Normal with mean ``mean`` and standard deviation ``sd``."""

    mean: float = field()  # a parameter: the inherited method mean() is not its default
    sd: float
    name: ClassVar[str] = "normal"

    def validate(self) -> None:
        _positive(self.name, sd=self.sd)

    def to_scipy(self) -> Any:
        return stats.norm(loc=self.mean, scale=self.sd)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        # scipy.stats.norm's _ppf (ndtri), then * scale + loc: equal to scipy's bit for bit
        return special.ndtri(np.asarray(u, dtype=float)) * self.sd + self.mean


@dataclass(frozen=True)
class TruncatedNormal(Distribution):
    """Normal(mean, sd) restricted to [low, high] (renormalized, never clipped)."""

    mean: float = field()  # a parameter: the inherited method mean() is not its default
    sd: float
    low: float
    high: float
    name: ClassVar[str] = "truncnormal"

    def validate(self) -> None:
        _positive(self.name, sd=self.sd)
        _ordered(self.name, low=self.low, high=self.high)

    def to_scipy(self) -> Any:
        a = (self.low - self.mean) / self.sd
        b = (self.high - self.mean) / self.sd
        return stats.truncnorm(a, b, loc=self.mean, scale=self.sd)

    def describe(self) -> str:
        return _with_interval(self)


def _with_interval(spec: Distribution) -> str:
    """``name(params; 90% in P5 to P95)``: what a range typed as "a to b" means."""
    args = ", ".join(f"{k}={_fmt(v)}" for k, v in spec.params().items())
    p5, p95 = spec.ppf(np.array([0.05, 0.95]))
    return f"{spec.name}({args}; 90% in {p5:.4g} to {p95:.4g})"


#: ln(1.797e308): exp of anything larger overflows a double.
_LOG_DOUBLE_MAX = math.log(np.finfo(float).max)


@dataclass(frozen=True)
class LogNormal(Distribution):
    """Lognormal: log(X) ~ Normal(mu, sigma)."""

    mu: float
    sigma: float
    name: ClassVar[str] = "lognormal"

    def validate(self) -> None:
        _positive(self.name, sigma=self.sigma)
        if not abs(self.mu) < _LOG_DOUBLE_MAX:  # the median exp(mu) must be a finite double
            raise DistributionError(
                f"{self.name} needs |mu| < {_LOG_DOUBLE_MAX:.6g} (the median exp(mu) a finite "
                f"64-bit float); got mu={_fmt(self.mu)}"
            )

    @classmethod
    def from_interval(cls, low: float, high: float, *, credibility: float = 0.90) -> LogNormal:
        """Lognormal whose central ``credibility`` interval is [low, high].

        With z = Φ⁻¹((1 + credibility) / 2): mu = (ln low + ln high) / 2,
        sigma = (ln high − ln low) / (2 z). At 90% this is Squiggle's and
        Guesstimate's "low to high" (5th and 95th percentiles).
        """
        _finite(cls.name, low=low, high=high, credibility=credibility)
        if not 0 < credibility < 1:
            raise DistributionError(
                f"{cls.name} needs 0 < credibility < 1; got credibility={_fmt(credibility)}"
            )
        _positive(cls.name, low=low)
        _ordered(cls.name, low=low, high=high)
        z = float(stats.norm.ppf((1 + credibility) / 2))
        log_low, log_high = math.log(low), math.log(high)
        return cls(mu=(log_low + log_high) / 2, sigma=(log_high - log_low) / (2 * z))

    def to_scipy(self) -> Any:
        return stats.lognorm(s=self.sigma, scale=math.exp(self.mu))

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        # scipy.stats.lognorm's _ppf, exp(s * ndtri(q)), then * scale: equal bit for bit
        return np.exp(self.sigma * special.ndtri(np.asarray(u, dtype=float))) * math.exp(self.mu)

    def describe(self) -> str:
        p5, p95 = self.ppf(np.array([0.05, 0.95]))
        return (
            f"lognormal(mu={_fmt(self.mu)}, sigma={_fmt(self.sigma)}; 90% in {p5:.4g} to {p95:.4g})"
        )


@dataclass(frozen=True)
class Beta(Distribution):
    """Beta(a, b) scaled to [low, high] (default [0, 1])."""

    a: float
    b: float
    low: float = 0.0
    high: float = 1.0
    name: ClassVar[str] = "beta"

    def validate(self) -> None:
        _positive(self.name, a=self.a, b=self.b)
        _ordered(self.name, low=self.low, high=self.high)

    def to_scipy(self) -> Any:
        return stats.beta(self.a, self.b, loc=self.low, scale=self.high - self.low)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse transform through :func:`~distributions.fast_quantile.beta_ppf` (HINV table)."""
        return beta_ppf(self.a, self.b, u) * (self.high - self.low) + self.low

    def describe(self) -> str:
        return _with_interval(self)


@dataclass(frozen=True)
class Gamma(Distribution):
    """Gamma with shape ``a`` and ``scale`` (mean a·scale), shifted by ``loc``; scipy's gamma."""

    a: float
    scale: float
    loc: float = 0.0
    name: ClassVar[str] = "gamma"

    def validate(self) -> None:
        _positive(self.name, a=self.a, scale=self.scale)

    def to_scipy(self) -> Any:
        return stats.gamma(self.a, loc=self.loc, scale=self.scale)


def as_specs(specs: Any, *, caller: str) -> dict[str, Distribution]:
    """``specs`` with each int or float constant made :class:`Fixed`, checked.

    Every public function that takes ``{name: spec}`` calls this, so a constant may stand
    for a fixed spec anywhere (``{"mfu": 0.4}`` as ``{"mfu": Fixed(0.4)}``). Anything else
    that is not a :class:`Distribution` (a bool, a string, None) is refused, naming
    ``caller`` and the entry.
    """
    from collections.abc import Mapping  # noqa: PLC0415

    if not isinstance(specs, Mapping):
        raise DistributionError(f"{caller} needs specs to be a dict of name: spec; got {specs!r}")
    out: dict[str, Distribution] = {}
    for name, spec in specs.items():
        if isinstance(spec, Distribution):
            out[name] = spec
        elif isinstance(spec, int | float | np.number) and not isinstance(spec, bool | np.bool_):
            _finite(caller, **{str(name): float(spec)})
            out[name] = Fixed(value=float(spec))
        else:
            raise DistributionError(
                f"{caller} needs specs of distributions or numbers (distributions.parse makes "
                f"one from a string or table); got {name}={spec!r}"
            )
    return out
