"""Field validators shared by scenario and priors files.

Each takes the table, the key, the file and the table's name (``where``), so that a
refusal reads ``<file>: <where>.<key>: <rule>; got <value>`` whichever file it is in.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from distributions import METHODS

from ..analysis.intervals import percentile_key
from ..analysis.risk import RiskTarget
from ..model.chain import NODES, VIEWS, needed_inputs, view_sinks
from ..model.phases import Phase, run_nodes, split_name
from .base import ConfigError, InputSpec, Reference, is_number
from .read import REFERENCE_KEYS, TARGET_KEYS

__all__ = [
    "DEFAULT_BUDGET_NODE",
    "DEFAULT_PERCENTILES",
    "NAME_MAX_CHARS",
    "budget_node",
    "check_name",
    "compare_to",
    "percentiles",
    "positive_number",
    "risk_targets",
    "safe_name",
    "sampling_method",
    "scenario_name",
    "strings",
    "text",
    "views",
    "whole_number",
]

DEFAULT_PERCENTILES = (5.0, 50.0, 95.0)
#: The longest scenario name (it names the report folder).
NAME_MAX_CHARS = 100
#: A scenario name: letters, digits, ``.``, ``-``, ``_``, not starting with ``.``.
_NAME_PATTERN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_NAME_RULE = (
    f"must be a folder name: 1 to {NAME_MAX_CHARS} letters, digits, '.', '-' or '_', "
    "not starting with '.'"
)


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


def text(
    table: Mapping[str, Any], key: str, file: str, default: str, *, where: str = "scenario"
) -> str:
    """``where.key``: a string."""
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{file}: {where}.{key}: must be a string; got {value!r}")
    return value


def scenario_name(head: Mapping[str, Any], file: str) -> str:
    """scenario.name, checked; without one, the file's stem made safe."""
    if "name" not in head:
        return safe_name(Path(file).stem)
    return check_name(text(head, "name", file, ""), field="scenario.name", file=file)


def strings(
    table: Mapping[str, Any],
    key: str,
    file: str,
    default: Sequence[str] = (),
    *,
    where: str = "scenario",
    nonempty: bool = False,
) -> list[str]:
    """``where.key``: a list of strings (at least one where ``nonempty``)."""
    value = table.get(key, list(default))
    if (
        not isinstance(value, list)
        or not all(isinstance(v, str) for v in value)
        or (nonempty and not value)
    ):
        rule = "a non-empty list of strings" if nonempty else "a list of strings"
        raise ConfigError(f"{file}: {where}.{key}: must be {rule}; got {value!r}")
    return value


