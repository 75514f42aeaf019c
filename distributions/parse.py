"""Turn scenario-file values into distribution specs.

Accepted forms (TOML values as read by :mod:`tomllib`); docs/distributions.md
has an example of each:

* a bare number, or a string amount (``"40%"``, ``"$25,000"``, ``"25k"``, ``"2.5M"``,
  ``"2B"``, ``"15.6T"``): :class:`~distributions.families.Fixed`;
* a string ``"a to b"``: a distribution with those 5th and 95th percentiles: lognormal
  (the convention of Squiggle and Guesstimate), or, given the quantity's ``bounds``,
  one whose support is those bounds (:func:`interval_family`);
* a string ``"m ± s"`` (or ``"m +- s"``): normal(m, s), truncated to ``bounds`` when
  they are given and not both infinite;
* a table with ``dist = "<family>"`` and the family's parameters, where
  ``<family>`` is a key of :data:`FAMILIES` or ``scipy.<name>`` for any
  continuous distribution of scipy.stats with scipy's parameters;
* instead of parameters, percentiles ``pNN = value`` (``p10``, ``"p2.5"``) or an
  ``interval = "a to b"`` (or ``[a, b]``) with optional ``credibility`` (default
  0.9): the family is fitted to them (:mod:`distributions.elicitation`); PERT and
  triangular take ``mode`` beside two percentiles; without ``dist`` an interval is
  lognormal;
* ``discrete``: ``values`` and optional ``weights``; ``empirical``: ``values`` or
  ``file`` and ``column`` (a CSV file, relative to ``base_dir`` unless absolute;
  a regular file of at most 64 MiB); ``mixture``:
  ``components`` (any of these forms, parsed recursively) and ``weights``;
* any table may add ``truncate = [low, high]`` (``inf``/``-inf`` for an open side):
  the distribution conditioned on that interval, never clipped.

Every table may also carry ``source`` (ignored here, kept by the caller).
"""

from __future__ import annotations

import math
import re
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

from .base import _fmt
from .discrete import Discrete, Empirical
from .elicitation import fit_percentiles, interval_percentiles, percent_of
from .families import (
    PERT,
    Beta,
    Distribution,
    DistributionError,
    Fixed,
    Gamma,
    LogNormal,
    LogUniform,
    Normal,
    Triangular,
    TruncatedNormal,
    Uniform,
)
from .metalog import Metalog
from .mixture import MAX_NESTING, Mixture
from .scipy_bridge import SCIPY_PREFIX, ScipyFamily
from .truncation import truncate

__all__ = ["FAMILIES", "MAX_NESTING", "amount", "interval_family", "parse"]

#: Family name (as written in scenario files) -> class. ``scipy.<name>`` comes on top.
FAMILIES: dict[str, type[Distribution]] = {
    cls.name: cls
    for cls in (
        Fixed,
        Uniform,
        LogUniform,
        Triangular,
        PERT,
        Normal,
        TruncatedNormal,
        LogNormal,
        Beta,
        Gamma,
        Discrete,
        Empirical,
        Mixture,
        Metalog,
    )
}

_NUMBER = r"(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_GROUPED = r"\d{1,3}(?:,\d{3})+(?:\.\d*)?"  # thousands separators: 25,000 or 1,234.5
_AMOUNT = re.compile(rf"^([-+]?)(\$?)({_GROUPED}|{_NUMBER})([kKMBT%]?)$")
#: Suffix -> power of ten: k/K thousand, M million, B billion, T trillion, % hundredth.
SUFFIX_EXPONENT = {"k": 3, "K": 3, "M": 6, "B": 9, "T": 12, "%": -2}
_INTERVAL = re.compile(r"^\s*(\S+)\s+to\s+(\S+)\s*$")
_PLUS_MINUS = re.compile(r"^\s*(\S+?)\s*(?:±|\+/?-)\s*(\S+)\s*$")
_META_KEYS = {"dist", "source", "truncate"}
_SPLIT_PERCENTILE = re.compile(r"^p\d+$")
_FORMS = (
    "a number (0.4, 40%, $25,000, 25k, 2.5M, 2B, 15.6T), a 90% interval 'low to high' "
    "(P5 to P95, e.g. '35% to 45%') or 'mean ± sd' (e.g. '0.40 ± 0.03')"
)

Bounds = tuple[float, float]


