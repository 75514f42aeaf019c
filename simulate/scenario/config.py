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
from ..model.chain import view_sinks
from ..model.phases import Phase, run_nodes
from . import fields, inputs, phases, planning, variants
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
    #: ``[risk]``: the shorthands (train_days above deadline_days, budget_node above
    #: budget_usd) first, then ``[[risk.targets]]`` in file order.
    risk_targets: tuple[RiskTarget, ...] = ()
    #: ``[risk] budget_node``: the cost node ``budget_usd`` sits on.
    budget_node: str = fields.DEFAULT_BUDGET_NODE
    #: Each ``--set NAME=VALUE`` as given (name, value text), in order: the report's provenance.
    overrides: tuple[tuple[str, str], ...] = ()
    #: ``[[phases]]`` in file order (their own inputs are in ``inputs`` as
    #: ``<node>@<phase>``); empty for a single-phase run.
    phases: tuple[Phase, ...] = ()
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
    table = raw.get("cluster", {})
    peak_given = "gpu_peak_flop_per_s" in raw.get("inputs", {})
    accelerator, precision = inputs.cluster(table, file, peak_given=peak_given)
    rental = inputs.rental_kind(table, file)
    specs = inputs.read_inputs(raw.get("inputs", {}), file)
    inputs.fill_from_catalog(specs, accelerator, precision, file, rental=rental)
    kept = _explicit_beside_new_accelerator(overrides, specs, accelerator, precision, file)
    stages, own = (), {}
    if "phases" in raw:
        stages, own = phases.read_phases(raw["phases"], specs, file)
    views = fields.views(head, phases.covered(specs, own), file)
    if stages:
        phases.fill_phase_defaults(specs, own, file, sinks=view_sinks(views))
    else:
        inputs.fill_defaults_and_check(specs, file, sinks=view_sinks(views))
    inputs.check_pins(phases.covered(specs, own), file)  # what the whole run has
    specs.update({spec.name: spec for given in own.values() for spec in given.values()})
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
        risk_targets=fields.risk_targets(risk, specs, file, stages, views=views),
        budget_node=fields.budget_node(risk, views, file),
        notes=tuple(fields.strings(head, "notes", file)),
        description=fields.text(head, "description", file, ""),
        config_hash=config_hash,
        views=views,
        compare_to=fields.compare_to(head, file),
        correlations=correlations,
        warnings=repairs + kept,
        overrides=tuple(_override_pair(item) for item in overrides),
        phases=stages,
        decision=planning.decision_options(
            raw.get("decision", {}), file, run_nodes(specs, stages), specs
        ),
        progress=planning.progress(raw.get("progress", {}), file),
        variants=names,
        variant=variant,
    )
    slow = inputs.slow_inputs(scenario.inputs, scenario.draws, file)
    slow += sobol_size_warning(scenario.method, scenario.draws, file)
    return replace(scenario, warnings=scenario.warnings + slow) if slow else scenario


def sobol_size_warning(method: str, draws: int, file: str) -> tuple[str, ...]:
    """A Sobol' design is balanced (each of its 16 replicates a (t, m, s)-net) only at a
    power of 2 draws of at least 32: say so, naming the nearest sizes, rather than run
    with scipy's balance warning unseen (Owen 1998; scipy.stats.qmc.Sobol)."""
    if method != "sobol" or (draws >= 32 and draws & (draws - 1) == 0):
        return ()
    below, above = 2 ** max(5, draws.bit_length() - 1), 2 ** max(5, draws.bit_length())
    sizes = f"{above:,}" if below >= draws else f"{below:,} or {above:,}"
    return (
        f"{file}: draws: method sobol is balanced only at a power of 2 draws (>= 32); got "
        f"draws={draws}; the run goes ahead without that balance (use {sizes})",
    )


def _override_pair(item: str) -> tuple[str, str]:
    """``"mfu = 0.35 to 0.45"`` -> ``("mfu", "0.35 to 0.45")`` (checked by apply_override)."""
    name, _, text = item.partition("=")
    return name.strip(), text.strip()


def _explicit_beside_new_accelerator(
    overrides: Sequence[str],
    specs: Mapping[str, InputSpec],
    accelerator: str | None,
    precision: str,
    file: str,
) -> tuple[str, ...]:
    """A one-line warning when ``--set accelerator=KEY`` leaves in place inputs the file gives
    explicitly that the catalog would otherwise fill for KEY (peak, TDP, prices)."""
    pairs = [_override_pair(item) for item in overrides]
    changed = [value for name, value in pairs if name in ("accelerator", "cluster.accelerator")]
    if not changed or accelerator is None:
        return ()
    catalog: dict[str, InputSpec] = {}
    inputs.fill_from_catalog(catalog, accelerator, precision, file)
    set_too = {name.removeprefix("inputs.").split(".")[0] for name, _ in pairs}
    kept = [
        name
        for name in catalog
        if name in specs and specs[name].origin == "scenario" and name not in set_too
    ]
    if not kept:
        return ()
    return (
        f"{file}: --set accelerator={changed[-1]}: {', '.join(kept)} "
        f"{'stays' if len(kept) == 1 else 'stay'} at the scenario's explicit "
        f"{'value' if len(kept) == 1 else 'values'}, not the {accelerator} catalog's; "
        f"--set {'it' if len(kept) == 1 else 'them'} too, or remove "
        f"{'it' if len(kept) == 1 else 'them'} from [inputs]",
    )
