"""``[variants.NAME]``: plans that differ from the base scenario in a few inputs or fields,
run side by side on common random numbers by ``compare`` (simulate.workflows.compare).

Each entry of a variant is read as ``--set`` reads ``NAME=VALUE`` (an input, a table
field, a dotted path); the variant is the base scenario with those entries applied, named
by the variant. ``compare --set variants.NAME.mfu=0.35`` addresses one variant.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .base import ConfigError
from .fields import check_name
from .read import set_override, set_path

__all__ = ["COMMON_KEYS", "apply_variant", "variant_names"]


#: Fields a variant may not change: compared runs share one seed, draws and design.
COMMON_KEYS = ("draws", "seed", "method", "name", "percentiles")


def variant_names(raw: Mapping[str, Any], file: str) -> tuple[str, ...]:
    """The names of ``[variants.NAME]``: each a table, named by the name rule without dots."""
    table = raw.get("variants", {})
    names = []
    for name, entries in table.items():
        check_name(name, field=f"variants.{name}", file=file)
        if "." in name:
            raise ConfigError(f"{file}: variants.{name}: a variant name has no '.'; got {name!r}")
        if not isinstance(entries, dict) or not entries:
            raise ConfigError(
                f"{file}: variants.{name}: must be a table of overrides (mfu = ..., "
                f"n_gpus = ...); got {entries!r}"
            )
        names.append(name)
    return tuple(names)


def apply_variant(raw: dict[str, Any], name: str, file: str) -> None:
    """Apply ``[variants.NAME]`` to the raw scenario, in place: each key as ``--set`` reads
    it (an input, a table field or a dotted path), a table (``inputs = {...}``) merged
    key by key; the scenario is then named NAME."""
    table = raw.get("variants", {})
    if name not in table:
        known = ", ".join(table) or "none"
        raise ConfigError(f"{file}: variant {name!r}: no [variants.{name}] (variants: {known})")
    for key, value in table[name].items():
        field = f"{file}: variants.{name}.{key}"
        if key in COMMON_KEYS or key.split(".")[-1] in COMMON_KEYS:
            raise ConfigError(
                f"{field}: variants share the base's {', '.join(COMMON_KEYS)} (common random "
                "numbers); set it in [scenario] or on the command line"
            )
        if key in ("scenario", "cluster", "inputs", "risk") and isinstance(value, dict):
            for inner, v in value.items():
                set_path(raw, [key, inner], copy.deepcopy(v))
        elif key in ("variants", "correlations", "decision", "progress"):
            raise ConfigError(f"{field}: a variant overrides inputs and fields, not [{key}]")
        else:
            where = f"variants.{name}:"
            set_override(raw, key, value, file=file, item=f"{where} {key}", what=where)
    raw.setdefault("scenario", {})["name"] = name
