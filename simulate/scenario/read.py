"""Reading a scenario or priors file: bounded file read, TOML, nesting, tables, ``--set``."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from distributions import DistributionError
from distributions.files import MissingFileError, decode_text, read_regular_file
from distributions.mixture import MAX_NESTING

from ..model.chain import NODES, REMOVED_INPUTS
from ..model.phases import SEPARATOR
from .base import ConfigError
from .planning import DECISION_KEYS, PROGRESS_KEYS

__all__ = [
    "CLUSTER_KEYS",
    "CORRELATION_KEYS",
    "MAX_RAW_NESTING",
    "REFERENCE_KEYS",
    "RISK_KEYS",
    "SCENARIO_KEYS",
    "TABLES",
    "TARGET_KEYS",
    "apply_override",
    "check_nesting",
    "check_tables",
    "override_path",
    "read_toml",
    "set_override",
    "set_path",
]

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
REFERENCE_KEYS = ("node", "value", "source", "informs_prior")
CLUSTER_KEYS = ("accelerator", "precision", "rental")
RISK_KEYS = ("deadline_days", "budget_usd", "budget_node", "targets")
TARGET_KEYS = ("node", "threshold", "direction", "label")
CORRELATION_KEYS = ("pairs", "names", "matrix")
#: A scenario's tables and their fields (None: any field, checked elsewhere).
TABLES: dict[str, tuple[str, ...] | None] = {
    "scenario": SCENARIO_KEYS,
    "cluster": CLUSTER_KEYS,
    "inputs": None,
    "risk": RISK_KEYS,
    "correlations": CORRELATION_KEYS,
    "decision": DECISION_KEYS,
    "progress": PROGRESS_KEYS,
    "variants": None,
}
#: Tables given as lists of tables (``[[phases]]``), checked by their own readers.
LIST_TABLES = ("phases",)


def read_toml(path: Path, *, what: str = "scenario") -> dict[str, Any]:
    """The TOML of a regular file of at most 64 MiB (a UTF-8 byte-order mark is dropped).

    ``what`` names the kind of file in the messages ("scenario", "priors").
    """
    try:
        text = decode_text(path, read_regular_file(path))
    except MissingFileError:
        raise ConfigError(f"{path}: no such {what} file") from None
    except DistributionError as error:  # not a regular file, over 64 MiB, not UTF-8 text
        suffix = "" if what == "scenario" else f" (the {what} file)"  # a scenario's as before
        raise ConfigError(f"{error}{suffix}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: TOML syntax error: {error}") from None
    except RecursionError:
        raise ConfigError(
            f"{path}: TOML nests too deep for the parser (tables and arrays nest at most "
            f"{MAX_RAW_NESTING} levels deep)"
        ) from None


def check_nesting(raw: Any, file: str) -> None:
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


def check_tables(
    raw: Mapping[str, Any], tables: Mapping[str, Sequence[str] | None], file: str
) -> None:
    """Refuse an unknown table, a table that is not a table, and an unknown field."""
    for table, value in raw.items():
        if table in LIST_TABLES and tables is TABLES:
            continue  # checked by simulate.scenario.phases
        if table not in tables:
            raise ConfigError(f"{file}: [{table}]: unknown table; known: {', '.join(tables)}")
        if not isinstance(value, dict):
            raise ConfigError(f"{file}: {table}: must be a table; got {value!r}")
        keys = tables[table]
        for key in value:
            if keys is not None and key not in keys:
                raise ConfigError(f"{file}: {table}.{key}: unknown field; known: {', '.join(keys)}")


def _parse_value(text: str) -> Any:
    """A ``--set`` value in the file's syntax; a bare word stands for a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        return text  # too deep for the parser: a string, refused as a value later


def override_path(name: str, *, file: str, what: str = "--set") -> list[str]:
    """Where ``NAME`` of ``NAME=VALUE`` goes in the raw scenario: an input or node
    (``mfu`` -> inputs.mfu; a removed input too, refused as inputs.NAME), a field of a
    table (``deadline_days`` -> risk.deadline_days), or a dotted path (``inputs.mfu.high``)."""
    if "." in name:
        return name.split(".")
    if name in NODES or name in REMOVED_INPUTS:
        return ["inputs", name]
    table = next((t for t, keys in TABLES.items() if keys and name in keys), None)
    if table is None:
        raise ConfigError(
            f"{file}: {what} {name}: unknown name; give an input ({', '.join(NODES)}) "
            f"or one of {', '.join(k for keys in TABLES.values() if keys for k in keys)}"
        )
    return [table, name]


def set_path(raw: dict[str, Any], path: Sequence[str], value: Any) -> None:
    """Set ``raw[path[0]][path[1]]... = value``, making tables on the way."""
    target = raw
    for key in path[:-1]:
        if not isinstance(target.get(key, {}), dict):
            target[key] = {}
        target = target.setdefault(key, {})
    target[path[-1]] = value


def apply_override(raw: dict[str, Any], item: str, *, file: str) -> None:
    """Apply ``NAME=VALUE`` to the raw scenario table, in place (:func:`set_override`)."""
    name, sep, text = item.partition("=")
    name = name.strip()
    if not sep or not name:
        raise ConfigError(f"{file}: --set {item!r}: needs NAME=VALUE")
    set_override(raw, name, _parse_value(text.strip()), file=file, item=item)


def set_override(
    raw: dict[str, Any],
    name: str,
    value: Any,
    *,
    file: str,
    item: str | None = None,
    what: str = "--set",
) -> None:
    """Set ``NAME`` to ``value`` in the raw scenario, in place.

    NAME is an input or node (``mfu``), a field of a table (``draws``, ``accelerator``,
    ``deadline_days``), a dotted path (``inputs.mfu.high``, ``variants.NAME.mfu``), or a
    phase's input (``mfu@main``, ``mfu@main.high``, ``phases.main.mfu.high``). ``what``
    names the source in messages (``--set``, ``variants.NAME:``).
    """
    parts = name.split(".")
    node, _, phase = parts[0].partition(SEPARATOR)
    if phase or (parts[0] == "phases" and len(parts) > 2):
        # mfu@main, mfu@main.high or phases.main.mfu.high: a field of that [[phases]] table
        phase, fields = (phase, [node, *parts[1:]]) if phase else (parts[1], parts[2:])
        _set_in_phase(raw, phase, fields, value, item=item or name, file=file)
        return
    set_path(raw, override_path(name, file=file, what=what), value)


def _set_in_phase(
    raw: dict[str, Any], phase: str, fields: Sequence[str], value: Any, *, item: str, file: str
) -> None:
    """``--set <node>@<phase>[.key]=VALUE``: set a field of the phase named ``phase``."""
    tables = raw.get("phases")
    found = (
        [t for t in tables if isinstance(t, dict) and t.get("name") == phase]
        if isinstance(tables, list)
        else []
    )
    if not found:
        names = (
            [t.get("name") for t in tables if isinstance(t, dict)]
            if isinstance(tables, list)
            else []
        )
        raise ConfigError(
            f"{file}: --set {item.partition('=')[0].strip()}: no phase named {phase!r}; "
            f"phases: {', '.join(map(str, names)) or 'none'}"
        )
    target = found[0]
    for key in fields[:-1]:
        if not isinstance(target.get(key, {}), dict):
            target[key] = {}
        target = target.setdefault(key, {})
    target[fields[-1]] = value
