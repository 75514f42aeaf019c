"""Which input drives the spread: rank correlations, Sobol' indices, log-variance shares, tornado.

Every analysis takes a vectorized ``model(inputs) -> outputs`` (named arrays; the
chain's :func:`simulate.model.chain.evaluate` is one) or the draws of a main run, and the
input specs; fixed specs are passed to the model as constants and never ranked.

* :func:`rank_correlations`: Spearman's ρ (Pearson on ranks), the partial rank
  correlation coefficient PRCC (Iman & Conover 1980, *Commun. Stat. A* 9:1749; as the
  partial correlation −P_iy/√(P_ii P_yy) from the inverse P of the rank correlation
  matrix, Whittaker 1990 §5.7), and the contribution to variance ρ_i² / Σ_j ρ_j²
  (the @RISK convention, Palisade *@RISK User's Guide*, "Sensitivity Analysis").
  An input is ranked by its mid-CDF rank (F(x⁻) + F(x))/2 (its uniform where it is
  continuous, exact for atoms; never sorted), an output by its mid-ECDF (one sort):
  both estimate the population Spearman rho_S = corr(F(X), G(Y)), as
  ``scipy.stats.spearmanr`` does, within the Monte Carlo error.
* :func:`sobol`: first-order (Saltelli et al. 2010, *Comput. Phys. Commun.* 181:259,
  Table 2 (b)) and total (Jansen 1999, Table 2 (f)) indices by
  ``scipy.stats.sobol_indices`` on the A, B, AB design of Saltelli et al. (2010, §5)
  built from one scrambled Sobol' sequence of 2d columns; intervals by
  ``scipy.stats.bootstrap`` (percentile) over the base draws.
* :func:`log_variance_shares`: OLS of log Y on the log X_i; share_i = a_i² Var(log X_i) /
  Var(log Y). For Y = c·Π X_i^{a_i} the fit is exact and, with independent inputs, the
  shares are Var(log Y) = Σ a_i² Var(log X_i) split term by term; 1 − R² is what the
  log-linear form misses (sums such as capex + energy).
* :func:`tornado`: one-at-a-time swing of each output between an input's P10 and P90,
  the others at their medians (Clemen & Reilly, *Making Hard Decisions*, 2001, ch. 5);
  with correlated inputs, at their medians given the moved input (Gaussian copula).
* Shapley effects (:mod:`simulate.analysis.shapley`) replace Sobol' indices in
  :func:`analyze` when the inputs are correlated: Sobol' indices assume independence.

Rank and log statistics get grouped-jackknife intervals: the draws are split into G
contiguous groups, the statistic is recomputed leaving each group out (from the group
cross-product sums, so no re-ranking), SE² = (G − 1)/G · Σ_g (θ_(g) − θ̄)², and the
interval is θ ± t_{G−1} SE (Efron & Tibshirani, *An Introduction to the Bootstrap*,
1993, §11.5; Shao & Wu 1989, *Ann. Stat.* 17:1176, delete-d jackknife).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import numpy as np
import xarray as xr
from scipy import stats
from scipy.stats import qmc

from distributions import Correlations, Distribution, as_specs

from . import risk_drivers as drivers
from .copula import copula_matrix
from .intervals import Model, _num, _z, evaluate_model, uncertain_names
from .parallel import default_threads
from .ranking import input_ranks, sample_ranks
from .risk import RiskTarget
from .shapley import shapley_effects

__all__ = [
    "analyze",
    "as_dataset",
    "log_variance_shares",
    "markdown_section",
    "markdown_table",
    "noise_line",
    "rank_correlations",
    "sobol",
    "sobol_evaluations",
    "tornado",
    "within_noise",
]


def _grouped_covariances(
    columns: Sequence[np.ndarray], groups: int, transform: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Covariance matrix of ``columns`` (p arrays of n draws), and the G leave-one-group-out
    ones (G, p, p); ``transform``: a ufunc applied to each column as it is read.

    One group at a time: its draws are copied into one reused (p, n/G) buffer, shifted by
    the first group's means (covariances do not depend on the shift; it keeps the sums
    small), and summed, with their cross products as one matrix product. No copy of all
    the columns is made."""
    n = len(columns[0])
    if groups < 2 or n < 3 * groups:
        raise ValueError(
            f"need groups >= 2 and at least 3 draws per group; got groups={groups}, n={n}"
        )
    bounds = np.linspace(0, n, groups + 1).astype(int)
    buffer = np.empty((len(columns), int(np.diff(bounds).max())))
    shift, block_sums, block_cross = None, [], []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        block = buffer[:, : b - a]
        for row, column in zip(block, columns, strict=True):
            if transform is None:
                row[...] = column[a:b]
            else:
                transform(column[a:b], out=row)
        if shift is None:
            shift = block.mean(axis=1, keepdims=True)
        block -= shift
        block_sums.append(block.sum(axis=1))
        block_cross.append(block @ block.T)
    sums, cross = np.stack(block_sums), np.stack(block_cross)
    counts = np.diff(bounds).astype(float)

    def covariance(s: np.ndarray, c: np.ndarray, m: Any) -> np.ndarray:
        m = np.asarray(m, dtype=float)[..., None, None]
        return (c - s[..., :, None] * s[..., None, :] / m) / (m - 1)

    full = covariance(sums.sum(axis=0), cross.sum(axis=0), n)
    left_out = covariance(sums.sum(axis=0) - sums, cross.sum(axis=0) - cross, n - counts)
    return full, left_out


