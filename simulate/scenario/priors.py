"""The backtest's priors file, read and checked by the scenario's own validators.

``[backtest]`` (draws, seed, method, percentiles, precisions, values, split_date),
``[priors]`` (a value or distribution per node, in the node's domain), ``[fit]`` (node ->
family: priors built by code from a table of published values, so that each run can be
predicted from values that exclude it) and ``[hardware]`` (published hardware name ->
catalog key).
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from distributions import Distribution, DistributionError, Fixed
from distributions.files import MissingFileError, decode_text, read_regular_file

from ..model.catalog import CONFIG_DIR, load_catalog
from ..model.chain import NODES, fallback_defaults, needed_inputs
from . import fields
from .base import ConfigError
from .inputs import input_value
from .read import check_nesting, check_tables, read_toml

__all__ = [
    "BACKTEST_KEYS",
    "DEFAULT_PRIORS",
    "FIT_FAMILIES",
    "RUN_INPUTS",
    "Priors",
    "PublishedValue",
    "fit_prior",
    "load_priors",
    "number",
    "read_values",
]

DEFAULT_PRIORS = CONFIG_DIR / "backtest-priors.toml"
BACKTEST_KEYS = ("draws", "seed", "method", "percentiles", "precisions", "values", "split_date")
#: How a [fit] prior is built from published values (see :func:`fit_prior`).
FIT_FAMILIES = ("beta", "pert")
#: A priors file's tables and their fields (None: any field, checked elsewhere).
PRIORS_TABLES: dict[str, tuple[str, ...] | None] = {
    "backtest": BACKTEST_KEYS,
    "priors": None,
    "fit": None,
    "hardware": None,
}
VALUE_COLUMNS = ("quantity", "value", "model", "run", "published", "source")
_RANGE = re.compile(r"^\s*([0-9.eE+]+)\s*-\s*([0-9.eE+]+)\s*$")


def number(row: Mapping[str, str], column: str) -> float | None:
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


def date(row: Mapping[str, str], column: str) -> datetime.date | None:
    """An ISO date (YYYY-MM-DD), or None for an empty cell."""
    text = (row.get(column) or "").strip()
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{column}: must be a date YYYY-MM-DD; got {text!r}") from None


@dataclass(frozen=True)
class PublishedValue:
    """One published figure of a node (e.g. an MFU), with the run it belongs to, if tested."""

    quantity: str
    value: float
    model: str
    run: str  # the model name in the runs table, or "" when not one of the tested runs
    published: datetime.date
    source: str


def read_values(path: str | Path) -> list[PublishedValue]:
    """The table of published values (``configs/reference/published_utilization.csv``)."""
    file = str(path)
    try:
        rows = list(csv.DictReader(io.StringIO(decode_text(path, read_regular_file(path)))))
    except MissingFileError:
        raise ConfigError(f"{file}: no such values file") from None
    except DistributionError as error:
        raise ConfigError(f"{error} (the values file)") from None
    except csv.Error as error:
        raise ConfigError(f"{file}: cannot read the values file ({error})") from None
    absent = [c for c in VALUE_COLUMNS if not rows or c not in rows[0]]
    if absent:
        raise ConfigError(f"{file}: missing column {absent[0]!r}; needs {', '.join(VALUE_COLUMNS)}")
    values = []
    for line, row in enumerate(rows, start=2):
        try:
            value, published = number(row, "value"), date(row, "published")
        except ValueError as error:
            raise ConfigError(f"{file}: line {line}: {error}") from None
        if value is None or published is None or not (row["source"] or "").strip():
            raise ConfigError(f"{file}: line {line}: needs a value, a published date and a source")
        values.append(
            PublishedValue(
                quantity=row["quantity"].strip(),
                value=value,
                model=row["model"].strip(),
                run=(row["run"] or "").strip(),
                published=published,
                source=row["source"].strip(),
            )
        )
    return values


def fit_prior(family: str, values: Sequence[float]) -> dict[str, Any]:
    """A prior (as a scenario would write it) built from published values by a fixed rule.

    ``beta``: the method of moments, mean m and sample variance v (ddof=1) give
    a = m·k, b = (1 − m)·k with k = m(1 − m)/v − 1 (Johnson, Kotz & Balakrishnan,
    *Continuous Univariate Distributions* vol. 2, §25.4). ``pert``: low = the least value,
    mode = the median, high = the greatest (PERT's three-point form, Malcolm et al. 1959).
    """
    x = np.asarray(values, dtype=float)
    if x.size < 2 or np.ptp(x) == 0:
        raise ValueError(f"needs at least 2 distinct values; got {sorted(x.tolist())}")
    if family == "beta":
        mean, var = float(x.mean()), float(x.var(ddof=1))
        k = mean * (1 - mean) / var - 1
        if not 0 < mean < 1 or k <= 0:
            raise ValueError(f"no beta has mean {mean:.4g} and variance {var:.4g}")
        return {"dist": "beta", "a": mean * k, "b": (1 - mean) * k}
    return {
        "dist": "pert",
        "low": float(x.min()),
        "mode": float(np.median(x)),
        "high": float(x.max()),
    }


#: Inputs a run supplies itself; priors may not give them.
RUN_INPUTS = ("n_params", "n_tokens", "train_flop", "n_gpus", "gpu_peak_flop_per_s")


@dataclass(frozen=True)
class Priors:
    """Fixed priors for the backtest, with the hardware-name mapping and the design."""

    path: str
    draws: int
    seed: int
    method: str
    percentiles: tuple[float, ...]
    precisions: tuple[str, ...]
    inputs: dict[str, tuple[Distribution, str]]  # name -> (distribution, source)
    hardware: dict[str, str]  # published name -> catalog key
    config_hash: str
    fit: dict[str, str] = field(default_factory=dict)  # node -> family (FIT_FAMILIES)
    values: tuple[PublishedValue, ...] = ()
    values_path: str | None = None
    split_date: datetime.date | None = None

    def for_run(
        self, *, exclude_run: str | None = None, before: datetime.date | None = None
    ) -> dict[str, tuple[Distribution, str]]:
        """The priors for one prediction: the fixed ones, and each [fit] prior built from
        the published values that do not belong to ``exclude_run`` (leave-one-out) and were
        published before ``before`` (the date split)."""
        inputs = dict(self.inputs)
        for name, family in self.fit.items():
            kept = [
                v
                for v in self.values
                if v.quantity == name
                and (exclude_run is None or v.run != exclude_run)
                and (before is None or v.published < before)
            ]
            where = f"fit.{name}"
            if exclude_run:
                where += f" without {exclude_run}"
            if before:
                where += f" before {before.isoformat()}"
            try:
                spec = fit_prior(family, [v.value for v in kept])
            except ValueError as error:
                raise ConfigError(f"{self.values_path}: {where}: {error}") from None
            dist, _ = input_value(name, spec, str(self.values_path), where="fit")
            models = ", ".join(v.model for v in kept)
            inputs[name] = (dist, f"{family} from {len(kept)} published values ({models})")
        return inputs


def load_priors(path: str | Path = DEFAULT_PRIORS) -> Priors:
    """Read and validate a priors file; errors name file, field, rule and value."""
    path = Path(path)
    file = str(path)
    raw = read_toml(path, what="priors")
    check_nesting(raw, file)
    check_tables(raw, PRIORS_TABLES, file)
    head = raw.get("backtest", {})
    where = "backtest"
    fit = _fit_table(raw.get("fit", {}), raw.get("priors", {}), file)
    values_path, values = None, ()
    if fit or "values" in head:
        name = head.get("values")
        if not isinstance(name, str) or not name:
            raise ConfigError(
                f"{file}: backtest.values: must name the published values file (relative to "
                f"the priors file) when [fit] is given; got {name!r}"
            )
        values_path = str(path.parent / name)
        values = tuple(read_values(values_path))
    split = head.get("split_date")
    if split is not None and not isinstance(split, datetime.date):
        raise ConfigError(
            f"{file}: backtest.split_date: must be a date (2024-01-01); got {split!r}"
        )
    priors = Priors(
        path=file,
        draws=fields.whole_number(head, "draws", file, 20_000, minimum=2, where=where),
        seed=fields.whole_number(head, "seed", file, 0, minimum=0, where=where),
        method=fields.sampling_method(head, file, where=where),
        percentiles=fields.percentiles(head, file, where=where, at_least=2),
        precisions=tuple(
            fields.strings(head, "precisions", file, ("bf16", "fp16"), where=where, nonempty=True)
        ),
        inputs=_prior_inputs(raw.get("priors", {}), file, fitted=tuple(fit)),
        hardware=_hardware_map(raw.get("hardware", {}), file),
        config_hash=hashlib.sha256(path.read_bytes()).hexdigest(),
        fit=fit,
        values=values,
        values_path=values_path,
        split_date=split if split is None or type(split) is datetime.date else split.date(),
    )
    priors.for_run()  # every fitted prior can be built from the whole table
    return priors


def _fit_table(table: Mapping[str, Any], fixed: Mapping[str, Any], file: str) -> dict[str, str]:
    """[fit]: node -> family; a node is either fitted or given under [priors], not both."""
    for name, family in table.items():
        if name not in NODES:
            raise ConfigError(
                f"{file}: fit.{name}: unknown input or node; known: {', '.join(NODES)}"
            )
        if family not in FIT_FAMILIES:
            raise ConfigError(
                f"{file}: fit.{name}: must be one of {', '.join(FIT_FAMILIES)}; got {family!r}"
            )
        if name in fixed:
            raise ConfigError(f"{file}: fit.{name}: also given under [priors]; give it once")
        if name in RUN_INPUTS:
            raise ConfigError(f"{file}: fit.{name}: comes from each run; priors may not give it")
    return dict(table)


def _prior_inputs(
    table: Mapping[str, Any], file: str, *, fitted: Sequence[str] = ()
) -> dict[str, tuple[Distribution, str]]:
    """[priors], each in its node's domain, then the defaults ``gpu_hours`` needs (the
    ``fitted`` nodes come from [fit])."""
    inputs: dict[str, tuple[Distribution, str]] = {}
    for name, value in table.items():
        if name in RUN_INPUTS:
            raise ConfigError(f"{file}: priors.{name}: comes from each run; priors may not give it")
        inputs[name] = input_value(name, value, file, where="priors")
    # what a run with parameters and tokens supplies, as placeholders, and the priors
    run_given = ("n_params", "n_tokens", "n_gpus", "gpu_peak_flop_per_s")
    given: dict[str, Any] = dict.fromkeys((*run_given, *fitted), 1.0) | inputs
    missing = []
    for name in needed_inputs(given, sinks=("gpu_hours",)):
        node = NODES[name]
        if node.default is None:
            missing.append(f"{name} [{node.units}]")
        else:
            inputs[name] = (Fixed(node.default), f"default ({node.source or 'chain'})")
    if missing:
        raise ConfigError(f"{file}: priors: missing {', '.join(missing)}; give each under [priors]")
    for name in fallback_defaults(given | inputs, sinks=("gpu_hours",)):
        inputs[name] = (Fixed(NODES[name].default or 0.0), f"default ({NODES[name].source})")
    return inputs


def _hardware_map(table: Mapping[str, Any], file: str) -> dict[str, str]:
    """[hardware]: each published hardware name to a catalog key."""
    catalog = load_catalog()
    for name, key in table.items():
        if key not in catalog:
            raise ConfigError(
                f"{file}: hardware.{name!r}: unknown catalog key {key!r}; known: "
                f"{', '.join(catalog)}"
            )
    return dict(table)
