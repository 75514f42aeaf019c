"""The backtest's priors file, read and checked by the scenario's own validators.

``[backtest]`` (draws, seed, method, percentiles, precisions), ``[priors]`` (a value or
distribution per node, in the node's domain) and ``[hardware]`` (published hardware
name -> catalog key).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distributions import Distribution, Fixed

from ..model.catalog import CONFIG_DIR, load_catalog
from ..model.chain import NODES, fallback_defaults, needed_inputs
from . import fields
from .base import ConfigError
from .inputs import input_value
from .read import check_nesting, check_tables, read_toml

__all__ = ["BACKTEST_KEYS", "DEFAULT_PRIORS", "RUN_INPUTS", "Priors", "load_priors"]

DEFAULT_PRIORS = CONFIG_DIR / "backtest-priors.toml"
BACKTEST_KEYS = ("draws", "seed", "method", "percentiles", "precisions")
#: A priors file's tables and their fields (None: any field, checked elsewhere).
PRIORS_TABLES: dict[str, tuple[str, ...] | None] = {
    "backtest": BACKTEST_KEYS,
    "priors": None,
    "hardware": None,
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


def load_priors(path: str | Path = DEFAULT_PRIORS) -> Priors:
    """Read and validate a priors file; errors name file, field, rule and value."""
    path = Path(path)
    file = str(path)
    raw = read_toml(path, what="priors")
    check_nesting(raw, file)
    check_tables(raw, PRIORS_TABLES, file)
    head = raw.get("backtest", {})
    where = "backtest"
    return Priors(
        path=file,
        draws=fields.whole_number(head, "draws", file, 20_000, minimum=2, where=where),
        seed=fields.whole_number(head, "seed", file, 0, minimum=0, where=where),
        method=fields.sampling_method(head, file, where=where),
        percentiles=fields.percentiles(head, file, where=where, at_least=2),
        precisions=tuple(
            fields.strings(head, "precisions", file, ("bf16", "fp16"), where=where, nonempty=True)
        ),
        inputs=_prior_inputs(raw.get("priors", {}), file),
        hardware=_hardware_map(raw.get("hardware", {}), file),
        config_hash=hashlib.sha256(path.read_bytes()).hexdigest(),
    )


def _prior_inputs(table: Mapping[str, Any], file: str) -> dict[str, tuple[Distribution, str]]:
    """[priors], each in its node's domain, then the defaults ``gpu_hours`` needs."""
    inputs: dict[str, tuple[Distribution, str]] = {}
    for name, value in table.items():
        if name in RUN_INPUTS:
            raise ConfigError(f"{file}: priors.{name}: comes from each run; priors may not give it")
        inputs[name] = input_value(name, value, file, where="priors")
    # what a run with parameters and tokens supplies, as placeholders, and the priors
    run_given = ("n_params", "n_tokens", "n_gpus", "gpu_peak_flop_per_s")
    given: dict[str, Any] = dict.fromkeys(run_given, 1.0) | inputs
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
