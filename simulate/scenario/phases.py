"""``[[phases]]``: a run in stages, each with its own tokens and inputs.

.. code-block:: toml

    [[phases]]
    name = "long_context"            # a letter, then letters, digits or '_'
    n_tokens = 800e9                  # or token_share = 0.05 (of [inputs].n_tokens)
    n_gpus = 16_384
    seq_len = 131_072
    mfu = { dist = "triangular", low = 0.35, mode = 0.38, high = 0.385, source = "..." }

Every field besides ``name``, ``token_share`` and ``description`` is a node of the chain
that a phase may set (:data:`simulate.model.phases.PHASE_LEVEL`), in the syntax of
[inputs]; it becomes the input ``<node>@<phase>`` (``mfu@long_context``), drawn, ranked,
saved and reported like any other, and nameable in ``--set`` and [correlations]. Either
every phase gives ``n_tokens`` (the run's tokens are their sum; [inputs] gives none) or
every phase gives ``token_share`` (fixed numbers summing to 1, shares of [inputs].n_tokens).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from distributions import Fixed

from ..model.chain import NODES, fallback_defaults, needed_inputs
from ..model.phases import (
    PHASE_FIELDS,
    PHASE_LEVEL,
    PHASE_NAME_PATTERN,
    PHASE_NAME_RULE,
    Phase,
    phase_name,
)
from .base import ConfigError, InputSpec, is_number
from .inputs import input_value

__all__ = ["SHARE_TOLERANCE", "covered", "fill_phase_defaults", "read_phases"]

#: Shares must sum to 1 within this (float rounding of shares written in decimal).
SHARE_TOLERANCE = 1e-9


def _tables(raw: Any, file: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw or not all(isinstance(t, dict) for t in raw):
        raise ConfigError(
            f"{file}: phases: must be a non-empty list of tables ([[phases]]); got {raw!r:.80}"
        )
    return raw


def _name(table: Mapping[str, Any], i: int, seen: dict[str, int], file: str) -> str:
    name = table.get("name")
    if not isinstance(name, str) or PHASE_NAME_PATTERN.fullmatch(name) is None:
        raise ConfigError(f"{file}: phases[{i}].name: {PHASE_NAME_RULE}; got {name!r}")
    if name in seen:
        raise ConfigError(
            f"{file}: phases[{i}].name: must differ from every other phase's; got {name!r} "
            f"(also phases[{seen[name]}])"
        )
    seen[name] = i
    return name


def read_phases(
    raw: Any, specs: dict[str, InputSpec], file: str
) -> tuple[tuple[Phase, ...], dict[str, dict[str, InputSpec]]]:
    """The phases, and each phase's own inputs by node name (``specs`` is read, not changed)."""
    tables = _tables(raw, file)
    seen: dict[str, int] = {}
    phases: list[Phase] = []
    own: dict[str, dict[str, InputSpec]] = {}
    for i, table in enumerate(tables):
        name = _name(table, i, seen, file)
        where = f"phases.{name}"
        for key in table:
            if key not in PHASE_FIELDS and key not in PHASE_LEVEL:
                why = (
                    "is the whole run's (computed after the phases add up); give it under [inputs]"
                    if key in NODES
                    else "unknown field"
                )
                raise ConfigError(
                    f"{file}: {where}.{key}: {why}; a phase takes {', '.join(PHASE_FIELDS)} "
                    f"and the nodes {', '.join(PHASE_LEVEL)}"
                )
        share = table.get("token_share")
        if share is not None and "n_tokens" in table:
            raise ConfigError(
                f"{file}: {where}: give n_tokens or token_share, not both; got n_tokens="
                f"{table['n_tokens']!r}, token_share={share!r}"
            )
        if share is None and "n_tokens" not in table:
            raise ConfigError(f"{file}: {where}: needs n_tokens or token_share; got neither")
        if share is not None and (not is_number(share) or not 0 < share <= 1):
            raise ConfigError(
                f"{file}: {where}.token_share: must be a number in (0, 1]; got {share!r}"
            )
        description = table.get("description", "")
        if not isinstance(description, str):
            raise ConfigError(f"{file}: {where}.description: must be a string; got {description!r}")
        phases.append(Phase(name, None if share is None else float(share), description))
        own[name] = {}
        for key, value in table.items():
            if key in PHASE_FIELDS:
                continue
            dist, source = input_value(key, value, file, where=where, base_dir=Path(file).parent)
            own[name][key] = InputSpec(phase_name(key, name), dist, source, "scenario")
    _check_tokens(phases, specs, file)
    _check_shadowed(specs, own, file)
    return tuple(phases), own