def amount(text: str) -> float | None:
    """The number a typed amount stands for, or None if ``text`` is not one.

    ``[sign][$]digits[suffix]``: digits as Python writes them (``_`` allowed, an
    exponent) or grouped by thousands with commas (``25,000``); the suffix k/K, M, B,
    T multiplies by 1e3, 1e6, 1e9, 1e12 and ``%`` by 1e-2. The value is the double
    nearest the decimal written (``float("15.6e12")``, not ``15.6 * 1e12``); an exponent
    and a suffix together (``1e3k``) and ``$`` with ``%`` are not amounts.
    """
    match = _AMOUNT.match(text.strip())
    if not match:
        return None
    sign, currency, digits, suffix = match.groups()
    if suffix and ("e" in digits.lower() or (currency and suffix == "%")):
        return None
    digits = digits.replace(",", "").replace("_", "")
    return float(f"{sign}{digits}e{SUFFIX_EXPONENT[suffix]}" if suffix else f"{sign}{digits}")


def _number(text: str, *, what: str) -> float:
    value = amount(text)
    if value is None:
        raise DistributionError(f"{what}: {text!r} is not a number; write {_FORMS}")
    return value


def _same_kind(text: str, first: str, second: str) -> None:
    if first.strip().endswith("%") != second.strip().endswith("%"):
        raise DistributionError(
            f"{text!r}: write both numbers as percentages or neither (e.g. '35% to 45%')"
        )


def interval_family(
    low: float, high: float, bounds: Bounds | None = None, *, credibility: float = 0.90
) -> Distribution:
    """What ``"low to high"`` becomes: the distribution with those 5th and 95th percentiles
    (the central ``credibility`` interval).

    Without ``bounds``, or with a domain (0, inf): lognormal (Squiggle's convention).
    With finite bounds (a fraction in (0, 1]): beta on [low bound, high bound] fitted to
    the two percentiles, so no draw leaves the domain. With only a lower bound L != 0
    (an overhead factor >= 1): L + lognormal with percentiles low − L and high − L.
    """
    percentiles = interval_percentiles(low, high, credibility=credibility)
    fitted = _bounded_fit(percentiles, bounds)
    if fitted is not None:
        return fitted
    return LogNormal.from_interval(low, high, credibility=credibility)


def _bounded_fit(percentiles: dict[Any, Any], bounds: Bounds | None) -> Distribution | None:
    """Two percentiles fitted inside ``bounds`` (see :func:`interval_family`); None where
    the lognormal already fits the domain (no bounds, (0, inf), or (-inf, inf))."""
    if bounds is None or len(percentiles) != 2:
        return None
    lower, upper = float(bounds[0]), float(bounds[1])
    if not math.isfinite(lower) or (lower == 0 and not math.isfinite(upper)):
        return None
    if math.isfinite(upper):
        return fit_percentiles(Beta, percentiles, low=lower, high=upper)
    values = list(percentiles.values())
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return None  # the lognormal fit names the bad value
    if not min(values) > lower:
        raise DistributionError(
            f"an interval above {_fmt(lower)} needs values > {_fmt(lower)}; got "
            + ", ".join(_fmt(v) for v in values)
        )
    shifted = fit_percentiles(LogNormal, {k: v - lower for k, v in percentiles.items()})
    return ScipyFamily("lognorm", {"s": shifted.sigma, "loc": lower, "scale": math.exp(shifted.mu)})


def _plus_minus(mean: float, sd: float, bounds: Bounds | None) -> Distribution:
    """``"mean ± sd"``: normal(mean, sd), or that normal truncated to ``bounds`` when they
    bound it (``truncnormal`` between two finite bounds; else conditioned on one side)."""
    if not sd > 0:
        raise DistributionError(f"'mean ± sd' needs sd > 0; got sd={_fmt(sd)}")
    normal = Normal(mean=mean, sd=sd)
    lower, upper = (-math.inf, math.inf) if bounds is None else map(float, bounds)
    if not lower <= mean <= upper:
        raise DistributionError(
            f"'mean ± sd' needs the mean inside [{_fmt(lower)}, {_fmt(upper)}]; got "
            f"mean={_fmt(mean)}"
        )
    if math.isfinite(lower) and math.isfinite(upper):
        return TruncatedNormal(mean=mean, sd=sd, low=lower, high=upper)
    if math.isfinite(lower) or math.isfinite(upper):
        return truncate(normal, lower, upper)
    return normal


