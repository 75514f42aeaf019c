"""What a run may not do: report non-finite draws, or outgrow the machine's memory.

* :func:`evaluate_draws` evaluates the chain in IEEE-754 arithmetic (fixed values as
  ``numpy.float64``, warnings off): an overflow gives ``inf`` and ``0/0`` gives NaN
  instead of a Python exception or a RuntimeWarning; :class:`NonFiniteCounts` then finds
  every node with a draw that is not finite, and :class:`NonFiniteError` names the first
  in the chain's (topological) order, how many of its draws, and its parents' values at
  the first such draw, e.g. ``configs/x.toml: node gpu_capex_usd: 100,000 of 100,000
  draws are not finite (inf) (from n_gpus = 16384, gpu_price_usd = 1e+305 at draw 0)``.
* :func:`check_memory` estimates an in-memory run's peak bytes before it allocates and
  refuses a run that would not fit, suggesting chunks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..model.chain import NODES
from ..model.phases import Phase, evaluate_phases, node_of, phase_name, split_name
from ..scenario.config import ConfigError

__all__ = [
    "BYTES_PER_VALUE",
    "MemoryLimitError",
    "NonFiniteCounts",
    "NonFiniteError",
    "available_memory_bytes",
    "check_finite",
    "check_memory",
    "memory_refusal",
    "evaluate_draws",
    "memory_estimate_bytes",
]

BYTES_PER_VALUE = 8
#: A run is refused unless the memory available exceeds its estimate by this factor (the
#: estimate is within a few percent of the measured peak; the rest is for what it omits).
HEADROOM = 1.25
#: Rank and log statistics hold the uncertain inputs and this many outputs twice
#: (columns and ranks) while they run (simulate.workflows.sections: the key outputs).
_RANKED_OUTPUTS = 4


class NonFiniteError(ConfigError):
    """A node's draws hold NaN or ±inf: the scenario's values overflow or underflow the chain."""


class MemoryLimitError(ConfigError):
    """An in-memory run of this many draws would not fit in the memory available."""


def evaluate_draws(given: Mapping[str, Any], phases: Sequence[Phase] = ()) -> dict[str, Any]:
    """:func:`simulate.model.chain.evaluate` in IEEE-754 arithmetic, without warnings
    (through :func:`simulate.model.phases.evaluate_phases` for a scenario's ``phases``).

    Fixed values become ``numpy.float64`` (a ``float`` subclass), so ``x / 0`` is ``inf``
    and ``0 / 0`` NaN as for arrays; what is not finite is found by :class:`NonFiniteCounts`.
    """
    floats = {k: np.float64(v) if np.ndim(v) == 0 else v for k, v in given.items()}
    with np.errstate(all="ignore"):
        return evaluate_phases(floats, phases)


def _parents(name: str, values: Mapping[str, Any]) -> tuple[str, ...]:
    """The parents of ``name`` among ``values`` (a phase's own, ``<node>@<phase>``, first)."""
    node, phase = split_name(name)
    found = []
    for parent in node_of(name).parents:
        own = phase_name(parent, phase) if phase else parent
        if own in values:
            found.append(own)
        elif parent in values:
            found.append(parent)
    return tuple(found)


def _kinds(x: np.ndarray) -> frozenset[str]:
    kinds = set()
    if np.isnan(x).any():
        kinds.add("nan")
    if np.isposinf(x).any():
        kinds.add("inf")
    if np.isneginf(x).any():
        kinds.add("-inf")
    return frozenset(kinds)


def _at(value: Any, index: int) -> float:
    """Draw ``index`` of a node's value (a constant is the same at every draw)."""
    x = np.asarray(value, dtype=float)
    return float(x if x.ndim == 0 else x.reshape(-1)[index])


@dataclass
class NonFiniteCounts:
    """Per node with non-finite draws: how many, which kinds, and the first such draw with
    its parents' values there. :meth:`merge` (chunks) is associative and commutative."""

    draws: int
    counts: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, frozenset[str]] = field(default_factory=dict)
    first: dict[str, tuple[int, tuple[tuple[str, float], ...]]] = field(default_factory=dict)

    @classmethod
    def of(cls, values: Mapping[str, Any], draws: int, *, start: int = 0) -> NonFiniteCounts:
        """Count the non-finite draws of every node in ``values`` (draws ``start`` onwards)."""
        found = cls(draws)
        for name, value in values.items():
            x = np.asarray(value, dtype=float)
            bad = ~np.isfinite(x)
            if not bad.any():
                continue
            found.counts[name] = draws if x.ndim == 0 else int(np.count_nonzero(bad))
            found.kinds[name] = _kinds(x[bad] if x.ndim else x.reshape(1))
            at = 0 if x.ndim == 0 else int(np.argmax(bad))
            parents = tuple((p, _at(values[p], at)) for p in _parents(name, values))
            found.first[name] = (start + at, parents)
        return found

    def merge(self, other: NonFiniteCounts) -> NonFiniteCounts:
        first = dict(self.first)
        for name, example in other.first.items():
            if name not in first or example[0] < first[name][0]:
                first[name] = example
        return NonFiniteCounts(
            self.draws + other.draws,
            {k: self.counts.get(k, 0) + other.counts.get(k, 0) for k in self.counts | other.counts},
            {
                k: self.kinds.get(k, frozenset()) | other.kinds.get(k, frozenset())
                for k in {*self.kinds, *other.kinds}
            },
            first,
        )

    def raise_if_any(self, file: str, given: Mapping[str, Any] | None = None) -> None:
        """Raise :class:`NonFiniteError` for the first node (in the chain's order) found."""
        if not self.counts:
            return
        name = next((n for n in NODES if n in self.counts), next(iter(self.counts)))
        kinds = ", ".join(k for k in ("nan", "inf", "-inf") if k in self.kinds[name])
        at, parents = self.first[name]
        if given is not None and name in given:  # an input, or a pinned node
            origin = f"its value or distribution {given[name]}"
        elif parents:
            origin = ", ".join(f"{p} = {v:g}" for p, v in parents) + f" at draw {at:,}"
        else:
            origin = "the scenario's value"
        raise NonFiniteError(
            f"{file}: node {name}: {self.counts[name]:,} of {self.draws:,} draws are not finite "
            f"({kinds}) (from {origin}); a value is too large or too small for 64-bit floats"
        )


def check_finite(
    values: Mapping[str, Any], draws: int, *, file: str, given: Mapping[str, Any] | None = None
) -> None:
    """Raise :class:`NonFiniteError` if any node of ``values`` has a draw that is not finite."""
    NonFiniteCounts.of(values, draws).raise_if_any(file, given)


def available_memory_bytes() -> int | None:
    """Memory this process could still take: psutil's "available" if installed, else
    Linux's MemAvailable, else free pages (``os.sysconf``); None if none is known."""
    try:
        import psutil  # noqa: PLC0415 (optional)

        return int(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001 (absent or failing: fall back)
        pass
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def memory_estimate_bytes(scenario: Any, draws: int, *, threads: int = 1) -> int:
    """Peak bytes of an in-memory run and its analyses, ``draws`` draws.

    Held: each uncertain input's uniform, and every varying node (inputs included);
    the analyses add the rank and log statistics' columns (the uncertain inputs and
    the key outputs, twice) and one sorted copy of a node per thread. Measured on the
    default scenario (CLI run with plots, 2 threads): peak RSS rose 516 bytes a draw from
    1e5 to 1e6 draws; this estimate gives 528.
    """
    uncertain = [n for n, spec in scenario.inputs.items() if not spec.dist.is_fixed]
    centre = {
        n: np.ones(1) if n in uncertain else 1.0 for n in scenario.inputs
    }  # shapes only: which nodes vary
    varying = sum(np.ndim(v) > 0 for v in evaluate_draws(centre, scenario.phases).values())
    per_draw = len(uncertain) + varying + 2 * (len(uncertain) + _RANKED_OUTPUTS) + threads
    return BYTES_PER_VALUE * draws * per_draw


CHUNK_ADVICE = (
    "run them in chunks (chunk_draws / --chunk-draws, e.g. --chunk-draws 1000000) or draw fewer"
)


def memory_refusal(
    scenario: Any, draws: int, need: int, *, what: str = "", advice: str = CHUNK_ADVICE
) -> MemoryLimitError | None:
    """The error for ``need`` bytes if :data:`HEADROOM` times that is more than the memory
    available, else None."""
    have = available_memory_bytes()
    if have is None or need * HEADROOM <= have:
        return None
    return MemoryLimitError(
        f"{scenario.path}: scenario.draws: {draws:,} draws{what} need about "
        f"{need / 2**30:.1f} GiB in memory (and {HEADROOM:g}x that to spare), more than the "
        f"{have / 2**30:.1f} GiB available; "
        f"{advice}"
    )


def check_memory(scenario: Any, draws: int, *, threads: int = 1) -> None:
    """Refuse (:class:`MemoryLimitError`) an in-memory run that would not fit."""
    error = memory_refusal(scenario, draws, memory_estimate_bytes(scenario, draws, threads=threads))
    if error is not None:
        raise error
