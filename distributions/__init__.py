"""What is uncertain: distribution families, parsing from scenario values, sampling designs.

This package never imports :mod:`simulate`.
"""

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
from .parse import FAMILIES, parse
from .sampling import METHODS, U_MAX, U_MIN, Method, reachable_range, sample, stable_key, uniforms

__all__ = [
    "FAMILIES",
    "METHODS",
    "PERT",
    "Beta",
    "Distribution",
    "DistributionError",
    "Fixed",
    "LogNormal",
    "LogUniform",
    "Method",
    "U_MAX",
    "U_MIN",
    "Normal",
    "Triangular",
    "TruncatedNormal",
    "Uniform",
    "parse",
    "reachable_range",
    "sample",
    "stable_key",
    "uniforms",
]
