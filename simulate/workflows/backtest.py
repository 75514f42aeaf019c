"""Backtest: predict published training runs out of sample and score the predictions.

For each run with parameters and tokens (or a reported FLOP count) and hardware the
catalog knows, the chain predicts GPU-hours (and days where the accelerator count is
known) at the peak of the run's own precision, under priors read from a config file
(``configs/backtest-priors.toml``). Priors under [fit] are built by code from a table of
published values (``configs/reference/published_utilization.csv``) twice over:

- leave-one-out: each run from the values that do not belong to it;
- date split: the runs published on or after ``split_date`` from the values published
  before it.

Each gets the published value's PIT (percentile rank / 100), whether the central
interval covers it, the coverage with its Wilson interval, the mean PIT with its
interval, a Kolmogorov-Smirnov test of uniformity and the interval score (Gneiting &
Raftery 2007) on log10 GPU-hours. Every prediction uses the same seed, so runs differ
only by their own data and their priors.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from distributions import Distribution, DistributionError, sample
from distributions.files import MissingFileError, decode_text, read_regular_file

from ..analysis.risk import proportion_interval
from ..analysis.scoring import interval_score, pit_summary
from ..engine.limits import NonFiniteError, evaluate_draws
from ..model.catalog import CONFIG_DIR, load_catalog
from ..report.views import percentile_rank
from ..scenario.config import ConfigError
from ..scenario.priors import Priors, date, number

__all__ = [
    "DEFAULT_RUNS",
    "RunData",
    "backtest",
    "calibration_curve",
    "coverage",
    "read_runs",
    "scores",
]

DEFAULT_RUNS = CONFIG_DIR / "reference" / "training_runs.csv"
REQUIRED_COLUMNS = ("model", "params", "tokens", "reported_flop", "hardware", "hw_count")


@dataclass(frozen=True)
class RunData:
    """One usable published run: what the chain needs and what was reported."""

    model: str
    accelerator: str
    precision: str
    peak_flop_per_s: float
    flop_basis: str  # "6ND" or "reported_flop"
    n_params: float | None
    n_tokens: float | None
    train_flop: float | None
    hw_count: float | None
    gpu_hours: float
    gpu_hours_basis: str  # "reported" or "days x hw_count"
    days: float | None
    published: datetime.date | None = None


# --- runs --------------------------------------------------------------------------------


def _accelerator(name: str, priors: Priors) -> str | None:
    name = name.strip()
    return priors.hardware.get(name) or priors.hardware.get(re.sub(r"\s*\(.*\)\s*$", "", name))


def _run(row: Mapping[str, str], priors: Priors) -> RunData:
    """A usable run from a CSV row, or ValueError naming why it cannot be used."""
    params = number(row, "active_params") or number(row, "params")
    tokens, flop = number(row, "tokens"), number(row, "reported_flop")
    count, days, hours = number(row, "hw_count"), number(row, "days"), number(row, "gpu_hours")
    if not (params and tokens) and not flop:
        raise ValueError("needs params and tokens, or reported_flop")
    hardware = (row.get("hardware") or "").strip()
    if not hardware:
        raise ValueError("no hardware named")
    key = _accelerator(hardware, priors)
    if key is None:
        raise ValueError(f"hardware {hardware!r} has no catalog key in [hardware] of {priors.path}")
    peaks = load_catalog()[key].peak_flop_per_s
    stated = (row.get("precision") or "").strip().lower()
    if stated:  # the run's own training precision (e.g. Llama 4's FP8)
        if stated not in peaks:
            raise ValueError(f"catalog entry {key} has no dense {stated} peak")
        precision: str | None = stated
    else:
        precision = next((p for p in priors.precisions if p in peaks), None)
    if precision is None:
        raise ValueError(f"catalog entry {key} has no dense {'/'.join(priors.precisions)} peak")
    if hours is not None:
        basis = "reported"
    elif days is not None and count is not None:
        hours, basis = days * count * 24, "days x hw_count"
    else:
        raise ValueError("no gpu_hours, and no days and hw_count to derive them")
    return RunData(
        model=row.get("model", "").strip(),
        accelerator=key,
        precision=precision,
        peak_flop_per_s=peaks[precision],
        flop_basis="6ND" if params and tokens else "reported_flop",
        n_params=params if params and tokens else None,
        n_tokens=tokens if params and tokens else None,
        train_flop=None if params and tokens else flop,
        hw_count=count,
        gpu_hours=hours,
        gpu_hours_basis=basis,
        days=days,
        published=date(row, "published"),
    )


def read_runs(path: str | Path, priors: Priors) -> tuple[list[RunData], list[dict[str, str]]]:
    """Usable runs, and the unusable rows each with its reason."""
    file = str(path)
    try:
        text = decode_text(path, read_regular_file(path))
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        columns = rows[0].keys() if rows else ()
    except MissingFileError:
        raise ConfigError(f"{file}: no such runs file") from None
    except DistributionError as error:  # not a regular file, over 64 MiB, not UTF-8 text
        raise ConfigError(f"{error} (the runs file)") from None
    except csv.Error as error:
        raise ConfigError(f"{file}: cannot read the runs file ({error})") from None
    if not rows:
        raise ConfigError(f"{file}: no runs; needs a header row and at least one run")
    absent = [c for c in (*REQUIRED_COLUMNS, "days", "gpu_hours") if c not in columns]
    if absent:
        raise ConfigError(
            f"{file}: missing column {absent[0]!r}; the columns are those of "
            f"configs/reference/training_runs.csv"
        )
    usable, unusable = [], []
    for line, row in enumerate(rows, start=2):
        try:
            usable.append(_run(row, priors))
        except ValueError as error:
            unusable.append({"model": row.get("model", ""), "line": line, "reason": str(error)})
    return usable, unusable


# --- prediction and coverage ------------------------------------------------------------


def _predict(run: RunData, drawn: Mapping[str, Any]) -> dict[str, np.ndarray]:
    given = dict(drawn)
    given["n_gpus"] = run.hw_count or 1.0  # GPU-hours do not depend on the count
    given["gpu_peak_flop_per_s"] = run.peak_flop_per_s
    if run.train_flop is not None:
        given["train_flop"] = run.train_flop
    else:
        given["n_params"], given["n_tokens"] = run.n_params, run.n_tokens
    values = evaluate_draws(given)
    out = {"gpu_hours": np.asarray(values["gpu_hours"], dtype=float)}
    if run.hw_count is not None:
        out["train_days"] = np.asarray(values["train_days"], dtype=float)
    return out


def _score(values: np.ndarray, reported: float, percentiles: Sequence[float]) -> dict[str, Any]:
    qs = np.quantile(values, np.asarray(percentiles) / 100)
    return {
        "reported": reported,
        "predicted": {f"p{q:g}": float(v) for q, v in zip(percentiles, qs, strict=True)},
        "percentile_rank": percentile_rank(values, reported),
        "covered": bool(qs[0] <= reported <= qs[-1]),
    }


def coverage(covered: Sequence[bool], *, confidence: float = 0.95) -> dict[str, Any]:
    """Share of runs covered, with its Wilson score interval (Wilson 1927, via scipy)."""
    n, k = len(covered), int(sum(bool(c) for c in covered))
    if n == 0:
        return {"runs": 0, "covered": 0, "coverage": None, "ci95": None}
    cell = proportion_interval(k, n, confidence=confidence)
    return {"runs": n, "covered": k, "coverage": k / n, "ci95": [cell["low"], cell["high"]]}


def scores(entries: Sequence[Mapping[str, Any]], interval: Sequence[float]) -> dict[str, Any]:
    """GPU-hours scores of a set of predicted runs: coverage (Wilson), PIT histogram, mean
    PIT with its interval, KS test of uniformity, the mean interval score on log10
    GPU-hours (so that a run of 10^4 and one of 10^7 GPU-hours weigh alike) and which side
    the misses fall on."""
    low, high = interval
    ranks = [e["gpu_hours"]["percentile_rank"] for e in entries]
    per_run = [e["gpu_hours"]["interval_score_log10"] for e in entries]
    return {
        "runs": [e["model"] for e in entries],
        "coverage": coverage([e["gpu_hours"]["covered"] for e in entries]),
        "pit": pit_summary([r / 100 for r in ranks]),
        "interval_score_log10": {
            "alpha": 1 - (high - low) / 100,
            "mean": float(np.mean(per_run)) if per_run else None,
        },
        "misses_above": sum(
            1
            for e in entries
            if e["gpu_hours"]["reported"] > e["gpu_hours"]["predicted"][f"p{high:g}"]
        ),
        "misses_below": sum(
            1
            for e in entries
            if e["gpu_hours"]["reported"] < e["gpu_hours"]["predicted"][f"p{low:g}"]
        ),
    }


def verdict(block: Mapping[str, Any], interval: Sequence[float]) -> str:
    """One honest sentence: do the published GPU-hours lean high or low in the predictions?"""
    mean = block["pit"]["mean"]
    if not mean or mean.get("low") is None:
        return "Too few runs to tell whether the model under- or over-predicts."
    m, lo, hi = mean["value"], mean["low"], mean["high"]
    above, below = block["misses_above"], block["misses_below"]
    tail = (
        f"mean PIT {m:.2f} (95% CI {lo:.2f} to {hi:.2f}; 0.50 if calibrated); "
        f"{above} run(s) above the P{interval[1]:g}, {below} below the P{interval[0]:g}"
    )
    if lo > 0.5:
        return f"The model under-predicts GPU-hours: ranks lean high, {tail}."
    if hi < 0.5:
        return f"The model over-predicts GPU-hours: ranks lean low, {tail}."
    lean = "high" if m > 0.5 else "low"
    return f"No lean is significant at this sample size, though ranks sit {lean} of centre: {tail}."


def calibration_curve(
    ranks: Sequence[float], levels: Sequence[float] = tuple(range(10, 100, 10))
) -> list[dict[str, float]]:
    """For each nominal central-interval level (percent), the share of runs inside it.

    A run lies inside the central ``c``% interval when its percentile rank r satisfies
    |r − 50| ≤ c / 2; under calibration the share is c / 100.
    """
    r = np.asarray(ranks, dtype=float)
    return [
        {"nominal": c / 100, "observed": float(np.mean(np.abs(r - 50) <= c / 2)) if r.size else 0.0}
        for c in levels
    ]


def _predict_all(
    runs: Sequence[RunData], priors: Priors, inputs_of: Any, where: str
) -> list[dict[str, Any]]:
    """Each run predicted under ``inputs_of(run)`` (its priors), with the same seed."""
    results = []
    low, high = priors.percentiles[0], priors.percentiles[-1]
    alpha = 1 - (high - low) / 100
    for run in runs:
        inputs: dict[str, tuple[Distribution, str]] = inputs_of(run)
        specs = {name: dist for name, (dist, _) in inputs.items()}
        drawn_arrays = sample(specs, priors.draws, method=priors.method, seed=priors.seed)  # type: ignore[arg-type]
        drawn = {name: drawn_arrays.get(name, spec.expected()) for name, spec in specs.items()}
        predicted = _predict(run, drawn)
        for node, values in predicted.items():  # no NaN or inf reaches summary.json
            bad = int(np.count_nonzero(~np.isfinite(values)))
            if bad:
                raise NonFiniteError(
                    f"{where}: {run.model}: predicted {node}: {bad:,} of {values.size:,} "
                    "draws are not finite; a value is too large or too small for 64-bit floats"
                )
        entry: dict[str, Any] = {
            "model": run.model,
            "published": run.published.isoformat() if run.published else None,
            "accelerator": run.accelerator,
            "precision": run.precision,
            "flop_basis": run.flop_basis,
            "hw_count": run.hw_count,
            "gpu_hours_basis": run.gpu_hours_basis,
            "gpu_hours": _score(predicted["gpu_hours"], run.gpu_hours, priors.percentiles),
            "fitted_priors": {
                n: {"distribution": inputs[n][0].describe(), "source": inputs[n][1]}
                for n in priors.fit
            },
        }
        g = entry["gpu_hours"]
        g["interval_score_log10"] = float(
            interval_score(
                math.log10(g["predicted"][f"p{low:g}"]),
                math.log10(g["predicted"][f"p{high:g}"]),
                math.log10(run.gpu_hours),
                alpha,
            )
        )
        if run.days is not None and "train_days" in predicted:
            entry["train_days"] = _score(predicted["train_days"], run.days, priors.percentiles)
        results.append(entry)
    return results


def backtest(runs_path: str | Path, priors: Priors) -> dict[str, Any]:
    """Predict every usable run leave-one-out (and, with a split date, the later runs from
    earlier values); per-run scores, unusable rows, coverage, PIT, KS and interval score."""
    usable, unusable = read_runs(runs_path, priors)
    interval = [priors.percentiles[0], priors.percentiles[-1]]
    results = _predict_all(
        usable, priors, lambda run: priors.for_run(exclude_run=run.model), str(runs_path)
    )
    loo = scores(results, interval)
    split: dict[str, Any] | None = None
    if priors.split_date is not None:
        cut = priors.split_date
        later = [r for r in usable if r.published is not None and r.published >= cut]
        tested = _predict_all(later, priors, lambda run: priors.for_run(before=cut), str(runs_path))
        block = scores(tested, interval)
        split = {
            "split_date": cut.isoformat(),
            "rule": (
                f"priors from the published values dated before {cut.isoformat()}; tested on "
                f"the runs published on or after it"
            ),
            "values_used": sorted(
                {v.model for v in priors.values if v.published < cut and v.quantity in priors.fit}
            ),
            "not_tested": [r.model for r in usable if r not in later],
            **block,
            "verdict": verdict(block, interval),
            "predictions": tested,
        }
    ranks = [r["gpu_hours"]["percentile_rank"] for r in results]
    days = [r["train_days"]["covered"] for r in results if "train_days" in r]
    return {
        "runs_file": str(runs_path),
        "values_file": priors.values_path,
        "priors": {
            "path": priors.path,
            "config_hash": priors.config_hash,
            "draws": priors.draws,
            "seed": priors.seed,
            "method": priors.method,
            "percentiles": list(priors.percentiles),
            "fit": dict(priors.fit),
            "inputs": {
                n: {"distribution": d.describe(), "source": s}
                for n, (d, s) in priors.for_run().items()
            },
        },
        "interval": interval,
        "runs": results,
        "unusable": unusable,
        "coverage": {"gpu_hours": loo["coverage"], "train_days": coverage(days)},
        "leave_one_out": {**loo, "verdict": verdict(loo, interval)},
        "date_split": split,
        "calibration": calibration_curve(ranks),
    }
