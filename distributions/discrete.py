"""Families with point masses: discrete (values with weights) and empirical (draws).

Both are step distributions: cdf F(x) = sum of the weights of values <= x, and the
quantile is the generalized inverse Q(u) = min{x : F(x) >= u} (e.g. Devroye,
*Non-Uniform Random Variate Generation*, 1986, §III.2), computed with a binary
search over the cumulative weights. ``scipy.stats.rv_discrete`` gives the same
values (it is what ``to_scipy()`` returns) but its ``ppf`` compares every draw
with every value, which is quadratic in memory for empirical inputs with
thousands of draws.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from scipy import stats

from .base import Distribution, DistributionError, _fmt
from .files import decode_text, read_regular_file

__all__ = ["Discrete", "Empirical", "read_csv_column"]

#: How far weights may sum from 1 before it is an error rather than round-off.
WEIGHT_SUM_TOLERANCE = 1e-6


def _numbers(family: str, key: str, values: Any) -> tuple[float, ...]:
    if isinstance(values, str | bytes) or not hasattr(values, "__iter__"):
        raise DistributionError(f"{family} needs {key} to be a list of numbers; got {values!r}")
    out = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise DistributionError(f"{family} needs {key} to hold numbers; got {value!r}")
        if not math.isfinite(value):
            raise DistributionError(f"{family} needs {key} to be finite; got {value!r}")
        out.append(float(value))
    return tuple(out)


def check_weights(family: str, weights: tuple[float, ...], count: int, what: str) -> None:
    """Weights: one per ``what``, each > 0, summing to 1 (within round-off)."""
    if len(weights) != count:
        raise DistributionError(
            f"{family} needs one weight per {what}; got {count} {what}s and {len(weights)} weights"
        )
    for weight in weights:
        if not weight > 0:
            raise DistributionError(f"{family} needs every weight > 0; got weight={_fmt(weight)}")
    total = math.fsum(weights)
    if abs(total - 1) > WEIGHT_SUM_TOLERANCE:
        raise DistributionError(
            f"{family} needs weights that sum to 1; got {' + '.join(map(_fmt, weights))} "
            f"= {_fmt(total)}"
        )


class _StepDistribution(Distribution):
    """Shared quantile, cdf and scipy view of a finite set of weighted values."""

    @cached_property
    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted distinct values and their cumulative weights (last one exactly 1)."""
        raise NotImplementedError

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        values, cumulative = self._table
        index = np.searchsorted(cumulative, np.asarray(u, float), side="left")
        return values[np.minimum(index, len(values) - 1)]

    def _cdf(self, x: Any) -> Any:
        values, cumulative = self._table
        index = np.searchsorted(values, np.asarray(x, float), side="right")
        return np.where(index > 0, cumulative[np.maximum(index - 1, 0)], 0.0)

    def _sf(self, x: Any) -> Any:
        return 1.0 - self.cdf(x)

    def atoms(self) -> np.ndarray:
        return self._table[0]

    def probabilities(self) -> np.ndarray:
        """Weight of each value in :meth:`atoms`."""
        return np.diff(self._table[1], prepend=0.0)

    def to_scipy(self) -> Any:
        return stats.rv_discrete(values=(self.atoms(), self.probabilities()), name=self.name)

    def support(self) -> tuple[float, float]:
        values = self._table[0]
        return float(values[0]), float(values[-1])

    def expected(self) -> float:
        return float(np.dot(self.atoms(), self.probabilities()))

    @property
    def is_fixed(self) -> bool:
        return len(self._table[0]) == 1

    @property
    def is_discrete(self) -> bool:
        return True


