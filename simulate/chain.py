"""The chain: FLOPs -> GPU time -> days -> capital + energy cost -> TCO.

Each :class:`Node` has a unit, a domain, and either no rule (an input) or a rule
over its parents with the source of that rule. Any node may be *pinned* by the
scenario (given as a constant or a distribution), which cuts everything upstream
of it. Rules are plain arithmetic, so they work on floats, numpy arrays and
xarray DataArrays alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["KEY_OUTPUTS", "NODES", "Domain", "Node", "evaluate", "needed_inputs"]

SECONDS_PER_DAY = 86_400
HOURS_PER_DAY = 24


@dataclass(frozen=True)
class Domain:
    """Allowed values: ``low``/``high`` bounds, each open or closed, and wholeness."""

    low: float = 0.0
    high: float = float("inf")
    low_open: bool = True
    high_open: bool = False
    whole: bool = False

    def describe(self) -> str:
        left = "(" if self.low_open else "["
        right = ")" if self.high_open or self.high == float("inf") else "]"
        high = "inf" if self.high == float("inf") else f"{self.high:g}"
        text = f"{left}{self.low:g}, {high}{right}"
        return f"a whole number in {text}" if self.whole else text

    def contains(self, low: float, high: float) -> bool:
        """Whether the interval [low, high] lies inside the domain."""
        above = low > self.low if self.low_open else low >= self.low
        below = high < self.high if self.high_open else high <= self.high
        return above and below


POSITIVE = Domain()
NON_NEGATIVE = Domain(low_open=False)
FRACTION = Domain(high=1.0)  # (0, 1]
COUNT = Domain(low=1.0, low_open=False, whole=True)


@dataclass(frozen=True)
class Node:
    """One quantity of the chain: an input (``rule is None``) or a computed node."""

    name: str
    units: str
    description: str
    parents: tuple[str, ...] = ()
    rule: Callable[..., Any] | None = None
    formula: str = ""
    source: str = ""
    domain: Domain = POSITIVE
    default: float | None = None

    @property
    def is_input(self) -> bool:
        return self.rule is None


KAPLAN = "Kaplan et al. 2020, 'Scaling Laws for Neural Language Models', Sec. 2.1 (C = 6ND)"
DEFINITION = "definition"
ARTICLE = "the source article's hand estimate of Llama 3.1 405B (its rule, as stated there)"

NODES: dict[str, Node] = {
    n.name: n
    for n in (
        Node("n_params", "1", "parameters N (active parameters per token for mixture-of-experts)"),
        Node("n_tokens", "1", "training tokens D"),
        Node(
            "flop_per_param_token",
            "FLOP",
            "FLOP per parameter per token (forward + backward)",
            default=6.0,
            source=KAPLAN,
        ),
        Node(
            "train_flop",
            "FLOP",
            "training compute C",
            ("flop_per_param_token", "n_params", "n_tokens"),
            lambda k, n, d: k * n * d,
            "flop_per_param_token · n_params · n_tokens",
            KAPLAN,
        ),
        Node("n_gpus", "1", "accelerators in the cluster", domain=COUNT),
        Node(
            "gpu_peak_flop_per_s", "FLOP/s", "dense peak per accelerator at the training precision"
        ),
        Node(
            "cluster_peak_flop_per_s",
            "FLOP/s",
            "cluster dense peak",
            ("n_gpus", "gpu_peak_flop_per_s"),
            lambda g, p: g * p,
            "n_gpus · gpu_peak_flop_per_s",
            DEFINITION,
        ),
        Node(
            "ideal_days",
            "d",
            "days at 100% of peak",
            ("train_flop", "cluster_peak_flop_per_s"),
            lambda c, p: c / p / SECONDS_PER_DAY,
            "train_flop / cluster_peak_flop_per_s / 86,400",
            DEFINITION,
        ),
        Node(
            "mfu",
            "1",
            "model FLOP utilization",
            domain=FRACTION,
            source="Chowdhery et al. 2022 (PaLM), App. B: MFU definition",
        ),
        Node(
            "compute_days",
            "d",
            "days of training at the achieved MFU",
            ("ideal_days", "mfu"),
            lambda t, m: t / m,
            "ideal_days / mfu",
            "Chowdhery et al. 2022 (PaLM), App. B",
        ),
        Node(
            "goodput",
            "1",
            "share of wall-clock time that advances training",
            domain=FRACTION,
            default=1.0,
        ),
        Node(
            "train_days",
            "d",
            "wall-clock training days",
            ("compute_days", "goodput"),
            lambda t, g: t / g,
            "compute_days / goodput",
            DEFINITION,
        ),
        Node(
            "gpu_hours",
            "GPU·h",
            "accelerator-hours",
            ("n_gpus", "train_days"),
            lambda g, t: g * t * HOURS_PER_DAY,
            "n_gpus · train_days · 24",
            DEFINITION,
        ),
        Node("gpu_price_usd", "USD", "purchase price per accelerator"),
        Node(
            "gpu_capex_usd",
            "USD",
            "accelerator purchase cost",
            ("n_gpus", "gpu_price_usd"),
            lambda g, p: g * p,
            "n_gpus · gpu_price_usd",
            ARTICLE,
        ),
        Node(
            "overhead_capex_ratio",
            "1",
            "other capital cost (land, building, network, contractors) per dollar of accelerators",
            domain=NON_NEGATIVE,
        ),
        Node(
            "capex_usd",
            "USD",
            "capital cost of the cluster",
            ("gpu_capex_usd", "overhead_capex_ratio"),
            lambda c, r: c * (1 + r),
            "gpu_capex_usd · (1 + overhead_capex_ratio)",
            ARTICLE,
        ),
        Node("gpu_tdp_w", "W", "thermal design power per accelerator"),
        Node("power_overhead_factor", "1", "facility watts per watt of accelerator TDP"),
        Node(
            "facility_power_mw",
            "MW",
            "facility power draw",
            ("n_gpus", "gpu_tdp_w", "power_overhead_factor"),
            lambda g, w, f: g * w * f / 1e6,
            "n_gpus · gpu_tdp_w · power_overhead_factor / 1e6",
            ARTICLE,
        ),
        Node(
            "energy_mwh",
            "MWh",
            "energy used by the run",
            ("facility_power_mw", "train_days"),
            lambda p, t: p * t * HOURS_PER_DAY,
            "facility_power_mw · train_days · 24",
            DEFINITION,
        ),
        Node("electricity_usd_per_kwh", "USD/kWh", "electricity price"),
        Node(
            "energy_cost_usd",
            "USD",
            "cost of the run's energy",
            ("energy_mwh", "electricity_usd_per_kwh"),
            lambda e, r: e * 1_000 * r,
            "energy_mwh · 1,000 · electricity_usd_per_kwh",
            DEFINITION,
        ),
        Node(
            "tco_usd",
            "USD",
            "total cost of ownership (capital + energy)",
            ("capex_usd", "energy_cost_usd"),
            lambda c, e: c + e,
            "capex_usd + energy_cost_usd",
            ARTICLE,
        ),
        Node(
            "energy_share_of_tco",
            "1",
            "energy's share of TCO",
            domain=FRACTION,
            parents=("energy_cost_usd", "tco_usd"),
            rule=lambda e, t: e / t,
            formula="energy_cost_usd / tco_usd",
            source=ARTICLE,
        ),
    )
}

#: The outputs a scenario must be able to compute; the chain's sinks and the headline figures.
KEY_OUTPUTS: tuple[str, ...] = ("train_days", "gpu_hours", "energy_cost_usd", "tco_usd")
_SINKS: tuple[str, ...] = ("gpu_hours", "energy_share_of_tco")


def needed_inputs(given: Mapping[str, Any]) -> dict[str, list[str]]:
    """Inputs (unpinned leaves) the chain's sinks need, each with a node that needs it.

    Walks back from the sinks, stopping at nodes the scenario gives (``given``).
    """
    needed: dict[str, list[str]] = {}
    stack = [(name, name) for name in _SINKS]
    seen = set()
    while stack:
        name, child = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        node = NODES[name]
        if name in given:
            continue
        if node.is_input:
            needed.setdefault(name, []).append(child)
            continue
        stack.extend((parent, name) for parent in node.parents)
    return needed


def evaluate(given: Mapping[str, Any]) -> dict[str, Any]:
    """Every node computable from ``given`` (pinned values win over rules).

    Nodes are visited in table order, which is topological. A node whose parents
    are not all available is skipped; :func:`needed_inputs` tells whether any
    *needed* node would be.
    """
    values: dict[str, Any] = {}
    for name, node in NODES.items():
        if name in given:
            values[name] = given[name]
        elif node.rule is not None and all(p in values for p in node.parents):
            values[name] = node.rule(*(values[p] for p in node.parents))
    return values