def _jackknife(
    full: np.ndarray,
    left_out: np.ndarray,
    *,
    confidence: float,
    clip: tuple[float, float] = (-np.inf, np.inf),
) -> dict[str, np.ndarray]:
    """Grouped-jackknife SE and t interval (Efron & Tibshirani 1993, §11.5)."""
    _z(confidence)  # validates it
    groups = left_out.shape[0]
    se = np.sqrt((groups - 1) / groups * ((left_out - left_out.mean(axis=0)) ** 2).sum(axis=0))
    t = stats.t.ppf(0.5 + confidence / 2, groups - 1)
    return {
        "value": full,
        "standard_error": se,
        "low": np.clip(full - t * se, *clip),
        "high": np.clip(full + t * se, *clip),
    }


def _cell(parts: Mapping[str, np.ndarray], index: Any) -> dict[str, float | None]:
    return {key: _num(np.asarray(array)[index]) for key, array in parts.items()}


def _correlation(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    return cov / (sd[..., :, None] * sd[..., None, :])


_RIDGE = 1e-12


def _rank_statistics(corr: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spearman (k, m), PRCC (k, m) and contribution to variance (k, m) from rank correlations."""
    m = corr.shape[-1] - k
    spearman = corr[..., :k, k:]
    prcc = np.empty_like(spearman)
    diagonal = np.arange(k)
    for o in range(m):
        index = [*range(k), k + o]
        # A ridge of 1e-12 keeps PRCC defined (±1) when an output's ranks equal a
        # combination of the inputs' (one uncertain input, or a pinned output).
        precision = np.linalg.inv(corr[..., index, :][..., index] + _RIDGE * np.eye(k + 1))
        prcc[..., o] = -precision[..., :k, k] / np.sqrt(
            precision[..., diagonal, diagonal] * precision[..., k, k][..., None]
        )
    squared = spearman**2
    return spearman, prcc, squared / squared.sum(axis=-2, keepdims=True)


def _columns(
    draws: Mapping[str, Any], names: Sequence[str], role: str, *, flat_ok: bool = False
) -> list[np.ndarray]:
    """The named columns as float arrays; one without spread is refused unless ``flat_ok``."""
    missing = [name for name in names if name not in draws]
    if missing:
        raise ValueError(f"the draws hold no {role} {', '.join(missing)}")
    out = [np.asarray(draws[name], dtype=float).ravel() for name in names]
    flat = [name for name, column in zip(names, out, strict=True) if np.ptp(column) == 0]
    if flat and not flat_ok:
        raise ValueError(f"{role} {', '.join(flat)} has no spread; fixed values are not ranked")
    return out


#: The note on an uncertain input whose draws in this run are all equal (e.g. a rare
#: outcome of a discrete input that no draw reached): its statistics are undefined (null).
NO_SPREAD = "no spread in this sample"
_NULL = {"value": None, "standard_error": None, "low": None, "high": None}


def _descending(key: str) -> Any:
    """Sort key: ``row[key]["value"]`` largest first, undefined (None) last."""

    def order(row: Mapping[str, Any]) -> tuple[bool, float]:
        value = row[key]["value"] if isinstance(row[key], Mapping) else row[key]
        return (value is None, -(value or 0.0))

    return order


def _sign(value: float) -> str | None:
    if not math.isfinite(value):
        return None
    return "positive" if value >= 0 else "negative"


def rank_correlations(
    draws: Mapping[str, Any],
    specs: Mapping[str, Distribution],
    *,
    outputs: Sequence[str],
    confidence: float = 0.95,
    groups: int = 20,
    uniforms: Mapping[str, np.ndarray] | None = None,
    ranks: Mapping[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Spearman ρ, PRCC and contribution to variance of every uncertain input, per output.

    ``draws`` maps names to the main run's arrays (an ``xarray.Dataset`` works); the
    uncertain inputs are given as values. Spearman rho is the estimator of
    :mod:`simulate.analysis.ranking`: the Pearson correlation of each input's mid-CDF rank
    ``(F(x⁻) + F(x)) / 2`` (:func:`simulate.analysis.ranking.input_ranks`: its uniform
    from ``uniforms``, the run's by name, where it is continuous, else
    :func:`distributions.mid_cdf` of its values; inputs are never sorted) and each
    output's mid-ECDF (one sort per output, ties averaged); PRCC uses the same ranks.
    Rows are sorted by contribution to variance, largest first. An uncertain input whose
    draws are all equal in this sample gets null cells and ``"note": "no spread in this
    sample"``, last. ``ranks``: the inputs' mid-CDF ranks by name where already computed.
    """
    specs = as_specs(specs, caller="rank_correlations")
    every = uncertain_names(specs)
    raw = _columns(draws, every, "input", flat_ok=True)
    inputs = [name for name, column in zip(every, raw, strict=True) if np.ptp(column) > 0]
    flat = [name for name in every if name not in inputs]
    values = dict(zip(every, raw, strict=True))
    known = ranks or {}
    p = {name: known[name] for name in inputs if name in known}
    p |= input_ranks({name: specs[name] for name in inputs if name not in p}, values, uniforms)
    targets = _columns(draws, outputs, "output")
    with ThreadPoolExecutor(default_threads()) as pool:  # numpy's sort releases the GIL
        g = list(pool.map(sample_ranks, targets))
    ranks = [np.asarray(p[name], dtype=float).ravel() for name in inputs] + g
    full, left_out = _grouped_covariances(ranks, groups)
    k = len(inputs)
    with np.errstate(invalid="ignore", divide="ignore"):  # undefined cells become None
        point = _rank_statistics(_correlation(full), k)
        replicates = _rank_statistics(_correlation(left_out), k)
    parts = [
        _jackknife(p, r, confidence=confidence, clip=clip)
        for p, r, clip in zip(point, replicates, [(-1, 1), (-1, 1), (0, 1)], strict=True)
    ]
    result: dict[str, Any] = {
        "method": "rank_correlation",
        "n_draws": len(g[0]),
        "confidence": confidence,
        "interval": f"grouped jackknife, {groups} groups",
        "outputs": {},
    }
    for o, out in enumerate(outputs):
        rows = [
            {
                "input": name,
                "sign": _sign(point[0][i, o]),
                "spearman": _cell(parts[0], (i, o)),
                "prcc": _cell(parts[1], (i, o)),
                "contribution_to_variance": _cell(parts[2], (i, o)),
            }
            for i, name in enumerate(inputs)
        ]
        rows += [
            {
                "input": name,
                "sign": None,
                "spearman": dict(_NULL),
                "prcc": dict(_NULL),
                "contribution_to_variance": dict(_NULL),
                "note": NO_SPREAD,
            }
            for name in flat
        ]
        rows.sort(key=_descending("contribution_to_variance"))
        result["outputs"][out] = {"inputs": rows}
    return result


def _complement(x: float | None) -> float | None:
    return None if x is None else 1 - x


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.linalg.solve`` over a stack, NaN where a matrix is singular (a fit that a few
    draws cannot identify: its cells, and its jackknife intervals, become None)."""
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        if a.ndim == 2:
            return np.full(b.shape, np.nan)
        return np.stack([_solve(a_i, b_i) for a_i, b_i in zip(a, b, strict=True)])


def log_variance_shares(
    draws: Mapping[str, Any],
    specs: Mapping[str, Distribution],
    *,
    outputs: Sequence[str],
    confidence: float = 0.95,
    groups: int = 20,
) -> dict[str, Any]:
    """Each input's share of Var(log output), by OLS of log Y on the log X_i (see module doc).

    Inputs with a non-positive draw cannot enter a log-linear fit; they are listed
    under ``skipped`` and what they explain falls into ``unexplained``. Uncertain inputs
    whose draws are all equal in this sample are listed under ``no_spread``.
    """
    specs = as_specs(specs, caller="log_variance_shares")
    names = uncertain_names(specs)
    raw = _columns(draws, names, "input", flat_ok=True)
    flat = [name for name, column in zip(names, raw, strict=True) if np.ptp(column) == 0]
    kept = [(name, column) for name, column in zip(names, raw, strict=True) if name not in flat]
    used = [(name, column) for name, column in kept if column.min() > 0]
    skipped = [name for name, column in kept if column.min() <= 0]
    if not used:
        raise ValueError(
            f"log-variance shares need an input with positive draws; "
            f"{', '.join(skipped) or 'no input'} has none"
        )
    targets = _columns(draws, outputs, "output")
    bad = [name for name, column in zip(outputs, targets, strict=True) if column.min() <= 0]
    if bad:
        raise ValueError(f"log-variance shares need positive outputs; {', '.join(bad)} is not")
    columns = [np.asarray(column, dtype=float) for _, column in used] + targets
    full, left_out = _grouped_covariances(columns, groups, np.log)
    k = len(used)

    def fit(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sxx, sxy = cov[..., :k, :k], cov[..., :k, k:]
        syy = np.diagonal(cov, axis1=-2, axis2=-1)[..., k:]
        exponent = _solve(sxx, sxy)  # (..., k, m)
        variance_x = np.diagonal(sxx, axis1=-2, axis2=-1)[..., :, None]
        share = exponent**2 * variance_x / syy[..., None, :]
        r_squared = (exponent * sxy).sum(axis=-2) / syy
        return exponent, share, r_squared

    with np.errstate(invalid="ignore", divide="ignore"):  # undefined cells become None
        point, replicates = fit(full), fit(left_out)
        exponent, share, r_squared = (
            _jackknife(p, r, confidence=confidence, clip=clip)
            for p, r, clip in zip(
                point, replicates, [(-np.inf, np.inf), (0, 1), (0, 1)], strict=True
            )
        )
    result: dict[str, Any] = {
        "method": "log_variance",
        "n_draws": len(columns[0]),
        "confidence": confidence,
        "interval": f"grouped jackknife, {groups} groups",
        "skipped": skipped,
        "no_spread": flat,
        "outputs": {},
    }
    for o, out in enumerate(outputs):
        rows = [
            {"input": name, "exponent": _cell(exponent, (i, o)), "share": _cell(share, (i, o))}
            for i, (name, _) in enumerate(used)
        ]
        rows.sort(key=_descending("share"))
        fit_cell = _cell(r_squared, o)
        unexplained = {
            "value": _complement(fit_cell["value"]),
            "standard_error": fit_cell["standard_error"],
            "low": _complement(fit_cell["high"]),
            "high": _complement(fit_cell["low"]),
        }
        result["outputs"][out] = {
            "r_squared": fit_cell,
            "unexplained": unexplained,
            "variance_of_log": _num(full[k + o, k + o]),
            "inputs": rows,
        }
    return result


def sobol_evaluations(
    model: Model,
    specs: Mapping[str, Distribution],
    *,
    outputs: Sequence[str],
    n: int = 2**14,
    seed: int = 0,
) -> dict[str, Any]:
    """The model on the A, B and AB_i designs of Saltelli et al. (2010, §5).

    A and B are the two halves of one scrambled Sobol' sequence of 2d columns (as
    ``scipy.stats.sobol_indices`` builds them); AB_i is A with column i from B. Returns
    ``names``, ``outputs``, the uniforms ``u_A``, ``u_B`` (n, d), and the evaluations
    ``f_A``, ``f_B`` (s, n) and ``f_AB`` (d, s, n), the layout ``sobol_indices`` takes.
    """
    specs = as_specs(specs, caller="sobol_evaluations")
    names = uncertain_names(specs)
    d, s = len(names), len(outputs)
    if d == 0 or n < 2 or n & (n - 1):
        raise ValueError(
            f"Sobol' indices need an uncertain input and n a power of 2 >= 2; got "
            f"{d} uncertain inputs, n={n}"
        )
    design = qmc.Sobol(d=2 * d, scramble=True, rng=np.random.default_rng(seed)).random(n)
    design = np.clip(design, 2.0**-54, 1 - 2.0**-53)  # keep unbounded ppfs finite
    u_a, u_b = design[:, :d], design[:, d:]
    stacked = np.concatenate([u_a, u_b, *(np.where(np.arange(d) == i, u_b, u_a) for i in range(d))])
    inputs = {
        name: np.asarray(specs[name].ppf(stacked[:, j]), dtype=float)
        for j, name in enumerate(names)
    }
    values = evaluate_model(model, specs, inputs, outputs=outputs)
    y = np.stack([values[name] for name in outputs])  # (s, (d + 2) n)
    return {
        "names": names,
        "outputs": list(outputs),
        "u_A": u_a,
        "u_B": u_b,
        "f_A": y[:, :n],
        "f_B": y[:, n : 2 * n],
        "f_AB": y[:, 2 * n :].reshape(s, d, n).transpose(1, 0, 2),
    }


def sobol(
    model: Model,
    specs: Mapping[str, Distribution],
    *,
    outputs: Sequence[str],
    n: int = 2**14,
    seed: int = 0,
    log: bool = False,
    confidence: float = 0.95,
    n_resamples: int = 200,
) -> dict[str, Any]:
    """First-order and total Sobol' indices of every uncertain input, with bootstrap intervals.

    ``n`` base draws (a power of 2) cost n(d + 2) model evaluations. With ``log=True``
    the indices are those of log(output). Rows are sorted by total index.
    """
    specs = as_specs(specs, caller="sobol")
    ev = sobol_evaluations(model, specs, outputs=outputs, n=n, seed=seed)
    f_a, f_b, f_ab = ev["f_A"], ev["f_B"], ev["f_AB"]
    if log:
        if min(f_a.min(), f_b.min(), f_ab.min()) <= 0:
            raise ValueError("Sobol' indices of log(output) need positive outputs")
        f_a, f_b, f_ab = np.log(f_a), np.log(f_b), np.log(f_ab)
    s, d = len(outputs), len(ev["names"])

    # scipy.stats.sobol_indices squeezes one output of one input to a scalar and then fails
    # to write into it: give it the output twice and keep the first (the same numbers).
    twice = 2 if s == 1 and d == 1 else 1

    def indices(index: np.ndarray) -> np.ndarray:
        func = {
            "f_A": np.repeat(f_a[:, index], twice, axis=0),
            "f_B": np.repeat(f_b[:, index], twice, axis=0),
            "f_AB": np.repeat(f_ab[..., index], twice, axis=1),
        }
        res = stats.sobol_indices(func=func, n=n)
        first, total = (
            np.reshape(x, (s * twice, d))[:s] for x in (res.first_order, res.total_order)
        )
        return np.stack([first, total])

    point = indices(np.arange(n))
    boot = stats.bootstrap(
        (np.arange(n),),
        indices,
        vectorized=False,
        method="percentile",
        n_resamples=n_resamples,
        confidence_level=confidence,
        rng=seed,
    )
    parts = {
        "value": point,
        "standard_error": boot.standard_error,
        "low": boot.confidence_interval.low,
        "high": boot.confidence_interval.high,
    }
    variance = np.var(np.concatenate([f_a, f_b], axis=1), axis=1)
    result: dict[str, Any] = {
        "method": "sobol",
        "n_base": n,
        "n_evaluations": n * (d + 2),
        "log": log,
        "confidence": confidence,
        "interval": f"percentile bootstrap, {n_resamples} resamples",
        "estimator": "first order Saltelli et al. 2010; total Jansen 1999 "
        "(scipy.stats.sobol_indices)",
        "assumption": "independent inputs",
        "outputs": {},
    }
    for o, out in enumerate(outputs):
        rows = [
            {
                "input": name,
                "first_order": _cell(parts, (0, o, i)),
                "total_order": _cell(parts, (1, o, i)),
            }
            for i, name in enumerate(ev["names"])
        ]
        rows.sort(key=_descending("total_order"))
        result["outputs"][out] = {"variance": _num(variance[o]), "inputs": rows}
    return result


def tornado(
    model: Model,
    specs: Mapping[str, Distribution],
    *,
    outputs: Sequence[str],
    low: float = 0.10,
    high: float = 0.90,
    correlations: Correlations | None = None,
) -> dict[str, Any]:
    """Swing of each output as each input goes from its ``low`` to its ``high`` quantile,
    the others at their medians; exact (no sampling), rows sorted by swing.

    With ``correlations`` (the inputs' Gaussian copula) the others sit at their medians
    given the moved input: normal score R_oi·Φ⁻¹(q) for the input at quantile q, the
    median of the conditional normal, mapped through each one's ppf.
    """
    specs = as_specs(specs, caller="tornado")
    if not 0 < low < high < 1:
        raise ValueError(f"tornado needs 0 < low < high < 1; got low={low!r}, high={high!r}")
    names = uncertain_names(specs)
    k = len(names)
    matrix = copula_matrix(names, correlations)
    scores = np.zeros((2 * k + 1, k))
    for i in range(k):
        scores[1 + i, :] = matrix[:, i] * stats.norm.ppf(low)
        scores[1 + k + i, :] = matrix[:, i] * stats.norm.ppf(high)
    # Φ(0) = 0.5 exactly and Φ(Φ⁻¹(q)) returns q to round-off; pass the quantiles
    # themselves where they are known, so an uncorrelated tornado is unchanged.
    quantiles = stats.norm.cdf(scores)
    quantiles[scores == 0] = 0.5
    for i in range(k):
        quantiles[1 + i, i], quantiles[1 + k + i, i] = low, high
    inputs = {
        name: np.asarray(specs[name].ppf(quantiles[:, j]), dtype=float)
        for j, name in enumerate(names)
    }
    values = evaluate_model(model, specs, inputs, outputs=outputs)
    correlated = correlations is not None and bool(correlations.names)
    result: dict[str, Any] = {
        "method": "tornado",
        "low_quantile": low,
        "high_quantile": high,
        "others": (
            "at their medians given the moved input (Gaussian copula of [correlations])"
            if correlated
            else "at their medians (inputs independent)"
        ),
        "outputs": {},
    }
    for out in outputs:
        y = values[out]
        rows = [
            {
                "input": name,
                "input_low": _num(inputs[name][1 + i]),
                "input_high": _num(inputs[name][1 + k + i]),
                "output_at_input_low": _num(y[1 + i]),
                "output_at_input_high": _num(y[1 + k + i]),
                "swing": _num(abs(y[1 + k + i] - y[1 + i])),
            }
            for i, name in enumerate(names)
        ]
        rows.sort(key=_descending("swing"))
        result["outputs"][out] = {"base": _num(y[0]), "inputs": rows}
    return result


#: Formats a number with its interval: ``(value, low, high) -> text``; low and high are
#: None for a plain number. The report passes
#: :func:`simulate.report.units.format_estimate` (digits the interval supports).
NumberFormat = Callable[[float, "float | None", "float | None"], str]


def _fmt(cell: Any, number: NumberFormat | None = None) -> str:
    if isinstance(cell, dict):
        value = cell.get("value", cell.get("probability"))
        low, high = cell.get("low"), cell.get("high")
        if number is None or value is None:
            return f"{_fmt(value)} [{_fmt(low)}, {_fmt(high)}]"
        return number(value, math.nan if low is None else low, math.nan if high is None else high)
    if cell is None:
        return "n/a"
    if isinstance(cell, float | int) and not isinstance(cell, bool):
        return f"{cell:.3g}" if number is None else number(cell, None, None)
    return str(cell)


#: The column whose interval says whether an input matters, per analysis: an input whose
#: interval reaches 0 (or whose swing is 0) is indistinguishable from no effect.
_EVIDENCE = {
    "rank_correlation": "spearman",
    "sobol": "total_order",
    "shapley": "shapley",
    "log_variance": "share",
}


def within_noise(method: str, row: Mapping[str, Any]) -> bool:
    """Whether a ranking row's index is indistinguishable from zero: its interval (of the
    column in :data:`_EVIDENCE`) reaches 0 or is undefined, a tornado swing of 0 to
    round-off, or a risk driver the analysis marked ``within_noise``."""
    if method == "risk_drivers":
        return bool(row["within_noise"])
    if method == "tornado":
        swing, ends = row["swing"], (row["output_at_input_low"], row["output_at_input_high"])
        scale = max((abs(x) for x in ends if x is not None), default=0.0)
        return swing is None or swing <= 1e-12 * scale
    cell = row.get(_EVIDENCE.get(method, ""))
    if not isinstance(cell, Mapping):
        return False
    low, high = cell.get("low"), cell.get("high")
    return low is None or high is None or (low <= 0 <= high)


def noise_line(names: Sequence[str], reason: str) -> list[str]:
    """The one line below a ranking table that names the inputs it leaves out."""
    return ["", f"Within noise ({reason}), not ranked: {', '.join(names)}."] if names else []


_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "rank_correlation": [
        ("input", "input"),
        ("spearman", "Spearman ρ"),
        ("prcc", "PRCC"),
        ("contribution_to_variance", "contribution to variance"),
    ],
    "sobol": [
        ("input", "input"),
        ("first_order", "first-order S_i"),
        ("total_order", "total S_Ti"),
    ],
    "shapley": [
        ("input", "input"),
        ("shapley", "Shapley effect (share)"),
        ("shapley_variance", "effect (output units²)"),
    ],
    "log_variance": [
        ("input", "input"),
        ("exponent", "exponent a_i"),
        ("share", "share of Var(log Y)"),
    ],
    "tornado": [
        ("input", "input"),
        ("input_low", "input at low"),
        ("input_high", "input at high"),
        ("output_at_input_low", "output at low"),
        ("output_at_input_high", "output at high"),
        ("swing", "swing"),
    ],
}


def markdown_table(
    result: Mapping[str, Any],
    *,
    output: str,
    limit: int | None = None,
    number: NumberFormat | None = None,
) -> str:
    """A Markdown ranking table for one output of any analysis here or of
    :func:`simulate.analysis.risk_drivers.risk_drivers`; cells read ``value [low, high]``
    (``number`` formats them). Inputs :func:`within_noise` are left out of the table and
    named in one line below it."""
    method = result.get("method")
    if method == "risk_drivers":
        return drivers.markdown_table(result, output=output, limit=limit, number=number)
    if method not in _COLUMNS:
        raise ValueError(f"no table for method {method!r}; known: {', '.join(_COLUMNS)}")
    if output not in result["outputs"]:
        raise ValueError(
            f"the {method} result has no output {output!r}; it has {', '.join(result['outputs'])}"
        )
    columns = _COLUMNS[method]
    every = result["outputs"][output]["inputs"]
    shown = [row for row in every if not within_noise(method, row)]
    hidden = [row["input"] for row in every if within_noise(method, row)]
    lines = [
        "| rank | " + " | ".join(title for _, title in columns) + " |",
        "|---:|" + "|".join("---" if key == "input" else "---:" for key, _ in columns) + "|",
    ]
    for rank, row in enumerate(shown[:limit], start=1):
        cells = (_fmt(row[key], number) for key, _ in columns)
        lines.append(f"| {rank} | " + " | ".join(cells) + " |")
    if not shown:
        lines = ["No input's effect is distinguishable from zero in this sample."]
    cell = result["outputs"][output]
    if method == "tornado":
        lines.insert(0, f"{output} with every input at its median: {_fmt(cell['base'], number)}.\n")
    reason = "no swing" if method == "tornado" else "interval reaches 0"
    lines += noise_line(hidden, reason)
    if "confidence" in result:
        lines.append("")
        lines.append(
            f"Brackets: {math.floor(result['confidence'] * 100 + 0.5)}% interval"
            + (f" ({result['interval']})." if "interval" in result else ".")
        )
    return "\n".join(lines) + "\n"


def analyze(
    model: Model,
    specs: Mapping[str, Distribution],
    draws: Mapping[str, Any],
    *,
    outputs: Sequence[str],
    targets: Sequence[RiskTarget] = (),
    method: Literal["rank", "sobol", "shapley"] = "rank",
    sobol_n: int = 2**14,
    seed: int = 0,
    confidence: float = 0.95,
    groups: int = 20,
    correlations: Correlations | None = None,
    uniforms: Mapping[str, Any] | None = None,
    depends: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Everything for a report's ``sensitivity`` section, from one main run's ``draws``.

    Always rank correlations, log-variance shares (of the outputs whose draws are all
    positive, when an input's are), the tornado, and, given risk ``targets``, the risk
    drivers. With ``method="sobol"`` also Sobol' indices of each output and of its log,
    at ``sobol_n``·(d + 2) further model runs each; with ``method="shapley"``, or
    ``"sobol"`` when ``correlations`` (the run's Gaussian copula) correlates any input,
    Shapley effects instead (:func:`simulate.analysis.shapley.shapley_effects`), which
    keep the correlations. The tornado and the risk drivers' fixed-at-median column
    (:mod:`simulate.analysis.risk_drivers`) condition the other inputs through the copula
    (``uniforms``: the run's uniforms by input name, at least of the correlated inputs;
    the rank correlations take each continuous input's rank from them).
    Each input's mid-CDF rank (:func:`simulate.analysis.ranking.input_ranks`) is computed
    once and serves the rank correlations and the risk drivers: no input is sorted.
    ``groups``: of the jackknife. ``depends``: each target node's inputs, for the fixed-at-median
    re-runs (:func:`simulate.analysis.risk_drivers.fixed_at_median`).
    """
    specs = as_specs(specs, caller="analyze")
    if method not in ("rank", "sobol", "shapley"):
        raise ValueError(f"unknown sensitivity method {method!r}; known: rank, sobol, shapley")
    correlated = correlations is not None and bool(correlations.names)
    positive = [out for out in outputs if np.min(np.asarray(draws[out])) > 0]
    loggable = any(
        np.min(column) > 0 and np.ptp(column) > 0
        for column in (np.asarray(draws[name], dtype=float) for name in uncertain_names(specs))
    )
    drawn = [name for name in uncertain_names(specs) if name in draws]
    ranks = input_ranks(
        {name: specs[name] for name in drawn},
        {name: np.asarray(draws[name], dtype=float).ravel() for name in drawn},
        uniforms,
    )
    section: dict[str, Any] = {
        "method": method,
        "rank_correlation": rank_correlations(
            draws, specs, outputs=outputs, confidence=confidence, groups=groups, ranks=ranks
        ),
    }
    if loggable and positive:
        section["log_variance"] = log_variance_shares(
            draws, specs, outputs=positive, confidence=confidence, groups=groups
        )
    section["tornado"] = tornado(model, specs, outputs=outputs, correlations=correlations)
    notes = []
    if correlated:
        pairs = ", ".join(f"{a}-{b}" for a, b in correlations.pairs())
        if "log_variance" in section:
            section["log_variance"]["assumption"] = "independent inputs"
        notes.append(
            f"Inputs are correlated ({pairs}). Rank correlations and the log-variance fit "
            "use the run's correlated draws, but the log-variance shares a_i² Var(log X_i) "
            "assume independent inputs (they leave out the covariance terms)."
        )
    if targets:
        section["risk_drivers"] = drivers.with_fixed_at_median(
            drivers.risk_drivers(
                draws,
                uncertain_names(specs),
                targets,
                confidence=confidence,
                groups=groups,
                ranks=ranks,
            ),
            drivers.fixed_at_median(
                model,
                specs,
                draws,
                targets=targets,
                confidence=confidence,
                correlations=correlations,
                input_uniforms=uniforms,
                depends=depends,
            ),
        )
    if method == "sobol" and correlated:
        method = "shapley"
        section["variance_method"] = "shapley"
        notes.append(
            "Sobol' indices assume independent inputs and this scenario has [correlations], "
            "so Shapley effects (Owen 2014), which keep the correlations, take their place."
        )
    if method == "sobol":
        section["sobol"] = sobol(
            model, specs, outputs=outputs, n=sobol_n, seed=seed, confidence=confidence
        )
        section["sobol_log"] = sobol(
            model, specs, outputs=positive, n=sobol_n, seed=seed, log=True, confidence=confidence
        )
    elif method == "shapley":
        section["shapley"] = shapley_effects(
            model,
            specs,
            outputs=outputs,
            correlations=correlations,
            seed=seed,
            confidence=confidence,
        )
    if notes:
        section["notes"] = notes
    return section


_TITLES = {
    "rank_correlation": "Rank correlations",
    "log_variance": "Shares of Var(log output)",
    "tornado": "Tornado (P10 to P90, others at median)",
    "risk_drivers": "Risk drivers (what the misses have in common)",
    "sobol": "Sobol' indices",
    "shapley": "Shapley effects (shares of Var(output))",
    "sobol_log": "Sobol' indices of log(output)",
}


def _sentence(result: Mapping[str, Any]) -> str:
    """What an analysis assumes, in a sentence, or ''."""
    parts = []
    if "note" in result:
        parts.append(result["note"])
    if "others" in result:
        parts.append(f"Other inputs {result['others']}.")
    if "assumption" in result:
        parts.append(f"Assumes {result['assumption']}.")
    return " ".join(parts)


def markdown_section(
    section: Mapping[str, Any], *, limit: int | None = None, number: NumberFormat | None = None
) -> str:
    """The Markdown of an :func:`analyze` section: per analysis and output, a ranking table
    (``number`` as in :func:`markdown_table`)."""
    notes = section.get("notes", [])
    parts = [f"{note}\n" for note in notes]
    for key, title in _TITLES.items():
        if key not in section:
            continue
        # what an analysis assumes is said where it matters: correlated inputs, Shapley
        sentence = _sentence(section[key]) if notes or key == "shapley" else ""
        if key == "risk_drivers":
            sentence = section[key]["reading"]
        for out in section[key]["outputs"]:
            head = f"#### {title}: {out}\n\n" + (f"{sentence}\n\n" if sentence else "")
            table = markdown_table(section[key], output=out, limit=limit, number=number)
            parts.append(head + table)
    return "\n".join(parts)


def as_dataset(result: Mapping[str, Any]) -> xr.Dataset:
    """One analysis of a section (``section["rank_correlation"]``, ``["tornado"]``, ...) as
    an ``xarray.Dataset`` with dims ``output`` and ``input``: each estimate ``x`` with an
    interval becomes variables ``x``, ``x_standard_error``, ``x_low``, ``x_high``; plain
    numbers (a tornado's swing) become ``x``. ``.to_dataframe()`` gives one row per
    (output, input). Missing cells (an input a row leaves out) are NaN."""
    outputs = list(result["outputs"])
    inputs = list(
        dict.fromkeys(row["input"] for out in outputs for row in result["outputs"][out]["inputs"])
    )
    columns: dict[str, np.ndarray] = {}

    def cell(name: str, i: int, j: int, value: Any) -> None:
        column = columns.setdefault(name, np.full((len(outputs), len(inputs)), np.nan))
        column[i, j] = np.nan if value is None else float(value)

    for i, out in enumerate(outputs):
        for row in result["outputs"][out]["inputs"]:
            j = inputs.index(row["input"])
            for key, value in row.items():
                if isinstance(value, Mapping) and "value" in value:
                    cell(key, i, j, value["value"])
                    for part in ("standard_error", "low", "high"):
                        if part in value:
                            cell(f"{key}_{part}", i, j, value[part])
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    cell(key, i, j, value)
    attrs = {k: v for k, v in result.items() if isinstance(v, str | int | float)}
    return xr.Dataset(
        {name: (("output", "input"), column) for name, column in columns.items()},
        coords={"output": outputs, "input": inputs},
        attrs=attrs,
    )
