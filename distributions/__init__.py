"""What is uncertain: distribution families, parsing from scenario values, percentile
fitting, truncation, rank correlation and sampling designs.

This package never imports :mod:`simulate`. docs/distributions.md describes every
family and table form. Public names are imported on first use (PEP 562), so that
``METHODS`` or ``uniforms`` do not pull in scipy.stats (half a second of start-up).
"""

from collections.abc import Mapping
from importlib import import_module
from typing import TYPE_CHECKING, Any

from .base import Distribution as _Distribution

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .base import Distribution, DistributionError
    from .dependence import (
        Correlations,
        achieved_spearman,
        apply_copula,
        as_correlations,
        nearest_correlation,
        pearson_from_spearman,
        spearman_from_pearson,
    )
    from .discrete import Discrete, Empirical, read_csv_column
    from .elicitation import (
        FITTABLE,
        fit_percentiles,
        from_interval,
        interval_percentiles,
        percent_of,
    )
    from .families import (
        PERT,
        Beta,
        Fixed,
        Gamma,
        LogNormal,
        LogUniform,
        Normal,
        Triangular,
        TruncatedNormal,
        Uniform,
        as_specs,
    )
    from .metalog import Metalog
    from .mixture import Mixture
    from .parse import FAMILIES, parse
    from .ranks import mid_cdf
    from .sampling import (
        METHODS,
        U_MAX,
        U_MIN,
        Method,
        reachable_range,
        sample,
        stable_key,
        uniforms,
    )
    from .scipy_bridge import ScipyFamily, SpecDistribution
    from .truncation import Truncated, mass_outside, truncate

#: Public name -> the submodule that defines it.
_WHERE = {
    **dict.fromkeys(
        (
            "Correlations",
            "achieved_spearman",
            "apply_copula",
            "as_correlations",
            "nearest_correlation",
            "pearson_from_spearman",
            "spearman_from_pearson",
        ),
        "dependence",
    ),
    **dict.fromkeys(("Discrete", "Empirical", "read_csv_column"), "discrete"),
    **dict.fromkeys(
        ("FITTABLE", "fit_percentiles", "from_interval", "interval_percentiles", "percent_of"),
        "elicitation",
    ),
    **dict.fromkeys(
        (
            "PERT",
            "Beta",
            "Fixed",
            "Gamma",
            "LogNormal",
            "LogUniform",
            "Normal",
            "Triangular",
            "TruncatedNormal",
            "Uniform",
            "as_specs",
        ),
        "families",
    ),
    **dict.fromkeys(("Distribution", "DistributionError"), "base"),
    "Metalog": "metalog",
    "Mixture": "mixture",
    **dict.fromkeys(("FAMILIES", "parse"), "parse"),
    "mid_cdf": "ranks",
    **dict.fromkeys(
        (
            "METHODS",
            "U_MAX",
            "U_MIN",
            "Method",
            "reachable_range",
            "sample",
            "stable_key",
            "uniforms",
        ),
        "sampling",
    ),
    **dict.fromkeys(("ScipyFamily", "SpecDistribution"), "scipy_bridge"),
    **dict.fromkeys(("Truncated", "mass_outside", "truncate"), "truncation"),
}

__all__ = [
    "FAMILIES",
    "FITTABLE",
    "METHODS",
    "PERT",
    "Beta",
    "Correlations",
    "Discrete",
    "Distribution",
    "DistributionError",
    "Empirical",
    "Fixed",
    "Gamma",
    "LogNormal",
    "LogUniform",
    "Metalog",
    "Method",
    "Mixture",
    "U_MAX",
    "U_MIN",
    "Normal",
    "ScipyFamily",
    "SpecDistribution",
    "Triangular",
    "Truncated",
    "TruncatedNormal",
    "Uniform",
    "achieved_spearman",
    "apply_copula",
    "as_correlations",
    "as_specs",
    "fit_percentiles",
    "from_interval",
    "interval_percentiles",
    "mass_outside",
    "mid_cdf",
    "nearest_correlation",
    "parse",
    "pearson_from_spearman",
    "percent_of",
    "read_csv_column",
    "reachable_range",
    "sample",
    "spearman_from_pearson",
    "stable_key",
    "truncate",
    "uniforms",
]


def _from_percentiles(
    cls: type[_Distribution], percentiles: Mapping[Any, float], /, **known: Any
) -> _Distribution:
    """The member of this family whose percentiles are ``percentiles``.

    Keys are percents (``{10: 2.0, 90: 7.0}``) or ``"pNN"`` strings; ``known``
    fixes other parameters (e.g. ``mode`` for PERT). See
    :func:`distributions.elicitation.fit_percentiles`.
    """
    from .elicitation import fit_percentiles  # noqa: PLC0415 (scipy.optimize: on first use)

    return fit_percentiles(cls, percentiles, **known)


# Attached here, where the package wires its modules together, so that base.py (which
# every family imports) does not import elicitation.py (which imports the families).
_Distribution.from_percentiles = classmethod(_from_percentiles)  # type: ignore[assignment]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
