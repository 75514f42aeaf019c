"""Scenario files: read TOML, apply overrides, validate, resolve catalog and defaults.

Every error is a :class:`ConfigError` whose message names the file, the field, the
rule and the value, e.g.
``configs/x.toml: inputs.mfu: uniform needs low < high; got low=0.43, high=0.38``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import tomllib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from distributions import (
    METHODS,
    Correlations,
    Distribution,
    DistributionError,
    Fixed,
    LogNormal,
    as_correlations,
    mass_outside,
    parse,
    reachable_range,
)
from distributions.files import MissingFileError, decode_text, read_regular_file
from distributions.mixture import MAX_NESTING
from distributions.scipy_bridge import seconds_per_draw, uses_scipy_family

from ..analysis.intervals import percentile_key
from ..analysis.risk import RiskTarget
from ..model.catalog import load_catalog
from ..model.chain import (
    NODES,
    VIEWS,
    Domain,
    evaluate,
    fallback_defaults,
    needed_inputs,
    view_sinks,
)

__all__ = [
    "ConfigError",
    "InputSpec",
    "Reference",
    "Scenario",
    "apply_override",
    "check_name",
    "load_scenario",
    "safe_name",
]

DEFAULT_PERCENTILES = (5.0, 50.0, 95.0)
#: A run whose scipy-family inputs would take longer than this is warned about, in seconds.
SLOW_RUN_S = 60.0
#: Deepest nesting of tables and arrays in a scenario (a mixture level takes two).
MAX_RAW_NESTING = 4 * MAX_NESTING
SCENARIO_KEYS = (
    "name",
    "draws",
    "seed",
    "method",
    "percentiles",
    "notes",
    "description",
    "views",
    "compare_to",
)
REFERENCE_KEYS = ("node", "value", "source")
CLUSTER_KEYS = ("accelerator", "precision")
RISK_KEYS = ("deadline_days", "budget_usd", "targets")
TARGET_KEYS = ("node", "threshold", "direction", "label")
CORRELATION_KEYS = ("pairs", "names", "matrix")
#: The longest scenario name (it names the report folder).
NAME_MAX_CHARS = 100
#: A scenario name: letters, digits, ``.``, ``-``, ``_``, not starting with ``.``.
_NAME_PATTERN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_NAME_RULE = (
    f"must be a folder name: 1 to {NAME_MAX_CHARS} letters, digits, '.', '-' or '_', "
    "not starting with '.'"
)
TABLES = {
    "scenario": SCENARIO_KEYS,
    "cluster": CLUSTER_KEYS,
    "inputs": None,
    "risk": RISK_KEYS,
    "correlations": CORRELATION_KEYS,
}


class ConfigError(ValueError):
    """A scenario is invalid: the message names file, field, rule and value."""


@dataclass(frozen=True)
class InputSpec:
    """A value the scenario gives (an input, or a pinned node) and where it came from."""

    name: str
    dist: Distribution
    source: str
    origin: str  # "scenario", "catalog" or "default"


@dataclass(frozen=True)
class Reference:
    """A published value of a node, to place in the scenario's distribution."""

    node: str
    value: float
    source: str


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


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _parse_value(text: str) -> Any:
    """A ``--set`` value in the file's syntax; a bare word stands for a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        return text  # too deep for the parser: a string, refused as a value later


def apply_override(raw: dict[str, Any], item: str, *, file: str) -> None:
    """Apply ``NAME=VALUE`` to the raw scenario table, in place.

    NAME is an input or node (``mfu``), a field of [scenario], [cluster] or [risk]
    (``draws``, ``accelerator``, ``deadline_days``), or a dotted path (``inputs.mfu.high``).
    """
    name, sep, text = item.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ConfigError(f"{file}: --set {item!r}: needs NAME=VALUE")
    if "." in name:
        path = name.split(".")
    elif name in NODES:
        path = ["inputs", name]
    else:
        table = next((t for t, keys in TABLES.items() if keys and name in keys), None)
        if table is None:
            raise ConfigError(
                f"{file}: --set {name}: unknown name; give an input ({', '.join(NODES)}) "
                f"or one of {', '.join(SCENARIO_KEYS + CLUSTER_KEYS + RISK_KEYS)}"
            )
        path = [table, name]
    target = raw
    for key in path[:-1]:
        if not isinstance(target.get(key, {}), dict):
            target[key] = {}
        target = target.setdefault(key, {})
    target[path[-1]] = _parse_value(text.strip())


def _read(path: Path) -> dict[str, Any]:
    """The TOML of a regular file of at most 64 MiB (a UTF-8 byte-order mark is dropped)."""
    try:
        text = decode_text(path, read_regular_file(path))
    except MissingFileError:
        raise ConfigError(f"{path}: no such scenario file") from None
    except DistributionError as error:
        raise ConfigError(str(error)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: TOML syntax error: {error}") from None
    except RecursionError:
        raise ConfigError(
            f"{path}: TOML nests too deep for the parser (tables and arrays nest at most "
            f"{MAX_RAW_NESTING} levels deep)"
        ) from None


def _check_nesting(raw: Any, file: str) -> None:
    """Refuse tables and arrays nested deeper than :data:`MAX_RAW_NESTING` (iteratively)."""
    todo = [(raw, 0)]
    while todo:
        value, depth = todo.pop()
        if depth > MAX_RAW_NESTING:
            raise ConfigError(
                f"{file}: tables and arrays nest at most {MAX_RAW_NESTING} levels deep "
                f"(distributions at most {MAX_NESTING}); got more"
            )
        if isinstance(value, Mapping):
            todo.extend((inner, depth + 1) for inner in value.values())
        elif isinstance(value, list | tuple):
            todo.extend((inner, depth + 1) for inner in value)


def load_scenario(
    path: str | Path,
    overrides: Sequence[str] = (),
    *,
    draws: int | None = None,
    seed: int | None = None,
    method: str | None = None,
) -> Scenario:
    """Read, override and validate a scenario file."""
    if not isinstance(path, str | Path):
        raise ConfigError(f"load_scenario needs a path (a string); got {path!r}")
    path = Path(path)
    raw = _read(path)
    return scenario_from_dict(
        raw, file=str(path), overrides=overrides, draws=draws, seed=seed, method=method
    )


def scenario_from_dict(
    raw: Mapping[str, Any],
    *,
    file: str = "<scenario>",
    overrides: Sequence[str] = (),
    draws: int | None = None,
    seed: int | None = None,
    method: str | None = None,
) -> Scenario:
    """Validate a scenario given as a dict (the parsed TOML)."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{file}: a scenario must be a table (a dict); got {raw!r:.80}")
    _check_nesting(raw, file)
    raw = copy.deepcopy(dict(raw))
    for item in overrides:
        apply_override(raw, item, file=file)
    _check_nesting(raw, file)
    for key, value in (("draws", draws), ("seed", seed), ("method", method)):
        if value is not None:
            raw.setdefault("scenario", {})[key] = value
    config_hash = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()

    for table, value in raw.items():
        if table not in TABLES:
            raise ConfigError(f"{file}: [{table}]: unknown table; known: {', '.join(TABLES)}")
        if not isinstance(value, dict):
            raise ConfigError(f"{file}: {table}: must be a table; got {value!r}")
        keys = TABLES[table]
        for key in value:
            if keys is not None and key not in keys:
                raise ConfigError(f"{file}: {table}.{key}: unknown field; known: {', '.join(keys)}")

    head = raw.get("scenario", {})
    cluster = raw.get("cluster", {})
    risk = raw.get("risk", {})
    accelerator, precision = _cluster(cluster, file)
    inputs = _inputs(raw.get("inputs", {}), file)
    _fill_from_catalog(inputs, accelerator, precision, file)
    views = _views(head, inputs, file)
    _fill_defaults_and_check(inputs, file, sinks=view_sinks(views))
    _check_pins(inputs, file)
    correlations, repairs = _correlations(raw.get("correlations"), inputs, file)

    scenario = Scenario(
        name=_name(head, file),
        path=file,
        draws=_whole(head, "draws", file, 100_000, minimum=1),
        seed=_whole(head, "seed", file, 0, minimum=0),
        method=_method(head, file),
        percentiles=_percentiles(head, file),
        inputs=inputs,
        accelerator=accelerator,
        precision=precision,
        deadline_days=_positive_number(risk, "deadline_days", file),
        budget_usd=_positive_number(risk, "budget_usd", file),
        risk_targets=_risk_targets(risk, inputs, file),
        notes=tuple(_strings(head, "notes", file)),
        description=_text(head, "description", file, ""),
        config_hash=config_hash,
        views=views,
        compare_to=_compare_to(head, file),
        correlations=correlations,
        warnings=repairs,
    )
    slow = _slow_inputs(scenario, file)
    return replace(scenario, warnings=scenario.warnings + slow) if slow else scenario


