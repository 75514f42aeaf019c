"""What drives the risk of missing a target: which uncertain input to pin down first.

From one main run's draws, per risk target (no further model runs):

Each input is read through its mid-CDF rank r = (F(x⁻) + F(x)) / 2 (``ranks``:
:func:`simulate.analysis.ranking.input_ranks`, the run's uniform where the input is
continuous; where not given, its sample mid-ECDF, one sort), so no input is sorted:

* **Monte Carlo filtering** (regional sensitivity analysis; Hornberger & Spear 1981,
  *J. Environ. Manage.* 12:7; Saltelli et al. 2008, *Global Sensitivity Analysis: The
  Primer*, ch. 5): the draws are split into misses and hits; for each input the
  two-sample Kolmogorov–Smirnov distance between its ranks among the misses and among
  the hits, with its p-value (``scipy.stats.ks_2samp``'s numbers; the distance is that
  of its values too: KS is invariant under the increasing map x -> r, which keeps ties),
  and its median among each (``np.median`` of the values).
* **Indicator (target) first-order index** S_i = Var(E[1{miss} | X_i]) / (p(1 − p)),
  by a given-data estimator: the draws are cut into B bins of equal probability of X_i,
  draw j in bin ⌊B r_j⌋ (an atom's ties share a bin) and the between-bin variance of the
  miss fraction is bias-corrected (:func:`indicator_index`); grouped-jackknife interval.
* **P(miss | X_i in its bottom decile)** and **P(miss | top decile)** (r < 0.1, r > 0.9:
  the deciles of X_i's distribution), Wilson intervals.

Inputs are ranked by the indicator index (ties by KS distance), never by a signed
change; an input whose index interval reaches 0 or whose KS p-value is above 0.01 is
"within noise" and ranked below the noise line. With fewer than ``min_draws`` misses
(or hits) nothing is ranked: the probability is too close to 0 (or 1) to attribute.

These conditional-distribution methods use the joint draws as drawn, so with correlated
inputs they measure association: an input correlated with a driver shows as a driver
too. :func:`fixed_at_median` (the fall in P(miss) when one input is fixed at its median,
re-running the model, the correlated inputs conditioned through the Gaussian copula)
answers "what if this input were known and typical"; :func:`simulate.analysis.sensitivity.analyze`
adds its absolute value as a column.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from scipy import stats

from distributions import Correlations, Distribution, as_specs

from .copula import copula_matrix, fix_score
from .intervals import Model, _num, _z, evaluate_model, uncertain_names
from .parallel import default_threads
from .ranking import sample_ranks
from .risk import RiskTarget, proportion_interval

__all__ = [
    "MIN_DRAWS",
    "NOISE_P_VALUE",
    "draws_needed",
    "fixed_at_median",
    "indicator_index",
    "markdown_table",
    "risk_drivers",
    "with_fixed_at_median",
]

#: Fewest misses (and hits) for a ranking.
MIN_DRAWS = 50
#: A KS p-value above this is within noise.
NOISE_P_VALUE = 0.01

READING = (
    "KS distance, indicator index and decile probabilities use the joint draws as drawn: "
    "they measure association, so with correlated inputs an input correlated with a "
    "driver shows as a driver too. The fixed-at-median column re-runs the model with one "
    "input at its median (correlated inputs conditioned through the copula): what knowing "
    "that input to be typical would change."
)


#: Above this many draws on either side ``scipy.stats.ks_2samp`` (method "auto") takes
#: the asymptotic p-value (its MAX_AUTO_N), which :func:`_ks_2samp` computes itself.
_KS_EXACT_DRAWS = 10_000
#: Draws per bin (on average) of the binned pass of :func:`_ks_2samp`.
_KS_BIN_DRAWS = 32


def _ks_2samp(r: np.ndarray, miss: np.ndarray) -> tuple[float, float]:
    """``scipy.stats.ks_2samp(r[miss], r[~miss])``'s statistic and p-value, for ranks ``r``
    in [0, 1], without sorting them.

    Each empirical cdf at a value is (count <= value) / n_side, the integers scipy's
    ``searchsorted(side="right")`` counts, so D = max |F1 − F2| over the draws is the same
    float. The draws are counted in bins ⌊B r⌋ (ranges of r, so a bin's draws lie above
    every lower bin's and a tie shares a bin): at each bin's end F1 − F2 is exact
    (``M/n1 − H/n2`` from the cumulative counts), and inside bin b it lies between
    ``M₀/n1 − H/n2`` and ``M/n1 − H₀/n2`` (misses and hits up to the bin's start and end).
    Only the bins whose bounds pass the ends' largest |F1 − F2| can hold the maximum;
    their draws (a few) are sorted and evaluated exactly. The p-value is scipy's: exact
    below its MAX_AUTO_N (by calling it, on the halves), else Smirnov's asymptotic
    ``kstwo.sf(D, round(n1 n2 / (n1 + n2)))``.
    """
    n = r.size
    n1 = int(np.count_nonzero(miss))
    n2 = n - n1
    if max(n1, n2) <= _KS_EXACT_DRAWS:
        result = stats.ks_2samp(r[miss], r[~miss])
        return float(result.statistic), float(result.pvalue)
    size = max(1, n // _KS_BIN_DRAWS)
    b = np.minimum((r * size).astype(np.intp), size - 1)
    misses = np.bincount(b[miss], minlength=size)
    hits = np.bincount(b, minlength=size) - misses
    m_end, h_end = np.cumsum(misses), np.cumsum(hits)
    m_start, h_start = m_end - misses, h_end - hits
    ends = m_end / n1 - h_end / n2
    high, low = float(ends.max()), float(-ends.min())
    reach = np.maximum(m_end / n1 - h_start / n2 - high, h_end / n2 - m_start / n1 - low)
    inside = (reach > 0) & (misses + hits > 0)
    if inside.any():
        chosen = np.flatnonzero(inside[b])
        order = np.argsort(r[chosen], kind="stable")
        values, bins, missed = r[chosen][order], b[chosen][order], miss[chosen][order]
        first = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
        run = np.repeat(first, np.diff(np.r_[first, bins.size]))
        count_m = np.cumsum(missed)
        below_m = count_m - (count_m[run] - missed[run])  # misses up to here, in this bin
        below_h = (np.arange(bins.size) - run + 1) - below_m
        last = np.r_[values[1:] != values[:-1], True]  # the end of each run of ties
        differences = (m_start[bins] + below_m)[last] / n1 - (h_start[bins] + below_h)[last] / n2
        high = max(high, float(differences.max()))
        low = max(low, float(-differences.min()))
    low = float(np.clip(low, 0, 1))
    d = low if low > high else high
    m, k = sorted([float(n1), float(n2)], reverse=True)
    p_value = np.clip(stats.kstwo.sf(d, np.round(m * k / (m + k))), 0, 1)
    return float(d), float(p_value)


def draws_needed(
    count: int, n: int, *, min_draws: int = MIN_DRAWS, confidence: float = 0.95
) -> int:
    """Draws needed to expect ``min_draws`` events at the observed probability ``count / n``,
    or at its Wilson upper bound when ``count`` is 0: ceil(min_draws / p)."""
    p = count / n if count > 0 else proportion_interval(0, n, confidence=confidence)["high"]
    return math.ceil(min_draws / p)


def indicator_index(
    miss: np.ndarray, bins: np.ndarray, *, groups: int = 20, confidence: float = 0.95
) -> dict[str, float | None]:
    """Bias-corrected given-data estimate of Var(E[1{miss} | X]) / (p(1 − p)).

    ``bins`` is each draw's bin of X (0 .. B − 1, equal-probability bins). With n_b draws
    and miss fraction p̂_b in bin b (weights w_b = n_b/n), p̂ = Σ w_b p̂_b overall, the
    between-bin variance is V = Σ_b w_b p̂_b² − p̂². Bias: given the bins, p̂_b has mean
    p_b and variance p_b(1 − p_b)/n_b, independently across bins, so
    E[Σ w_b p̂_b²] = Σ w_b p_b² + (1/n) Σ_b p_b(1 − p_b) and
    E[p̂²] = p² + (1/n) Σ w_b p_b(1 − p_b) = p² + (p(1 − p) − D)/n, where
    D = Σ w_b (p_b − p)² is the true between-bin variance. With equal bins
    Σ_b p_b(1 − p_b) = B(p(1 − p) − D), hence
    E[V] = D + (B − 1)/n · (p(1 − p) − D), i.e.
    E[V]/(p(1 − p)) = S(1 − (B − 1)/n) + (B − 1)/n with S = D/(p(1 − p)). With no
    dependence (S = 0) that is the familiar (B − 1)/n · p(1 − p) (V·n/(p(1 − p)) is
    Pearson's χ² on B − 1 degrees of freedom). The estimate solves it for S, with p̂ for p:
    Ŝ = (V/(p̂(1 − p̂)) − (B − 1)/n) / (1 − (B − 1)/n); a target that X decides (pure
    bins, V = p̂(1 − p̂)) gives Ŝ = 1 exactly. B counts the bins that hold draws (an atom
    can leave some empty; unequal bins keep the (B − 1)/n term under no dependence). The
    binned S is below the continuous index by the within-bin variation of E[1{miss}|X],
    which vanishes as B grows. Interval: grouped jackknife over ``groups`` contiguous
    groups of draws (bins kept), t on G − 1 degrees of freedom (Efron & Tibshirani 1993,
    §11.5).
    """
    n = miss.size
    size = int(bins.max()) + 1
    group = (np.arange(n) * groups) // n
    cell = group * size + bins
    counts = np.bincount(cell, minlength=groups * size).reshape(groups, size).astype(float)
    misses = np.bincount(cell, weights=miss, minlength=groups * size).reshape(groups, size)

    def estimate(c: np.ndarray, m: np.ndarray) -> np.ndarray:
        total = c.sum(axis=-1)
        p = m.sum(axis=-1) / total
        held = c > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            p_bin = np.where(held, m / np.where(held, c, 1), 0.0)
            between = (c * (p_bin - p[..., None]) ** 2).sum(axis=-1) / total
            b = held.sum(axis=-1)
            return (between / (p * (1 - p)) - (b - 1) / total) / (1 - (b - 1) / total)

    full = float(estimate(counts.sum(axis=0), misses.sum(axis=0)))
    left_out = estimate(counts.sum(axis=0) - counts, misses.sum(axis=0) - misses)
    se = math.sqrt((groups - 1) / groups * float(((left_out - left_out.mean()) ** 2).sum()))
    t = float(stats.t.ppf(0.5 + confidence / 2, groups - 1))
    return {
        "value": _num(full),
        "standard_error": _num(se),
        "low": _num(full - t * se),
        "high": _num(full + t * se),
    }


def risk_drivers(
    draws: Mapping[str, Any],
    inputs: Sequence[str],
    targets: Sequence[RiskTarget],
    *,
    confidence: float = 0.95,
    min_draws: int = MIN_DRAWS,
    bins: int | None = None,
    groups: int = 20,
    ranks: Mapping[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Rank ``inputs`` by what they tell about missing each of ``targets`` (module doc).

    ``draws`` maps names to the main run's arrays (an ``xarray.Dataset`` works): every
    name in ``inputs`` and every target's node. ``bins``: equal-probability bins of the
    indicator index (default min(50, n // 100), at least 2); ``groups``: of its jackknife.
    An input without spread in the sample is left out. JSON-ready dicts. ``ranks``: the
    inputs' mid-CDF ranks by name (:func:`simulate.analysis.ranking.input_ranks`); an
    input not in it is ranked by its sample mid-ECDF (one sort).
    """
    _z(confidence)
    missing = [name for name in [*inputs, *(t.node for t in targets)] if name not in draws]
    if missing:
        raise ValueError(f"risk_drivers needs the draws of {', '.join(dict.fromkeys(missing))}")
    if min_draws < 1:
        raise ValueError(f"min_draws must be >= 1; got {min_draws!r}")
    if not inputs or not targets:
        raise ValueError("risk_drivers needs at least one input and one target")
    columns = {name: np.asarray(draws[name], dtype=float).ravel() for name in inputs}
    n = next(iter(columns.values())).size
    n_bins = bins if bins is not None else max(2, min(50, n // 100))
    if n_bins < 2 or groups < 2 or n < 3 * groups:
        raise ValueError(
            f"risk_drivers needs bins >= 2, groups >= 2 and 3 draws per group; "
            f"got bins={n_bins}, groups={groups}, n={n}"
        )
    spread = [name for name in inputs if np.ptp(columns[name]) > 0]
    given = ranks or {}
    ranks = {
        name: np.asarray(given[name], dtype=float).ravel()
        if name in given
        else sample_ranks(columns[name])
        for name in spread
    }
    # per input, once for every target: its bins and its bottom and top deciles
    bins_of = {
        name: np.minimum((ranks[name] * n_bins).astype(np.intp), n_bins - 1) for name in spread
    }
    deciles = {name: (ranks[name] < 0.1, ranks[name] > 0.9) for name in spread}
    result: dict[str, Any] = {
        "method": "risk_drivers",
        "confidence": confidence,
        "n_draws": n,
        "min_draws": min_draws,
        "bins": n_bins,
        "noise": f"index interval reaching 0, or KS p-value above {NOISE_P_VALUE:g}",
        "interval": (
            f"Wilson for probabilities; grouped jackknife ({groups} groups) for the index"
        ),
        "reading": READING,
        "no_spread": [name for name in inputs if name not in spread],
        "outputs": {},
    }
    for target in targets:
        miss = np.asarray(target.misses(np.asarray(draws[target.node], dtype=float).ravel()))
        k = int(np.count_nonzero(miss))
        entry: dict[str, Any] = {
            "node": target.node,
            "direction": target.direction,
            "label": target.label,
            "threshold": _num(target.threshold),
            "probability": proportion_interval(k, n, confidence=confidence),
            "misses": k,
            "hits": n - k,
            "ranked": True,
            "inputs": [],
        }
        result["outputs"][target.key] = entry
        if min(k, n - k) < min_draws:
            side, few = ("0", k) if k < min_draws else ("1", n - k)
            what = "misses" if k < min_draws else "hits"
            needed = draws_needed(few, n, min_draws=min_draws, confidence=confidence)
            basis = "observed" if few > 0 else "upper-bound"
            entry |= {
                "ranked": False,
                "draws_needed": needed,
                "message": (
                    f"P(miss) is too close to {side} to attribute: {few:,} {what} in {n:,} "
                    f"draws, fewer than the {min_draws} needed to rank; about {needed:,} "
                    f"draws would give {min_draws} {what} at the {basis} probability."
                ),
            }
            continue
        rows = []
        missed = miss.astype(float)
        for name in spread:
            u = ranks[name]
            ks_distance, ks_p_value = _ks_2samp(u, miss)
            index = indicator_index(missed, bins_of[name], groups=groups, confidence=confidence)
            low_decile, high_decile = miss[deciles[name][0]], miss[deciles[name][1]]
            noise = index["low"] is None or index["low"] <= 0 or ks_p_value > NOISE_P_VALUE
            rows.append(
                {
                    "input": name,
                    "indicator_index": index,
                    "ks_distance": ks_distance,
                    "ks_p_value": ks_p_value,
                    "median_among_misses": _num(np.median(columns[name][miss])),
                    "median_among_hits": _num(np.median(columns[name][~miss])),
                    "p_miss_bottom_decile": _decile(low_decile, confidence),
                    "p_miss_top_decile": _decile(high_decile, confidence),
                    "within_noise": bool(noise),
                }
            )
        rows.sort(
            key=lambda r: (
                r["within_noise"],
                -(r["indicator_index"]["value"] or 0.0),
                -r["ks_distance"],
            )
        )
        entry["inputs"] = rows
    return result


def _decile(miss: np.ndarray, confidence: float) -> dict[str, Any] | None:
    if miss.size == 0:
        return None
    return proportion_interval(int(np.count_nonzero(miss)), miss.size, confidence=confidence)


def fixed_at_median(
    model: Model,
    specs: Mapping[str, Distribution],
    inputs: Mapping[str, Any],
    *,
    targets: Sequence[RiskTarget],
    confidence: float = 0.95,
    correlations: Correlations | None = None,
    input_uniforms: Mapping[str, Any] | None = None,
    depends: Mapping[str, Collection[str]] | None = None,
) -> dict[str, Any]:
    """The fall in P(miss a target) when each input is fixed at its median.

    ``inputs`` holds the main run's draws of every uncertain input (values, not
    uniforms). The model is re-run once per input with that input's column replaced
    by its median and the other columns as drawn, so the two probabilities are
    paired; the fall gets the paired interval of Newcombe (1998, *Stat. Med.* 17:2635,
    method 1): with b draws that miss only as drawn and c only with the input fixed,
    Δ = (b − c)/n and SE = √(b + c − (b − c)²/n)/n. Rows are sorted by |Δ|.

    With ``correlations`` (the run's Gaussian copula) the inputs correlated with the
    fixed one are drawn from their conditional given its median instead
    (:func:`simulate.analysis.copula.fix_score` on each row's normal scores, still
    paired); their scores come from ``input_uniforms`` (the run's, by name) or, where not
    given, from each input's cdf (exact for continuous inputs).

    ``depends`` (target node -> the uncertain inputs it is computed from, e.g. from the
    model's graph; None: every input): a target that does not depend on the fixed input
    keeps its drawn misses (fixing an input it does not read changes nothing), and the
    model is re-run on the inputs the remaining targets read only, so each re-run
    computes what those targets need: the same numbers as the full re-run, cheaper.
    """
    specs = as_specs(specs, caller="fixed_at_median")
    z = _z(confidence)
    names = uncertain_names(specs)
    missing = [name for name in names if name not in inputs]
    if missing:
        raise ValueError(f"risk_drivers needs the draws of {', '.join(missing)}")
    columns = {name: np.asarray(inputs[name], dtype=float) for name in names}
    nodes = list(dict.fromkeys(t.node for t in targets))
    base = evaluate_model(model, specs, columns, outputs=nodes)
    n = next(iter(base.values())).size
    exceed = {t.key: t.misses(base[t.node]) for t in targets}
    rows: dict[str, list[dict[str, Any]]] = {t.key: [] for t in targets}
    group = list(correlations.names) if correlations is not None else []
    if group:
        matrix = copula_matrix(group, correlations)
        given = input_uniforms or {}
        scores = stats.norm.ppf(
            np.clip(
                np.column_stack(
                    [
                        np.asarray(given[g] if g in given else specs[g].cdf(columns[g]))
                        for g in group
                    ]
                ),
                2.0**-54,
                1 - 2.0**-53,
            )
        )
    for name in names:
        median = float(specs[name].ppf(0.5))
        others: dict[str, Any] = {}
        if name in group:
            moved = stats.norm.cdf(fix_score(matrix, scores, group.index(name), 0.0))
            others = {
                g: np.asarray(specs[g].ppf(moved[:, j]), dtype=float)
                for j, g in enumerate(group)
                if g != name
            }
        moved = [t for t in targets if depends is None or name in depends[t.node]]
        wanted = list(dict.fromkeys(t.node for t in moved))
        drawn = columns | others
        if depends is not None:
            read = {x for node in wanted for x in depends[node]}
            drawn = {k: v for k, v in drawn.items() if k in read}
        counts = _fixed_counts(model, specs, drawn | {name: median}, moved, exceed, n)
        for target in targets:
            out = target.key
            misses_fixed, only_drawn, only_fixed = counts.get(out, (int(exceed[out].sum()), 0, 0))
            delta = (only_drawn - only_fixed) / n
            se = (
                math.sqrt(max(only_drawn + only_fixed - (only_drawn - only_fixed) ** 2 / n, 0.0))
                / n
            )
            rows[out].append(
                {
                    "input": name,
                    "median": _num(median),
                    "probability": proportion_interval(misses_fixed, n, confidence=confidence),
                    "reduction": {
                        "value": delta,
                        "standard_error": se,
                        "low": delta - z * se,
                        "high": delta + z * se,
                    },
                }
            )
    result: dict[str, Any] = {
        "method": "fixed_at_median",
        "confidence": confidence,
        "n_draws": n,
        "interval": "Wilson for probabilities; Newcombe 1998 paired for the fall",
        "others": (
            "as drawn, those correlated with the fixed one from their conditional given its "
            "median (Gaussian copula of [correlations])"
            if group
            else "as drawn"
        ),
        "outputs": {},
    }
    for target in targets:
        out = target.key
        result["outputs"][out] = {
            "node": target.node,
            "direction": target.direction,
            "label": target.label,
            "threshold": _num(target.threshold),
            "probability": proportion_interval(int(exceed[out].sum()), n, confidence=confidence),
            "inputs": sorted(rows[out], key=lambda row: -abs(row["reduction"]["value"])),
        }
    return result


#: Draws per slice of a fixed-at-median re-run (its temporaries stay this size).
_SLICE_DRAWS = 1 << 20


def _fixed_counts(
    model: Model,
    specs: Mapping[str, Distribution],
    given: Mapping[str, Any],
    targets: Sequence[RiskTarget],
    exceed: Mapping[str, np.ndarray],
    n: int,
) -> dict[str, tuple[int, int, int]]:
    """Per target (by key): the misses with the model run on ``given`` (one input fixed),
    those that miss only as drawn, and those that miss only so fixed. The draws are run in
    slices of at most :data:`_SLICE_DRAWS`, side by side; counts add up exactly, so the
    numbers do not depend on the slicing. (Smaller slices cost more than they gain: a
    chain of many nodes, e.g. 16 phases, spends much of its time in Python, where threads
    wait on each other: 80 inputs at 3e5 draws in 2 slices took 17 s against 11 s.)"""
    if not targets:
        return {}
    nodes = list(dict.fromkeys(t.node for t in targets))
    threads = default_threads()
    parts = max(math.ceil(n / _SLICE_DRAWS), 1)
    bounds = np.linspace(0, n, parts + 1).astype(int)

    def one(a: int, b: int) -> dict[str, np.ndarray]:
        inputs = {k: v[a:b] if np.ndim(v) and np.size(v) == n else v for k, v in given.items()}
        fixed = evaluate_model(model, specs, inputs, outputs=nodes)
        out = {}
        for t in targets:
            missed = np.broadcast_to(t.misses(fixed[t.node]), (b - a,))
            drawn = exceed[t.key][a:b]
            out[t.key] = np.array(
                [
                    np.count_nonzero(missed),
                    np.count_nonzero(drawn & ~missed),
                    np.count_nonzero(~drawn & missed),
                ]
            )
        return out

    if parts == 1:
        slices = [one(0, n)]
    else:
        with ThreadPoolExecutor(min(threads, parts)) as pool:
            slices = list(pool.map(one, bounds[:-1], bounds[1:]))
    return {t.key: tuple(int(c) for c in sum(part[t.key] for part in slices)) for t in targets}


def _absolute(cell: Mapping[str, float]) -> dict[str, float]:
    """|Δ| with its interval: the image of [low, high] under |·|."""
    low, high = cell["low"], cell["high"]
    if low > 0:
        bounds = (low, high)
    elif high < 0:
        bounds = (-high, -low)
    else:
        bounds = (0.0, max(-low, high, 0.0) + 0.0)  # + 0.0: never -0.0
    return {
        "value": abs(cell["value"]),
        "standard_error": cell["standard_error"],
        "low": bounds[0],
        "high": bounds[1],
    }


def with_fixed_at_median(drivers: dict[str, Any], fixed: Mapping[str, Any]) -> dict[str, Any]:
    """``drivers`` (:func:`risk_drivers`) with each ranked row's ``fixed_at_median``
    column from ``fixed`` (:func:`fixed_at_median`): the absolute change in P(miss) with
    its interval, and P(miss) with the input fixed; ``others`` says how the rest were held."""
    drivers["others"] = fixed["others"]
    for key, entry in drivers["outputs"].items():
        by_input = {row["input"]: row for row in fixed["outputs"][key]["inputs"]}
        for row in entry["inputs"]:
            other = by_input.get(row["input"])
            if other is not None:
                row["fixed_at_median"] = {
                    "median": other["median"],
                    "probability": other["probability"],
                    "change": _absolute(other["reduction"]),
                }
    return drivers


def _fmt(value: Any, number: Any = None) -> str:
    if value is None:
        return "n/a"
    if number is not None and isinstance(value, Mapping | float | int):
        if isinstance(value, Mapping):
            point = value.get("value", value.get("probability"))
            if point is None:
                return "n/a"
            low, high = (value.get(k) for k in ("low", "high"))
            return number(point, *(math.nan if x is None else x for x in (low, high)))
        return number(value, None, None)
    if isinstance(value, Mapping):
        point = value.get("value", value.get("probability"))
        return f"{_fmt(point)} [{_fmt(value.get('low'))}, {_fmt(value.get('high'))}]"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{value:.3g}"
    return str(value)


def markdown_table(
    result: Mapping[str, Any], *, output: str, limit: int | None = None, number: Any = None
) -> str:
    """One target's ranking as Markdown (or the sentence saying why there is none); inputs
    within noise are named in one line below the table, not ranked. ``number``: as in
    :func:`simulate.analysis.sensitivity.markdown_table`."""
    if output not in result["outputs"]:
        raise ValueError(
            f"the risk_drivers result has no output {output!r}; "
            f"it has {', '.join(result['outputs'])}"
        )
    cell = result["outputs"][output]
    symbol = ">" if cell["direction"] == "above" else "<"
    lines = [
        f"P({cell['node']} {symbol} {_fmt(cell['threshold'])}) as drawn: "
        f"{_fmt(cell['probability'])} ({cell['misses']:,} misses, {cell['hits']:,} hits).",
        "",
    ]
    if not cell["ranked"]:
        return "\n".join([*lines, cell["message"]]) + "\n"
    fixed = any("fixed_at_median" in row for row in cell["inputs"])
    head = (
        "| rank | input | indicator index | KS distance (p) | median among misses | "
        "median among hits | P(miss \\| bottom 10%) | P(miss \\| top 10%) |"
        + (" \\|change\\| fixed at median |" if fixed else "")
    )
    lines += [head, "|---:|---|" + "---:|" * (6 + fixed)]
    rows = [row for row in cell["inputs"] if not row["within_noise"]][:limit]
    hidden = [row["input"] for row in cell["inputs"] if row["within_noise"]]
    for rank, row in enumerate(rows, start=1):
        cells = [
            str(rank),
            row["input"],
            _fmt(row["indicator_index"], number),
            f"{row['ks_distance']:.3g} ({row['ks_p_value']:.2g})",
            _fmt(row["median_among_misses"], number),
            _fmt(row["median_among_hits"], number),
            _fmt(row["p_miss_bottom_decile"], number),
            _fmt(row["p_miss_top_decile"], number),
        ]
        if fixed:
            cells.append(_fmt(row.get("fixed_at_median", {}).get("change"), number))
        lines.append("| " + " | ".join(cells) + " |")
    if not rows:
        lines = [*lines[:2], "No input stands out from noise among the misses."]
    if hidden:
        lines += ["", f"Within noise, not ranked: {', '.join(hidden)}."]
    lines += [
        "",
        f"Ranked by the indicator index Var(E[1{{miss}}|X])/(p(1−p)), ties by KS distance; "
        f"within noise: {result['noise']}. Brackets: "
        f"{math.floor(result['confidence'] * 100 + 0.5)}% interval ({result['interval']}).",
    ]
    return "\n".join(lines) + "\n"
