"""The chain: FLOPs -> GPU time -> days -> capital + energy cost -> TCO.

Each :class:`Node` has a unit, a domain, and either no rule (an input) or a rule
over its parents with the source of that rule. Any node may be *pinned* by the
scenario (given as a constant or a distribution), which cuts everything upstream
of it. Rules are plain arithmetic, so they work on floats, numpy arrays and
xarray DataArrays alike.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "BASE_SINKS",
    "COST_VIEWS",
    "Domain",
    "HEADLINE_OUTPUTS",
    "KEY_OUTPUTS",
    "NODES",
    "Node",
    "OUTPUT_ROLES",
    "REMOVED_INPUTS",
    "VIEWS",
    "computed_nodes",
    "daly_goodput",
    "daly_optimum_interval_hours",
    "evaluate",
    "fallback_defaults",
    "needed_inputs",
    "node_ranges",
    "outputs_with",
    "upstream",
    "view_sinks",
]

SECONDS_PER_DAY = 86_400
HOURS_PER_DAY = 24
DAYS_PER_YEAR = (
    365.25  # Julian year, as in Epoch AI's training-cost-trends cost_analysis_standalone.py
)


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
SHARE = Domain(low_open=False, high=1.0, high_open=True)  # [0, 1)
AT_LEAST_ONE = Domain(low=1.0, low_open=False)  # [1, inf)


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
    #: The rule recommends a value (an optimum) that a scenario may give instead without
    #: contradicting the report (``checkpoint_interval_hours``): check_pins allows it.
    overridable: bool = False

    @property
    def is_input(self) -> bool:
        return self.rule is None


KAPLAN = "Kaplan et al. 2020, 'Scaling Laws for Neural Language Models', Sec. 2.1 (C = 6ND)"
DEFINITION = "definition"
ARTICLE = "the source article's hand estimate of Llama 3.1 405B (its rule, as stated there)"
PALM_APP_B = (
    "Chowdhery et al. 2022 (PaLM), App. B: model FLOPs per token = 6N + 12·L·H·Q·T "
    "(H·Q = d_model, T = sequence length)"
)
EPOCH_COST = (
    "Cottier et al. 2024, 'The rising costs of training frontier AI models' (Epoch AI), "
    "amortized hardware CapEx + energy"
)
EPOCH_POWER = (
    "Epoch AI training-cost-trends, cost_analysis_standalone.py: server power per GPU "
    "1.82 x TDP (chip_to_server_power, DGX H100), average draw 0.75 of it "
    "(server_TDP_fraction), PUE 1.1 at hyperscalers and 1.25 elsewhere "
    "(power_usage_effectiveness)"
)
DALY = (
    "Daly 2006, 'A higher order estimate of the optimum checkpoint interval for restart "
    "dumps', FGCS 22(3): expected wall time for exponential failures, failures also "
    "during checkpoints and restarts"
)
DALY_OPTIMUM = (
    "Daly 2006, FGCS 22(3): higher-order optimum compute time between checkpoints "
    "(first order: Young 1974, CACM 17(9), sqrt(2 δ M))"
)
LLAMA3_INTERRUPTIONS = (
    "Llama 3 paper, Sec. 3.3.4: 466 job interruptions in 54 days on 16,384 H100, "
    "419 unexpected and 47 planned"
)
LLAMA_CO2 = "Touvron et al. 2023 (LLaMA), Sec. 6 / Table 15: 0.385 kgCO2eq/kWh, US national average"

#: Inputs the chain no longer has -> what replaces them (a scenario giving one is refused).
REMOVED_INPUTS: dict[str, str] = {
    "checkpoint_overhead": "removed: the checkpoint overhead is now computed as "
    "checkpoint_write_hours / checkpoint_interval_hours; give checkpoint_write_hours "
    "(hours to write one checkpoint: an overhead c at interval T is c · T)",
}


def daly_optimum_interval_hours(write_hours: Any, interruptions_per_hour: Any) -> Any:
    """Daly's (2006, FGCS 22(3)) higher-order optimum compute time between
    checkpoints: sqrt(2δM)·(1 + sqrt(x)/3 + x/9) − δ with x = δ/(2M) < 1, else M
    (Young 1974 is the first term). No failures (M = inf) give an infinite interval."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mtbf = np.divide(1.0, interruptions_per_hour)
        x = write_hours / (2 * mtbf)
        tau = np.sqrt(2 * write_hours * mtbf) * (1 + np.sqrt(x) / 3 + x / 9) - write_hours
        return np.where(x < 1, tau, mtbf)[()]


