"""Bridges to scipy.stats: any continuous scipy family by name, and scipy views of our own.

* :class:`ScipyFamily` is any continuous distribution of :mod:`scipy.stats`, named
  as scipy names it and given scipy's own parameters (shapes, ``loc``, ``scale``),
  so no user is limited to the families written out in this package.
* :class:`SpecDistribution` is an ``rv_continuous`` whose ``ppf``/``cdf``/``pdf``
  are those of a spec that scipy lacks (mixture, metalog, truncation): it is what
  those specs return from ``to_scipy()``.
* :func:`invert_increasing` solves ``f(x) = target`` elementwise for an increasing
  ``f`` inside a bracket, with :func:`scipy.optimize.elementwise.find_root`
  (Chandrupatla 1997).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np
from scipy import stats
from scipy.optimize import elementwise

from .base import Distribution, DistributionError, _finite, _fmt

__all__ = [
    "SCIPY_PREFIX",
    "ScipyFamily",
    "SpecDistribution",
    "invert_increasing",
    "seconds_per_draw",
    "shape_names",
    "step_distribution",
    "uses_scipy_family",
]

#: Prefix of scipy families in scenario files: ``dist = "scipy.weibull_min"``.
SCIPY_PREFIX = "scipy."


def invert_increasing(
    function: Callable[..., np.ndarray],
    target: np.ndarray,
    bracket_low: np.ndarray,
    bracket_high: np.ndarray,
) -> np.ndarray:
    """The smallest double ``x`` in the bracket with ``function(x) >= target``, elementwise.

    ``function`` must be non-decreasing (a cdf: this is the generalized inverse, so a
    larger target never gets a smaller ``x``). Chandrupatla's method
    (scipy.optimize.elementwise.find_root) comes within a few ulps; bisection over the
    doubles between its neighbours then settles on the smallest such double.
    """
    target, low, high = np.broadcast_arrays(
        np.asarray(target, float), np.asarray(bracket_low, float), np.asarray(bracket_high, float)
    )
    low, high = low.copy(), high.copy()
    todo = (function(low) < target) & (function(high) > target)
    if todo.any():
        near = elementwise.find_root(
            lambda x, t: function(x) - t,
            (low[todo], high[todo]),
            args=(target[todo],),
            tolerances={"xrtol": 4 * np.finfo(float).eps, "xatol": 1e-300},
        ).x
        slack = 64 * np.finfo(float).eps * np.abs(near) + 1e-300
        a = np.clip(near - slack, low[todo], high[todo])
        b = np.clip(near + slack, low[todo], high[todo])
        t = target[todo]
        below, above = function(a) < t, function(b) >= t  # else keep the whole bracket
        low[todo] = np.where(below, a, low[todo])
        high[todo] = np.where(above, b, high[todo])
    return _bisect_doubles(function, target, low, high)


def _flip(bits: np.ndarray) -> np.ndarray:
    """int64 bit patterns of doubles <-> keys in the doubles' order (its own inverse)."""
    return np.where(bits < 0, ~bits ^ np.int64(-(2**63)), bits)


def _order_key(x: np.ndarray) -> np.ndarray:
    """Doubles to int64 keys in the same order."""
    return _flip(np.ascontiguousarray(x, float).view(np.int64))


def _from_key(key: np.ndarray) -> np.ndarray:
    """int64 keys back to the doubles they stand for."""
    return _flip(np.asarray(key, np.int64)).view(float)


