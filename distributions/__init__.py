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
from .sampling import METHODS, Method, sample, stable_key, uniforms

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
    "Normal",
    "Triangular",
    "TruncatedNormal",
    "Uniform",
    "parse",
    "sample",
    "stable_key",
    "uniforms",
]
