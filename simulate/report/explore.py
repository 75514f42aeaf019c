"""The interactive part of ``report.html``: each headline node's empirical distribution as an
exact count table on a threshold grid, and the sliders that read it in the page.

The grid (:func:`distribution_grid`) holds thresholds ``x_i`` and, for each, the exact
counts of draws above (``gt``) and below (``lt``) it. At a grid threshold the page shows
``gt/n`` (or ``lt/n``): the very estimator of :func:`simulate.analysis.risk.miss_probability`,
so the probability is exact to every digit shown, not interpolated. The grid only limits
which thresholds a slider can take: for ``x_i <= t < x_{i+1}``,
``gt_{i+1}/n <= P(X > t) <= gt_i/n``, so a threshold between two positions is off by at most
the largest step ``max_i (gt_i - gt_{i+1})/n`` (stated on the page, :func:`grid_step`).
The scenario's own thresholds are grid points, so the slider reproduces summary.json there.

The interval is Wilson's (1927) 95% score interval, computed in the page with the
arithmetic of ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")`` (Newcombe 1998's
form), the interval summary.json reports.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..analysis.risk import RiskTarget
from ..model.chain import HEADLINE_OUTPUTS

__all__ = ["GRID_DIGITS", "distribution_grid", "distribution_grids", "grid_step"]

#: Significant digits of a grid threshold: the page shows the threshold it counted at.
GRID_DIGITS = 5
#: Probability levels of the grid's order statistics: every 0.1% in the body, every
#: 0.002% in the outer 1% of each tail (where risk targets usually sit).
_LEVELS = np.unique(
    np.concatenate([np.linspace(0, 1, 1001), np.linspace(0, 0.01, 501), np.linspace(0.99, 1, 501)])
)


def _round(values: np.ndarray, digits: int = GRID_DIGITS) -> np.ndarray:
    """Each value to ``digits`` significant digits (as Python's ``format(x, '.5g')``)."""
    return np.array([float(f"{x:.{digits}g}") for x in values.tolist()])


def distribution_grid(values: Any, thresholds: Iterable[float] = ()) -> dict[str, Any] | None:
    """The exact counts of ``values`` above and below each grid threshold.

    Thresholds: the order statistics at :data:`_LEVELS` rounded to :data:`GRID_DIGITS`
    significant digits, plus ``thresholds`` exactly. ``gt[i]`` counts draws ``> x[i]``,
    ``lt[i]`` draws ``< x[i]`` (NaN draws in neither, as ``RiskTarget.misses`` counts).
    None when no draw is finite.
    """
    v = np.sort(np.asarray(values, dtype=float).ravel())  # NaN sort last
    n = v.size
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        return None
    nan = int(np.count_nonzero(np.isnan(v)))
    order = finite[np.round(_LEVELS * (finite.size - 1)).astype(int)]
    extra = [float(t) for t in thresholds if math.isfinite(t)]
    x = np.unique(np.concatenate([_round(order), np.asarray(extra, dtype=float)]))
    gt = n - nan - np.searchsorted(v, x, side="right")
    lt = np.searchsorted(v, x, side="left")
    return {"n": n, "x": x.tolist(), "gt": gt.tolist(), "lt": lt.tolist()}


def grid_step(grid: Mapping[str, Any], direction: str = "above") -> float:
    """The largest change in probability between neighbouring grid thresholds: the most a
    threshold between two slider positions can differ from either (module docstring)."""
    counts = np.asarray(grid["gt"] if direction == "above" else grid["lt"])
    if counts.size < 2:
        return 0.0
    return float(np.max(np.abs(np.diff(counts)))) / grid["n"]


def distribution_grids(
    ds: xr.Dataset | Mapping[str, Any],
    targets: Sequence[RiskTarget] = (),
    nodes: Sequence[str] = HEADLINE_OUTPUTS,
) -> dict[str, dict[str, Any]]:
    """A grid (:func:`distribution_grid`) per headline node and per risk target's node that
    the run holds, with the targets' thresholds on it."""
    wanted = [*nodes, *(t.node for t in targets)]
    grids = {}
    for node in dict.fromkeys(wanted):
        if node not in ds:
            continue
        grid = distribution_grid(
            np.asarray(ds[node]), [t.threshold for t in targets if t.node == node]
        )
        if grid is not None:
            grids[node] = grid
    return grids


def grids_json(grids: Mapping[str, Any]) -> str:
    """The grids as JSON safe inside ``<script type="application/json">`` (no ``</``)."""
    return json.dumps(grids, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
