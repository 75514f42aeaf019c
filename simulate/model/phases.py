"""Multi-phase runs: evaluate the chain once per phase, add what adds up, then cost the run.

A phase (``[[phases]]`` in a scenario) is a stretch of training with its own tokens and
any chain inputs of its own (GPU count, MFU, sequence length, goodput, ...). Its inputs
are named ``<node>@<phase>`` (:func:`phase_name`), e.g. ``mfu@long_context``; every
other input is the scenario's and shared by all phases (the same draw).

:func:`evaluate_phases` evaluates the chain (:func:`simulate.model.chain.evaluate`) for
each phase, sums the additive nodes (:data:`ADDITIVE`: tokens, FLOPs, days, GPU-hours,
energy and its cost and emissions), and evaluates the whole run with the sums pinned:

* ``n_gpus`` of the run is the cluster bought, the largest phase's GPU count (a cluster
  sized for its largest configuration, e.g. Llama 3 405B: up to 16K H100, Sec. 3.3.1),
  so capital, amortized capital and the cluster's peak and power are the cluster's;
* ``goodput`` of the run, where a phase has one, is the effective share of wall-clock
  time that advanced training, sum of compute days / sum of train days (the node's
  definition), however each phase's goodput was computed;
* costs downstream of the sums (amortized capital over the summed days, rental of the
  summed GPU-hours, TCO, shares) follow the chain's own rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .chain import NODES, Node, computed_nodes, evaluate

__all__ = [
    "ADDITIVE",
    "PHASE_FIELDS",
    "PHASE_LEVEL",
    "PHASE_NAME_RULE",
    "PHASE_OUTPUTS",
    "SEPARATOR",
    "Phase",
    "evaluate_phases",
    "node_of",
    "run_nodes",
    "run_rule",
    "phase_name",
    "split_name",
]

#: Between a node and a phase in an input's name: ``mfu@long_context``. Safe as a netCDF
#: variable name, a quoted TOML key, a ``--set`` name and a table cell; not a character of
#: any node or phase name, so the split is unambiguous.
SEPARATOR = "@"
#: A phase name: a letter, then up to 39 letters, digits or ``_`` (a Python identifier,
#: a bare TOML key, a netCDF name).
PHASE_NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
PHASE_NAME_RULE = "must be a letter then up to 39 letters, digits or '_'"
#: Fields of a ``[[phases]]`` table besides node names.
PHASE_FIELDS = ("name", "token_share", "description")
#: Nodes whose values add up over phases (extensive quantities of the run).
ADDITIVE = (
    "n_tokens",
    "train_flop",
    "ideal_days",
    "compute_days",
    "train_days",
    "gpu_hours",
    "energy_mwh",
    "energy_cost_usd",
    "co2_t",
)
#: Per-phase computed nodes kept in the results (as ``<node>@<phase>``) where they differ
#: between phases: what adds up to the run's days, GPU-hours, FLOPs and energy.
PHASE_OUTPUTS = ("n_tokens", "train_flop", "train_days", "gpu_hours", "energy_mwh")


@dataclass(frozen=True)
class Phase:
    """One phase: its name and, if its tokens are a share of the scenario's ``n_tokens``,
    that share (else the phase gives ``n_tokens@<name>`` itself)."""

    name: str
    token_share: float | None = None
    description: str = ""


def phase_name(node: str, phase: str) -> str:
    """The name of ``node`` in ``phase``: ``<node>@<phase>``."""
    return f"{node}{SEPARATOR}{phase}"


def split_name(name: str) -> tuple[str, str | None]:
    """``("mfu", "long_context")`` for ``mfu@long_context``; ``(name, None)`` for a plain name."""
    node, sep, phase = name.partition(SEPARATOR)
    return (node, phase) if sep else (name, None)


def node_of(name: str) -> Node:
    """The chain's node behind a name, plain or per-phase."""
    return NODES[split_name(name)[0]]


def _phase_level() -> tuple[str, ...]:
    """Nodes a phase may set: the additive nodes and everything they are computed from
    (what is computed after the sums, e.g. capital or rental, belongs to the whole run)."""
    found = set(ADDITIVE)
    for name in reversed(NODES):
        if name in found:
            found.update(NODES[name].parents)
    return tuple(name for name in NODES if name in found)


#: Nodes a phase may give (as a constant, a distribution or a pin).
PHASE_LEVEL = _phase_level()


