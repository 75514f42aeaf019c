"""Turn scenario-file values into distribution specs.

Accepted forms (TOML values as read by :mod:`tomllib`); docs/distributions.md
has an example of each:

* a bare number: :class:`~distributions.families.Fixed`;
* a string ``"a to b"``: lognormal with those 5th and 95th percentiles (the
  convention of Squiggle and Guesstimate);
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

import re
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

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

__all__ = ["FAMILIES", "MAX_NESTING", "parse"]

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

_NUMBER = r"[-+]?(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_INTERVAL = re.compile(rf"^\s*({_NUMBER})\s+to\s+({_NUMBER})\s*$")
_META_KEYS = {"dist", "source", "truncate"}
_SPLIT_PERCENTILE = re.compile(r"^p\d+$")


def _number(text: str) -> float:
    return float(text.replace("_", ""))


def parse(value: Any, *, base_dir: str | Path | None = None, _depth: int = 1) -> Distribution:
    """Build a distribution spec from a number, an ``"a to b"`` string or a table.

    ``base_dir`` is where relative ``file`` paths of empirical inputs start (the
    scenario file's folder; default: the current directory). Tables nest (mixture
    components) at most :data:`MAX_NESTING` mixtures deep.
    """
    if _depth > MAX_NESTING + 1:  # a leaf inside MAX_NESTING mixtures is at MAX_NESTING + 1
        raise DistributionError(
            f"distributions nest at most {MAX_NESTING} levels deep (a mixture of mixtures ...); "
            f"got more"
        )
    if isinstance(value, Distribution):
        return value
    if isinstance(value, bool):
        raise DistributionError(f"expected a number, a string 'a to b' or a table; got {value!r}")
    if isinstance(value, int | float):
        return Fixed(value=float(value))
    if isinstance(value, str):
        return _parse_string(value)
    if isinstance(value, dict):
        spec = _parse_table(_join_split_percentiles(value), Path(base_dir or "."), _depth)
        if "truncate" in value:
            spec = _truncated(spec, value["truncate"])
        return spec
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
        low, high = _number(match[1]), _number(match[2])
    elif isinstance(value, list | tuple) and len(value) == 2:
        low, high = value
    else:
        raise DistributionError(f"interval needs 'low to high' or [low, high]; got {value!r}")
    return interval_percentiles(low, high, credibility=credibility)


def _parse_table(table: dict[str, Any], base_dir: Path, depth: int) -> Distribution:
    params = {k: v for k, v in table.items() if k not in _META_KEYS}
    percentiles: dict[Any, Any] = {k: v for k, v in params.items() if percent_of(k) is not None}
    if "interval" in params:
        percentiles.update(_interval(params.pop("interval"), params.pop("credibility", 0.90)))
    others = {k: v for k, v in params.items() if k not in percentiles}
    family = table.get("dist", "lognormal" if percentiles and not others else None)
    if family is None:
        if set(params) == {"value"}:
            return parse(params["value"], base_dir=base_dir, _depth=depth + 1)
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
        return _mixture(params, base_dir, depth)
    if cls is Empirical and "file" in params:
        return _empirical_file(params, base_dir)
    return _construct(cls, params)


def _mixture(params: dict[str, Any], base_dir: Path, depth: int) -> Distribution:
    components = params.get("components")
    if not isinstance(components, list | tuple) or set(params) - {"components", "weights"}:
        raise DistributionError(
            "mixture takes components (a list of distributions) and weights; got "
            f"{', '.join(sorted(params)) or 'nothing'}"
        )
    if "weights" not in params:
        raise DistributionError("mixture needs weights, one per component; got none")
    parsed = tuple(parse(c, base_dir=base_dir, _depth=depth + 1) for c in components)
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
