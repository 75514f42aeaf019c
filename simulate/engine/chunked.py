"""Chunked runs in bounded memory: mergeable chunk summaries, exact two-pass percentiles.

Draws ``[j, j + n)`` are regenerated anywhere from the seed alone
(:func:`distributions.uniforms` with ``start=j``: per-input PCG64 streams advanced by
the draw index; Sobol' fast-forwards; an LHS is one design and cannot be chunked), so
chunks are independent tasks whose small summaries merge in any order:

* **Pass 1** per chunk: the count, per node the sums of ``x − c`` and ``(x − c)²``
  (``c``: the node at the inputs' medians, which keeps the sums small), the draws over
  each risk threshold, and a log-spaced histogram of every varying node (bins: the
  top 14 mantissa bits of the IEEE-754 value, relative width 2⁻¹⁴, after the usual
  order-preserving map of doubles to integers; a rank output's is the sum of 16 bins of
  its finer histogram, so each value is binned once). Counts are integers; each chunk's
  float sums are kept and added with :func:`math.fsum`, which is exactly rounded and
  so independent of order: means and variances are bit-identical for a chunk size
  whatever the backend or worker count, and within a few ulps across chunk sizes.
* **Pass 2** regenerates each chunk and keeps only the values in the bins that hold
  the wanted order statistics (numpy's ``linear`` quantile needs ranks ``⌊h⌋`` and
  ``⌊h⌋ + 1``, ``h = (n − 1) q``), so percentiles equal ``np.quantile`` on all the
  draws bit for bit. It also sums each input's rank against each output's rank
  (docs/sensitivity.md): an input's is its exact mid-CDF rank ``p``
  (:func:`simulate.analysis.ranking.input_ranks`: the uniform it came from where it is
  continuous, :func:`distributions.mid_cdf` where it has atoms), no histogram; an
  output's is read from its pass-1 histogram (bins 2⁻¹⁸ wide): the draws below the
  value's bin plus the bin's draws times the value's place in the bin. The result is
  the in-memory estimator, the Pearson correlation of ``p`` and the output's sample
  mid-ECDF, within ``rank_error_bound`` (:func:`_rank_correlation` derives it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import xarray as xr

from ..analysis.intervals import interval_bounds, order_statistic_indices
from ..analysis.parallel import default_threads
from ..analysis.ranking import (
    angle_bound,
    correlation,
    input_ranks,
    order_keys,
    order_values,
    rank_sums,
    ranked,
)
from ..analysis.risk import RiskTarget, miss_probability_from_counts
from ..analysis.summary import summary_dataset
from ..model.chain import HEADLINE_OUTPUTS
from ..model.phases import node_of
from ..scenario.config import Scenario
from .limits import (
    NonFiniteCounts,
    check_finite,
    evaluate_draws,
    memory_estimate_bytes,
    memory_refusal,
)
from .memory import describe_inputs, node_attrs, provenance, sample_inputs
from .runners import ChunkError, ThreadRunner

__all__ = ["ChunkedRun", "Plan", "first_pass", "run_chunked", "second_pass"]

Backend = Literal["memory", "dask"]

#: The rank outputs' CDF histogram: int64 keys shifted right by this many bits (18
#: mantissa bits kept: bins 2⁻¹⁸ wide), which bounds the sketch's error by a few 1e-4
#: (the Monte Carlo standard error at ~1e7 draws).
RANK_SHIFT = 34
#: Histogram bins: keys shifted right by this many bits (14 mantissa bits kept); a bin
#: is 16 bins of the rank outputs' histogram, so theirs is derived from it.
BIN_SHIFT = RANK_SHIFT + 4
#: Dense tables over at most this many bins (8 MiB a table); sparse ones beyond.
DENSE_BINS = 1 << 20


def _bins(x: np.ndarray, shift: int = BIN_SHIFT) -> np.ndarray:
    return order_keys(x) >> shift


def _bin_floor(bins: np.ndarray, shift: int) -> np.ndarray:
    """The smallest value of each bin (the double at the bin's first key)."""
    return order_values(np.asarray(bins, dtype=np.int64) << shift)


#: The keys of -inf and +inf: a value is finite when its key lies strictly between.
_KEY_LOW, _KEY_HIGH = (int(k) for k in order_keys(np.array([-np.inf, np.inf])))


def _histogram(
    keys: np.ndarray, shift: int = BIN_SHIFT, scratch: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Sparse histogram of ``keys >> shift``: occupied bins (sorted) and their counts
    (``scratch``: an int64 array of the keys' size to use for the bins)."""
    low, high = int(keys.min()) >> shift, int(keys.max()) >> shift
    if high - low < 1 << 22:
        bins = np.subtract(keys, low << shift, out=scratch)  # >= 0: bincount's bins
        np.right_shift(bins, shift, out=bins)
        counts = np.bincount(bins, minlength=high - low + 1)
        occupied = np.flatnonzero(counts)
        return occupied + low, counts[occupied]
    return np.unique(keys >> shift, return_counts=True)


def _coarsen(histogram: tuple[np.ndarray, np.ndarray], bits: int) -> tuple:
    """A histogram's bins merged ``2**bits`` at a time (``bins >> bits``)."""
    occupied, counts = histogram
    bins = occupied >> bits
    first = np.flatnonzero(np.diff(bins, prepend=bins[:1] - 1))
    return bins[first], np.add.reduceat(counts, first)


def _merge_histograms(a: tuple, b: tuple) -> tuple[np.ndarray, np.ndarray]:
    low, high = min(a[0][0], b[0][0]), max(a[0][-1], b[0][-1])
    if high - low < 1 << 22:  # dense over the joint range: no sort, few temporaries
        counts = np.zeros(high - low + 1, dtype=np.int64)
        counts[a[0] - low] += a[1]  # occupied bins are unique: plain fancy indexing adds
        counts[b[0] - low] += b[1]
        occupied = np.flatnonzero(counts)
        return occupied + low, counts[occupied]
    bins, where = np.unique(np.concatenate([a[0], b[0]]), return_inverse=True)
    counts = np.bincount(where, weights=np.concatenate([a[1], b[1]]), minlength=bins.size)
    return bins, counts.astype(np.int64)


@dataclass(frozen=True)
class Plan:
    """What every chunk needs: the scenario, the draw range, what varies, the shifts."""

    scenario: Scenario
    draws: int
    seed: int
    method: str
    chunk_draws: int
    varying: tuple[str, ...]
    constants: dict[str, float]
    shifts: dict[str, float]
    rank_outputs: tuple[str, ...]
    rank_inputs: tuple[str, ...]
    #: every node of the run (per-phase ones included), in evaluation order
    names: tuple[str, ...] = ()

    def chunks(self) -> list[tuple[int, int]]:
        """``(start, draws)`` of every chunk."""
        starts = range(0, self.draws, self.chunk_draws)
        return [(j, min(self.chunk_draws, self.draws - j)) for j in starts]

    def values(
        self, start: int, draws: int, uniforms_out: dict[str, np.ndarray] | None = None
    ) -> dict[str, Any]:
        """Every node for draws ``[start, start + draws)``, exactly as the in-memory run
        (``uniforms_out`` receives the inputs' uniforms, copula applied)."""
        inputs = sample_inputs(
            self.scenario,
            draws=draws,
            seed=self.seed,
            method=self.method,
            start=start,
            uniforms_out=uniforms_out,
        )
        return evaluate_draws(inputs, self.scenario.phases)


def make_plan(
    scenario: Scenario,
    *,
    chunk_draws: int,
    draws: int | None = None,
    seed: int | None = None,
    method: str | None = None,
    rank_outputs: Iterable[str] = HEADLINE_OUTPUTS,
) -> Plan:
    """Check the request and find what varies (a one-draw run) and each node's shift."""
    draws = scenario.draws if draws is None else draws
    seed = scenario.seed if seed is None else seed
    method = scenario.method if method is None else method
    if isinstance(chunk_draws, bool) or not isinstance(chunk_draws, int) or chunk_draws < 1:
        raise ChunkError(f"chunk_draws: must be a whole number >= 1; got {chunk_draws}")
    if method == "lhs" and chunk_draws < draws:
        raise ChunkError(
            f"chunk_draws {chunk_draws}: a Latin hypercube of {draws:,} draws is one design "
            "and cannot be made in chunks; use method random or sobol, or no chunk_draws"
        )
    centre = {
        name: (spec.dist.expected() if spec.dist.is_fixed else np.asarray([spec.dist.ppf(0.5)]))
        for name, spec in scenario.inputs.items()
    }
    at_centre = evaluate_draws(centre, scenario.phases)
    varying = tuple(name for name, value in at_centre.items() if np.ndim(value))
    fixed = {k: v for k, v in at_centre.items() if not np.ndim(v)}
    check_finite(fixed, draws, file=scenario.path, given=describe_inputs(scenario))
    return Plan(
        scenario=scenario,
        draws=draws,
        seed=seed,
        method=method,
        chunk_draws=min(chunk_draws, draws),
        varying=varying,
        constants={k: float(v) for k, v in at_centre.items() if not np.ndim(v)},
        shifts={name: float(at_centre[name][0]) for name in varying},
        rank_outputs=tuple(name for name in rank_outputs if name in varying),
        rank_inputs=tuple(name for name in varying if name in scenario.inputs),
        names=tuple(at_centre),
    )


# --- pass 1: moments, exceedance counts, histograms ---------------------------------------


@dataclass
class FirstPass:
    """Pass-1 summary of some chunks; :meth:`merge` is associative and commutative."""

    draws: int
    sums: dict[str, list[float]]
    squares: dict[str, list[float]]
    over: dict[str, int]
    histograms: dict[str, tuple[np.ndarray, np.ndarray]]
    fine: dict[str, tuple[np.ndarray, np.ndarray]]
    nonfinite: NonFiniteCounts

    def merge(self, other: FirstPass) -> FirstPass:
        return FirstPass(
            draws=self.draws + other.draws,
            sums={k: v + other.sums[k] for k, v in self.sums.items()},
            squares={k: v + other.squares[k] for k, v in self.squares.items()},
            over={k: v + other.over[k] for k, v in self.over.items()},
            histograms={
                k: _merge_histograms(v, other.histograms[k]) for k, v in self.histograms.items()
            },
            fine={k: _merge_histograms(v, other.fine[k]) for k, v in self.fine.items()},
            nonfinite=self.nonfinite.merge(other.nonfinite),
        )


def _targets(plan: Plan) -> list[RiskTarget]:
    """The scenario's risk targets on nodes this run computes."""
    computed = {*plan.varying, *plan.constants}
    return [t for t in plan.scenario.risk_targets if t.node in computed]


def first_pass(plan: Plan, chunk: tuple[int, int]) -> FirstPass:
    """Pass 1 over one chunk ``(start, draws)``; it also counts the draws that are not
    finite, which :func:`run_chunked` refuses before pass 2."""
    start, draws = chunk
    values = plan.values(start, draws)
    sums, squares, histograms, fine = {}, {}, {}, {}
    centred, scratch = np.empty(draws), np.empty(draws, dtype=np.int64)
    finite = True
    for name in plan.varying:
        x = values[name]
        with np.errstate(all="ignore"):  # inf - inf: refused after the pass anyway
            np.subtract(x, plan.shifts[name], out=centred)
            sums[name] = [float(np.sum(centred))]
            np.multiply(centred, centred, out=centred)
            squares[name] = [float(np.sum(centred))]
        keys = order_keys(x)
        if name in plan.rank_outputs:
            fine[name] = _histogram(keys, RANK_SHIFT, scratch)
            histograms[name] = _coarsen(fine[name], BIN_SHIFT - RANK_SHIFT)
        else:
            histograms[name] = _histogram(keys, BIN_SHIFT, scratch)
        low, high = (int(b) << BIN_SHIFT for b in histograms[name][0][[0, -1]])
        finite = finite and _KEY_LOW < low and high + (1 << BIN_SHIFT) <= _KEY_HIGH
    # only when some bin reaches beyond the largest finite double: counted in detail
    nonfinite = NonFiniteCounts(draws) if finite else NonFiniteCounts.of(values, draws, start=start)
    over = {
        t.key: int(np.count_nonzero(t.misses(np.broadcast_to(values[t.node], (draws,)))))
        for t in _targets(plan)
    }
    return FirstPass(draws, sums, squares, over, histograms, fine, nonfinite)


def _mid_rank(plan: Plan, name: str, values: dict, u: dict) -> np.ndarray:
    """An input's mid-CDF rank (:func:`simulate.analysis.ranking.input_ranks`)."""
    return input_ranks({name: plan.scenario.inputs[name].dist}, values, u)[name]


# --- between the passes: where the order statistics are, the outputs' CDF --------------------


@dataclass(frozen=True)
class Targets:
    """Per varying node: the wanted ranks, the bins holding them and the draws below them."""

    draws: int
    ranks: dict[str, np.ndarray]
    bins: dict[str, np.ndarray]
    below: dict[str, np.ndarray]
    #: per rank output: its CDF over its fine bins (:func:`_cdf_table`)
    cdf: dict[str, tuple] = field(default_factory=dict)
    #: per varying node: the ``[low, high)`` ranges of the wanted bins, in values (in keys
    #: for the nodes in ``signed``)
    keep: dict[str, tuple[tuple[Any, Any], ...]] = field(default_factory=dict)
    #: the varying nodes with a negative draw (their keys are not their bits)
    signed: frozenset[str] = frozenset()


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """numpy's quantile interpolation, operation for operation (bit-identical)."""
    difference = b - a
    result = np.add(a, difference * t)
    np.subtract(b, difference * (1 - t), out=result, where=t >= 0.5)
    return result


def targets(plan: Plan, summary: FirstPass) -> Targets:
    """Locate each wanted order statistic in the merged pass-1 histograms."""
    quantiles = np.asarray(plan.scenario.percentiles) / 100
    previous, following, _, low, high = order_statistic_indices(summary.draws, quantiles)
    n = summary.draws
    wanted = np.unique(
        np.concatenate([previous, following, low.clip(0, n - 1), high.clip(0, n - 1)])
    )
    ranks, bins, below, cdf, keep = {}, {}, {}, {}, {}
    signed = frozenset(name for name in plan.varying if summary.histograms[name][0][0] < 0)
    for name in plan.varying:
        occupied, counts = summary.histograms[name]
        cumulative = np.cumsum(counts)
        where = np.searchsorted(cumulative, wanted, side="right")
        ranks[name] = wanted
        bins[name] = occupied[where]
        below[name] = cumulative[where] - counts[where]
        keep[name] = _ranges(occupied, counts, cumulative, where, name in signed)
        if name in plan.rank_outputs:
            cdf[name] = _cdf_table(summary.fine[name], n)
    return Targets(summary.draws, ranks, bins, below, cdf, keep, signed)


def _ranges(
    occupied: np.ndarray,
    counts: np.ndarray,
    cumulative: np.ndarray,
    where: np.ndarray,
    signed: bool,
) -> tuple[tuple[Any, Any], ...]:
    """``[low, high)`` ranges that hold the bins ``occupied[where]``: keys where ``signed``,
    else values (without a negative draw keys and values order alike, and -0.0 is absent).
    Neighbouring wanted bins share a range while the draws of the other bins in it are no
    more than those of its wanted bins: at most twice the values are kept, and each range
    merged saves two comparisons a draw.
    """
    where = np.unique(where)
    runs = [[where[0], where[0], counts[where[0]]]]  # first, last, draws in wanted bins
    for j in where[1:]:
        first, _, wanted = runs[-1]
        others = cumulative[j] - cumulative[first] + counts[first] - counts[j] - wanted
        if others <= wanted + counts[j]:
            runs[-1][1:] = j, wanted + counts[j]
        else:
            runs.append([j, j, counts[j]])
    edges = [(int(occupied[a]), int(occupied[b]) + 1) for a, b, _ in runs]
    if signed:
        return tuple((np.int64(a << BIN_SHIFT), np.int64(b << BIN_SHIFT)) for a, b in edges)
    return tuple(tuple(_bin_floor(np.array(edge), BIN_SHIFT)) for edge in edges)


def _cdf_table(fine: tuple[np.ndarray, np.ndarray], n: int) -> tuple:
    """An output's pass-1 CDF over its fine bins: the first bin (None: sparse, then the
    occupied bins), the share of the draws below each bin and the share in it; dense
    over the bins' span up to :data:`DENSE_BINS`, so that a draw's bin is a subtraction,
    not a binary search."""
    occupied, counts = fine
    below = (np.cumsum(counts) - counts) / n
    share = counts / n
    first, span = int(occupied[0]), int(occupied[-1] - occupied[0]) + 1
    if span > DENSE_BINS:
        return None, occupied, below, share
    dense_below, dense_share = np.zeros(span), np.zeros(span)
    dense_below[occupied - first] = below
    dense_share[occupied - first] = share
    return first, None, dense_below, dense_share


def _output_ranks(table: tuple, keys: np.ndarray) -> np.ndarray:
    """An output's rank from its pass-1 CDF (:func:`_cdf_table`), linear within each bin:
    the share below the draw's bin plus the bin's share times the draw's place in the bin.
    Within a bin (one binade: the exponent is in the bin's bits) a double is linear in its
    key, so the place is the key's low :data:`RANK_SHIFT` bits over 2**RANK_SHIFT."""
    first, occupied, below, share = table
    where = np.right_shift(keys, RANK_SHIFT)
    if first is None:
        where = np.searchsorted(occupied, where)  # every bin is occupied: pass 1 saw every draw
    else:
        where -= first
    place = np.bitwise_and(keys, (1 << RANK_SHIFT) - 1)
    rank = np.multiply(place, 2.0**-RANK_SHIFT)
    rank *= np.take(share, where)
    rank += np.take(below, where)
    return rank


# --- pass 2: the values in the target bins, rank sums ---------------------------------------


@dataclass
class SecondPass:
    """Pass-2 summary of some chunks; :meth:`merge` is associative and commutative."""

    kept: dict[str, list[np.ndarray]]
    ranks: dict[str, list[dict[str, Any]]]

    def merge(self, other: SecondPass) -> SecondPass:
        return SecondPass(
            kept={k: v + other.kept[k] for k, v in self.kept.items()},
            ranks={k: v + other.ranks[k] for k, v in self.ranks.items()},
        )


def _select(x: np.ndarray, data: np.ndarray, ranges: tuple) -> np.ndarray:
    """The values of ``x`` whose ``data`` (``x`` itself, or its keys) lies in one of the
    ``[low, high)`` ``ranges`` (:func:`_ranges`): two comparisons a range, no sort."""
    inside, below_high = np.empty(x.size, dtype=bool), np.empty(x.size, dtype=bool)
    found = []
    for low, high in ranges:
        np.greater_equal(data, low, out=inside)
        np.less(data, high, out=below_high)
        inside &= below_high
        found.append(np.flatnonzero(inside))
    return x[np.concatenate(found)]


def second_pass(plan: Plan, where: Targets, chunk: tuple[int, int]) -> SecondPass:
    """Pass 2 over one chunk: keep the values in the target bins; sum the ranks."""
    start, draws = chunk
    u: dict[str, np.ndarray] = {}
    values = plan.values(start, draws, uniforms_out=u if plan.rank_outputs else None)
    kept, keys = {}, {}
    for name in plan.varying:
        x = values[name]
        if name in where.signed or name in plan.rank_outputs:
            keys[name] = order_keys(x, signed=name in where.signed)
        kept[name] = [_select(x, keys[name] if name in where.signed else x, where.keep[name])]
    ranks = {}
    if plan.rank_outputs:
        p = {name: _mid_rank(plan, name, values, u) for name in plan.rank_inputs}
        for output in plan.rank_outputs:
            ranks[output] = [rank_sums(p, _output_ranks(where.cdf[output], keys[output]))]
    return SecondPass(kept, ranks)


# --- running the chunks ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkedRun:
    """A chunked run: per-node statistics (the Dataset of
    :func:`simulate.analysis.summary.summarize`, the same as in memory), attrs, provenance,
    risk counts, rank correlations and how it ran. The report summary is
    :func:`simulate.report.summary.build_summary` of it, as of a Dataset."""

    statistics: xr.Dataset = field(compare=False)
    attrs: dict[str, dict[str, Any]]
    provenance: dict[str, Any]
    risk: dict[str, Any]
    rank_correlation: dict[str, dict[str, float]]
    rank_error_bound: float
    chunk_draws: int
    chunks: int
    backend: str
    workers: int


def _statistics(plan: Plan, one: FirstPass, two: SecondPass, where: Targets) -> xr.Dataset:
    """The summary Dataset (:func:`simulate.analysis.summary.summary_dataset`) from the
    exactly rounded sums and the exact order statistics the two passes found."""
    n = one.draws
    quantiles = np.asarray(plan.scenario.percentiles) / 100
    previous, following, gamma, low_index, high_index = order_statistic_indices(n, quantiles)
    names, units, means, stds, estimates, lows, highs = [], [], [], [], [], [], []
    for name in plan.names:
        node = node_of(name)
        if name in plan.constants:
            value = plan.constants[name]
            mean, std = value, 0.0
            estimate = bounds_low = bounds_high = np.full(len(quantiles), value)
        elif name in plan.varying:
            total = math.fsum(one.sums[name])
            mean = plan.shifts[name] + total / n
            spread = math.fsum(one.squares[name]) - total * total / n
            std = math.sqrt(max(spread, 0.0) / (n - 1)) if n > 1 else 0.0
            kept = np.sort(np.concatenate(two.kept[name]))
            kept_bins = _bins(kept)
            order = {}
            for rank, bin_, below in zip(
                where.ranks[name], where.bins[name], where.below[name], strict=True
            ):
                first = np.searchsorted(kept_bins, bin_)
                if np.count_nonzero(kept_bins == bin_) != _count(one.histograms[name], bin_):
                    raise RuntimeError(f"{name}: pass 2 did not regenerate pass 1's draws")
                order[int(rank)] = kept[first + rank - below]
            low = np.array([order[int(k)] for k in previous])
            high = np.array([order[int(k)] for k in following])
            estimate = _lerp(low, high, gamma)
            bounds_low, bounds_high = interval_bounds(
                estimate,
                np.array([order[int(k)] for k in low_index.clip(0, n - 1)]),
                np.array([order[int(k)] for k in high_index.clip(0, n - 1)]),
                low_index,
                high_index,
                n,
            )
        else:
            continue
        names.append(name)
        units.append(node.units)
        means.append(float(mean))
        stds.append(float(std))
        estimates.append(estimate)
        lows.append(bounds_low)
        highs.append(bounds_high)
    return summary_dataset(
        names,
        units=units,
        percentiles=plan.scenario.percentiles,
        n_draws=n,
        mean=means,
        std=stds,
        percentile=estimates,
        percentile_low=lows,
        percentile_high=highs,
        constant=plan.constants,
    )


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _count(histogram: tuple[np.ndarray, np.ndarray], bin_: int) -> int:
    occupied, counts = histogram
    where = np.searchsorted(occupied, bin_)
    return int(counts[where]) if where < occupied.size and occupied[where] == bin_ else 0


def _rank_correlation(
    plan: Plan, one: FirstPass, two: SecondPass, where: Targets
) -> tuple[dict, float]:
    """Spearman rho of every rank input against every rank output (the Pearson
    correlation of the input's mid-CDF rank ``p`` and the output's mid-ECDF rank,
    docs/sensitivity.md), and a bound on its distance from that estimator computed on
    the same draws in memory, whose output ranks are exact (``rankdata(y) / n - 1/(2n)``).

    The inputs' ranks here are exact (``p`` itself). An output's rank read from its
    histogram lies in ``[below, below + count] / n`` of its bin, and so does the
    mid-ECDF of every value in that bin, so each is off by at most the largest bin's
    share ``m = count / n``. With ``s`` the RMS of the centred output ranks here, rho
    moves by at most ``arcsin(m / s)`` (:func:`simulate.analysis.ranking.angle_bound`);
    the bound is the largest over the outputs, at most 2.
    """
    n, result, bound = one.draws, {}, 0.0
    for output in plan.rank_outputs:
        parts = two.ranks[output]
        b = math.fsum(p["b"] for p in parts)
        bb = math.fsum(p["bb"] for p in parts)
        output_turn = angle_bound(
            math.sqrt(max(bb - b * b / n, 0.0) / n), int(one.fine[output][1].max()) / n
        )
        rhos = {}
        for name in plan.rank_inputs:
            a, aa, ab = (math.fsum(p["inputs"][name][i] for p in parts) for i in range(3))
            rhos[name] = _finite(correlation(n, a, aa, b, bb, ab))  # None: no spread
        if rhos:  # the inputs' ranks are exact: only the output's turn bounds each rho
            bound = max(bound, min(output_turn, 2.0))
        result[output] = ranked(rhos)
    return result, bound


def run_chunked(
    scenario: Scenario,
    *,
    chunk_draws: int,
    draws: int | None = None,
    seed: int | None = None,
    method: str | None = None,
    backend: Backend = "memory",
    workers: int | None = None,
    scheduler: str | None = None,
    rank_outputs: Iterable[str] = HEADLINE_OUTPUTS,
) -> ChunkedRun:
    """Run ``scenario`` in chunks of ``chunk_draws`` draws, in two passes.

    ``backend="memory"`` runs the chunks on ``workers`` threads (default: every CPU);
    ``"dask"`` on dask.distributed: a local cluster of ``workers`` processes, or the
    cluster at ``scheduler``. Its statistics have the same draws, counts and percentiles
    as :func:`simulate.run`.
    """
    plan = make_plan(
        scenario,
        chunk_draws=chunk_draws,
        draws=draws,
        seed=seed,
        method=method,
        rank_outputs=rank_outputs,
    )
    if backend == "dask":
        from .dask_runner import dask_runner  # noqa: PLC0415

        context = dask_runner(workers=workers, scheduler=scheduler)
    elif backend == "memory":
        context = nullcontext(ThreadRunner(workers))
    else:
        raise ChunkError(f"backend: must be memory or dask; got {backend!r}")
    chunks = plan.chunks()
    if backend == "memory":  # at most 2 x workers chunks in flight (ThreadRunner)
        in_flight = min(len(chunks), 2 * (default_threads() if workers is None else workers))
        error = memory_refusal(
            scenario,
            plan.draws,
            in_flight * memory_estimate_bytes(scenario, plan.chunk_draws),
            what=f" in {in_flight} chunks of {plan.chunk_draws:,} at once",
            advice="use smaller chunks (chunk_draws / --chunk-draws) or fewer workers",
        )
        if error is not None:
            raise error
    with context as runner:
        one = runner.map_reduce(first_pass, chunks, plan)
        one.nonfinite.raise_if_any(scenario.path, describe_inputs(scenario))
        where = targets(plan, one)
        two = runner.map_reduce(second_pass, chunks, plan, where)
        used = runner.workers
    attrs = {
        name: node_attrs(scenario, name, constant=name in plan.constants)
        for name in plan.names
        if name in plan.constants or name in plan.varying
    }
    risk_entries = {
        t.key: miss_probability_from_counts(one.over[t.key], one.draws, t) for t in _targets(plan)
    }
    rhos, bound = _rank_correlation(plan, one, two, where)
    return ChunkedRun(
        statistics=_statistics(plan, one, two, where),
        attrs=attrs,
        provenance=provenance(scenario, draws=plan.draws, seed=plan.seed, method=plan.method),
        risk=risk_entries,
        rank_correlation=rhos,
        rank_error_bound=bound,
        chunk_draws=plan.chunk_draws,
        chunks=len(chunks),
        backend=backend,
        workers=used,
    )
