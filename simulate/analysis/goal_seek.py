"""Goal seek on a simulated statistic: a target such as ``P(train_days <= 90) >= 0.9``,
the statistic's value with its interval, and the search for the input value that meets it.

A *statistic* is one of

* ``P(node <= x)`` (``<``, ``>=``, ``>``): the share of draws in the event, with its Wilson
  (1927) score interval (:func:`simulate.analysis.risk.proportion_interval`);
* ``P(key)``: the probability of missing a scenario risk target, by its summary key
  (``train_days_over_deadline``), as :func:`simulate.analysis.risk.miss_probability`;
* ``P90(node)``: a percentile (numpy's linear rule) with its distribution-free
  order-statistic interval (:func:`simulate.analysis.intervals.quantile_intervals`);
* ``mean(node)``: the sample mean with its normal interval
  (:func:`simulate.analysis.intervals.mean_interval`).

A *target* is a statistic, a comparison and a level: ``P90(train_days) <= 90``.

:func:`seek` finds where a target's truth changes along one input, given a function that
evaluates the statistic at a value of it. With common random numbers (every other input
drawn once) the statistic is a deterministic function of that value, so the search is
exact for those draws: on a grid (whole numbers, or multiples of a step) by bisection on
the grid's index, which returns the grid point next to the change; otherwise Brent's
method (``scipy.optimize.brentq``; Brent 1973, *Algorithms for Minimization without
Derivatives*, ch. 4) on the statistic's slack. Both assume the statistic is monotone in
the input over the range (true of every node of the chain that the input scales
monotonically: each draw's value moves one way, so does every share and order statistic).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import optimize

from .intervals import mean_interval, quantile_intervals
from .risk import RiskTarget, proportion_interval

__all__ = [
    "Evaluation",
    "GoalError",
    "Search",
    "Statistic",
    "Target",
    "parse_target",
    "seek",
    "statistic_value",
]

Kind = Literal["probability", "risk", "percentile", "mean"]


class GoalError(ValueError):
    """A target that is not a statistic compared with a number, or a search that cannot run."""


_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
}
_UNICODE = {"≤": "<=", "≥": ">="}
_NUMBER = r"[-+]?(?:\d[\d_,]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?%?"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_OP = r"<=|>=|<|>"
_TARGET = re.compile(rf"^\s*(?P<stat>.+?)\s*(?P<op>{_OP})\s*(?P<level>{_NUMBER})\s*$")
_EVENT = re.compile(rf"^P\(\s*(?P<node>{_NAME})\s*(?P<op>{_OP})\s*(?P<x>{_NUMBER})\s*\)$")
_RISK = re.compile(rf"^P\(\s*(?P<key>{_NAME})\s*\)$")
_PERCENTILE = re.compile(rf"^P(?P<p>\d+(?:\.\d+)?)\(\s*(?P<node>{_NAME})\s*\)$")
_MEAN = re.compile(rf"^mean\(\s*(?P<node>{_NAME})\s*\)$")
FORMS = "P(node <= x), P(risk key), P90(node) or mean(node), compared with a number"


def _number(text: str) -> float:
    """``90``, ``1.2e9``, ``49_152``, ``49,152`` or ``90%`` (= 0.9)."""
    percent = text.endswith("%")
    value = float(text.rstrip("%").replace("_", "").replace(",", ""))
    return value / 100 if percent else value


@dataclass(frozen=True)
class Statistic:
    """What is measured on the draws of ``node`` (see the module docstring)."""

    kind: Kind
    node: str
    percent: float | None = None  # percentile
    op: str | None = None  # probability: the event's comparison
    threshold: float | None = None  # probability: the event's threshold
    risk: RiskTarget | None = None  # risk: the scenario's target

    @property
    def text(self) -> str:
        if self.kind == "probability":
            return f"P({self.node} {self.op} {self.threshold:g})"
        if self.kind == "risk":
            assert self.risk is not None
            return f"P({self.risk.key})"
        if self.kind == "percentile":
            return f"P{self.percent:g}({self.node})"
        return f"mean({self.node})"

    @property
    def is_probability(self) -> bool:
        return self.kind in ("probability", "risk")


@dataclass(frozen=True)
class Target:
    """``statistic op level``, e.g. ``P(train_days <= 90) >= 0.9``."""

    statistic: Statistic
    op: str
    level: float

    @property
    def text(self) -> str:
        return f"{self.statistic.text} {self.op} {self.level:g}"

    def slack(self, value: float) -> float:
        """How far ``value`` is on the meeting side of the level (>= 0 meets a non-strict
        target; > 0 a strict one)."""
        return value - self.level if self.op in (">=", ">") else self.level - value

    def met(self, value: float) -> bool:
        return _OPS[self.op](value, self.level)


def parse_target(
    text: str, nodes: Sequence[str], risk_targets: Sequence[RiskTarget] = ()
) -> Target:
    """A target from its text; ``nodes`` are those the scenario computes, ``risk_targets``
    its ``[risk]``. Raises :class:`GoalError` naming what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise GoalError(f"needs a statistic compared with a number ({FORMS}); got {text!r}")
    clean = text
    for symbol, ascii_op in _UNICODE.items():
        clean = clean.replace(symbol, ascii_op)
    whole = _TARGET.match(clean)
    if whole is None:
        raise GoalError(f"needs a statistic compared with a number ({FORMS}); got {text!r}")
    stat_text, op, level = whole["stat"].strip(), whole["op"], _number(whole["level"])
    statistic = _statistic(stat_text, text, nodes, risk_targets)
    if statistic.is_probability and not 0 <= level <= 1:
        raise GoalError(f"a probability's level must lie in [0, 1] (or 0% to 100%); got {text!r}")
    return Target(statistic, op, level)