def daly_goodput(interruptions_per_hour: Any, restart: Any, interval: Any, write: Any) -> Any:
    """T_s / T_w from Daly's (2006, FGCS 22(3)) expected wall time for exponential failures,
    T_w = M·e^(R/M)·(e^((τ+δ)/M) − 1)·T_s/τ, written with λ = 1/M as
    τ·e^(−λR) / ((τ+δ)·exprel(λ(τ+δ))) so that λ = 0 gives τ/(τ+δ) exactly."""
    period = interval + write
    x = interruptions_per_hour * period
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        exprel = np.where(x == 0, 1.0, np.expm1(x) / np.where(x == 0, 1.0, x))[()]
        return interval * np.exp(-interruptions_per_hour * restart) / (period * exprel)


NODES: dict[str, Node] = {
    n.name: n
    for n in (
        Node("n_params", "1", "parameters N (active parameters per token for mixture-of-experts)"),
        Node("n_tokens", "1", "training tokens D"),
        Node(
            "flop_per_param_token",
            "FLOP/(param·token)",
            "FLOP per parameter per token (forward + backward)",
            default=6.0,
            source=KAPLAN,
        ),
        Node("n_layers", "1", "transformer layers L", domain=COUNT),
        Node(
            "d_model",
            "1",
            "attention width H·Q: heads x head dimension (the model width in most transformers)",
            domain=COUNT,
        ),
        Node("seq_len", "1", "training sequence length T in tokens", domain=COUNT),
        Node(
            "attention_flop_per_token",
            "FLOP/token",
            "attention FLOP per token beyond 6N (0 unless n_layers, d_model, seq_len are given)",
            ("n_layers", "d_model", "seq_len"),
            lambda layers, width, length: 12 * layers * width * length,
            "12 · n_layers · d_model · seq_len",
            PALM_APP_B,
            domain=NON_NEGATIVE,
            default=0.0,
        ),
        Node(
            "train_flop",
            "FLOP",
            "training compute C",
            ("flop_per_param_token", "n_params", "n_tokens", "attention_flop_per_token"),
            lambda k, n, d, a: (k * n + a) * d,
            "(flop_per_param_token · n_params + attention_flop_per_token) · n_tokens",
            f"{KAPLAN}; {PALM_APP_B}",
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
            "interruptions_per_gpu_hour",
            "1/(GPU·h)",
            "unexpected job interruptions per accelerator-hour",
            domain=NON_NEGATIVE,
            source="Llama 3 paper, Sec. 3.3.4: 419 unexpected interruptions in 54 days on 16,384 "
            "H100 = 1.97e-5 per GPU-hour",
        ),
        Node(
            "job_interruptions_per_hour",
            "1/h",
            "interruptions of the whole job per hour of running (1 / MTBF M of the job)",
            ("interruptions_per_gpu_hour", "n_gpus"),
            lambda rate, g: rate * g,
            "interruptions_per_gpu_hour · n_gpus",
            "a synchronous job stops when any of its accelerators fails (Llama 3 paper, "
            "Sec. 3.3.4)",
            domain=NON_NEGATIVE,
        ),
        Node(
            "restart_hours",
            "h",
            "time R to detect an interruption and restart (reload the last checkpoint)",
            domain=NON_NEGATIVE,
        ),
        Node("checkpoint_write_hours", "h", "time δ to write one checkpoint"),
        Node(
            "checkpoint_interval_hours",
            "h",
            "compute time τ between checkpoints (Daly's τ; one period is τ + δ); "
            "Daly's optimum unless given",
            ("checkpoint_write_hours", "job_interruptions_per_hour"),
            lambda delta, lam: daly_optimum_interval_hours(delta, lam),
            "sqrt(2 δ M) · (1 + sqrt(δ / 2M) / 3 + (δ / 2M) / 9) − δ for δ < 2M, else M; "
            "δ = checkpoint_write_hours, M = 1 / job_interruptions_per_hour",
            DALY_OPTIMUM,
            overridable=True,
        ),
        Node(
            "failure_goodput",
            "1",
            "share of running time that advances training under unexpected interruptions "
            "and checkpoint writes",
            (
                "job_interruptions_per_hour",
                "restart_hours",
                "checkpoint_interval_hours",
                "checkpoint_write_hours",
            ),
            lambda lam, r, tau, delta: daly_goodput(lam, r, tau, delta),
            "τ / (M · e^(R/M) · (e^((τ + δ)/M) − 1)); M = 1 / job_interruptions_per_hour, "
            "R = restart_hours, τ = checkpoint_interval_hours, δ = checkpoint_write_hours",
            DALY,
            domain=FRACTION,
        ),
        Node(
            "planned_interruptions_per_day",
            "1/d",
            "planned stops of the job (maintenance, upgrades) per day of training",
            domain=NON_NEGATIVE,
            default=0.0,
            source=f"{LLAMA3_INTERRUPTIONS}: 47 / 54 = 0.87 a day; default 0 (none)",
        ),
        Node(
            "planned_downtime_hours",
            "h",
            "time the job stands still for each planned stop, restart included",
            domain=NON_NEGATIVE,
            default=0.0,
            source="default 0 (none)",
        ),
        Node(
            "planned_downtime_ratio",
            "1",
            "hours of planned downtime per hour of training",
            ("planned_interruptions_per_day", "planned_downtime_hours"),
            lambda rate, hours: rate * hours / HOURS_PER_DAY,
            "planned_interruptions_per_day · planned_downtime_hours / 24",
            LLAMA3_INTERRUPTIONS,
            domain=NON_NEGATIVE,
        ),
        Node(
            "goodput",
            "1",
            "share of wall-clock time that advances training (1 unless failure inputs are given)",
            ("failure_goodput", "planned_downtime_ratio"),
            lambda g, planned: g / (1 + planned),
            "failure_goodput / (1 + planned_downtime_ratio)",
            f"{DALY}; planned stops add their downtime to the wall time",
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
        Node(
            "server_power_ratio",
            "1",
            "server power per accelerator over its TDP (CPUs, memory, network, fans)",
            source="Epoch AI training-cost-trends, cost_analysis_standalone.py, "
            "chip_to_server_power: DGX H100 10.2 kW / 8 GPUs = 1,275 W = 1.82 x 700 W",
        ),
        Node(
            "average_power_fraction",
            "1",
            "average draw over training as a share of peak server power",
            domain=FRACTION,
            source="Epoch AI training-cost-trends, cost_analysis_standalone.py, "
            "server_TDP_fraction: 0.75 for GPUs (0.43 for TPUs)",
        ),
        Node(
            "pue",
            "1",
            "power usage effectiveness of the data centre (facility / IT power)",
            domain=AT_LEAST_ONE,
            source="1.1 at hyperscalers, 1.25 elsewhere (Epoch AI training-cost-trends, "
            "cost_analysis_standalone.py, power_usage_effectiveness)",
        ),
        Node(
            "power_overhead_factor",
            "1",
            "facility watts per watt of accelerator TDP",
            ("server_power_ratio", "average_power_fraction", "pue"),
            lambda s, a, p: s * a * p,
            "server_power_ratio · average_power_fraction · pue",
            EPOCH_POWER,
        ),
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
        Node(
            "hardware_life_years",
            "a",
            "years over which the cluster's capital is written off",
            default=3.0,
            source="Epoch AI training-cost-trends, cost_analysis_standalone.py: capital is "
            "amortized at hardware_replacement_per_year = 0.14 OOM/yr · ln 10 = 0.32 per year, "
            "a life of 1 / (0.14 · ln 10) = 3.1 years (the older DEFAULT_HARDWARE_LIFETIME = 3 "
            "is gone from the code)",
        ),
        Node(
            "amortized_capex_usd",
            "USD",
            "capital cost charged to the run: its share of the hardware's life",
            ("capex_usd", "train_days", "hardware_life_years"),
            lambda c, t, life: c * t / (life * DAYS_PER_YEAR),
            "capex_usd · train_days / (hardware_life_years · 365.25)",
            EPOCH_COST,
        ),
        Node(
            "amortized_cost_usd",
            "USD",
            "amortized capital + energy",
            ("amortized_capex_usd", "energy_cost_usd"),
            lambda c, e: c + e,
            "amortized_capex_usd + energy_cost_usd",
            EPOCH_COST,
        ),
        Node(
            "energy_share_of_amortized",
            "1",
            "energy's share of the amortized cost",
            ("energy_cost_usd", "amortized_cost_usd"),
            lambda e, t: e / t,
            "energy_cost_usd / amortized_cost_usd",
            f"{EPOCH_COST} (energy 2-6% of development cost)",
            domain=FRACTION,
        ),
        Node(
            "rental_usd_per_gpu_hour",
            "USD/(GPU·h)",
            "cloud rental price per accelerator-hour",
        ),
        Node(
            "rental_cost_usd",
            "USD",
            "cost of renting the accelerator-hours",
            ("gpu_hours", "rental_usd_per_gpu_hour"),
            lambda h, r: h * r,
            "gpu_hours · rental_usd_per_gpu_hour",
            "Cottier et al. 2024 (Epoch AI), cloud-rental method",
        ),
        Node(
            "grid_kgco2_per_kwh",
            "kgCO2e/kWh",
            "carbon intensity of the electricity",
            default=0.385,
            source=LLAMA_CO2,
        ),
        Node(
            "co2_t",
            "tCO2e",
            "emissions of the run's energy (location-based)",
            ("energy_mwh", "grid_kgco2_per_kwh"),
            lambda e, g: e * g,
            "energy_mwh · grid_kgco2_per_kwh (kg/kWh = t/MWh)",
            LLAMA_CO2,
        ),
    )
}

#: What the reports do with each output, in one place: "headline" (the answer cards, the
#: figures, the chunked rank correlations, compare's paired differences), "key" (the
#: answer list, the sensitivity section's outputs, compare's side-by-side table and what
#: a scenario must be able to compute), "terminal" (the table printed after a run).
OUTPUT_ROLES: dict[str, tuple[str, ...]] = {
    "train_days": ("headline", "key", "terminal"),
    "gpu_hours": ("key", "terminal"),
    "energy_mwh": ("terminal",),
    "energy_cost_usd": ("key", "terminal"),
    "capex_usd": ("terminal",),
    "tco_usd": ("headline", "key", "terminal"),
    "amortized_cost_usd": ("key", "terminal"),
    "rental_cost_usd": ("key", "terminal"),
}


def outputs_with(role: str) -> tuple[str, ...]:
    """The outputs that have ``role`` (:data:`OUTPUT_ROLES`), in the chain's order."""
    return tuple(name for name in NODES if role in OUTPUT_ROLES.get(name, ()))


KEY_OUTPUTS: tuple[str, ...] = outputs_with("key")
HEADLINE_OUTPUTS: tuple[str, ...] = outputs_with("headline")
_SINKS: tuple[str, ...] = ("gpu_hours", "energy_share_of_tco")
#: What every scenario must compute, whatever views it asks for.
BASE_SINKS: tuple[str, ...] = ("gpu_hours",)
#: Cost views: name -> (sinks the view needs, headline nodes shown side by side).
VIEWS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "tco": (("energy_share_of_tco",), ("capex_usd", "energy_cost_usd", "tco_usd")),
    "amortized": (
        ("energy_share_of_amortized",),
        ("amortized_capex_usd", "energy_cost_usd", "amortized_cost_usd"),
    ),
    "rental": (("rental_cost_usd",), ("rental_cost_usd",)),
    "co2": (("co2_t",), ("energy_mwh", "co2_t")),
}
#: The cost views a planner reads first, in the answer's order: view -> (label, definition).
#: Amortized and rental charge this run; the article's TCO charges the whole cluster.
COST_VIEWS: dict[str, tuple[str, str]] = {
    "amortized": (
        "amortized capital + energy",
        "the cluster's capital over its life, charged for this run's days, + this run's energy",
    ),
    "rental": ("rental", "this run's GPU-hours at cloud rental prices"),
    "tco": ("the article's TCO", "cluster purchase + this run's energy (not a per-run cost)"),
}


