"""Risk targets: a variable, a threshold, a direction and a label, and the probability of
missing one with its Wilson interval.

One home for the concept: the scenario's ``[risk]`` table becomes a tuple of
:class:`RiskTarget`; the in-memory summary, the chunked counts, the sensitivity section,
the runs to a precision, the figures and every report read them from there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats

__all__ = [
    "RiskTarget",
    "miss_probability",
    "miss_probability_from_counts",
    "proportion_interval",
    "with_reachability",
]

Direction = Literal["above", "below"]


@dataclass(frozen=True)
class RiskTarget:
    """The target is missed when ``node`` (a model variable) ends above (or below) ``threshold``."""

    node: str
    threshold: float
    direction: Direction = "above"
    label: str = "threshold"

    @property
    def key(self) -> str:
        """The summary's key: ``train_days_over_deadline``, ``co2_t_under_floor``."""
        side = "over" if self.direction == "above" else "under"
        return f"{self.node}_{side}_{re.sub(r'[^A-Za-z0-9]+', '_', self.label).strip('_')}"

    @property
    def symbol(self) -> str:
        """``>`` or ``<``: the side of the threshold that misses the target."""
        return ">" if self.direction == "above" else "<"

    def misses(self, values: Any) -> np.ndarray:
        """Which values miss the target (strictly beyond the threshold)."""
        values = np.asarray(values)
        return values > self.threshold if self.direction == "above" else values < self.threshold


def proportion_interval(count: int, n: int, *, confidence: float = 0.95) -> dict[str, Any]:
    """``count`` of ``n``: the proportion with its Wilson (1927) score interval, via scipy."""
    ci = stats.binomtest(count, n).proportion_ci(confidence_level=confidence, method="wilson")
    return {"probability": count / n, "low": float(ci.low), "high": float(ci.high), "count": count}


def miss_probability(values: Any, target: RiskTarget) -> dict[str, Any]:
    """P(values miss ``target``) with its 95% Wilson score interval (Wilson 1927, via scipy)."""
    missing = int(np.count_nonzero(target.misses(values)))
    return miss_probability_from_counts(missing, int(np.size(values)), target)


def miss_probability_from_counts(missing: int, n: int, target: RiskTarget) -> dict[str, Any]:
    """:func:`miss_probability` from the counts: ``missing`` of ``n`` draws miss."""
    cell = proportion_interval(missing, n)
    return {
        "node": target.node,
        "direction": target.direction,
        "label": target.label,
        "threshold": float(target.threshold),
        "probability": cell["probability"],
        "ci95": [cell["low"], cell["high"]],
        "draws_missing": missing,
        "draws": n,
    }


def with_reachability(entry: dict[str, Any], low: float, high: float) -> dict[str, Any]:
    """A risk entry (:func:`miss_probability`) with ``reachable`` ([low, high]: the smallest
    and largest value its node can take under the priors) and ``status``: ``impossible``
    where no value in that range misses the target, ``certain`` where every value does,
    otherwise ``estimate`` (the Monte Carlo share is the answer).

    A target is missed strictly beyond its threshold, so a deadline equal to the largest
    reachable value is impossible to miss. The draws must agree (none miss an impossible
    target, all miss a certain one); where they do not, the range was not a bound after
    all and the entry stays an estimate.
    """
    threshold, missing, n = entry["threshold"], entry["draws_missing"], entry["draws"]
    beyond_all = low > threshold if entry["direction"] == "above" else high < threshold
    beyond_none = high <= threshold if entry["direction"] == "above" else low >= threshold
    if beyond_none and missing == 0:
        status = "impossible"
    elif beyond_all and missing == n:
        status = "certain"
    else:
        status = "estimate"
    return {**entry, "status": status, "reachable": [float(low), float(high)]}
