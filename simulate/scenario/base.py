"""What every scenario module shares: the error, the value records, the number test."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from distributions import Distribution

__all__ = ["ConfigError", "InputSpec", "Reference", "is_number"]


class ConfigError(ValueError):
    """A scenario is invalid: the message names file, field, rule and value."""


@dataclass(frozen=True)
class InputSpec:
    """A value the scenario gives (an input, or a pinned node) and where it came from."""

    name: str
    dist: Distribution
    source: str
    origin: str  # "scenario", "catalog" or "default"


@dataclass(frozen=True)
class Reference:
    """A published value of a node, to place in the scenario's distribution."""

    node: str
    value: float
    source: str
    #: the inputs whose priors this figure was used to set (``()``: none); None: not stated
    informs_prior: tuple[str, ...] | None = None


def is_number(value: Any) -> bool:
    """True for a finite int or float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
