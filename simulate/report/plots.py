"""Figures of a run: distributions, exceedance curves, drivers, sensitivity, comparisons.

Every function returns a :class:`matplotlib.figure.Figure` and never writes a file (the
report does: :func:`figure_png` gives the bytes). Rendering is headless: figures are
made with :class:`~matplotlib.figure.Figure` directly on the Agg canvas, never through
pyplot's global state, so no display is needed and nothing leaks between calls.

Axes read in the quantity's units on a readable scale (:mod:`simulate.report.units`: days,
million USD), never in raw exponents. The marks follow the report's conventions:
percentiles by numpy's linear rule (as :func:`simulate.analysis.summary.summarize`), exceedance
as ``1 - ECDF`` (the empirical survival function, P(X > x)).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from .units import Scale, format_number, scale_for

__all__ = [
    "figure_png",
    "plot_compare",
    "plot_distribution",
    "plot_driver_scatter",
    "plot_exceedance",
    "plot_miss_ecdfs",
    "plot_rank_correlations",
    "plot_tornado",
]

#: Most points a scatter draws; more only blur into ink and bloat the PNG.
SCATTER_POINTS = 4_000
#: Draws the density curve is estimated from (the histogram counts them all).
KDE_POINTS = 20_000
#: Most histogram bins (numpy's "auto" rule, capped).
MAX_BINS = 120
#: Points the exceedance curve is drawn through (each exact; straight lines between).
CURVE_POINTS = 2_000
_PALETTE = sns.color_palette("colorblind")
_MARK_COLORS = {"P5": _PALETTE[0], "P50": _PALETTE[2], "P95": _PALETTE[3]}
_THRESHOLD_COLOR = "black"


def _figure(width: float = 7.0, height: float = 4.0) -> tuple[Figure, Any]:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    with sns.axes_style("whitegrid"):
        axes = figure.add_subplot()
    return figure, axes


def _axis_label(name: str, scale: Scale) -> str:
    return f"{name} [{scale.label}]" if scale.label else name


def _readable_ticks(axis: Any) -> None:
    axis.set_major_formatter(FuncFormatter(lambda x, _pos: format_number(x, digits=4)))


def figure_png(figure: Figure, *, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (in memory; nothing is written to disk)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _finite(values: Any) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    return array[np.isfinite(array)]


def _density_line(axes: Any, shown: np.ndarray) -> None:
    """A Gaussian KDE (Scott's rule) over the first ``KDE_POINTS`` draws: a visual guide
    over the histogram, which itself counts every draw."""
    from scipy.stats import gaussian_kde

    sample = shown[:KDE_POINTS]
    if float(np.ptp(sample)) == 0:
        return
    grid = np.linspace(shown.min(), shown.max(), 256)
    axes.plot(grid, gaussian_kde(sample)(grid), color=_PALETTE[0], linewidth=1.5, gid="kde")


def _threshold_line(axes: Any, threshold: float, label: str, scale: Any) -> None:
    """The deadline or budget: a solid vertical line, labelled with its value."""
    axes.axvline(
        threshold / scale.factor,
        color=_THRESHOLD_COLOR,
        linewidth=2,
        label=f"{label} {format_number(threshold / scale.factor)}",
        gid=label,
    )


def plot_distribution(
    values: Any,
    *,
    name: str,
    units: str,
    percentiles: Sequence[float] = (5, 50, 95),
    threshold: float | None = None,
    threshold_label: str = "threshold",
) -> Figure:
    """Histogram (as a density) of ``values`` with its percentiles and a threshold marked.

    Vertical lines carry the labels ``P5``, ``P50``, ``P95`` (value in the legend) and
    ``threshold_label`` (e.g. ``deadline``) where a threshold is given.
    """
    data = _finite(values)
    scale = scale_for(units, np.quantile(data, [0.5]) if data.size else ())
    shown = data / scale.factor
    figure, axes = _figure()
    spread = bool(shown.size) and float(np.ptp(shown)) > 0
    if spread:
        edges = np.histogram_bin_edges(shown, bins="auto")
        if len(edges) > MAX_BINS + 1:
            edges = np.linspace(edges[0], edges[-1], MAX_BINS + 1)
        # the edges are evenly spaced, so numpy counts every draw in one O(n) pass (its
        # equal-width path); seaborn's histplot would copy them into a DataFrame first
        counts, _ = np.histogram(shown, bins=len(edges) - 1, range=(edges[0], edges[-1]))
        widths = np.diff(edges)
        axes.bar(
            edges[:-1],
            counts / (counts.sum() * widths),  # a density: the bars' areas sum to one
            width=widths,
            align="edge",
            color=_PALETTE[0],
            alpha=0.35,
            edgecolor="white",
            linewidth=0.3,
        )
        _density_line(axes, shown)
    elif shown.size:  # a point mass: every draw is the same value
        axes.vlines(shown[0], 0, 1, color=_PALETTE[0], linewidth=4, gid="point mass")
        axes.set_ylim(0, 1.1)
        ends = [float(shown[0])] + ([threshold / scale.factor] if threshold is not None else [])
        pad = 0.05 * (max(ends) - min(ends) or abs(ends[0]) or 1.0)
        axes.set_xlim(min(ends) - pad, max(ends) + pad)
    marks = np.quantile(data, np.asarray(percentiles) / 100) if data.size else []
    for q, value in zip(percentiles, marks, strict=False):
        key = f"P{q:g}"
        axes.axvline(
            value / scale.factor,
            color=_MARK_COLORS.get(key, _PALETTE[4]),
            linestyle="--",
            linewidth=1.5,
            label=f"{key} {format_number(value / scale.factor)}",
            gid=key,
        )
    if threshold is not None:
        _threshold_line(axes, threshold, threshold_label, scale)
    axes.set_xlabel(_axis_label(name, scale))
    if spread:
        axes.set_ylabel(f"density [1/{scale.label}]" if scale.label else "density")
        axes.set_title(f"Distribution of {name}")
    else:
        axes.set_ylabel("share of draws")
        axes.set_title(f"{name}: every draw is the same value")
    _readable_ticks(axes.xaxis)
    axes.legend(loc="upper right", frameon=True)
    return figure


def plot_exceedance(
    values: Any,
    *,
    name: str,
    units: str,
    threshold: float | None = None,
    threshold_label: str = "threshold",
) -> Figure:
    """P(value > x) against x: the empirical survival function ``1 - ECDF``.

    With a threshold, a vertical line at it and a horizontal one at the share of draws
    above it (the report's exceedance risk).
    """
    data = _finite(values)
    scale = scale_for(units, np.quantile(data, [0.5]) if data.size else ())
    figure, axes = _figure()
    if data.size:
        x, count = _above(data)
        above = count / data.size
        shown = x / scale.factor
        axes.plot(shown, above, color=_PALETTE[0], linewidth=1.8, gid="survival")
        # below the smallest draw every draw exceeds x: a lead-in at 100% down to the curve
        pad = 0.03 * (float(np.ptp(shown)) or abs(float(shown[0])) or 1.0)
        axes.plot(
            [shown[0] - pad, shown[0], shown[0]],
            [1.0, 1.0, above[0]],
            color=_PALETTE[0],
            linewidth=1.8,
            gid="lead-in",
        )
    if threshold is not None and data.size:
        share_over = float(np.count_nonzero(data > threshold)) / data.size
        _threshold_line(axes, threshold, threshold_label, scale)
        axes.axhline(
            share_over,
            color=_PALETTE[3],
            linestyle="--",
            label=f"P(exceed {threshold_label}) = {100 * share_over:.1f}%",
            gid="exceedance",
        )
        axes.legend(loc="upper right", frameon=True)
    axes.set_xlabel(_axis_label(name, scale))
    axes.set_ylabel(f"P({name} > x)")
    axes.set_ylim(0, 1.02)
    axes.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    _readable_ticks(axes.xaxis)
    axes.set_title(f"Probability of exceeding each value of {name}")
    return figure


def plot_tornado(
    rows: Sequence[Mapping[str, Any]], *, output: str = "output", units: str = ""
) -> Figure:
    """One-at-a-time sensitivity: per input, the output with that input at low and at high.

    ``rows``: ``[{"input": "mfu", "low": 60.1, "high": 70.3, "base": 65.0}, ...]``; bars
    are drawn from ``base`` to each end, widest swing on top.
    """
    ordered = sorted(rows, key=lambda r: abs(float(r["high"]) - float(r["low"])))
    ends = [float(r[k]) for r in ordered for k in ("low", "high", "base")]
    scale = scale_for(units, ends)
    figure, axes = _figure(7.0, 1.6 + 0.45 * max(len(ordered), 1))
    base = float(ordered[0]["base"]) / scale.factor if ordered else 0.0
    for i, row in enumerate(ordered):
        row_base = float(row["base"]) / scale.factor
        for key, color in (("low", _PALETTE[0]), ("high", _PALETTE[3])):
            end = float(row[key]) / scale.factor
            axes.barh(
                i,
                end - row_base,
                left=row_base,
                color=color,
                height=0.6,
                label=f"input at its {key}" if i == 0 else None,
                gid=f"{row['input']}:{key}",
            )
    axes.axvline(base, color="black", linewidth=1, gid="base")
    axes.set_yticks(range(len(ordered)), [str(r["input"]) for r in ordered])
    axes.set_xlabel(_axis_label(output, scale))
    axes.set_ylabel("input")
    _readable_ticks(axes.xaxis)
    axes.set_title(f"Tornado: {output} with each input at its low and high")
    if ordered:
        figure.legend(loc="outside lower center", ncols=2, frameon=False)
    return figure


def plot_rank_correlations(rows: Sequence[Mapping[str, Any]], *, output: str = "output") -> Figure:
    """Spearman rank correlation of each input with ``output``, strongest on top.

    ``rows``: ``[{"input": "mfu", "spearman": -0.8}, ...]``; the axis spans [-1, 1].
    """
    ordered = sorted(rows, key=lambda r: abs(float(r["spearman"])))
    rhos = [float(r["spearman"]) for r in ordered]
    figure, axes = _figure(7.0, 1.2 + 0.45 * max(len(ordered), 1))
    colors = [_PALETTE[3] if rho > 0 else _PALETTE[0] for rho in rhos]
    axes.barh(range(len(ordered)), rhos, color=colors, height=0.6)
    for i, rho in enumerate(rhos):
        axes.text(
            rho + (0.03 if rho >= 0 else -0.03),
            i,
            f"{rho:+.2f}",
            va="center",
            ha="left" if rho >= 0 else "right",
            fontsize=9,
        )
    axes.axvline(0, color="black", linewidth=1)
    axes.set_xlim(-1.15, 1.15)
    axes.set_yticks(range(len(ordered)), [str(r["input"]) for r in ordered])
    axes.set_xlabel(f"Spearman rank correlation with {output}")
    axes.set_ylabel("input")
    axes.set_title(f"What drives {output}: rank correlations")
    return figure


def plot_driver_scatter(
    x: Any,
    y: Any,
    *,
    x_name: str,
    x_units: str,
    y_name: str,
    y_units: str,
    spearman: float | None = None,
    max_points: int = SCATTER_POINTS,
) -> Figure:
    """The output against its strongest driver, one dot per draw (the first ``max_points``).

    The draws are exchangeable, so the first ``max_points`` are a fair sample of all.
    """
    x_all, y_all = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    n_shown = min(x_all.size, max_points)
    xs, ys = x_all[:n_shown], y_all[:n_shown]
    x_scale, y_scale = scale_for(x_units, np.abs(xs)), scale_for(y_units, np.abs(ys))
    figure, axes = _figure()
    sns.scatterplot(
        x=xs / x_scale.factor,
        y=ys / y_scale.factor,
        s=6,
        alpha=0.35,
        linewidth=0,
        color=_PALETTE[0],
        ax=axes,
    )
    axes.set_xlabel(_axis_label(x_name, x_scale))
    axes.set_ylabel(_axis_label(y_name, y_scale))
    _readable_ticks(axes.xaxis)
    _readable_ticks(axes.yaxis)
    rho = f", Spearman {spearman:+.2f}" if spearman is not None else ""
    axes.set_title(
        f"{y_name} against its strongest driver {x_name}{rho}\n"
        f"({n_shown:,} of {x_all.size:,} draws)",
        fontsize=11,
    )
    return figure


def _above(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``CURVE_POINTS`` points x (the smallest and largest draw among them) and the
    exact count of draws above each. Up to ``CURVE_POINTS`` draws: every order statistic
    (one sort of a few draws). More: ``CURVE_POINTS`` evenly spaced x, counted in one
    O(n) pass with no sort: ``np.histogram`` of ``-data`` on its equal-width path (bins
    ``[e_j, e_j+1)``, assigned exactly against its own edges), so the draws above
    x_j = -e_j, i.e. with -value < e_j, are the bins' cumulative count; at the smallest
    draw the count is of the draws not equal to it. Every draw equal: that value, none above."""
    n = data.size
    low, high = float(data.min()), float(data.max())
    if low == high:
        return np.array([low]), np.array([0])
    if n <= CURVE_POINTS:
        ordered = np.sort(data)
        return ordered, n - np.searchsorted(ordered, ordered, side="right")
    counts, edges = np.histogram(-data, bins=CURVE_POINTS - 1, range=(-high, -low))
    below = np.concatenate(([0], np.cumsum(counts)[:-1], [n - np.count_nonzero(data == low)]))
    return -edges[::-1], below[::-1]


def _ecdf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``CURVE_POINTS`` exact points (x, share of draws <= x) of the ECDF
    (:func:`_above`: no sort of many draws)."""
    x, count = _above(values)
    return x, (values.size - count) / values.size


def plot_miss_ecdfs(panels: Sequence[Mapping[str, Any]], *, target: str) -> Figure:
    """Per input, its ECDF among the draws that miss ``target`` and among those that meet
    it, overlaid (one panel each); the KS distance is the largest vertical gap.

    ``panels``: ``{"input", "units", "values", "miss"}`` (draws and the boolean miss mask),
    ``"ks_distance"`` optional, for the panel's title.
    """
    figure = Figure(figsize=(4.2 * max(len(panels), 1), 3.8), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    with sns.axes_style("whitegrid"):
        axes_row = [figure.add_subplot(1, max(len(panels), 1), i + 1) for i in range(len(panels))]
    for axes, panel in zip(axes_row, panels, strict=True):
        values = np.asarray(panel["values"], dtype=float).ravel()
        miss = np.asarray(panel["miss"], dtype=bool).ravel()
        scale = scale_for(panel.get("units", ""), np.abs(values[:KDE_POINTS]))
        for chosen, label, color, gid in (
            (miss, "misses", _PALETTE[3], "misses"),
            (~miss, "hits", _PALETTE[0], "hits"),
        ):
            shown = _finite(values[chosen]) / scale.factor
            if shown.size:
                x, y = _ecdf(shown)
                axes.step(
                    x,
                    y,
                    where="post",
                    color=color,
                    linewidth=1.8,
                    label=f"{label} ({shown.size:,})",
                    gid=gid,
                )
        axes.set_xlabel(_axis_label(panel["input"], scale))
        axes.set_ylim(0, 1.02)
        axes.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
        _readable_ticks(axes.xaxis)
        ks = panel.get("ks_distance")
        axes.set_title(
            panel["input"] + (f", KS distance {ks:.2f}" if ks is not None else ""), fontsize=10
        )
        axes.legend(loc="lower right", frameon=True, fontsize=8)
    if axes_row:
        axes_row[0].set_ylabel("share of draws <= x")
    figure.suptitle(f"Top drivers of {target}: each input among misses and among hits")
    return figure


def plot_compare(
    samples: Mapping[str, Any],
    *,
    name: str,
    units: str,
    threshold: float | None = None,
    threshold_label: str = "threshold",
    percentiles: Sequence[float] = (5, 50, 95),
) -> Figure:
    """Side-by-side distributions of one output across scenarios (violins).

    Each violin carries the interval between the lowest and highest of ``percentiles``
    (a bar) and the middle one, P50 when asked (a white dot); the threshold, where given,
    is a horizontal line across all.
    """
    ordered = sorted(percentiles)
    middle = 50.0 if 50 in ordered else ordered[len(ordered) // 2]
    low_q, high_q = ordered[0], ordered[-1]
    span = f"P{low_q:g}-P{high_q:g}"
    names = list(samples)
    data = {key: _finite(samples[key]) for key in names}
    medians = [float(np.median(v)) for v in data.values() if v.size]
    scale = scale_for(units, medians)
    figure, axes = _figure(max(5.0, 1.8 * len(names) + 2.0), 4.5)
    for i, key in enumerate(names):
        shown = data[key] / scale.factor
        if shown.size and float(np.ptp(shown)) > 0:
            parts = axes.violinplot(shown, positions=[i], widths=0.8, showextrema=False)
            for body in parts["bodies"]:
                body.set_facecolor(_PALETTE[i % len(_PALETTE)])
                body.set_alpha(0.45)
                body.set_gid(f"violin:{key}")
        if shown.size:
            p5, p50, p95 = np.quantile(shown, np.array([low_q, middle, high_q]) / 100)
            axes.vlines(i, p5, p95, color="black", linewidth=3, gid=f"{span}:{key}")
            axes.scatter([i], [p50], color="white", edgecolor="black", zorder=3, s=40)
            axes.annotate(
                format_number(p50),
                (i, p50),
                xytext=(10, 0),
                textcoords="offset points",
                va="center",
                fontsize=9,
            )
    if threshold is not None:
        axes.axhline(
            threshold / scale.factor,
            color=_THRESHOLD_COLOR,
            linewidth=1.5,
            linestyle="--",
            label=f"{threshold_label} {format_number(threshold / scale.factor)}",
            gid=threshold_label,
        )
        axes.legend(loc="upper right", frameon=True)
    axes.set_xticks(range(len(names)), names)
    axes.set_xlim(-0.7, len(names) - 0.3)
    axes.set_ylabel(_axis_label(name, scale))
    axes.set_xlabel("scenario")
    _readable_ticks(axes.yaxis)
    axes.set_title(f"{name} by scenario (P{middle:g} dot, {span} bar)")
    return figure