def _bisect_doubles(
    function: Callable[..., np.ndarray], target: np.ndarray, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """Smallest double in [low, high] with function >= target (high where none is)."""
    out = high.copy()
    at_low = function(low) >= target
    out[at_low] = low[at_low]
    lo, hi = _order_key(low), _order_key(high)
    active = ~at_low & (hi > lo + 1)  # (hi - lo can overflow int64)
    # invariant: function(lo) < target; the answer lies in (lo, hi]
    while active.any():
        a, b, t = lo[active], hi[active], target[active]
        mid = (a >> 1) + (b >> 1) + (a & b & 1)
        ok = function(_from_key(mid)) >= t
        lo[active] = np.where(ok, a, mid)
        hi[active] = np.where(ok, mid, b)
        active &= hi > lo + 1
    result = _from_key(hi)
    return np.where(at_low, out, result)


class SpecDistribution(stats.rv_continuous):
    """A scipy ``rv_continuous`` (no shape parameters) that delegates to a spec.

    Used unfrozen: it has no shapes, so ``ppf``, ``cdf``, ``sf``, ``pdf``, ``mean``,
    ``std``, ``rvs`` and ``support`` are called on it directly, like a frozen
    distribution. Mean and variance are the spec's own (``expected()``, ``var()``),
    not integrals of ``pdf``, so they stay right when the spec has atoms beside a
    density (a mixture with a fixed component); ``pdf`` is then the density of the
    continuous part only.
    """

    def __init__(self, spec: Any, *, pdf: Callable[[np.ndarray], np.ndarray] | None = None):
        self.spec = spec
        self._spec_pdf = pdf
        low, high = spec.support()
        super().__init__(a=low, b=high, name=spec.name)

    def _ppf(self, q: np.ndarray) -> np.ndarray:
        return self.spec._ppf(q)

    def _cdf(self, x: np.ndarray) -> np.ndarray:
        return self.spec._cdf(x)

    def _sf(self, x: np.ndarray) -> np.ndarray:
        return self.spec._sf(x)

    def _pdf(self, x: np.ndarray) -> np.ndarray:
        if self._spec_pdf is None:
            raise NotImplementedError(f"{self.spec.name} has no density")
        return self._spec_pdf(x)

    def _stats(self) -> tuple[float, float, None, None]:
        return self.spec.expected(), self.spec.var(), None, None


def step_distribution(spec: Any) -> Any:
    """``scipy.stats.rv_discrete`` on a spec whose every draw is an atom: values
    ``atoms()`` with probabilities F(a) − F(a⁻)."""
    atoms = spec.atoms()
    jumps = np.asarray(spec.cdf(atoms), float) - np.asarray(
        spec.cdf(np.nextafter(atoms, -np.inf)), float
    )
    return stats.rv_discrete(values=(atoms, jumps / jumps.sum()), name=spec.name)


def _continuous_family(family: str) -> Any:
    candidate = getattr(stats, family, None)
    if not isinstance(candidate, stats.rv_continuous):
        raise DistributionError(
            f"scipy needs the name of a continuous distribution in scipy.stats; got "
            f"{SCIPY_PREFIX}{family} (see https://docs.scipy.org/doc/scipy/reference/stats.html)"
        )
    return candidate


def shape_names(family: str) -> list[str]:
    """The shape parameters of scipy's ``family``, in scipy's order."""
    shapes = _continuous_family(family).shapes
    return [s.strip() for s in shapes.split(",")] if shapes else []


@dataclass(frozen=True)
class ScipyFamily(Distribution):
    """Any continuous ``scipy.stats`` distribution with its own parameters.

    ``ScipyFamily("weibull_min", {"c": 1.5, "scale": 2})`` is
    ``scipy.stats.weibull_min(c=1.5, scale=2)``; in a scenario file,
    ``{dist = "scipy.weibull_min", c = 1.5, scale = 2}``.
    """

    family: str
    parameters: tuple[tuple[str, float], ...] | Mapping[str, float] = ()
    name: ClassVar[str] = "scipy"

    def __post_init__(self) -> None:
        if not isinstance(self.family, str):
            raise DistributionError(
                f"scipy needs the family's name (a string); got {self.family!r}"
            )
        if not isinstance(self.parameters, Mapping | tuple | list):
            raise DistributionError(
                f"{SCIPY_PREFIX}{self.family} needs parameters as a dict of name: number; got "
                f"{self.parameters!r}"
            )
        try:
            params = dict(self.parameters)
        except (TypeError, ValueError):
            raise DistributionError(
                f"{SCIPY_PREFIX}{self.family} needs parameters as a dict of name: number; got "
                f"{self.parameters!r}"
            ) from None
        object.__setattr__(self, "parameters", tuple(sorted(params.items())))
        _finite(f"{SCIPY_PREFIX}{self.family}", **params)
        self.validate()

    def validate(self) -> None:
        label = f"{SCIPY_PREFIX}{self.family}"
        shapes = shape_names(self.family)
        params = dict(self.parameters)
        allowed = [*shapes, "loc", "scale"]
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise DistributionError(
                f"{label} has no parameter {', '.join(unknown)}; it takes {', '.join(allowed)}"
            )
        missing = [s for s in shapes if s not in params]
        if missing:
            raise DistributionError(
                f"{label} needs its shape parameters {', '.join(shapes)}; "
                f"missing {', '.join(missing)}"
            )
        if "scale" in params and not params["scale"] > 0:
            raise DistributionError(f"{label} needs scale > 0; got scale={_fmt(params['scale'])}")
        median = self.to_scipy().ppf(0.5)
        if not math.isfinite(median):
            got = ", ".join(f"{k}={_fmt(v)}" for k, v in params.items())
            raise DistributionError(
                f"{label} rejects these parameters (scipy finds no valid distribution); got {got}"
            )

    def to_scipy(self) -> Any:
        return _continuous_family(self.family)(**dict(self.parameters))

    def params(self) -> dict[str, float]:
        return dict(self.parameters)

    def describe(self) -> str:
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self.params().items())
        return f"{SCIPY_PREFIX}{self.family}({args})"


def uses_scipy_family(spec: Distribution) -> bool:
    """Whether ``spec`` is, or is built from (mixture, truncation), a :class:`ScipyFamily`."""
    todo = [spec]
    while todo:
        item = todo.pop()
        if isinstance(item, ScipyFamily):
            return True
        for field in fields(item) if isinstance(item, Distribution) else ():
            value = getattr(item, field.name, None)
            if isinstance(value, Distribution):
                todo.append(value)
            elif isinstance(value, tuple):
                todo.extend(v for v in value if isinstance(v, Distribution))
    return False


def seconds_per_draw(
    spec: Distribution, *, budget_s: float = 0.25, max_draws: int = 64
) -> tuple[float, int]:
    """Time ``spec.ppf`` on 1, 4, 16, ... evenly spread uniforms, stopping at
    ``max_draws`` or once ``budget_s`` seconds are spent; return the last batch's
    seconds per draw and its size. A family that costs seconds a draw is timed on
    one draw only."""
    size, spent = 1, 0.0
    while True:
        u = (np.arange(size) + 0.5) / size
        start = time.perf_counter()
        spec.ppf(u)
        elapsed = time.perf_counter() - start
        spent += elapsed
        if spent >= budget_s or size >= max_draws:
            return elapsed / size, size
        size = min(4 * size, max_draws)