def _statistic(
    stat: str, text: str, nodes: Sequence[str], risk_targets: Sequence[RiskTarget]
) -> Statistic:
    def node_of(name: str) -> str:
        if name not in nodes:
            raise GoalError(
                f"{name!r} is not a node this scenario computes ({', '.join(nodes)}); got {text!r}"
            )
        return name

    if match := _EVENT.match(stat):
        return Statistic(
            "probability", node_of(match["node"]), op=match["op"], threshold=_number(match["x"])
        )
    if match := _PERCENTILE.match(stat):
        percent = float(match["p"])
        if not 0 < percent < 100:
            raise GoalError(f"a percentile must lie strictly between 0 and 100; got {text!r}")
        return Statistic("percentile", node_of(match["node"]), percent=percent)
    if match := _MEAN.match(stat):
        return Statistic("mean", node_of(match["node"]))
    if match := _RISK.match(stat):
        by_key = {t.key: t for t in risk_targets}
        if match["key"] not in by_key:
            keys = ", ".join(by_key) or "none: the scenario has no [risk]"
            raise GoalError(
                f"P({match['key']}) names no risk target of this scenario (its keys: {keys}); "
                f"write an event such as P(train_days <= 90); got {text!r}"
            )
        target = by_key[match["key"]]
        return Statistic("risk", target.node, risk=target)
    raise GoalError(f"{stat!r} is not a statistic ({FORMS}); got {text!r}")


def statistic_value(values: Any, statistic: Statistic) -> dict[str, float]:
    """The statistic of ``values`` (the draws of its node) with its 95% interval:
    ``value``, ``low``, ``high`` (and ``count`` of the draws in the event for a probability)."""
    x = np.asarray(values, dtype=float).ravel()
    if statistic.kind in ("probability", "risk"):
        if statistic.kind == "risk":
            assert statistic.risk is not None
            in_event = statistic.risk.misses(x)
        else:
            assert statistic.op is not None and statistic.threshold is not None
            in_event = _OPS[statistic.op](x, statistic.threshold)  # type: ignore[arg-type]
        count = int(np.count_nonzero(in_event))
        cell = proportion_interval(count, x.size)
        return {
            "value": cell["probability"],
            "low": cell["low"],
            "high": cell["high"],
            "count": count,
        }
    if statistic.kind == "percentile":
        assert statistic.percent is not None
        estimate, low, high = quantile_intervals(x, [statistic.percent / 100], partition=True)
        return {"value": float(estimate[0]), "low": float(low[0]), "high": float(high[0])}
    mean = mean_interval(x)
    value = mean["value"]
    return {
        "value": math.nan if value is None else value,
        "low": math.nan if mean["low"] is None else mean["low"],
        "high": math.nan if mean["high"] is None else mean["high"],
    }


@dataclass(frozen=True)
class Evaluation:
    """The statistic at one value of the varied input."""

    value: float
    statistic: Mapping[str, float]
    met: bool


@dataclass(frozen=True)
class Search:
    """What :func:`seek` found. ``status``: "found" (``answer`` meets the target, its
    neighbour on the failing side does not), "met_throughout" (both ends meet it; ``answer``
    is the end with the least slack, the change lies beyond it; None if the statistic is
    the same at both ends) or "unreachable" (neither end
    meets it; ``answer`` is None, ``best`` the end with the most slack)."""

    status: Literal["found", "met_throughout", "unreachable"]
    answer: float | None
    best: float
    neighbour: float | None
    evaluations: tuple[Evaluation, ...]
    #: "smallest" when the target holds above the answer, "largest" below it, else None
    side: str | None = None