def view_sinks(views: Sequence[str]) -> tuple[str, ...]:
    """The sinks a scenario asking for ``views`` must be able to compute."""
    return BASE_SINKS + tuple(sink for view in views for sink in VIEWS[view][0])


@functools.lru_cache(maxsize=64)
def upstream(names: tuple[str, ...]) -> frozenset[str]:
    """``names`` and every node they are computed from, directly or not (the chain's
    graph, :data:`NODES`)."""
    found: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name not in found:
            found.add(name)
            stack.extend(NODES[name].parents)
    return frozenset(found)


def _reachable(sinks: Sequence[str], given: Mapping[str, Any], cut: str) -> set[str]:
    """Nodes the sinks reach walking upstream, stopping at given nodes and at ``cut``."""
    seen: set[str] = set()
    stack = [s for s in sinks if s != cut]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        if name not in given:
            stack.extend(p for p in NODES[name].parents if p != cut)
    return seen


def _derived(name: str, given: Mapping[str, Any], sinks: Sequence[str]) -> bool:
    """Whether a computed node with a default is derived rather than defaulted.

    It is derived when the scenario gives something that only it needs (e.g.
    ``restart_hours`` for ``goodput``); otherwise its default stands.
    """
    own = (upstream((name,)) - {name}) - _reachable(sinks, given, name)
    return any(n in given for n in own)


