"""Backtest: predict published training runs under fixed priors and check the coverage.

For each run with parameters and tokens (or a reported FLOP count) and hardware the
catalog knows, the chain predicts GPU-hours (and days where the accelerator count is
known) under priors read from a config file (``configs/backtest-priors.toml``); the
published value's percentile rank and whether the central interval covers it follow.
A well-calibrated model covers about 90% of runs with its P5-P95 interval.

Every draw uses the same uniforms for every run (one sample of the priors), so runs
differ only by their own data.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from distributions import DistributionError, sample
from distributions.files import MissingFileError, decode_text, read_regular_file

from ..engine.limits import NonFiniteError, evaluate_draws
from ..model.catalog import CONFIG_DIR, load_catalog
from ..report.views import percentile_rank
from ..scenario.config import ConfigError
from ..scenario.priors import Priors

__all__ = [
    "DEFAULT_RUNS",
    "RunData",
    "backtest",
    "calibration_curve",
    "coverage",
    "read_runs",
]

DEFAULT_RUNS = CONFIG_DIR / "reference" / "training_runs.csv"
REQUIRED_COLUMNS = ("model", "params", "tokens", "reported_flop", "hardware", "hw_count")
_RANGE = re.compile(r"^\s*([0-9.eE+]+)\s*-\s*([0-9.eE+]+)\s*$")


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


# --- runs --------------------------------------------------------------------------------


def _number(row: Mapping[str, str], column: str) -> float | None:
    """A positive number, a range's midpoint ("0.38-0.43"), or None for an empty cell."""
    text = (row.get(column) or "").strip().replace(",", "")
    if not text:
        return None
    match = _RANGE.match(text)
    try:
        value = (float(match[1]) + float(match[2])) / 2 if match else float(text)
    except ValueError:
        raise ValueError(f"{column}: not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{column}: must be a number > 0; got {text!r}")
    return value


def _accelerator(name: str, priors: Priors) -> str | None:
    name = name.strip()
    return priors.hardware.get(name) or priors.hardware.get(re.sub(r"\s*\(.*\)\s*$", "", name))


def _run(row: Mapping[str, str], priors: Priors) -> RunData:
    """A usable run from a CSV row, or ValueError naming why it cannot be used."""
    params = _number(row, "active_params") or _number(row, "params")
    tokens, flop = _number(row, "tokens"), _number(row, "reported_flop")
    count, days, hours = _number(row, "hw_count"), _number(row, "days"), _number(row, "gpu_hours")
    if not (params and tokens) and not flop:
        raise ValueError("needs params and tokens, or reported_flop")
    hardware = (row.get("hardware") or "").strip()
    if not hardware:
        raise ValueError("no hardware named")
    key = _accelerator(hardware, priors)
    if key is None:
        raise ValueError(f"hardware {hardware!r} has no catalog key in [hardware] of {priors.path}")
    peaks = load_catalog()[key].peak_flop_per_s
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
    interval = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return {
        "runs": n,
        "covered": k,
        "coverage": k / n,
        "ci95": [float(interval.low), float(interval.high)],
    }


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


def backtest(runs_path: str | Path, priors: Priors) -> dict[str, Any]:
    """Predict every usable run; per-run scores, unusable rows, coverage and calibration."""
    usable, unusable = read_runs(runs_path, priors)
    specs = {name: dist for name, (dist, _) in priors.inputs.items()}
    drawn_arrays = sample(specs, priors.draws, method=priors.method, seed=priors.seed)  # type: ignore[arg-type]
    drawn = {name: drawn_arrays.get(name, spec.expected()) for name, spec in specs.items()}
    results = []
    for run in usable:
        predicted = _predict(run, drawn)
        for node, values in predicted.items():  # no NaN or inf reaches summary.json
            bad = int(np.count_nonzero(~np.isfinite(values)))
            if bad:
                raise NonFiniteError(
                    f"{runs_path}: {run.model}: predicted {node}: {bad:,} of {values.size:,} "
                    "draws are not finite; a value is too large or too small for 64-bit floats"
                )
        entry: dict[str, Any] = {
            "model": run.model,
            "accelerator": run.accelerator,
            "precision": run.precision,
            "flop_basis": run.flop_basis,
            "hw_count": run.hw_count,
            "gpu_hours_basis": run.gpu_hours_basis,
            "gpu_hours": _score(predicted["gpu_hours"], run.gpu_hours, priors.percentiles),
        }
        if run.days is not None and "train_days" in predicted:
            entry["train_days"] = _score(predicted["train_days"], run.days, priors.percentiles)
        results.append(entry)
    ranks = [r["gpu_hours"]["percentile_rank"] for r in results]
    days = [r["train_days"]["covered"] for r in results if "train_days" in r]
    return {
        "runs_file": str(runs_path),
        "priors": {
            "path": priors.path,
            "config_hash": priors.config_hash,
            "draws": priors.draws,
            "seed": priors.seed,
            "method": priors.method,
            "percentiles": list(priors.percentiles),
            "inputs": {
                n: {"distribution": d.describe(), "source": s}
                for n, (d, s) in priors.inputs.items()
            },
        },
        "interval": [priors.percentiles[0], priors.percentiles[-1]],
        "runs": results,
        "unusable": unusable,
        "coverage": {
            "gpu_hours": coverage([r["gpu_hours"]["covered"] for r in results]),
            "train_days": coverage(days),
        },
        "calibration": calibration_curve(ranks),
    }
