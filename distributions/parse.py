"""Turn scenario-file values into distribution specs.

Accepted forms (TOML values as read by :mod:`tomllib`):

* a bare number: :class:`~distributions.families.Fixed`;
* a string ``"a to b"``: lognormal with those 5th and 95th percentiles (the
  convention of Squiggle and Guesstimate);
* a table with ``dist = "<family>"`` and the family's parameters; every table may
  also carry ``source`` (ignored here, kept by the caller).
"""

from __future__ import annotations

import re
from dataclasses import MISSING, fields
from typing import Any

from .families import (
    PERT,
    Beta,
    Distribution,
    DistributionError,
    Fixed,
    LogNormal,
    LogUniform,
    Normal,
    Triangular,
    TruncatedNormal,
    Uniform,
)

__all__ = ["FAMILIES", "parse"]

#: Family name (as written in scenario files) -> class.
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
    )
}

_NUMBER = r"[-+]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_INTERVAL = re.compile(rf"^\s*({_NUMBER})\s+to\s+({_NUMBER})\s*$")
_META_KEYS = {"dist", "source"}


def _number(text: str) -> float:
    return float(text.replace("_", ""))


def parse(value: Any) -> Distribution:
    """Build a distribution spec from a number, an ``"a to b"`` string or a table."""
    if isinstance(value, Distribution):
        return value
    if isinstance(value, bool):
        raise DistributionError(f"expected a number, a string 'a to b' or a table; got {value!r}")
    if isinstance(value, int | float):
        return Fixed(value=float(value))
    if isinstance(value, str):
        return _parse_string(value)
    if isinstance(value, dict):
        return _parse_table(value)
    raise DistributionError(f"expected a number, a string 'a to b' or a table; got {value!r}")


def _parse_string(text: str) -> Distribution:
    match = _INTERVAL.match(text)
    if match:
        return LogNormal.from_interval(_number(match[1]), _number(match[2]))
    try:
        return Fixed(value=_number(text.strip()))
    except ValueError:
        raise DistributionError(
            f"expected a number or a 90% interval written 'low to high' (e.g. '0.06 to 0.11'); "
            f"got {text!r}"
        ) from None


def _parse_table(table: dict[str, Any]) -> Distribution:
    params = {k: v for k, v in table.items() if k not in _META_KEYS}
    if "dist" not in table:
        if set(params) == {"value"}:
            return parse(params["value"])
        raise DistributionError(
            f"a distribution table needs dist = one of {', '.join(FAMILIES)}; got keys "
            f"{', '.join(sorted(table)) or 'none'}"
        )
    family = table["dist"]
    if not isinstance(family, str) or family.lower() not in FAMILIES:
        raise DistributionError(f"unknown distribution {family!r}; known: {', '.join(FAMILIES)}")
    cls = FAMILIES[family.lower()]
    if cls is LogNormal and set(params) != {"mu", "sigma"}:
        return _lognormal_alternatives(params)
    return _construct(cls, params)


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