def fallback_defaults(given: Mapping[str, Any], *, sinks: Sequence[str] = _SINKS) -> list[str]:
    """Computed nodes that take their default: not given, not derived, and feeding a node
    that is not given either (so ``train_flop`` counts no attention term unless asked)."""
    return [
        name
        for name, node in NODES.items()
        if node.rule is not None
        and node.default is not None
        and name not in given
        and not _derived(name, given, sinks)
        and any(name in child.parents and child.name not in given for child in NODES.values())
    ]


def needed_inputs(
    given: Mapping[str, Any], *, sinks: Sequence[str] = _SINKS
) -> dict[str, list[str]]:
    """Inputs (unpinned leaves) the ``sinks`` need, each with a node that needs it.

    Walks back from the sinks, stopping at nodes the scenario gives (``given``). A
    computed node with a default (``goodput``, ``attention_flop_per_token``) counts as
    a needed input, to be filled with its default, unless the scenario gives
    something only it needs.
    """
    needed: dict[str, list[str]] = {}
    stack = [(name, name) for name in sinks]
    seen = set()
    while stack:
        name, child = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        node = NODES[name]
        if name in given:
            continue
        if node.is_input or (node.default is not None and not _derived(name, given, sinks)):
            needed.setdefault(name, []).append(child)
            continue
        stack.extend((parent, name) for parent in node.parents)
    return needed


