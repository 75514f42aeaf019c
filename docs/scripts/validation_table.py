"""Where the Llama 3.1 model card's 30.84M GPU-hours fall under the default scenario and its
alternatives (attention convention, goodput range, phases): the table of docs/validation.md.

    python docs/scripts/validation_table.py [--draws 100000]

Each row edits the default scenario (configs/llama-3.1-405b.toml) as its label says, runs it
with the scenario's seed and prints the percentile rank of 30.84M GPU-hours (ties half) and
gpu_hours' P5/P50/P95. The old default is main at bea730c: one phase of 15.6T tokens on 16,384
GPUs, MFU uniform 0.38-0.43, no attention, goodput PERT(0.80, 0.90, 0.97).
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

import simulate
from simulate.model.catalog import CONFIG_DIR
from simulate.report.views import percentile_rank
from simulate.scenario.config import scenario_from_dict
from simulate.scenario.read import read_toml

MODEL_CARD_GPU_HOURS = 30.84e6
PAPER_GOODPUT = {"dist": "uniform", "low": 0.90, "high": 0.97}
OLD_GOODPUT = {"dist": "pert", "low": 0.80, "mode": 0.90, "high": 0.97}
OLD_MFU = {"dist": "uniform", "low": 0.38, "high": 0.43}


def single_phase(raw: dict, *, attention: bool) -> None:
    """The old shape: 15.6T tokens on 16,384 GPUs at MFU uniform 0.38-0.43 (at 8K if attention)."""
    del raw["phases"]
    raw["inputs"] |= {"n_tokens": 15.6e12, "n_gpus": 16_384, "mfu": OLD_MFU}
    if attention:
        raw["inputs"]["seq_len"] = 8_192
    else:
        del raw["inputs"]["n_layers"], raw["inputs"]["d_model"]


def no_attention(raw: dict) -> None:
    del raw["inputs"]["n_layers"], raw["inputs"]["d_model"]
    for phase in raw["phases"]:
        del phase["seq_len"]


def causal_halved(raw: dict) -> None:
    """Attention pinned per phase at 6·L·d·T (half of PaLM's 12·L·d·T: causal masking)."""
    for phase in raw["phases"]:
        phase["attention_flop_per_token"] = 6 * 126 * 16_384 * phase.pop("seq_len")["value"]
    del raw["inputs"]["n_layers"], raw["inputs"]["d_model"]


def goodput(prior: dict) -> Callable[[dict], None]:
    def edit(raw: dict) -> None:
        raw["inputs"]["goodput"] = dict(prior)

    return edit


def ramp_on_16k(raw: dict) -> None:
    """All 8K-context tokens on 16,384 GPUs at Table 4's 41% (no 8,192-GPU stage)."""
    ramp = raw["phases"][0]
    ramp["n_gpus"] = 16_384
    ramp["mfu"] = {"dist": "triangular", "low": 0.39, "mode": 0.41, "high": 0.43}


def long_context_at(seq_len: int) -> Callable[[dict], None]:
    def edit(raw: dict) -> None:
        raw["phases"][2]["seq_len"] = seq_len

    return edit


def both(*edits: Callable[[dict], None]) -> Callable[[dict], None]:
    def edit(raw: dict) -> None:
        for one in edits:
            one(raw)

    return edit


ROWS: list[tuple[str, Callable[[dict], None]]] = [
    (
        "old default: 1 phase, no attention, goodput PERT 0.80-0.97",
        both(lambda r: single_phase(r, attention=False), goodput(OLD_GOODPUT)),
    ),
    ("1 phase, no attention, goodput paper >0.90", lambda r: single_phase(r, attention=False)),
    ("1 phase, PaLM attention at 8K, goodput paper", lambda r: single_phase(r, attention=True)),
    ("phases, no attention, goodput paper", no_attention),
    ("phases, causal-halved attention, goodput paper", causal_halved),
    ("phases, PaLM attention, goodput PERT 0.80-0.97", goodput(OLD_GOODPUT)),
    ("**new default**: phases, PaLM attention, goodput paper", lambda r: None),
    ("new default, 8K stages all on 16,384 GPUs at 41%", ramp_on_16k),
    ("new default, long-context attention at 32K, not 128K", long_context_at(32_768)),
]


def row(label: str, edit: Callable[[dict], None], raw: dict[str, Any], draws: int) -> str:
    changed = copy.deepcopy(raw)
    edit(changed)
    scenario = scenario_from_dict(changed, file=str(CONFIG_DIR / "llama-3.1-405b.toml"))
    ds = simulate.run(scenario, draws=draws, threads=1, keep_uniforms=False)
    hours = ds["gpu_hours"].values
    p5, p50, p95 = np.percentile(hours, [5, 50, 95]) / 1e6
    rank = percentile_rank(hours, MODEL_CARD_GPU_HOURS)
    return f"| {label} | {rank:.1f} | {p5:.2f} | {p50:.2f} | {p95:.2f} |"


def main(argv: list[str]) -> None:
    draws = int(argv[argv.index("--draws") + 1]) if "--draws" in argv else 100_000
    raw = read_toml(CONFIG_DIR / "llama-3.1-405b.toml")
    print("| scenario | percentile of 30.84M | P5 (M GPU·h) | P50 | P95 |")
    print("|---|---:|---:|---:|---:|")
    for label, edit in ROWS:
        print(row(label, edit, raw, draws), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