def parse(
    value: Any,
    *,
    base_dir: str | Path | None = None,
    bounds: Bounds | None = None,
    _depth: int = 1,
) -> Distribution:
    """Build a distribution spec from a number, a typed amount or range, or a table.

    ``base_dir`` is where relative ``file`` paths of empirical inputs start (the
    scenario file's folder; default: the current directory). ``bounds`` is the
    quantity's domain (low, high; ``inf`` for an open side): ranges ``"a to b"``, an
    ``interval`` without ``dist`` and ``"m ± s"`` then stay inside it
    (:func:`interval_family`, :func:`_plus_minus`). Tables nest (mixture components)
    at most :data:`MAX_NESTING` mixtures deep.
    """
    if _depth > MAX_NESTING + 1:  # a leaf inside MAX_NESTING mixtures is at MAX_NESTING + 1
        raise DistributionError(
            f"distributions nest at most {MAX_NESTING} levels deep (a mixture of mixtures ...); "
            f"got more"
        )
    if isinstance(value, Distribution):
        return value
    if isinstance(value, bool):
        raise DistributionError(f"expected {_FORMS} or a table; got {value!r}")
    if isinstance(value, int | float):
        return Fixed(value=float(value))
    if isinstance(value, str):
        return _parse_string(value, bounds)
    if isinstance(value, dict):
        spec = _parse_table(_join_split_percentiles(value), Path(base_dir or "."), _depth, bounds)
        if "truncate" in value:
            spec = _truncated(spec, value["truncate"])
        return spec
    raise DistributionError(f"expected {_FORMS} or a table; got {value!r}")


def _parse_string(text: str, bounds: Bounds | None) -> Distribution:
    match = _INTERVAL.match(text)
    if match:
        _same_kind(text, match[1], match[2])
        low = _number(match[1], what=f"{text!r}")
        high = _number(match[2], what=f"{text!r}")
        if not low < high:
            raise DistributionError(f"{text!r}: 'low to high' needs low < high")
        return interval_family(low, high, bounds)
    match = _PLUS_MINUS.match(text)
    if match:
        _same_kind(text, match[1], match[2])
        mean = _number(match[1], what=f"{text!r}")
        return _plus_minus(mean, _number(match[2], what=f"{text!r}"), bounds)
    value = amount(text)
    if value is None:
        raise DistributionError(f"expected {_FORMS}; got {text!r}")
    return Fixed(value=value)


def _join_split_percentiles(table: dict[str, Any]) -> dict[str, Any]:
    """Undo TOML's dotted keys: an unquoted ``p2.5 = 1`` reads as ``{"p2": {"5": 1}}``."""
    out = {}
    for key, value in table.items():
        if _SPLIT_PERCENTILE.match(key) and isinstance(value, dict):
            for fraction, inner in value.items():
                out[f"{key}.{fraction}"] = inner
        else:
            out[key] = value
    return out


def _truncated(spec: Distribution, bounds: Any) -> Distribution:
    if not isinstance(bounds, list | tuple) or len(bounds) != 2:
        raise DistributionError(
            f"truncate needs [low, high] (use inf or -inf for an open side); got {bounds!r}"
        )
    return truncate(spec, bounds[0], bounds[1])


def _interval(value: Any, credibility: Any) -> dict[float, float]:
    match = _INTERVAL.match(value) if isinstance(value, str) else None
    if match:
        _same_kind(value, match[1], match[2])
        low = _number(match[1], what=f"interval {value!r}")
        high = _number(match[2], what=f"interval {value!r}")
    elif isinstance(value, list | tuple) and len(value) == 2:
        low, high = (
            _number(end, what=f"interval {list(value)!r}") if isinstance(end, str) else end
            for end in value
        )
    else:
        raise DistributionError(f"interval needs 'low to high' or [low, high]; got {value!r}")
    return interval_percentiles(low, high, credibility=credibility)