def _varying(phases: Sequence[Phase], overridden: set[str], shared: set[str]) -> set[str]:
    """The nodes whose values differ between phases: those some phase gives (and
    ``n_tokens`` where phases take shares of it), and every node computed from them,
    directly or not, except one the scenario gives for all phases (``shared``), which
    cuts what is upstream of it (table order is topological)."""
    found = set(overridden)
    if any(p.token_share is not None for p in phases):
        found.add("n_tokens")
    for name, node in NODES.items():
        if name not in shared and any(parent in found for parent in node.parents):
            found.add(name)
    return found


CLUSTER_SOURCE = (
    "one cluster bought for the run, sized for its largest configuration (Llama 3 paper, "
    "Sec. 3.3.1 and Table 4: 8,192 and 16,384 H100 configurations on a 16K-GPU cluster)"
)


def run_rule(name: str, phases: Sequence[Phase], given: Iterable[str]) -> tuple[str, str] | None:
    """The formula and source of a whole-run node that phases combine (a sum, the largest
    GPU count, the effective goodput), or None for a node the chain computes as usual.
    ``given``: the names of the scenario's inputs (plain and ``<node>@<phase>``)."""
    if not phases:
        return None
    names = ", ".join(p.name for p in phases)
    plain = {n for n in given if SEPARATOR not in n}
    overridden = {split_name(n)[0] for n in given if SEPARATOR in n}
    varying = _varying(phases, overridden, plain - overridden)
    if name in ADDITIVE and name in varying:
        return (
            f"sum over the phases ({names}) of {phase_name(name, '<phase>')}",
            "phases add up (simulate.model.phases)",
        )
    if name == "n_gpus" and name in varying:
        formula = f"largest of {phase_name(name, '<phase>')} over the phases ({names})"
        return formula, CLUSTER_SOURCE
    if name == "goodput" and name in varying:
        return (
            "sum of compute_days / sum of train_days over the phases (the share of wall-clock "
            "time that advanced training)",
            "definition (effective goodput of the run)",
        )
    return None


def evaluate_phases(given: Mapping[str, Any], phases: Sequence[Phase] = ()) -> dict[str, Any]:
    """Every node of the run from ``given`` (plain names shared, ``<node>@<phase>`` per
    phase): :func:`~simulate.model.chain.evaluate` itself without phases; with phases,
    the run's nodes (see the module's text) then each phase's overridden inputs and
    :data:`PHASE_OUTPUTS` that differ between phases, as ``<node>@<phase>``."""
    if not phases:
        return evaluate(given)
    shared = {k: v for k, v in given.items() if SEPARATOR not in k}
    own: dict[str, dict[str, Any]] = {phase.name: {} for phase in phases}
    for key, value in given.items():
        node, phase = split_name(key)
        if phase is not None:
            own[phase][node] = value
    per_phase: dict[str, dict[str, Any]] = {}
    for phase in phases:
        values = {**shared, **own[phase.name]}
        if phase.token_share is not None:
            values["n_tokens"] = shared["n_tokens"] * phase.token_share
        per_phase[phase.name] = evaluate(values)
    overridden = {node for overrides in own.values() for node in overrides}
    varying = _varying(phases, overridden, set(shared) - overridden)
    run = dict(shared)
    for name in ADDITIVE:
        parts = [values[name] for values in per_phase.values() if name in values]
        if len(parts) == len(phases):
            run[name] = sum(parts[1:], start=parts[0])
    gpus = [values["n_gpus"] for values in per_phase.values() if "n_gpus" in values]
    if gpus and "n_gpus" in varying:
        run["n_gpus"] = np.maximum.reduce(np.broadcast_arrays(*gpus)) if len(gpus) > 1 else gpus[0]
    if "goodput" in varying and "compute_days" in run and "train_days" in run:
        run["goodput"] = run["compute_days"] / run["train_days"]
    result = evaluate(run)
    for phase in phases:
        values = per_phase[phase.name]
        for node in own[phase.name]:
            result[phase_name(node, phase.name)] = values[node]
        for node in PHASE_OUTPUTS:
            if node in varying and node in values and node not in own[phase.name]:
                result[phase_name(node, phase.name)] = values[node]
    return result


def run_nodes(given: Iterable[str], phases: Sequence[Phase] = ()) -> tuple[str, ...]:
    """The nodes :func:`evaluate_phases` computes from inputs with these names, in its
    order (:func:`simulate.model.chain.computed_nodes` for a run in phases): found by
    evaluating on ones (numpy scalars, warnings off), so the rule is evaluate's."""
    if not phases:
        return computed_nodes(given)
    with np.errstate(all="ignore"):
        return tuple(evaluate_phases(dict.fromkeys(given, np.float64(1.0)), phases))