def evaluate(given: Mapping[str, Any]) -> dict[str, Any]:
    """Every node computable from ``given`` (pinned values win over rules).

    Nodes are visited in table order, which is topological. A computed node whose
    parents are not all available takes its default if it has one (``goodput`` = 1,
    ``attention_flop_per_token`` = 0), kept only where a computed node uses it, and
    is skipped otherwise; :func:`needed_inputs` tells whether any *needed* node would be.
    """
    values: dict[str, Any] = {}
    defaulted, used = set(), set()
    for name, node in NODES.items():
        if name in given:
            values[name] = given[name]
        elif node.rule is not None and all(p in values for p in node.parents):
            values[name] = node.rule(*(values[p] for p in node.parents))
            used.update(node.parents)
        elif node.rule is not None and node.default is not None:
            values[name] = node.default
            defaulted.add(name)
    for name in defaulted - used:
        del values[name]
    return values


def computed_nodes(given: Iterable[str]) -> tuple[str, ...]:
    """The nodes :func:`evaluate` computes from inputs with these names, in table order:
    found by evaluating on ones (numpy scalars, warnings off), so the rule is evaluate's."""
    with np.errstate(all="ignore"):
        return tuple(evaluate(dict.fromkeys(given, np.float64(1.0))))


#: Points per parent at which :func:`node_ranges` evaluates a rule (the ends included).
RANGE_GRID_POINTS = 5


def node_ranges(bounds: Mapping[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """The smallest and largest value of every node :func:`evaluate` computes when each
    given node lies in its ``bounds`` (``name -> (low, high)``).

    Propagated node by node, in table order: a rule is evaluated on a grid over its parents'
    ranges (their ends and :data:`RANGE_GRID_POINTS` - 2 points between), which gives its
    exact range for a rule monotone in each parent (every rule of the chain, checked in
    tests/test_headline.py: the extremes of such a function on a box lie at its corners);
    treating parents as independent can only widen a range, never narrow it. Defaults as in
    :func:`evaluate`.
    """
    ranges: dict[str, tuple[float, float]] = {}
    defaulted, used = set(), set()
    with np.errstate(all="ignore"):
        for name, node in NODES.items():
            if name in bounds:
                low, high = bounds[name]
                ranges[name] = (float(low), float(high))
            elif node.rule is not None and all(p in ranges for p in node.parents):
                axes = [np.unique(np.linspace(*ranges[p], RANGE_GRID_POINTS)) for p in node.parents]
                grid = np.meshgrid(*axes, indexing="ij")
                values = np.asarray(node.rule(*grid), dtype=float)
                if np.isnan(values).any():  # 0/0 somewhere in the box: no bound to give
                    ranges[name] = (-np.inf, np.inf)
                else:
                    ranges[name] = (float(np.min(values)), float(np.max(values)))
                used.update(node.parents)
            elif node.rule is not None and node.default is not None:
                ranges[name] = (node.default, node.default)
                defaulted.add(name)
    for name in defaulted - used:
        del ranges[name]
    return ranges
