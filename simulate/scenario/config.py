"""Scenario files: read TOML, apply overrides, validate, resolve catalog and defaults.

Every error is a :class:`ConfigError` whose message names the file, the field, the
rule and the value, e.g.
``configs/x.toml: inputs.mfu: uniform needs low < high; got low=0.43, high=0.38``.
Reading lives in :mod:`.read`, the field rules in :mod:`.fields`, the inputs in
:mod:`.inputs`; this module puts them together into a :class:`Scenario`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from distributions import Correlations

from ..analysis.risk import RiskTarget
from ..model.chain import computed_nodes, view_sinks
from . import fields, inputs, planning, variants
from .base import ConfigError, InputSpec, Reference
from .read import TABLES, apply_override, check_nesting, check_tables, read_toml

__all__ = [
    "ConfigError",
    "InputSpec",
    "Reference",
    "Scenario",
    "load_scenario",
    "scenario_from_dict",
]


#: The most draws a scenario may ask for: 1e12 (1e9 draws take about 5 minutes on two
#: workers, docs/performance.md; 1e12 would take days). Beyond it, refused on load.
MAX_DRAWS = 10**12


@dataclass(frozen=True)
class Scenario:
    """A validated scenario, ready for :func:`simulate.run`."""

    name: str
    path: str
    draws: int
    seed: int
    method: str
    percentiles: tuple[float, ...]
    inputs: dict[str, InputSpec]
    accelerator: str | None
    precision: str
    deadline_days: float | None
    budget_usd: float | None
    notes: tuple[str, ...]
    description: str
    config_hash: str
    views: tuple[str, ...] = ("tco",)
    compare_to: tuple[Reference, ...] = ()
    correlations: Correlations | None = None
    warnings: tuple[str, ...] = ()
    #: ``[risk]``: the shorthands (train_days above deadline_days, tco_usd above
    #: budget_usd) first, then ``[[risk.targets]]`` in file order.
    risk_targets: tuple[RiskTarget, ...] = ()
    #: ``[decision] options``: cost nodes to choose between (simulate.analysis.decision).
    decision: tuple[str, ...] = ()
    #: ``[progress]``: observations of the run so far (simulate.workflows.progress).
    progress: planning.Progress | None = None
    #: ``[variants.NAME]``: the names of the file's variants (simulate.scenario.variants);
    #: ``variant``: the one this scenario is (None: the base).
    variants: tuple[str, ...] = ()
    variant: str | None = None


def load_scenario(
    path: str | Path,
    overrides: Sequence[str] = (),
    *,
    draws: int | None = None,
    seed: int | None = None,
    method: str | None = None,
    variant: str | None = None,
) -> Scenario:
    """Read, override and validate a scenario file (as its ``[variants.NAME]`` ``variant``)."""
    if not isinstance(path, str | Path):
        raise ConfigError(f"load_scenario needs a path (a string); got {path!r}")
    path = Path(path)
    raw = read_toml(path)
    return scenario_from_dict(
        raw,
        file=str(path),
        overrides=overrides,
        draws=draws,
        seed=seed,
        method=method,
        variant=variant,
    )


def scenario_from_dict(
    raw: Mapping[str, Any],
    *,
    file: str = "<scenario>",
    overrides: Sequence[str] = (),
    draws: int | None = None,
    seed: int | None = None,
    method: str | None = None,
    variant: str | None = None,
) -> Scenario:
    """Validate a scenario given as a dict (the parsed TOML), as its ``variant``."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{file}: a scenario must be a table (a dict); got {raw!r:.80}")
    check_nesting(raw, file)
    raw = copy.deepcopy(dict(raw))
    for item in overrides:
        apply_override(raw, item, file=file)
    check_nesting(raw, file)
    check_tables(raw, TABLES, file)  # before the keyword overrides write into [scenario]
    names = variants.variant_names(raw, file)
    if variant is not None:
        variants.apply_variant(raw, variant, file)
    for key, value in (("draws", draws), ("seed", seed), ("method", method)):
        if value is not None:
            raw.setdefault("scenario", {})[key] = value
    config_hash = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
    check_tables(raw, TABLES, file)

    raw.pop("variants", None)
    head = raw.get("scenario", {})
    risk = raw.get("risk", {})
    accelerator, precision = inputs.cluster(raw.get("cluster", {}), file)
    specs = inputs.read_inputs(raw.get("inputs", {}), file)
    inputs.fill_from_catalog(specs, accelerator, precision, file)
    views = fields.views(head, specs, file)
    inputs.fill_defaults_and_check(specs, file, sinks=view_sinks(views))
    inputs.check_pins(specs, file)
    correlations, repairs = inputs.correlations(raw.get("correlations"), specs, file)

    scenario = Scenario(
        name=fields.scenario_name(head, file),
        path=file,
        draws=fields.whole_number(head, "draws", file, 100_000, minimum=1, maximum=MAX_DRAWS),
        seed=fields.whole_number(head, "seed", file, 0, minimum=0),
        method=fields.sampling_method(head, file),
        percentiles=fields.percentiles(head, file),
        inputs=specs,
        accelerator=accelerator,
        precision=precision,
        deadline_days=fields.positive_number(risk, "deadline_days", file),
        budget_usd=fields.positive_number(risk, "budget_usd", file),
        risk_targets=fields.risk_targets(risk, specs, file),
        notes=tuple(fields.strings(head, "notes", file)),
        description=fields.text(head, "description", file, ""),
        config_hash=config_hash,
        views=views,
        compare_to=fields.compare_to(head, file),
        correlations=correlations,
        warnings=repairs,
        decision=planning.decision_options(raw.get("decision", {}), file, computed_nodes(specs)),
        progress=planning.progress(raw.get("progress", {}), file),
        variants=names,
        variant=variant,
    )
    slow = inputs.slow_inputs(scenario.inputs, scenario.draws, file)
    return replace(scenario, warnings=scenario.warnings + slow) if slow else scenario