def _check_shadowed(
    specs: Mapping[str, InputSpec], own: Mapping[str, Mapping[str, InputSpec]], file: str
) -> None:
    """Refuse an [inputs] value that every phase replaces: it would be unused (e.g. ``--set
    n_gpus=24576`` on a scenario whose phases each give n_gpus)."""
    everywhere = set.intersection(*(set(given) for given in own.values()))
    for name, spec in specs.items():
        if name in everywhere and spec.origin == "scenario":
            names = ", ".join(phase_name(name, phase) for phase in own)
            raise ConfigError(
                f"{file}: inputs.{name}: every phase gives its own ({names}), so this value "
                f"would be unused; set the phases' (--set {phase_name(name, next(iter(own)))}"
                f"=...) or drop {name} from them; got {spec.dist.describe()}"
            )


def _check_tokens(phases: Sequence[Phase], specs: Mapping[str, InputSpec], file: str) -> None:
    shares = [p for p in phases if p.token_share is not None]
    if shares and len(shares) < len(phases):
        counted = next(p.name for p in phases if p.token_share is None)
        raise ConfigError(
            f"{file}: phases: every phase gives token_share or every phase gives n_tokens; "
            f"got token_share in phases.{shares[0].name} and n_tokens in phases.{counted}"
        )
    if shares:
        total = math.fsum(p.token_share for p in shares)  # type: ignore[misc]
        if abs(total - 1) > SHARE_TOLERANCE:
            listed = ", ".join(f"{p.name}={p.token_share:g}" for p in shares)
            raise ConfigError(
                f"{file}: phases.token_share: must sum to 1; got {total:.10g} ({listed})"
            )
        if "n_tokens" not in specs:
            raise ConfigError(
                f"{file}: inputs.n_tokens: the phases give token_share, a share of the run's "
                "n_tokens; give n_tokens under [inputs]"
            )
    elif "n_tokens" in specs:
        raise ConfigError(
            f"{file}: inputs.n_tokens: every phase gives its own n_tokens, which add up to the "
            "run's; drop inputs.n_tokens or give each phase a token_share"
        )


def covered(
    specs: Mapping[str, InputSpec], own: Mapping[str, Mapping[str, InputSpec]]
) -> dict[str, InputSpec]:
    """``specs`` and the nodes every phase gives: what the run as a whole has (for the
    views it can compute and the nodes its risk targets may sit on)."""
    result = dict(specs)
    if own:
        everywhere = set.intersection(*(set(given) for given in own.values()))
        for node in sorted(everywhere, key=list(NODES).index):
            result.setdefault(node, next(iter(own.values()))[node])
    return result


def fill_phase_defaults(
    specs: dict[str, InputSpec],
    own: dict[str, dict[str, InputSpec]],
    file: str,
    *,
    sinks: Sequence[str],
) -> None:
    """:func:`simulate.scenario.inputs.fill_defaults_and_check`, phase by phase: refuse a
    phase that lacks a needed input without a default (naming the phase); a default every
    phase takes goes to ``specs``, one that only some take to those phases' own inputs."""
    taken: dict[str, set[str]] = {}
    for phase, given in own.items():
        names = {**specs, **given}
        local, missing = set(), []
        for name, children in needed_inputs(names, sinks=sinks).items():
            node = NODES[name]
            if node.default is None:
                missing.append(f"{name} [{node.units}] (needed for {children[0]})")
            else:
                local.add(name)
        if missing:
            raise ConfigError(
                f"{file}: phases.{phase}: missing {'; '.join(missing)}; give each under "
                f"[inputs] or in the phase (or an accelerator under [cluster])"
            )
        local.update(fallback_defaults({**names, **dict.fromkeys(local)}, sinks=sinks))
        for name in local:
            taken.setdefault(name, set()).add(phase)
    for name, phases in taken.items():
        node = NODES[name]
        source = f"default ({node.source})" if node.source else "default"
        if phases == set(own):
            specs[name] = InputSpec(name, Fixed(node.default), source, "default")
        else:
            for phase in phases:
                key = phase_name(name, phase)
                own[phase][name] = InputSpec(key, Fixed(node.default), source, "default")
