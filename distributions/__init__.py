"""What is uncertain: distribution families, parsing from scenario values, sampling designs.

This package never imports :mod:`simulate`.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: Public name -> submodule. Imported on first use (PEP 562), so that ``METHODS`` or
#: ``uniforms`` do not pull in scipy.stats (half a second of start-up).
_WHERE = {
    **dict.fromkeys(
        (
            "PERT",
            "Beta",
            "Distribution",
            "DistributionError",
            "Fixed",
            "LogNormal",
            "LogUniform",
            "Normal",
            "Triangular",
            "TruncatedNormal",
            "Uniform",
        ),
        "families",
    ),
    **dict.fromkeys(("FAMILIES", "parse"), "parse"),
    **dict.fromkeys(("METHODS", "Method", "sample", "stable_key", "uniforms"), "sampling"),
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


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