@dataclass(frozen=True)
class Discrete(_StepDistribution):
    """Distinct ``values`` with ``weights`` summing to 1 (equal weights when omitted).

    ``Discrete(values=(8192, 16384), weights=(0.5, 0.5))``: a GPU count that is
    one or the other.
    """

    values: tuple[float, ...]
    weights: tuple[float, ...] | None = None
    name: ClassVar[str] = "discrete"

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", _numbers(self.name, "values", self.values))
        if self.weights is not None:
            object.__setattr__(self, "weights", _numbers(self.name, "weights", self.weights))
        self.validate()

    def validate(self) -> None:
        if not self.values:
            raise DistributionError(f"{self.name} needs at least one value; got values=[]")
        repeated = [v for v, n in Counter(self.values).items() if n > 1]
        if repeated:
            raise DistributionError(
                f"{self.name} needs distinct values; got {_fmt(repeated[0])} more than once"
            )
        if self.weights is not None:
            check_weights(self.name, self.weights, len(self.values), "value")

    @cached_property
    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        values = np.asarray(self.values)
        weights = (
            np.full(len(values), 1 / len(values))
            if self.weights is None
            else np.asarray(self.weights)
        )
        order = np.argsort(values)
        cumulative = np.cumsum(weights[order]) / weights.sum()
        cumulative[-1] = 1.0
        return values[order], cumulative

    def params(self) -> dict[str, Any]:
        return {"values": self.values, "weights": self.weights}

    def describe(self) -> str:
        pairs = ", ".join(
            f"{_fmt(v)}: {p:.3g}" for v, p in zip(self.atoms(), self.probabilities(), strict=True)
        )
        return f"{self.name}({pairs})"


@dataclass(frozen=True)
class Empirical(_StepDistribution):
    """The empirical distribution of ``values`` (draws): each draw has weight 1/n.

    Sampling it by inverse transform resamples the draws, as a bootstrap does
    (Efron and Tibshirani, *An Introduction to the Bootstrap*, 1993, §6).
    """

    values: tuple[float, ...]
    name: ClassVar[str] = "empirical"

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", _numbers(self.name, "values", self.values))
        self.validate()

    def validate(self) -> None:
        if len(self.values) < 2:
            raise DistributionError(f"{self.name} needs at least 2 draws; got {len(self.values)}")

    @classmethod
    def from_csv(cls, path: str | Path, column: str) -> Empirical:
        """The draws in ``column`` of the CSV file at ``path`` (header row required)."""
        return cls(values=read_csv_column(path, column))

    @cached_property
    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        values, counts = np.unique(np.asarray(self.values), return_counts=True)
        cumulative = np.cumsum(counts) / counts.sum()
        cumulative[-1] = 1.0
        return values, cumulative

    def params(self) -> dict[str, Any]:
        return {"values": self.values}

    def describe(self) -> str:
        low, high = self.support()
        return f"{self.name}({len(self.values)} draws from {_fmt(low)} to {_fmt(high)})"


def read_csv_column(path: str | Path, column: str) -> tuple[float, ...]:
    """The numbers in ``column`` of a CSV file with a header row; blank cells are skipped.

    The file is read with :func:`~distributions.files.read_regular_file` (a regular
    file of at most 64 MiB, UTF-8 text); errors name the line and column, never the
    file's content.
    """
    if not isinstance(path, str | Path):
        raise DistributionError(f"empirical needs file to be a path (a string); got {path!r}")
    if not isinstance(column, str):
        raise DistributionError(
            f"empirical needs column to be a column name (a string); got {column!r}"
        )
    path = Path(path)
    try:
        text = decode_text(path, read_regular_file(path))
    except DistributionError as error:
        raise DistributionError(f"empirical cannot read {error}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    values = []
    try:
        header = next(reader, [])
        if column not in header:
            raise DistributionError(
                f"empirical needs column {column!r} in {path}; its header (line 1) has "
                f"{len(header)} columns and none of that name"
            )
        index = header.index(column)
        for row in reader:
            cell = row[index].strip() if index < len(row) else ""
            if not cell:
                continue
            try:
                values.append(float(cell.replace("_", "")))
            except ValueError:
                raise DistributionError(
                    f"empirical needs numbers in column {column!r} of {path}; line "
                    f"{reader.line_num} holds something else there"
                ) from None
    except csv.Error:
        raise DistributionError(
            f"empirical cannot read {path}: not valid CSV on line {reader.line_num}"
        ) from None
    return tuple(values)