#: Interior points looked at when the target fails at both ends of the range.
SCAN_POINTS = 8


def _scan(low: float, high: float, step: float | None) -> list[float]:
    """:data:`SCAN_POINTS` values strictly inside (low, high), ascending: evenly spaced in
    log where the range spans a factor of 4 or more above 0, else evenly; on the step grid."""
    if low > 0 and high / low >= 4:
        points = np.geomspace(low, high, SCAN_POINTS + 2)[1:-1]
    else:
        points = np.linspace(low, high, SCAN_POINTS + 2)[1:-1]
    if step is not None:
        points = np.round(points / step) * step
    return sorted({float(x) for x in points if low < x < high})


def seek(
    statistic_at: Callable[[float], Mapping[str, float]],
    target: Target,
    low: float,
    high: float,
    *,
    step: float | None = None,
    xtol: float | None = None,
) -> Search:
    """The value in [low, high] where ``target`` starts to hold, ``statistic_at(x)`` giving
    the statistic (``value`` key) at x.

    ``step``: search multiples of ``step`` only (whole inputs: 1); bisection on the index
    returns the grid point that meets the target next to one that does not. Without it,
    Brent's method on the slack to ``xtol`` (default 1e-6 of the range), then the meeting
    side of the root. When neither end meets the target, :data:`SCAN_POINTS` inside the
    range are tried (a statistic need not be monotone) and the search brackets the first
    that meets it. Each value is evaluated once (cached).
    """
    cache: dict[float, Evaluation] = {}

    def at(x: float) -> Evaluation:
        x = float(x)
        if x not in cache:
            stat = statistic_at(x)
            cache[x] = Evaluation(x, stat, target.met(stat["value"]))
        return cache[x]

    if step is not None:
        k_low, k_high = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
        if k_low > k_high:
            raise GoalError(f"no multiple of {step:g} lies in [{low:g}, {high:g}]")
        grid = lambda k: k * step  # noqa: E731
        lo, hi = at(grid(k_low)), at(grid(k_high))
    else:
        lo, hi = at(low), at(high)

    def done(
        status: str, answer: float | None, best: float, neighbour: float | None, side: str | None
    ) -> Search:
        ordered = tuple(sorted(cache.values(), key=lambda e: e.value))
        return Search(status, answer, best, neighbour, ordered, side)  # type: ignore[arg-type]

    slack_lo, slack_hi = (target.slack(e.statistic["value"]) for e in (lo, hi))
    if lo.met and hi.met:  # the change lies beyond the end with the least slack, if any
        end = lo if slack_lo <= slack_hi else hi
        answer = None if slack_lo == slack_hi else end.value
        return done("met_throughout", answer, end.value, None, None)
    if not lo.met and not hi.met:
        # A statistic need not be monotone in the input (past some size, more GPUs lose more
        # to failures than they add): look inside before saying no value reaches the target.
        inside = next((e for e in map(at, _scan(low, high, step)) if e.met), None)
        if inside is None:
            best = max(cache.values(), key=lambda e: target.slack(e.statistic["value"]))
            return done("unreachable", None, best.value, None, None)
        below = max((e for e in cache.values() if e.value < inside.value), key=lambda e: e.value)
        lo, hi, low, high = below, inside, below.value, inside.value
        if step is not None:
            k_low, k_high = round(low / step), round(high / step)
    up = hi.met  # the target holds at the high end: the answer is the lowest value meeting it
    if step is not None:
        a, b = k_low, k_high  # at(grid(a)) and at(grid(b)) disagree
        while b - a > 1:
            middle = (a + b) // 2
            if at(grid(middle)).met == up:
                b = middle
            else:
                a = middle
        answer, neighbour = (grid(b), grid(a)) if up else (grid(a), grid(b))
        return done("found", answer, answer, neighbour, "smallest" if up else "largest")
    tol = xtol if xtol is not None else 1e-6 * (high - low)

    def slack(x: float) -> float:
        e = at(x)
        s = target.slack(e.statistic["value"])
        # a strict target not met at slack 0 counts as failing: the change lies beyond it
        return s if (s != 0 or e.met) else -np.finfo(float).tiny

    root = optimize.brentq(slack, low, high, xtol=tol, rtol=4 * np.finfo(float).eps)
    answer, nudge = root, tol
    for _ in range(64):  # the root's meeting side, within a few tolerances (the end meets)
        if at(answer).met:
            break
        answer = min(high, root + nudge) if up else max(low, root - nudge)
        nudge *= 2
    return done("found", answer, answer, None, "smallest" if up else "largest")