# --- [scenario] fields -------------------------------------------------------------------


def check_name(name: Any, *, field: str, file: str) -> str:
    """``name`` if it is a safe report folder name (the one rule for names), else ConfigError.

    A name is a name, not a path: no ``/``, no ``..``, no leading dot, no NUL, bounded length.
    """
    if (
        not isinstance(name, str)
        or len(name) > NAME_MAX_CHARS
        or _NAME_PATTERN.fullmatch(name) is None
    ):
        shown = repr(name)
        if len(shown) > 2 * NAME_MAX_CHARS:
            shown = f"{shown[:NAME_MAX_CHARS]}... ({len(name)} characters)"
        raise ConfigError(f"{file}: {field}: {_NAME_RULE}; got {shown}")
    return name


def safe_name(text: str, *, fallback: str = "scenario") -> str:
    """A name that passes :func:`check_name` made from ``text``: characters outside the rule
    become ``_``, a leading dot becomes ``_``, and a name over the limit is cut and ends with
    a hash of the whole text (so distinct long texts stay distinct)."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", text)
    name = "_" + name[1:] if name.startswith(".") else name
    if len(name) > NAME_MAX_CHARS:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        name = f"{name[: NAME_MAX_CHARS - 17]}-{digest}"
    return name or fallback


def _text(table: Mapping[str, Any], key: str, file: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{file}: scenario.{key}: must be a string; got {value!r}")
    return value


def _name(head: Mapping[str, Any], file: str) -> str:
    """scenario.name, checked; without one, the file's stem made safe."""
    if "name" not in head:
        return safe_name(Path(file).stem)
    return check_name(_text(head, "name", file, ""), field="scenario.name", file=file)


