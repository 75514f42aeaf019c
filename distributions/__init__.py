"""What is uncertain: distribution families, parsing from scenario values, percentile
fitting, truncation, rank correlation and sampling designs.

This package never imports :mod:`simulate`. docs/distributions.md describes every
family and table form.
"""

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
from .mixture import Mixture
from .parse import FAMILIES, parse
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
    "fit_percentiles",
    "from_interval",
    "interval_percentiles",
    "mass_outside",
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
