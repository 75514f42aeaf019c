"""The base of every family: :class:`Distribution`, :class:`DistributionError`, validators.

Every family module imports this one and no family module imports another in a loop.
The public ``ppf``/``cdf``/``sf`` live here and follow scipy.stats' contract: ``ppf(q)``
is nan for q outside [0, 1] or nan, ``ppf(0)``/``ppf(1)`` are the ends of the support,
``cdf``/``sf`` are nan at nan; a scalar gives a scalar, an array an array. A family
implements ``_ppf`` (only ever called on q strictly inside (0, 1)), ``_cdf`` and ``_sf``.
Only numpy is imported here: scipy is loaded by the families that use it.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np

__all__ = ["U_MAX", "U_MIN", "Distribution", "DistributionError", "as_generator"]

#: Smallest uniform handed to a ppf: keeps unbounded families finite at u = 0.
U_MIN = 2.0**-54
#: Largest uniform any design yields: the largest double below 1 (``Generator.random``'s maximum).
U_MAX = 1.0 - 2.0**-53


class DistributionError(ValueError):
    """A distribution spec breaks one of its rules (message: rule and values)."""


def _fmt(x: float) -> str:
    return f"{x:g}"


def _finite(family: str, **values: Any) -> None:
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise DistributionError(f"{family} needs {key} to be a number; got {key}={value!r}")
        if not math.isfinite(value):
            raise DistributionError(f"{family} needs {key} to be finite; got {key}={value!r}")


def _bound(family: str, key: str, value: Any) -> float:
    """A number, infinite allowed (an open side), NaN not."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise DistributionError(f"{family} needs {key} to be a number; got {key}={value!r}")
    if math.isnan(value):
        raise DistributionError(f"{family} needs {key} to be a number; got {key}=nan")
    return float(value)


def _ordered(family: str, **values: float) -> None:
    """Require the given values to be strictly increasing, in the order given."""
    keys = list(values)
    for a, b in zip(keys, keys[1:], strict=False):
        if not values[a] < values[b]:
            got = ", ".join(f"{k}={_fmt(v)}" for k, v in values.items())
            raise DistributionError(f"{family} needs {' < '.join(keys)}; got {got}")


def _positive(family: str, **values: float) -> None:
    for key, value in values.items():
        if not value > 0:
            raise DistributionError(f"{family} needs {key} > 0; got {key}={_fmt(value)}")


def _is_seed_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def as_generator(rng: Any, *, name: str = "rng") -> np.random.Generator:
    """``np.random.default_rng(rng)`` for what SPEC 7 allows: None, an int >= 0, a
    ``SeedSequence``, a ``BitGenerator`` or a ``Generator``; anything else is refused."""
    if rng is None or isinstance(
        rng, np.random.Generator | np.random.SeedSequence | np.random.BitGenerator
    ):
        return np.random.default_rng(rng)
    if _is_seed_int(rng) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise DistributionError(
        f"{name} (the seed) needs None, an int >= 0, a numpy SeedSequence, BitGenerator or "
        f"Generator; got {name}={rng!r}"
    )