def _strings(table: Mapping[str, Any], key: str, file: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{file}: scenario.{key}: must be a list of strings; got {value!r}")
    return value


def _whole(table: Mapping[str, Any], key: str, file: str, default: int, *, minimum: int) -> int:
    value = table.get(key, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(
            f"{file}: scenario.{key}: must be a whole number >= {minimum}; got {value!r}"
        )
    return value


def _method(table: Mapping[str, Any], file: str) -> str:
    value = table.get("method", "random")
    if value not in METHODS:
        raise ConfigError(
            f"{file}: scenario.method: must be one of {', '.join(METHODS)}; got {value!r}"
        )
    return value


def _percentiles(table: Mapping[str, Any], file: str) -> tuple[float, ...]:
    value = table.get("percentiles", list(DEFAULT_PERCENTILES))
    if (
        not isinstance(value, list)
        or not value
        or not all(_is_number(q) and 0 < q < 100 for q in value)
    ):
        raise ConfigError(
            f"{file}: scenario.percentiles: must be a list of numbers in (0, 100); got {value!r}"
        )
    labels: dict[str, float] = {}
    for q in sorted({float(q) for q in value}):
        label = percentile_key(q)  # the report's key: 6 significant digits
        if label in ("p0", "p100"):
            raise ConfigError(
                f"{file}: scenario.percentiles: {q!r} is labelled {label}, which reads as the "
                "minimum or maximum; use a percentile in (0, 100) that keeps its label"
            )
        if label in labels:
            raise ConfigError(
                f"{file}: scenario.percentiles: {labels[label]!r} and {q!r} both get the label "
                f"{label}; give percentiles that differ in their first 6 significant digits"
            )
        labels[label] = q
    return tuple(labels.values())


def _positive_number(table: Mapping[str, Any], key: str, file: str) -> float | None:
    if key not in table:
        return None
    value = table[key]
    if not _is_number(value) or value <= 0:
        raise ConfigError(f"{file}: risk.{key}: must be a number > 0; got {value!r}")
    return float(value)


def _computable(inputs: Mapping[str, InputSpec]) -> set[str]:
    """The nodes :func:`~simulate.model.chain.evaluate` computes from these inputs."""
    done = set(inputs)
    for name, node in NODES.items():  # NODES is in topological order
        if name not in done and not node.is_input and all(p in done for p in node.parents):
            done.add(name)
    return done


def _risk_targets(
    risk: Mapping[str, Any], inputs: Mapping[str, InputSpec], file: str
) -> tuple[RiskTarget, ...]:
    """``deadline_days``, ``budget_usd`` and ``[[risk.targets]]`` as :class:`RiskTarget`s,
    each on a node the scenario computes, each with its own key."""
    fields = {
        f"risk.{key}": RiskTarget(node, float(risk[key]), "above", label)
        for key, node, label in (
            ("deadline_days", "train_days", "deadline"),
            ("budget_usd", "tco_usd", "budget"),
        )
        if key in risk
    }
    tables = risk.get("targets", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(
            f"{file}: risk.targets: must be a list of tables ([[risk.targets]]); got {tables!r}"
        )
    for i, table in enumerate(tables):
        field = f"{file}: risk.targets[{i}]"
        unknown = sorted(set(table) - set(TARGET_KEYS))
        if unknown:
            raise ConfigError(
                f"{field}.{unknown[0]}: unknown field; known: {', '.join(TARGET_KEYS)}"
            )
        node = table.get("node")
        if node not in NODES:
            raise ConfigError(f"{field}.node: must name a node ({', '.join(NODES)}); got {node!r}")
        threshold = table.get("threshold")
        if not _is_number(threshold):
            raise ConfigError(f"{field}.threshold: must be a finite number; got {threshold!r}")
        direction = table.get("direction", "above")
        if direction not in ("above", "below"):
            raise ConfigError(f"{field}.direction: must be above or below; got {direction!r}")
        label = table.get("label", "threshold")
        if not isinstance(label, str) or not re.search(r"[A-Za-z0-9]", label) or len(label) > 60:
            raise ConfigError(
                f"{field}.label: must be a short text (<= 60 characters, a letter or digit); "
                f"got {label!r}"
            )
        fields[f"risk.targets[{i}]"] = RiskTarget(node, float(threshold), direction, label)
    computable = _computable(inputs)
    keys: dict[str, str] = {}
    for field, target in fields.items():
        if target.node not in computable:
            needed = needed_inputs(inputs, sinks=(target.node,))
            missing = sorted(n for n in needed if n not in inputs and NODES[n].default is None)
            raise ConfigError(
                f"{file}: {field}: this scenario does not compute {target.node}; it needs "
                f"{', '.join(missing)} (give them, or ask for a view that fills them)"
            )
        if target.key in keys:
            raise ConfigError(
                f"{file}: {field}: same node, direction and label as {keys[target.key]} "
                f"(key {target.key!r}); give it a label of its own"
            )
        keys[target.key] = field
    return tuple(fields.values())


def _views(head: Mapping[str, Any], inputs: Mapping[str, InputSpec], file: str) -> tuple[str, ...]:
    """The cost views asked for; by default "tco" and every other view whose inputs are known."""
    if "views" not in head:
        available = [
            view
            for view in VIEWS
            if view != "tco"
            and all(
                NODES[name].default is not None
                for name in needed_inputs(inputs, sinks=view_sinks([view]))
            )
        ]
        return ("tco", *available)
    value = head["views"]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{file}: scenario.views: must be a list of strings; got {value!r}")
    unknown = [v for v in value if v not in VIEWS]
    if unknown:
        raise ConfigError(
            f"{file}: scenario.views: unknown view {unknown[0]!r}; known: {', '.join(VIEWS)}"
        )
    return tuple(dict.fromkeys(value))


def _compare_to(head: Mapping[str, Any], file: str) -> tuple[Reference, ...]:
    """``[[scenario.compare_to]]`` tables: node, value and source of a published figure."""
    tables = head.get("compare_to", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(
            f"{file}: scenario.compare_to: must be a list of tables "
            f"([[scenario.compare_to]]); got {tables!r}"
        )
    references = []
    for i, table in enumerate(tables):
        field = f"{file}: scenario.compare_to[{i}]"
        unknown = sorted(set(table) - set(REFERENCE_KEYS))
        if unknown:
            raise ConfigError(
                f"{field}.{unknown[0]}: unknown field; known: {', '.join(REFERENCE_KEYS)}"
            )
        node, value, source = table.get("node"), table.get("value"), table.get("source", "")
        if node not in NODES:
            raise ConfigError(f"{field}.node: must name a node ({', '.join(NODES)}); got {node!r}")
        if not _is_number(value):
            raise ConfigError(f"{field}.value: must be a finite number; got {value!r}")
        if not isinstance(source, str) or not source:
            raise ConfigError(f"{field}.source: must be a non-empty string; got {source!r}")
        references.append(Reference(node, float(value), source))
    return tuple(references)


# --- [cluster] and [inputs] ----------------------------------------------------------------


def _cluster(cluster: Mapping[str, Any], file: str) -> tuple[str | None, str]:
    precision = cluster.get("precision", "bf16")
    accelerator = cluster.get("accelerator")
    if accelerator is None:
        return None, precision
    catalog = load_catalog()
    if accelerator not in catalog:
        raise ConfigError(
            f"{file}: cluster.accelerator: unknown accelerator {accelerator!r}; known: "
            f"{', '.join(catalog)}"
        )
    peaks = catalog[accelerator].peak_flop_per_s
    if peaks and precision not in peaks:
        raise ConfigError(
            f"{file}: cluster.precision: {accelerator} has no dense {precision!r} peak in the "
            f"catalog; known: {', '.join(peaks)}"
        )
    return accelerator, precision


def _inputs(table: Mapping[str, Any], file: str) -> dict[str, InputSpec]:
    inputs = {}
    for name, value in table.items():
        field = f"inputs.{name}"
        if name not in NODES:
            raise ConfigError(f"{file}: {field}: unknown input or node; known: {', '.join(NODES)}")
        source = value.get("source", "") if isinstance(value, dict) else ""
        if not isinstance(source, str):
            raise ConfigError(f"{file}: {field}.source: must be a string; got {source!r}")
        try:
            dist = parse(value, base_dir=Path(file).parent)
        except DistributionError as error:
            raise ConfigError(f"{file}: {field}: {error}") from None
        check_domain(name, dist, file=file)
        inputs[name] = InputSpec(name, dist, source, "scenario")
    return inputs


def check_domain(name: str, dist: Distribution, *, file: str) -> None:
    """Refuse a value or distribution whose draws can fall outside its node's domain.

    A continuous distribution is judged by the values its draws can reach (ppf at the
    extreme uniforms any design yields), so a lognormal "0.35 to 0.45" MFU, whose tail
    above 1 no draw can reach, is accepted, and a uniform from 0.5 to 1.5 is not; a
    discrete one (fixed, discrete, empirical) by each of its values. Whole-number inputs
    (GPU counts) take only discrete distributions of whole numbers.
    """
    domain: Domain = NODES[name].domain
    field = f"{file}: inputs.{name}"
    if dist.is_discrete:
        values = dist.atoms()
        bad = [
            v for v in values if not domain.contains(v, v) or (domain.whole and not v.is_integer())
        ]
        if bad:
            got = f"{bad[0]:g}" if dist.is_fixed else f"{dist.describe()}, which holds {bad[0]:g}"
            raise ConfigError(f"{field}: must be {domain.describe()}; got {got}")
        return
    if domain.whole:
        raise ConfigError(
            f"{field}: must be {domain.describe()}; {dist.describe()} gives fractions "
            f'(use dist = "discrete" with whole values)'
        )
    with np.errstate(over="ignore"):
        try:
            low, high = reachable_range(dist)
        except OverflowError:  # e.g. exp(mu) of a lognormal beyond 1.8e308
            low, high = -math.inf, math.inf
    if not (math.isfinite(low) and math.isfinite(high)):
        with np.errstate(over="ignore"):
            described = dist.describe()
        raise ConfigError(
            f"{field}: {described} reaches [{low:.6g}, {high:.6g}], beyond 64-bit floats "
            "(about ±1.8e308); every draw must be a finite number"
        )
    if not domain.contains(low, high):
        outside = mass_outside(
            dist, domain.low, domain.high, low_open=domain.low_open, high_open=domain.high_open
        )
        raise ConfigError(
            f"{field}: must lie in {domain.describe()}; {dist.describe()} reaches "
            f"[{low:.6g}, {high:.6g}] and puts probability {outside:.3g} outside; use a bounded "
            f"family or truncate it (truncate = [low, high])"
        )


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _slow_inputs(scenario: Scenario, file: str) -> tuple[str, ...]:
    """A warning line for each input built from a ``scipy.<name>`` family whose quantile
    is slow enough that the scenario's draws of it would take more than SLOW_RUN_S
    (timed on up to 64 uniforms, about a quarter of a second)."""
    lines = []
    for name, spec in scenario.inputs.items():
        if spec.dist.is_fixed or not uses_scipy_family(spec.dist):
            continue
        per_draw_s, timed = seconds_per_draw(spec.dist)
        total_s = per_draw_s * scenario.draws
        if total_s > SLOW_RUN_S:
            lines.append(
                f"{file}: inputs.{name}: {spec.dist.describe()} takes about "
                f"{per_draw_s * 1e3:.3g} ms a draw (timed on {timed}), so {scenario.draws:,} "
                f"draws would take about {_duration(total_s)} on one thread; use fewer draws "
                f"or a family with a closed-form quantile"
            )
    return tuple(lines)


def _correlations(
    table: Mapping[str, Any] | None, inputs: Mapping[str, InputSpec], file: str
) -> tuple[Correlations | None, tuple[str, ...]]:
    """The [correlations] table (``pairs = [[a, b, rho], ...]`` or ``names`` + ``matrix``),
    checked against the inputs; a matrix that is not positive semi-definite is repaired
    (Higham 2002) and the repair returned as a warning line."""
    if not table:
        return None, ()
    try:
        correlations = as_correlations(table)
        correlations.check_inputs({name: spec.dist for name, spec in inputs.items()})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            correlations.copula_pearson  # noqa: B018 (repairs now, so the warning is seen here)
    except DistributionError as error:
        raise ConfigError(f"{file}: correlations: {error}") from None
    return correlations, tuple(f"{file}: correlations: {w.message}" for w in caught)


def _fill_from_catalog(
    inputs: dict[str, InputSpec], accelerator: str | None, precision: str, file: str
) -> None:
    if accelerator is None:
        return
    entry = load_catalog()[accelerator]
    where = f"catalog: {entry.name}"
    found: dict[str, tuple[Distribution, str]] = {}
    if precision in entry.peak_flop_per_s:
        found["gpu_peak_flop_per_s"] = (
            Fixed(entry.peak_flop_per_s[precision]),
            f"{where}, dense {precision} ({entry.spec_source})",
        )
    if entry.tdp_w is not None:
        found["gpu_tdp_w"] = (Fixed(float(entry.tdp_w)), f"{where} ({entry.spec_source})")
    for name, prices, date, source in (
        ("gpu_price_usd", entry.purchase_price_usd, entry.purchase_price_date,
         entry.purchase_price_source),
        ("rental_usd_per_gpu_hour", entry.rental_usd_per_gpu_hour, entry.rental_price_date,
         entry.rental_price_source),
    ):  # fmt: skip
        price_source = f"{where}: {date} ({source})"
        if len(prices) == 1:
            found[name] = (Fixed(prices[0]), price_source)
        elif len(prices) == 2:
            found[name] = (
                LogNormal.from_interval(*prices),
                f"{price_source}; lognormal with the lowest and highest as P5 and P95",
            )
    for name, (dist, source) in found.items():
        if name not in inputs:
            inputs[name] = InputSpec(name, dist, source, "catalog")


def _fill_defaults_and_check(
    inputs: dict[str, InputSpec], file: str, *, sinks: Sequence[str] = view_sinks(["tco"])
) -> None:
    missing = []
    for name, children in needed_inputs(inputs, sinks=sinks).items():
        node = NODES[name]
        if node.default is not None:
            source = f"default ({node.source})" if node.source else "default"
            inputs[name] = InputSpec(name, Fixed(node.default), source, "default")
        else:
            missing.append(f"{name} [{node.units}] (needed for {children[0]})")
    if missing:
        raise ConfigError(
            f"{file}: inputs: missing {'; '.join(missing)}; give each under [inputs] "
            f"(or an accelerator under [cluster])"
        )
    for name in fallback_defaults(inputs, sinks=sinks):  # e.g. attention_flop_per_token = 0
        node = NODES[name]
        source = f"default ({node.source})" if node.source else "default"
        inputs[name] = InputSpec(name, Fixed(node.default), source, "default")


def _check_pins(inputs: Mapping[str, InputSpec], file: str) -> None:
    """Refuse a pinned node whose rule the run computes beside it.

    A pinned node cuts what is upstream of it, but a parent may still be computed or
    given for another node (``capex_usd`` for the amortized view, ``energy_cost_usd``
    for the energy share). When every parent of a pinned node is in the run, the report
    would show the node and its parents with ``node != rule(parents)``: refused, naming
    the pinned field and the parent that the scenario gives or the run computes.
    """
    given = dict.fromkeys(inputs, 0.5)  # a value that divides cleanly: only names matter
    present = set(evaluate(given))
    for name, spec in inputs.items():
        node = NODES[name]
        if node.rule is None or spec.origin != "scenario":
            continue
        if not node.parents or not all(parent in present for parent in node.parents):
            continue
        parts = []
        for parent in node.parents:
            if parent in inputs:
                parts.append(f"inputs.{parent} ({inputs[parent].origin})")
            else:
                parts.append(f"{parent} (computed)")
        raise ConfigError(
            f"{file}: inputs.{name}: pinned, but {', '.join(parts)} are in the run too, and "
            f"the report would contradict {name} = {node.formula}; give {name} or what it is "
            "computed from, not both"
        )
