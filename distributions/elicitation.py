"""Fitting families to the percentiles analysts state ("p10 = 2, p90 = 7").

Closed forms where they exist: a location-scale family with standard quantile
z(p) has x_p = loc + scale·z(p), so two percentiles give scale = (x_2 − x_1) /
(z_2 − z_1) and loc = x_1 − scale·z_1 (normal; lognormal on log x; uniform with
z(p) = p; log-uniform on log x; any scipy family with its shapes given).
Elsewhere scipy.optimize solves ppf(p_i) = x_i:

* gamma: the ratio x_2/x_1 = G⁻¹(p_2; a)/G⁻¹(p_1; a) falls monotonically in the
  shape a, so ``brentq`` finds a, then scale = x_1 / G⁻¹(p_1; a);
* beta (on known [low, high]): ``least_squares`` on (ln a, ln b);
* PERT and triangular from a low and a high percentile and the mode: the bounds
  such that those percentiles hold, as @RISK's "Alt" forms (Palisade, RiskPertAlt)
  and probabilit do, by ``least_squares`` on (ln(mode − low), ln(high − mode));
* metalog from three or more percentiles: Keelin's linear fit (metalog.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy import optimize, stats

from .base import Distribution, DistributionError, _finite, _fmt
from .families import PERT, Beta, Gamma, LogNormal, LogUniform, Normal, Triangular, Uniform
from .metalog import Metalog
from .scipy_bridge import ScipyFamily, shape_names

__all__ = [
    "FITTABLE",
    "fit_percentiles",
    "from_interval",
    "interval_percentiles",
    "percent_of",
]

_PERCENTILE_KEY = re.compile(r"^p(\d+(?:\.\d*)?|\.\d+)$")
#: A fit is accepted when every percentile is met to this fraction of the span x_max − x_min.
_FIT_TOLERANCE = 1e-9

#: Shapes searched by the gamma fit; the ratio p90/p10 runs from ~1e100 down to 1.0003.
_GAMMA_SHAPES = (1e-2, 1e8)

Pairs = list[tuple[float, float]]


def percent_of(key: Any) -> float | None:
    """The percent in a percentile key: ``"p10"`` -> 10.0, ``"p2.5"`` -> 2.5, ``90`` -> 90.0.

    Returns None for a string that is not a percentile key.
    """
    if isinstance(key, bool):
        return None
    if isinstance(key, int | float):
        return float(key)
    match = _PERCENTILE_KEY.match(key) if isinstance(key, str) else None
    return float(match[1]) if match else None


def _pairs(family: str, percentiles: Mapping[Any, Any]) -> Pairs:
    """(probability, value) pairs sorted by probability, checked: 0 < p < 100, values rise."""
    pairs = []
    for key, value in percentiles.items():
        percent = percent_of(key)
        if percent is None or not 0 < percent < 100:
            raise DistributionError(
                f"{family} needs percentile keys p0 < pNN < p100 (e.g. p10, p2.5); got {key!r}"
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise DistributionError(
                f"{family} needs p{percent:g} to be a finite number; got {value!r}"
            )
        pairs.append((percent / 100, float(value)))
    pairs.sort()
    label = ", ".join(f"p{100 * p:g}={_fmt(x)}" for p, x in pairs)
    for (p1, x1), (p2, x2) in zip(pairs, pairs[1:], strict=False):
        if p1 == p2 or not x1 < x2:
            raise DistributionError(
                f"{family} needs percentiles whose values increase with the percent; got {label}"
            )
    return pairs


def _count(family: str, pairs: Pairs, wanted: int) -> None:
    if len(pairs) != wanted:
        got = ", ".join(f"p{100 * p:g}" for p, _ in pairs) or "none"
        raise DistributionError(f"{family} needs exactly {wanted} percentiles; got {got}")


def _location_scale(pairs: Pairs, standard_ppf: Callable[[float], float]) -> tuple[float, float]:
    (p1, x1), (p2, x2) = pairs
    z1, z2 = float(standard_ppf(p1)), float(standard_ppf(p2))
    scale = (x2 - x1) / (z2 - z1)
    return x1 - scale * z1, scale


def _logs(family: str, pairs: Pairs) -> Pairs:
    if pairs[0][1] <= 0:
        raise DistributionError(
            f"{family} needs positive percentiles; got p{100 * pairs[0][0]:g}={_fmt(pairs[0][1])}"
        )
    return [(p, math.log(x)) for p, x in pairs]


def _fit_normal(pairs: Pairs) -> Normal:
    _count("normal", pairs, 2)
    mean, sd = _location_scale(pairs, stats.norm.ppf)
    return Normal(mean=mean, sd=sd)


def _fit_lognormal(pairs: Pairs) -> LogNormal:
    _count("lognormal", pairs, 2)
    mu, sigma = _location_scale(_logs("lognormal", pairs), stats.norm.ppf)
    return LogNormal(mu=mu, sigma=sigma)


def _fit_uniform(pairs: Pairs) -> Uniform:
    _count("uniform", pairs, 2)
    low, width = _location_scale(pairs, float)
    return Uniform(low=low, high=low + width)


def _fit_loguniform(pairs: Pairs) -> LogUniform:
    _count("loguniform", pairs, 2)
    log_low, log_width = _location_scale(_logs("loguniform", pairs), float)
    return LogUniform(low=math.exp(log_low), high=math.exp(log_low + log_width))


def _fit_gamma(pairs: Pairs, *, loc: float = 0.0) -> Gamma:
    _count("gamma", pairs, 2)
    (p1, x1), (p2, x2) = pairs
    if not x1 > loc:
        raise DistributionError(
            f"gamma needs percentiles above loc; got p{100 * p1:g}={_fmt(x1)}, loc={_fmt(loc)}"
        )
    ratio = (x2 - loc) / (x1 - loc)

    def excess(log_shape: float) -> float:
        a = math.exp(log_shape)
        return math.log(stats.gamma.ppf(p2, a) / stats.gamma.ppf(p1, a)) - math.log(ratio)

    shape_range = (math.log(_GAMMA_SHAPES[0]), math.log(_GAMMA_SHAPES[1]))
    if not excess(shape_range[0]) > 0 > excess(shape_range[1]):
        raise DistributionError(
            f"gamma has no member with p{100 * p1:g}={_fmt(x1)}, p{100 * p2:g}={_fmt(x2)} "
            f"(loc={_fmt(loc)}): the shape would lie outside [{_GAMMA_SHAPES[0]:g}, "
            f"{_GAMMA_SHAPES[1]:g}]"
        )
    log_shape = optimize.brentq(excess, *shape_range, xtol=1e-14)
    a = math.exp(log_shape)
    return Gamma(a=a, scale=(x1 - loc) / float(stats.gamma.ppf(p1, a)), loc=loc)


def _least_squares(
    family: str, pairs: Pairs, build: Callable[[np.ndarray], Distribution], start: np.ndarray
) -> Distribution:
    """Solve ppf(p_i) = x_i over unconstrained parameters; fail loudly if not met."""
    probabilities = np.array([p for p, _ in pairs])
    values = np.array([x for _, x in pairs])
    span = values[-1] - values[0]

    def residuals(theta: np.ndarray) -> np.ndarray:
        try:
            quantiles = build(theta).to_scipy().ppf(probabilities)  # exact, no table per trial
        except (DistributionError, OverflowError):
            return np.full(len(pairs), 1e6)
        return (quantiles - values) / span

    result = optimize.least_squares(
        residuals, start, xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=2000
    )
    if not np.all(np.abs(residuals(result.x)) < _FIT_TOLERANCE):
        label = ", ".join(f"p{100 * p:g}={_fmt(x)}" for p, x in pairs)
        raise DistributionError(f"{family} has no member with {label}")
    return build(result.x)


def _fit_beta(pairs: Pairs, *, low: float = 0.0, high: float = 1.0) -> Distribution:
    _count("beta", pairs, 2)
    if not low < pairs[0][1] or not pairs[-1][1] < high:
        raise DistributionError(
            f"beta needs percentiles inside (low, high); got low={_fmt(low)}, high={_fmt(high)}, "
            + ", ".join(f"p{100 * p:g}={_fmt(x)}" for p, x in pairs)
        )
    return _least_squares(
        "beta",
        pairs,
        lambda t: Beta(a=math.exp(t[0]), b=math.exp(t[1]), low=low, high=high),
        np.zeros(2),
    )


def _around_mode(cls: type[Triangular]) -> Callable[..., Distribution]:
    def fit(pairs: Pairs, *, mode: float, **shape: float) -> Distribution:
        _count(cls.name, pairs, 2)
        (_, x1), (_, x2) = pairs
        span = x2 - x1
        start = np.log([max(mode - x1, 0.0) + span, max(x2 - mode, 0.0) + span])
        return _least_squares(
            f"{cls.name} with mode={_fmt(mode)}",
            pairs,
            lambda t: cls(
                low=mode - math.exp(t[0]), mode=mode, high=mode + math.exp(t[1]), **shape
            ),
            start,
        )

    return fit


def _fit_metalog(pairs: Pairs, **bounds: Any) -> Metalog:
    return Metalog(quantiles=tuple(pairs), **bounds)


def _fit_scipy(pairs: Pairs, *, family: str, **shapes: float) -> ScipyFamily:
    label = f"scipy.{family}"
    _count(label, pairs, 2)
    wanted = shape_names(family)
    if sorted(shapes) != sorted(wanted):
        raise DistributionError(
            f"{label} from percentiles solves loc and scale and needs its shapes "
            f"({', '.join(wanted) or 'none'}); got {', '.join(sorted(shapes)) or 'none'}"
        )
    standard = ScipyFamily(family, shapes).to_scipy()
    loc, scale = _location_scale(pairs, standard.ppf)
    return ScipyFamily(family, {**shapes, "loc": loc, "scale": scale})


#: Families that can be fitted from percentiles, and the parameters a fit may be given.
FITTABLE: dict[type[Distribution], tuple[Callable[..., Distribution], tuple[str, ...]]] = {
    Normal: (_fit_normal, ()),
    LogNormal: (_fit_lognormal, ()),
    Uniform: (_fit_uniform, ()),
    LogUniform: (_fit_loguniform, ()),
    Gamma: (_fit_gamma, ("loc",)),
    Beta: (_fit_beta, ("low", "high")),
    PERT: (_around_mode(PERT), ("mode", "lamb")),
    Triangular: (_around_mode(Triangular), ("mode",)),
    Metalog: (_fit_metalog, ("low", "high", "terms")),
    ScipyFamily: (_fit_scipy, ("family", "<shapes>")),
}


def fit_percentiles(
    family: type[Distribution], percentiles: Mapping[Any, float], /, **known: Any
) -> Distribution:
    """The member of ``family`` with the given percentiles.

    ``percentiles`` maps percents (``{10: 2.0, 90: 7.0}``) or keys ``"p10"``,
    ``"p2.5"`` to values. ``known`` gives the parameters that are not fitted: the
    mode of PERT and triangular (required), beta's bounds, gamma's loc, metalog's
    bounds and terms, a scipy family's name and shapes.
    """
    if family not in FITTABLE:
        names = ", ".join(cls.name for cls in FITTABLE)
        raise DistributionError(
            f"{family.name} cannot be fitted from percentiles; these can: {names}"
        )
    fitter, allowed = FITTABLE[family]
    if family is not ScipyFamily:
        unknown = sorted(set(known) - set(allowed))
        if unknown:
            raise DistributionError(
                f"{family.name} from percentiles takes {', '.join(allowed) or 'no other parameter'}"
                f"; got {', '.join(unknown)}"
            )
    if family in (PERT, Triangular) and "mode" not in known:
        raise DistributionError(f"{family.name} from percentiles needs mode; got none")
    if family is ScipyFamily and "family" not in known:
        raise DistributionError(
            "scipy from percentiles needs family (a scipy.stats name); got none"
        )
    if family is not Metalog:
        _finite(family.name, **{k: v for k, v in known.items() if k != "family"})
    return fitter(_pairs(family.name, percentiles), **known)


def interval_percentiles(
    low: float, high: float, *, credibility: float = 0.90
) -> dict[float, float]:
    """The central ``credibility`` interval as percentiles: 90% -> {5: low, 95: high}."""
    if (
        isinstance(credibility, bool)
        or not isinstance(credibility, int | float)
        or not (0 < credibility < 1)
    ):
        raise DistributionError(
            f"an interval needs 0 < credibility < 1; got credibility={credibility!r}"
        )
    # Rounded so that 90% gives exactly p5/p95 (100·(1 − 0.9)/2 is 4.999999999999998).
    tail = round(100 * (1 - credibility) / 2, 10)
    return {tail: low, 100 - tail: high}


def from_interval(
    family: type[Distribution],
    low: float,
    high: float,
    *,
    credibility: float = 0.90,
    **known: Any,
) -> Distribution:
    """The member of ``family`` whose central ``credibility`` interval is [low, high].

    ``from_interval(LogNormal, 5, 10)`` is Squiggle's ``5 to 10``.
    """
    return fit_percentiles(
        family, interval_percentiles(low, high, credibility=credibility), **known
    )