def _parse_table(
    table: dict[str, Any], base_dir: Path, depth: int, bounds: Bounds | None
) -> Distribution:
    params = {k: v for k, v in table.items() if k not in _META_KEYS}
    percentiles: dict[Any, Any] = {k: v for k, v in params.items() if percent_of(k) is not None}
    if "interval" in params:
        percentiles.update(_interval(params.pop("interval"), params.pop("credibility", 0.90)))
    others = {k: v for k, v in params.items() if k not in percentiles}
    if "dist" not in table and percentiles and not others:  # as "a to b" for this domain
        fitted = _bounded_fit(percentiles, bounds)
        if fitted is not None:
            return fitted
    family = table.get("dist", "lognormal" if percentiles and not others else None)
    if family is None:
        if set(params) == {"value"}:
            return parse(params["value"], base_dir=base_dir, bounds=bounds, _depth=depth + 1)
        raise DistributionError(
            f"a distribution table needs dist = one of {', '.join(FAMILIES)}, or "
            f"scipy.<name>; got keys {', '.join(sorted(table)) or 'none'}"
        )
    if isinstance(family, str) and family.startswith(SCIPY_PREFIX):
        scipy_name = family[len(SCIPY_PREFIX) :]
        if percentiles:
            return fit_percentiles(ScipyFamily, percentiles, family=scipy_name, **others)
        return ScipyFamily(scipy_name, params)
    if not isinstance(family, str) or family.lower() not in FAMILIES:
        raise DistributionError(
            f"unknown distribution {family!r}; known: {', '.join(FAMILIES)}, scipy.<name>"
        )
    cls = FAMILIES[family.lower()]
    if cls is LogNormal and set(params) in (
        {"p5", "p95"},
        {"low", "high"},
        {"low", "high", "credibility"},
    ):
        return _lognormal_alternatives(params)
    if percentiles:
        return fit_percentiles(cls, percentiles, **others)
    if cls is Mixture:
        return _mixture(params, base_dir, depth, bounds)
    if cls is Empirical and "file" in params:
        return _empirical_file(params, base_dir)
    return _construct(cls, params)


def _mixture(
    params: dict[str, Any], base_dir: Path, depth: int, bounds: Bounds | None
) -> Distribution:
    components = params.get("components")
    if not isinstance(components, list | tuple) or set(params) - {"components", "weights"}:
        raise DistributionError(
            "mixture takes components (a list of distributions) and weights; got "
            f"{', '.join(sorted(params)) or 'nothing'}"
        )
    if "weights" not in params:
        raise DistributionError("mixture needs weights, one per component; got none")
    parsed = tuple(parse(c, base_dir=base_dir, bounds=bounds, _depth=depth + 1) for c in components)
    return Mixture(components=parsed, weights=params["weights"])


def _empirical_file(params: dict[str, Any], base_dir: Path) -> Distribution:
    if set(params) != {"file", "column"}:
        raise DistributionError(
            f"empirical takes values, or file and column; got {', '.join(sorted(params))}"
        )
    for key in ("file", "column"):
        if not isinstance(params[key], str):
            raise DistributionError(f"empirical needs {key} to be a string; got {params[key]!r}")
    path = Path(params["file"])
    return Empirical.from_csv(path if path.is_absolute() else base_dir / path, params["column"])


def _construct(cls: type[Distribution], params: dict[str, Any]) -> Distribution:
    """Call ``cls(**params)`` after naming any missing or unknown parameter."""
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise DistributionError(
            f"{cls.name} has no parameter {', '.join(unknown)}; it takes {', '.join(known)}"
        )
    missing = [
        name
        for name, f in known.items()
        if name not in params and f.default is MISSING and f.default_factory is MISSING
    ]
    if missing:
        raise DistributionError(
            f"{cls.name} needs {', '.join(missing)}; got {', '.join(sorted(params)) or 'nothing'}"
        )
    return cls(**params)


def _lognormal_alternatives(params: dict[str, Any]) -> Distribution:
    """lognormal by (mu, sigma), (p5, p95), or (low, high[, credibility])."""
    keys = set(params)
    if keys == {"p5", "p95"}:
        return LogNormal.from_interval(params["p5"], params["p95"], credibility=0.90)
    if keys in ({"low", "high"}, {"low", "high", "credibility"}):
        return LogNormal.from_interval(
            params["low"], params["high"], credibility=params.get("credibility", 0.90)
        )
    raise DistributionError(
        "lognormal takes mu and sigma, or p5 and p95, or low and high (with optional "
        f"credibility); got {', '.join(sorted(keys)) or 'nothing'}"
    )
