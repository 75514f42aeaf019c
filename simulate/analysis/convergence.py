"""Runs to a precision: draw in batches until every interval is within it.

Each batch's check reads the one summary (:func:`simulate.analysis.summary.summarize`:
percentiles with their order-statistic intervals) and the risk targets' Wilson
intervals (:func:`simulate.analysis.summary.risk`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import xarray as xr

from .intervals import _num
from .risk import RiskTarget, proportion_interval
from .summary import risk, summarize

__all__ = ["Convergence", "run_until"]


@dataclass(frozen=True)
class Convergence:
    """What :func:`run_until` drew: the draws, how many, whether the precision was met, and
    the last batch's summary Dataset and risk entries.

    ``to_dict()`` gives the JSON part: how it ran (the statistics are the report's own).
    """

    draws: dict[str, np.ndarray] = field(repr=False)
    n_draws: int
    converged: bool
    precision: float
    summary: xr.Dataset = field(compare=False)
    risk: dict[str, Any]
    history: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_draws": self.n_draws,
            "converged": self.converged,
            "precision": self.precision,
            "batches": len(self.history),
            "history": self.history,
        }


def _worst(summary: xr.Dataset, risk_entries: Mapping[str, Any]) -> tuple[float, float]:
    """Largest relative percentile half-width and largest absolute probability half-width
    (the Wilson interval at the summary's confidence)."""
    value = summary["percentile"].values
    low, high = summary["percentile_low"].values, summary["percentile_high"].values
    if not (np.isfinite(value).all() and np.isfinite(low).all() and np.isfinite(high).all()):
        return math.inf, math.inf
    half = (high - low) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(value != 0, half / np.abs(value), np.where(half == 0, 0.0, math.inf))
    confidence = summary.attrs["confidence"]
    absolute = []
    for entry in risk_entries.values():
        cell = proportion_interval(entry["draws_missing"], entry["draws"], confidence=confidence)
        absolute.append((cell["high"] - cell["low"]) / 2)
    return max(0.0, float(relative.max(initial=0.0))), max([0.0, *absolute])


def run_until(
    draw: Callable[[int, int], Mapping[str, np.ndarray]],
    *,
    precision: float,
    outputs: Sequence[str] | None = None,
    percentiles: Sequence[float] = (5, 50, 95),
    targets: Sequence[RiskTarget] = (),
    confidence: float = 0.95,
    batch: int = 2**14,
    max_draws: int = 2**22,
    growth: Literal["double", "fixed"] = "double",
) -> Convergence:
    """Draw in batches until every interval is within ``precision``, up to ``max_draws``.

    Stops when every percentile's interval half-width, (high − low)/2, is at most
    ``precision`` × |percentile| and every risk target's probability's is at most
    ``precision`` (absolute). Batch k is ``draw(start, size)`` for the draws
    [start, start + size): with ``growth="double"`` the total doubles each batch,
    with ``"fixed"`` it grows by ``batch``. The draws of a run stopped at N equal
    ``draw(0, N)`` when ``draw`` is index-addressable
    (:func:`simulate.analysis.intervals.make_draw`).
    """
    if not precision > 0 or batch < 1 or max_draws < batch or growth not in ("double", "fixed"):
        raise ValueError(
            "run_until needs precision > 0, batch >= 1, max_draws >= batch and growth 'double' "
            f"or 'fixed'; got precision={precision!r}, batch={batch!r}, max_draws={max_draws!r}, "
            f"growth={growth!r}"
        )
    chunks: list[Mapping[str, np.ndarray]] = []
    history: list[dict[str, Any]] = []
    total, size = 0, batch
    while True:
        chunks.append(draw(total, size))
        total += size
        draws = {name: np.concatenate([np.asarray(c[name]) for c in chunks]) for name in chunks[0]}
        chunks = [draws]
        missing = sorted({t.node for t in targets} - set(draws))
        if missing:
            raise ValueError(f"run_until: the draws hold no {', '.join(missing)}")
        summary = summarize(draws, percentiles, variables=outputs, confidence=confidence)
        risk_entries = risk(draws, targets)
        relative, absolute = _worst(summary, risk_entries)
        converged = relative <= precision and absolute <= precision
        history.append(
            {
                "n_draws": total,
                "percentile_relative_half_width": _num(relative),
                "probability_half_width": _num(absolute),
            }
        )
        if converged or total >= max_draws:
            return Convergence(
                draws=draws,
                n_draws=total,
                converged=converged,
                precision=precision,
                summary=summary,
                risk=risk_entries,
                history=history,
            )
        size = min(total if growth == "double" else batch, max_draws - total)
