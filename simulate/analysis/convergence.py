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

from .intervals import _num, percentile_key
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

    @property
    def percentiles_checked(self) -> int:
        """How many percentiles (variables × percentiles) the precision covers."""
        return int(self.summary["percentile"].size)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_draws": self.n_draws,
            "converged": self.converged,
            "precision": self.precision,
            "batches": len(self.history),
            "percentiles_checked": self.percentiles_checked,
            "probabilities_checked": len(self.risk),
            "history": self.history,
        }


def _worst(
    summary: xr.Dataset, risk_entries: Mapping[str, Any]
) -> tuple[float, float, str | None, str | None]:
    """Largest relative percentile half-width and largest absolute probability half-width
    (the Wilson interval at the summary's confidence), and where each is: ``"node p95"``
    and the risk key (None when there is none)."""
    value = summary["percentile"].values
    low, high = summary["percentile_low"].values, summary["percentile_high"].values
    half = (high - low) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(value != 0, half / np.abs(value), np.where(half == 0, 0.0, math.inf))
    relative = np.where(np.isfinite(value) & np.isfinite(half), relative, math.inf)
    where = None
    if relative.size:
        i, j = np.unravel_index(int(np.argmax(relative)), relative.shape)
        quantile = float(summary["quantile"].values[j])
        where = f"{summary['variable'].values[i]} {percentile_key(quantile)}"
    confidence = summary.attrs["confidence"]
    absolute, key = 0.0, None
    for name, entry in risk_entries.items():
        cell = proportion_interval(entry["draws_missing"], entry["draws"], confidence=confidence)
        if key is None or (cell["high"] - cell["low"]) / 2 > absolute:
            absolute, key = (cell["high"] - cell["low"]) / 2, name
    return max(0.0, float(relative.max(initial=0.0))), absolute, where, key


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
    replicates: int = 0,
) -> Convergence:
    """Draw in batches until every interval is within ``precision``, up to ``max_draws``.

    Stops when every percentile's interval half-width, (high − low)/2, is at most
    ``precision`` × |percentile| and every risk target's probability's is at most
    ``precision`` (absolute). Batch k is ``draw(start, size)`` for the draws
    [start, start + size): with ``growth="double"`` the total doubles each batch,
    with ``"fixed"`` it grows by ``batch``. The draws of a run stopped at N equal
    ``draw(0, N)`` when ``draw`` is index-addressable
    (:func:`simulate.analysis.intervals.make_draw`). ``outputs`` (default: every array
    ``draw`` returns) are the variables whose percentiles must meet the precision;
    ``replicates``: the draws are a randomized QMC design's interleaved replicates
    (:func:`simulate.analysis.summary.summarize`).
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
        summary = summarize(
            draws, percentiles, variables=outputs, confidence=confidence, replicates=replicates
        )
        risk_entries = risk(draws, targets)
        relative, absolute, where, key = _worst(summary, risk_entries)
        converged = relative <= precision and absolute <= precision
        history.append(
            {
                "n_draws": total,
                "percentile_relative_half_width": _num(relative),
                "widest_percentile": where,
                "probability_half_width": _num(absolute),
                "widest_probability": key,
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