def whole_number(
    table: Mapping[str, Any],
    key: str,
    file: str,
    default: int,
    *,
    minimum: int,
    maximum: int | None = None,
    where: str = "scenario",
) -> int:
    """``where.key``: a whole number >= ``minimum`` (and <= ``maximum``; a float with no
    fraction counts)."""
    value = table.get(key, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(
            f"{file}: {where}.{key}: must be a whole number >= {minimum}; got {value!r}"
        )
    if maximum is not None and value > maximum:
        raise ConfigError(f"{file}: {where}.{key}: must be at most {maximum:.0e}; got {value:.3g}")
    return value


def one_of(
    table: Mapping[str, Any], key: str, choices: Sequence[str], default: str, file: str, where: str
) -> str:
    """``where.key``: one of ``choices`` (``default`` where the table does not give it)."""
    value = table.get(key, default)
    if value not in choices:
        raise ConfigError(
            f"{file}: {where}.{key}: must be one of {', '.join(choices)}; got {value!r}"
        )
    return value


def sampling_method(table: Mapping[str, Any], file: str, *, where: str = "scenario") -> str:
    """``where.method``: one of the sampling designs (default "random")."""
    return one_of(table, "method", METHODS, "random", file, where)


def percentiles(
    table: Mapping[str, Any], file: str, *, where: str = "scenario", at_least: int = 1
) -> tuple[float, ...]:
    """``where.percentiles``: at least ``at_least`` distinct numbers in (0, 100), sorted,
    each with a report label of its own (default 5, 50, 95)."""
    value = table.get("percentiles", list(DEFAULT_PERCENTILES))
    field = f"{file}: {where}.percentiles"
    count = f"at least {at_least} " if at_least > 1 else ""
    if (
        not isinstance(value, list)
        or not all(is_number(q) and 0 < q < 100 for q in value)
        or len({float(q) for q in value}) < max(at_least, 1)
    ):
        raise ConfigError(f"{field}: must be a list of {count}numbers in (0, 100); got {value!r}")
    labels: dict[str, float] = {}
    for q in sorted({float(q) for q in value}):
        label = percentile_key(q)  # the report's key: 6 significant digits
        if label in ("p0", "p100"):
            raise ConfigError(
                f"{field}: {q!r} is labelled {label}, which reads as the minimum or maximum; "
                "use a percentile in (0, 100) that keeps its label"
            )
        if label in labels:
            raise ConfigError(
                f"{field}: {labels[label]!r} and {q!r} both get the label {label}; give "
                "percentiles that differ in their first 6 significant digits"
            )
        labels[label] = q
    return tuple(labels.values())


def positive_number(
    table: Mapping[str, Any], key: str, file: str, *, where: str = "risk"
) -> float | None:
    """``where.key``: a number > 0, or None where the table does not give it."""
    if key not in table:
        return None
    value = table[key]
    if not is_number(value) or value <= 0:
        raise ConfigError(f"{file}: {where}.{key}: must be a number > 0; got {value!r}")
    return float(value)


def views(head: Mapping[str, Any], inputs: Mapping[str, InputSpec], file: str) -> tuple[str, ...]:
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
    value = strings(head, "views", file)
    unknown = [v for v in value if v not in VIEWS]
    if unknown:
        raise ConfigError(
            f"{file}: scenario.views: unknown view {unknown[0]!r}; known: {', '.join(VIEWS)}"
        )
    return tuple(dict.fromkeys(value))


def _tables(table: Mapping[str, Any], key: str, file: str, *, where: str) -> list[dict]:
    """``where.key``: a list of tables (``[[where.key]]``)."""
    tables = table.get(key, [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(
            f"{file}: {where}.{key}: must be a list of tables ([[{where}.{key}]]); got {tables!r}"
        )
    return tables


def _unknown_field(table: Mapping[str, Any], known: Sequence[str], field: str) -> None:
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ConfigError(f"{field}.{unknown[0]}: unknown field; known: {', '.join(known)}")


def compare_to(head: Mapping[str, Any], file: str) -> tuple[Reference, ...]:
    """``[[scenario.compare_to]]`` tables: node, value and source of a published figure."""
    references = []
    for i, table in enumerate(_tables(head, "compare_to", file, where="scenario")):
        field = f"{file}: scenario.compare_to[{i}]"
        _unknown_field(table, REFERENCE_KEYS, field)
        node, value, source = table.get("node"), table.get("value"), table.get("source", "")
        if node not in NODES:
            raise ConfigError(f"{field}.node: must name a node ({', '.join(NODES)}); got {node!r}")
        if not is_number(value):
            raise ConfigError(f"{field}.value: must be a finite number; got {value!r}")
        if not isinstance(source, str) or not source:
            raise ConfigError(f"{field}.source: must be a non-empty string; got {source!r}")
        references.append(Reference(node, float(value), source, _informs(table, field)))
    return tuple(references)


#: The node ``[risk] budget_usd`` sits on when ``budget_node`` is not given.
DEFAULT_BUDGET_NODE = "tco_usd"


def budget_node(risk: Mapping[str, Any], views: Sequence[str], file: str) -> str:
    """``risk.budget_node``: the cost node ``budget_usd`` sits on (a node in USD), by
    default tco_usd; without it a scenario whose views leave out "tco" is refused rather
    than given a budget on a cost it does not show."""
    if "budget_node" in risk:
        node = risk["budget_node"]
        costs = [name for name, n in NODES.items() if n.units == "USD"]
        if node not in costs:
            raise ConfigError(
                f"{file}: risk.budget_node: must name a cost node in USD ({', '.join(costs)}); "
                f"got {node!r}"
            )
        return node
    if "budget_usd" in risk and "tco" not in views:
        totals = [VIEWS[v][1][-1] for v in views if NODES[VIEWS[v][1][-1]].units == "USD"]
        raise ConfigError(
            f"{file}: risk.budget_usd: sits on {DEFAULT_BUDGET_NODE} unless risk.budget_node "
            f"says otherwise, and views = {list(views)} leave out tco; give risk.budget_node "
            f"({', '.join(totals) or 'a cost node'})"
        )
    return DEFAULT_BUDGET_NODE


def _informs(table: Mapping[str, Any], field: str) -> tuple[str, ...] | None:
    """``informs_prior``: the inputs whose priors the published figure was used to set, as a
    list of names (``[]`` or ``false``: none); absent: not stated."""
    if "informs_prior" not in table:
        return None
    value = table["informs_prior"]
    if value is False:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(v, str) and split_name(v)[0] in NODES for v in value
    ):
        raise ConfigError(
            f"{field}.informs_prior: must be false or a list of the inputs whose priors this "
            f'figure was used to set (e.g. ["goodput"]; [] for none); got {value!r}'
        )
    return tuple(value)


def risk_targets(
    risk: Mapping[str, Any],
    inputs: Mapping[str, InputSpec],
    file: str,
    phases: Sequence[Phase] = (),
    *,
    views: Sequence[str] = ("tco",),
) -> tuple[RiskTarget, ...]:
    """``deadline_days``, ``budget_usd`` (on ``budget_node``) and ``[[risk.targets]]`` as
    :class:`RiskTarget`s, each on a node the scenario computes, each with its own key."""
    fields = {
        f"risk.{field}": RiskTarget(node, float(risk[key]), "above", label)
        for key, field, node, label in (
            ("deadline_days", "deadline_days", "train_days", "deadline"),
            (
                "budget_usd",
                "budget_node" if "budget_node" in risk else "budget_usd",
                budget_node(risk, views, file),
                "budget",
            ),
        )
        if key in risk
    }
    if "budget_node" in risk and "budget_usd" not in risk:
        raise ConfigError(
            f"{file}: risk.budget_node: names the node of risk.budget_usd, which is not given; "
            f"got budget_node={risk['budget_node']!r} alone"
        )
    for i, table in enumerate(_tables(risk, "targets", file, where="risk")):
        field = f"{file}: risk.targets[{i}]"
        _unknown_field(table, TARGET_KEYS, field)
        node = table.get("node")
        if node not in NODES:
            raise ConfigError(f"{field}.node: must name a node ({', '.join(NODES)}); got {node!r}")
        threshold = table.get("threshold")
        if not is_number(threshold):
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
    computable = run_nodes(inputs, phases)
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