@dataclass(frozen=True)
class Distribution:
    """Base of all families: scipy's frozen-distribution interface on a validated spec."""

    name: ClassVar[str] = ""
    #: ``Cls.from_percentiles({10: 2.0, 90: 7.0}, **known)``: attached by the package
    #: (``distributions/__init__.py``) from :func:`distributions.elicitation.fit_percentiles`.
    from_percentiles: ClassVar[Callable[..., Any]]

    def __post_init__(self) -> None:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        _finite(self.name, **values)
        for key, value in values.items():  # Python ints (any size) become float64
            if isinstance(value, int):
                try:
                    object.__setattr__(self, key, float(value))
                except OverflowError:
                    raise DistributionError(
                        f"{self.name} needs {key} to fit a 64-bit float (below 1.8e308); "
                        f"got {key}={value:.3e}"
                    ) from None
        self.validate()

    def validate(self) -> None:
        """Check the family's own rules; raise :class:`DistributionError`."""

    def to_scipy(self) -> Any:
        """The equivalent frozen ``scipy.stats`` distribution."""
        raise NotImplementedError

    def frozen(self) -> Any:
        """``to_scipy()``, built once per distinct spec (a build formats scipy's docstrings:
        about 0.4 ms, more than most of what is asked of it)."""
        try:
            return _frozen(self)
        except TypeError:  # a spec with an unhashable field
            return self.to_scipy()

    # -- scipy's public interface: domain handling here, the family's work in _ppf/_cdf/_sf

    def ppf(self, q: Any) -> Any:
        """Quantile function: nan for q outside [0, 1] or nan; ends of the support at 0 and 1."""
        q_array = np.asarray(q, dtype=float)
        if q_array.ndim == 0:  # families compute on arrays
            return self.ppf(q_array.reshape(1))[0]
        if q_array.size and q_array.min() > 0 and q_array.max() < 1:  # the sampler's case
            return np.asarray(self._ppf(q_array), dtype=float)
        out = np.full(q_array.shape, np.nan)
        inside = (q_array > 0) & (q_array < 1)
        if inside.any():
            out[inside] = self._ppf(q_array[inside])
        ends = (q_array == 0) | (q_array == 1)
        if ends.any():
            low, high = self.support()
            out[q_array == 0] = low
            out[q_array == 1] = high
        return out

    def cdf(self, x: Any) -> Any:
        """P(X <= x); nan at nan."""
        return self._nan_at_nan(self._cdf, x)

    def sf(self, x: Any) -> Any:
        """P(X > x), accurate in the upper tail where ``1 - cdf`` is not; nan at nan."""
        return self._nan_at_nan(self._sf, x)

    def _nan_at_nan(self, function: Callable[[np.ndarray], Any], x: Any) -> Any:
        x_array = np.asarray(x, dtype=float)
        if x_array.ndim == 0:  # families compute on arrays
            return self._nan_at_nan(function, x_array.reshape(1))[0]
        out = np.array(function(x_array), dtype=float)
        missing = np.isnan(x_array)
        if missing.any():
            out = np.where(missing, np.nan, out)
        return out

    def rvs(self, size: int | tuple[int, ...] | None = None, rng: Any = None) -> Any:
        """Draws by inverse transform of ``rng.random(size)`` (floored at ``U_MIN``);
        ``rng`` as :func:`as_generator` takes it (SPEC 7)."""
        u = np.maximum(as_generator(rng).random(size), U_MIN)
        return self.ppf(u)

    def median(self) -> float:
        return float(self.ppf(0.5))

    def mean(self) -> float:
        """The distribution's mean, :meth:`expected` (on ``Normal`` and ``TruncatedNormal``
        the name ``mean`` is the parameter: use ``expected()`` there)."""
        return self.expected()

    def var(self) -> float:
        return float(self.frozen().var())

    def std(self) -> float:
        return math.sqrt(self.var())

    def interval(self, confidence: Any) -> tuple[Any, Any]:
        """The central interval holding ``confidence`` of the probability (scipy's
        ``interval``): ``(ppf((1 - c) / 2), ppf((1 + c) / 2))``, c in [0, 1]."""
        c = np.asarray(confidence, dtype=float)
        if np.any(np.isnan(c) | (c < 0) | (c > 1)):
            raise DistributionError(
                f"interval needs 0 <= confidence <= 1; got confidence={confidence!r}"
            )
        return self.ppf((1 - c) / 2), self.ppf((1 + c) / 2)

    # -- what families implement (defaults: the scipy distribution)

    def _ppf(self, q: np.ndarray) -> np.ndarray:
        """Quantiles at ``q`` strictly inside (0, 1)."""
        return self.frozen().ppf(q)

    def _cdf(self, x: np.ndarray) -> np.ndarray:
        return self.frozen().cdf(x)

    def _sf(self, x: np.ndarray) -> np.ndarray:
        return self.frozen().sf(x)

    def _quantile_integral(self, function: Callable[[float], float]) -> float:
        """∫₀¹ function(Q(u)) du by quadrature (E[g(X)] for any spec, atoms included)."""
        from scipy import integrate  # noqa: PLC0415 (base stays light: numpy only)

        value, _ = integrate.quad(
            lambda u: function(float(self._ppf(np.array([u]))[0])), 0, 1, limit=200
        )
        return float(value)

    def atoms(self) -> np.ndarray:
        """Values that carry probability of their own (point masses); none for continuous."""
        return np.empty(0)

    def support(self) -> tuple[float, float]:
        low, high = self.frozen().support()
        return float(low), float(high)

    def expected(self) -> float:
        """The distribution's mean (what :meth:`mean` returns); families override this one."""
        return float(self.frozen().mean())

    @property
    def is_fixed(self) -> bool:
        return False

    @property
    def is_discrete(self) -> bool:
        """True when every draw is one of :meth:`atoms` (fixed, discrete, empirical)."""
        return False

    def params(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def describe(self) -> str:
        """Short human form, e.g. ``uniform(low=0.38, high=0.43)``."""
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self.params().items())
        return f"{self.name}({args})"


@functools.lru_cache(maxsize=512)
def _frozen(spec: Distribution) -> Any:
    return spec.to_scipy()
