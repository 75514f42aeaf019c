"""Fuzz test of the command line: scenario files and ``--set`` values built from the schema.

Each example writes a mostly valid scenario (tables and keys of simulate/scenario/read.py, the
nodes of simulate/model/chain.py, every distribution form of distributions/parse.py, the
catalog's accelerators) with a few targeted mutations (extreme floats, nan/inf, huge or
negative integers, wrong types, unknown keys, hostile names, empty tables, ragged
matrices, bad empirical files) into a fresh sandbox folder, runs ``validate`` and then
``run`` (sometimes ``sensitivity`` or ``compare``) in-process through
``simulate.cli.main``, and holds the contract of issue 11:

* exit 0 with a valid report: summary.json parses with a JSON parser that refuses
  NaN and Infinity, report.md is there, every new file lies in the report folder and
  no file that was in the sandbox before is changed or gone;
* or exit 2 with exactly one line on stderr, starting with ``error:``, and nothing in
  the sandbox written, changed or removed;
* never an exception out of ``main``, never longer than ``FUZZ_EXAMPLE_SECONDS``;
* where ``validate`` says ok, ``run`` does not refuse the scenario (exit 2 is then
  allowed only for a command-line option, a message starting ``error: --``); where
  ``validate`` refuses, ``run`` refuses too.

Examples per run: ``FUZZ_EXAMPLES`` (default 150, about a minute on two cores);
derandomized under ``CI=1`` (tests/conftest.py). A longer search, e.g.
``FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz_cli.py`` (docs/robustness.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import re
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from simulate.cli import main
from simulate.model.catalog import load_catalog
from simulate.model.chain import NODES, VIEWS
from simulate.scenario.read import CORRELATION_KEYS, RISK_KEYS, SCENARIO_KEYS, TABLES

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
#: Bound on one example (validate + run), enforced by SIGALRM.
FUZZ_EXAMPLE_SECONDS = int(os.environ.get("FUZZ_EXAMPLE_SECONDS", "30"))

#: Stands for the sandbox's absolute path in generated names and paths, so that an
#: absolute name that a run wrongly uses as a folder still lands inside the sandbox.
SANDBOX = "@SANDBOX@"
#: The run's working folder, deep enough that up to three ".." stay in the sandbox.
CWD_PARTS = ("w1", "w2", "w3")

CATALOG = load_catalog()
ACCELERATORS = sorted(CATALOG)
INPUT_NODES = [name for name, node in NODES.items() if node.rule is None]
COMPUTED_NODES = [name for name, node in NODES.items() if node.rule is not None]

# --- a small TOML writer (the schema needs strings, numbers, booleans, lists, tables) ---


def _toml_string(text: str) -> str:
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    """One TOML value (inline tables for nested dicts)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        text = repr(value)
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_toml_string(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    raise TypeError(f"no TOML for {value!r}")


def toml_document(doc: dict[str, Any]) -> str:
    """A TOML file: top-level non-table values first, then one [table] per dict."""
    lines = [
        f"{_toml_string(k)} = {toml_value(v)}" for k, v in doc.items() if not isinstance(v, dict)
    ]
    for key, table in doc.items():
        if isinstance(table, dict):
            lines.append(f"\n[{_toml_string(key)}]")
            lines += [f"{_toml_string(k)} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


# --- values -----------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")
EXTREME_NUMBERS = [
    1e305, -1e305, 1.7976931348623157e308, 1e-300, 5e-324, -0.0, 0.0, -1.0, NAN, INF, -INF,
    0, 1, -1, 2**63 - 1, -(2**63), 10**30, 3,
]  # fmt: skip
WRONG_TYPES = ["nan", "inf", "-inf", "1e305", "", "x", True, [], [1, 2], {}, {"dist": "nope"}]
HOSTILE_NAMES = [
    "", ".", "..", "../x", "../../x", "../../../x", "a/b", "x\x00y", "é-ü 名前", "a" * 300,
    " ", ".hidden", "-rf", "reports", "a\nb", f"{SANDBOX}/victim", f"{SANDBOX}/w1",
    f"{SANDBOX}/fresh-abs", "fuzz.", "~",
]  # fmt: skip
VALID_NAMES = ["fuzz", "fuzz-1", "llama_3.1"]
PERCENTILE_LISTS = [[5, 50, 95], [50], [1, 99], [0.1, 99.9], [2.5, 50, 97.5]]
BAD_PERCENTILES = [[], [0], [100], [50, 50.0000001], [99.99999999], [-1], [NAN], ["50"], 50]


def rarely(draw, rate: int) -> bool:
    """True with probability about 1/rate; shrinks to False. (Hypothesis favours the ends
    and small values of a range, so the rare case is its middle value.)"""
    return draw(st.integers(0, rate - 1)) == rate // 2


def mutate(draw, valid: Any, rate: int = 12) -> Any:
    """``valid``, or with probability 1/rate (never if rate is 0) a hostile value."""
    if not rate or not rarely(draw, rate):
        return valid
    return draw(st.sampled_from(EXTREME_NUMBERS + WRONG_TYPES))


def pick(draw, valid: list[Any], hostile: list[Any], rate: int) -> Any:
    """One of ``valid``, or (only where rate > 0, then often) one of ``hostile``."""
    if rate and rarely(draw, 4):
        return draw(st.sampled_from(hostile))
    return draw(st.sampled_from(valid))


#: A plausible scale for each input node (value, whether a fraction in (0, 1]).
SCALES = {
    "n_params": 7e9, "n_tokens": 1e12, "flop_per_param_token": 6.0, "n_layers": 32,
    "d_model": 4096, "seq_len": 4096, "n_gpus": 512, "gpu_peak_flop_per_s": 9.89e14,
    "mfu": 0.4, "interruptions_per_gpu_hour": 1e-5, "restart_hours": 0.5,
    "checkpoint_interval_hours": 1.0, "checkpoint_write_hours": 0.02,
    "planned_interruptions_per_day": 0.9, "planned_downtime_hours": 0.5, "gpu_price_usd": 30000.0,
    "overhead_capex_ratio": 0.5, "gpu_tdp_w": 700.0, "server_power_ratio": 1.8,
    "average_power_fraction": 0.75, "pue": 1.1, "electricity_usd_per_kwh": 0.08,
    "hardware_life_years": 4.0, "rental_usd_per_gpu_hour": 2.0, "grid_kgco2_per_kwh": 0.4,
    "goodput": 0.9, "power_overhead_factor": 1.5, "train_flop": 4e22, "tco_usd": 3e7,
}  # fmt: skip


@st.composite
def distribution(draw, node: str, depth: int = 0, rate: int = 30) -> Any:
    """One value of ``inputs.<node>`` in any form parse() reads, mostly in the node's domain."""
    domain = NODES[node].domain
    v = float(SCALES.get(node, 1.0))
    if domain.whole:
        whole = int(v)
        form = pick(draw, ["number", "discrete", "empirical"], ["mixture", "bad"], rate)
        if form == "number":
            return mutate(draw, draw(st.sampled_from([whole, 1, 2 * whole])), rate)
        if form == "discrete":
            values = draw(
                st.lists(
                    st.sampled_from([1, whole, 2 * whole]), min_size=1, max_size=3, unique=True
                )
            )
            table: dict[str, Any] = {"dist": "discrete", "values": values}
            if draw(st.booleans()):
                table["weights"] = [mutate(draw, 1 / len(values), rate) for _ in values]
            return table
        if form == "empirical":
            return {"dist": "empirical", "values": [whole, whole, 2 * whole]}
        if form == "mixture" and depth < 2:
            return {
                "dist": "mixture",
                "components": [draw(distribution(node, depth + 1, rate)) for _ in range(2)],
                "weights": [mutate(draw, 0.5, rate), 0.5],
            }
        return {"dist": "uniform", "low": whole, "high": 2 * whole}  # fractions: refused
    fraction = domain.high == 1.0
    lo, hi = (0.8 * v, min(1.0, 1.2 * v)) if fraction else (0.8 * v, 1.25 * v)
    if domain.low >= 1.0:  # pue
        lo, hi = max(lo, 1.0), max(hi, 1.2)
    forms = [
        "number", "string", "uniform", "loguniform", "triangular", "pert", "normal",
        "truncnormal", "lognormal", "lognormal_p", "beta", "gamma", "discrete", "empirical",
        "empirical_file", "mixture", "metalog", "scipy", "percentiles", "interval", "value",
    ]  # fmt: skip
    form = draw(st.sampled_from(forms))
    m = lambda x: mutate(draw, x, rate)  # noqa: E731
    if form == "number":
        return m(v)
    if form == "string" and not (fraction or domain.low >= 1.0):
        return pick(
            draw,
            [f"{lo:g} to {hi:g}", f"{v:g}"],
            [f"{hi:g} to {lo:g}", "1e305 to 1e306", "1e-300 to 1e-299", "0 to 1", "nan to 1"],
            rate,
        )
    if form in ("uniform", "loguniform"):
        table = {"dist": form, "low": m(lo), "high": m(hi)}
    elif form in ("triangular", "pert"):
        table = {"dist": form, "low": m(lo), "mode": m(v), "high": m(hi)}
        if form == "pert" and draw(st.booleans()):
            table["lamb"] = m(4.0)
    elif form == "normal":
        table = {"dist": "normal", "mean": m(v), "sd": m(0.05 * v), "truncate": [lo, hi]}
    elif form == "truncnormal":
        table = {"dist": "truncnormal", "mean": m(v), "sd": m(0.1 * v), "low": m(lo), "high": hi}
    elif form == "lognormal":
        table = {"dist": "lognormal", "mu": m(math.log(v)), "sigma": m(0.1)}
    elif form == "lognormal_p":
        table = {"dist": "lognormal", "p5": m(lo), "p95": m(hi)}
    elif form == "beta":
        table = {"dist": "beta", "a": m(2.0), "b": m(3.0), "low": m(lo), "high": m(hi)}
    elif form == "gamma":
        table = {"dist": "gamma", "a": m(50.0), "scale": m(v / 50)}
    elif form == "discrete":
        values = draw(st.lists(st.sampled_from([lo, v, hi]), min_size=1, max_size=3, unique=True))
        table = {"dist": "discrete", "values": values}
        if draw(st.booleans()):  # a rare outcome: no spread at small draw counts
            rare = [m(1e-9) for _ in values[1:]]
            table["weights"] = [1 - 1e-9 * len(rare), *rare]
    elif form == "empirical":
        table = {"dist": "empirical", "values": [m(lo), v, hi]}
    elif form == "empirical_file":
        file = pick(
            draw,
            ["data.csv", f"{SANDBOX}/w1/w2/w3/data.csv"],
            ["binary.csv", "empty.csv", "nan.csv", "header.csv", "missing.csv", "sub", "/dev/null",
             5, ""],
            rate,
        )  # fmt: skip
        column = pick(draw, ["f" if fraction else "x"], ["y", "", 3], rate)
        table = {"dist": "empirical", "file": file, "column": column}
    elif form == "mixture":
        components = (
            [draw(distribution(node, depth + 1, rate)) for _ in range(2)] if depth < 2 else [v]
        )
        table = {
            "dist": "mixture",
            "components": components,
            "weights": [m(0.5) for _ in components],
        }
        if rarely(draw, 20):  # deep nesting
            for _ in range(draw(st.sampled_from([10, 60]))):
                table = {"dist": "mixture", "components": [table, v], "weights": [0.5, 0.5]}
    elif form == "metalog":
        table = {"dist": "metalog", "quantiles": [[0.1, m(lo)], [0.5, v], [0.9, m(hi)]]}
        if fraction:
            table |= {"low": 0.0, "high": 1.0}
        elif draw(st.booleans()):
            table["low"] = 0.0
    elif form == "scipy":
        family = pick(
            draw,
            ["scipy.weibull_min", "scipy.norm", "scipy.gamma"],
            ["scipy.nope", "scipy.__class__", "scipy.rv_continuous"],
            rate,
        )
        if family == "scipy.weibull_min":
            table = {"dist": family, "c": m(5.0), "scale": m(v)}
        elif family == "scipy.gamma":
            table = {"dist": family, "a": m(40.0), "scale": v / 40}
        else:
            table = {"dist": family, "loc": v, "scale": 0.01 * v}
        if fraction:
            table["truncate"] = [0.0, 1.0]
    elif form == "percentiles":
        family = draw(st.sampled_from(["normal", "lognormal", "gamma"] + ["beta"] * fraction))
        table = {"dist": family, "p10": m(lo), "p90": m(hi)}
        if family == "normal":
            table["truncate"] = [0.0, INF]
    elif form == "interval":
        table = {"interval": pick(draw, [f"{lo:g} to {hi:g}", [lo, hi]], [[hi], "x"], rate)}
        if draw(st.booleans()):
            table["credibility"] = m(0.8)
    elif form == "string":  # bounded nodes: an interval string, truncated into the domain
        table = {"value": f"{lo:g} to {hi:g}"}
    else:
        table = {"value": m(v)}
    if form in (
        "string",
        "normal",
        "lognormal",
        "lognormal_p",
        "gamma",
        "percentiles",
        "interval",
        "scipy",
        "metalog",
        "value",
        "mixture",
    ) and (fraction or domain.low >= 1.0):
        table["truncate"] = [domain.low, domain.high]  # unbounded families: into the domain
    if rarely(draw, 8) and form not in ("discrete", "empirical", "empirical_file"):
        table["truncate"] = pick(
            draw, [[lo, hi]], [[0.0, INF], [hi, lo], [1e305, INF], [lo], "x", [-INF, INF]], rate
        )
    if rate and rarely(draw, 12):
        table["bogus"] = 1
    table["source"] = 5 if rate and rarely(draw, 20) else "fuzz"
    return table


#: Inputs that come together (the parents of one computed node).
GROUPS = [
    ["n_layers", "d_model", "seq_len"],
    ["interruptions_per_gpu_hour", "restart_hours", "checkpoint_write_hours"],
    ["server_power_ratio", "average_power_fraction", "pue"],
]  # fmt: skip
BASE_INPUTS = ["n_params", "n_tokens", "n_gpus", "mfu", "gpu_price_usd", "overhead_capex_ratio",
               "power_overhead_factor", "electricity_usd_per_kwh"]  # fmt: skip
OPTIONAL_INPUTS = [n for n in INPUT_NODES if n not in BASE_INPUTS] + [
    "goodput", "power_overhead_factor", "train_flop", "tco_usd", "checkpoint_interval_hours"
]  # fmt: skip


@st.composite
def scenario(draw) -> dict[str, Any]:
    """A scenario document (dict of tables): clean, lightly or heavily mutated."""
    rate = draw(st.sampled_from([0, 60, 10]))  # 1/rate: chance of a hostile value per leaf
    head: dict[str, Any] = {
        "name": draw(st.sampled_from(VALID_NAMES))
        if not rarely(draw, 4)
        else draw(st.sampled_from(HOSTILE_NAMES)),
        "draws": mutate(
            draw,
            draw(st.sampled_from([1, 2, 7, 59] if rarely(draw, 6) else [64, 200, 2000])),
            rate=rate and 8,
        ),
        "seed": mutate(draw, draw(st.integers(0, 2**32)), rate),
    }
    if draw(st.booleans()):
        head["method"] = mutate(draw, draw(st.sampled_from(["random", "lhs", "sobol"])), rate)
    if draw(st.booleans()):
        head["percentiles"] = (
            draw(st.sampled_from(PERCENTILE_LISTS))
            if not (rate and rarely(draw, 6))
            else draw(st.sampled_from(BAD_PERCENTILES))
        )
    if rarely(draw, 4):
        head["views"] = draw(
            st.lists(st.sampled_from(list(VIEWS)), max_size=3)
            if not (rate and rarely(draw, 6))
            else st.sampled_from([[], "tco", [1], ["nope"]])
        )
    if rarely(draw, 6):
        head["notes"] = pick(draw, [["a note"]], ["not a list", [1]], rate)
        head["description"] = pick(draw, ["d", "x\x00y"], [5], rate)
    if rarely(draw, 5):
        head["compare_to"] = [
            {
                "node": pick(draw, COMPUTED_NODES, ["nope"], rate),
                "value": mutate(draw, 1e6, rate and 4),
                "source": pick(draw, ["paper"], ["", 3], rate),
            }
        ]
    doc: dict[str, Any] = {"scenario": head}

    cluster: dict[str, Any] = {}
    if not rarely(draw, 4):
        cluster["accelerator"] = (
            draw(st.sampled_from(ACCELERATORS))
            if not (rate and rarely(draw, 10))
            else draw(st.sampled_from(["nope", "", 5]))
        )
        if draw(st.booleans()):
            peaks = getattr(CATALOG.get(cluster["accelerator"]), "peak_flop_per_s", {})
            cluster["precision"] = draw(
                st.sampled_from(sorted(peaks) or ["bf16"])
                if not (rate and rarely(draw, 8))
                else st.sampled_from(["bf16", "fp16", "fp8", "fp4", 16])
            )
    doc["cluster"] = cluster

    inputs: dict[str, Any] = {}
    names = list(BASE_INPUTS)
    entry = CATALOG.get(cluster.get("accelerator")) if "accelerator" in cluster else None
    if entry is None or cluster.get("precision", "bf16") not in entry.peak_flop_per_s:
        names.append("gpu_peak_flop_per_s")
    if entry is None or entry.tdp_w is None:
        names.append("gpu_tdp_w")
    for extra in draw(st.lists(st.sampled_from(OPTIONAL_INPUTS), max_size=4, unique=True)):
        names += next((group for group in GROUPS if extra in group), [extra])
    dropped = draw(st.sampled_from(BASE_INPUTS)) if rate and rarely(draw, 12) else None
    for name in dict.fromkeys(names):
        if name != dropped:
            inputs[name] = draw(distribution(name, rate=rate))
    if rate and rarely(draw, 12):
        inputs[draw(st.sampled_from(["nope", "N_GPUS", "", "mfu "]))] = 1.0
    doc["inputs"] = inputs

    if not rarely(draw, 3):
        shorthands = zip(RISK_KEYS[:2], (30.0, 3e7), strict=True)
        doc["risk"] = {
            key: mutate(draw, value, rate) for key, value in shorthands if not rarely(draw, 4)
        }
        if rarely(draw, 3):  # [[risk.targets]]: any node, above or below, labelled
            doc["risk"]["targets"] = [
                {
                    "node": pick(
                        draw, ["gpu_hours", "co2_t", "rental_cost_usd", "mfu"], ["x"], rate
                    ),
                    "threshold": mutate(draw, draw(st.sampled_from([1.0, 1e4, 1e7])), rate),
                    "direction": pick(draw, ["above", "below"], ["up"], rate),
                    "label": pick(draw, ["cap", "floor", "a b"], ["", "--"], rate),
                }
                for _ in range(draw(st.integers(1, 3)))
            ]
    if rarely(draw, 4):
        continuous = ("uniform", "loguniform", "triangular", "pert", "lognormal", "beta", "gamma")
        uncertain = [
            n for n, v in inputs.items() if isinstance(v, dict) and v.get("dist") in continuous
        ]
        a, b = (uncertain + ["mfu", "gpu_price_usd"])[:2]
        form = draw(st.sampled_from(CORRELATION_KEYS[:2]))
        if form == "pairs":
            doc["correlations"] = {"pairs": [[a, b, mutate(draw, 0.5, rate=4)]]}
        else:
            matrix = draw(
                st.sampled_from(
                    [
                        [[1.0, 0.5], [0.5, 1.0]],
                        [[1.0, 0.5], [0.5]],
                        [[1.0, 0.99], [-0.99, 1.0]],
                        [[1.0, 2.0], [2.0, 1.0]],
                        [[1.0]],
                        [],
                        [[1.0, NAN], [NAN, 1.0]],
                    ]
                )
            )
            doc["correlations"] = {"names": [a, b], "matrix": matrix}
    if rarely(draw, 6):  # rent or buy
        pairs = [["amortized_cost_usd", "rental_cost_usd"], ["tco_usd", "rental_cost_usd"]]
        doc["decision"] = {"options": pick(draw, pairs, [["tco_usd"], ["x", "y"], "tco"], rate)}
    if rarely(draw, 8):  # a run in progress
        doc["progress"] = {
            "elapsed_days": mutate(draw, draw(st.sampled_from([2.0, 20.0])), rate),
            "tokens_done": mutate(draw, draw(st.sampled_from([0.1, 0.5])), rate),
        }
        if rarely(draw, 2):
            doc["progress"]["interruptions"] = pick(draw, [0, 12], [-1, 2.5, "x"], rate)
    if rarely(draw, 8):  # a plan variant
        name = pick(draw, ["more-gpus", "low_mfu"], ["a.b", "", "../x", "-"], rate)
        field = pick(draw, ["n_gpus", "mfu", "deadline_days"], ["draws", "nope", "variants"], rate)
        doc["variants"] = {name: {field: mutate(draw, 0.4 if field == "mfu" else 1024, rate)}}
    mutation = draw(st.integers(0, 3)) if rate and rarely(draw, 5) else None
    if mutation == 0:
        doc["bogus"] = {"x": 1}
    elif mutation == 1:
        doc[draw(st.sampled_from(list(TABLES)))] = {}
    elif mutation == 2:
        doc["scenario"]["bogus"] = 1
    elif mutation == 3:
        doc[draw(st.sampled_from(list(TABLES)))] = draw(st.sampled_from([5, "x", [1]]))
    return doc


#: Valid ``--set`` values of the scenario fields, by name.
FIELD_VALUES = {
    "name": VALID_NAMES, "draws": [64, 500], "seed": [7], "method": ["lhs", "sobol"],
    "percentiles": [[10, 90]], "notes": [["a note"]], "description": ["d"],
    "views": [["tco", "co2"]], "deadline_days": [45.0], "budget_usd": [1e8],
    "accelerator": ACCELERATORS, "precision": ["bf16"],
}  # fmt: skip
assert set(FIELD_VALUES) <= {*SCENARIO_KEYS, *RISK_KEYS, "accelerator", "precision"}
DOTTED = ["inputs.mfu", "scenario.draws", "risk.budget_usd", "inputs.n_gpus", "scenario.seed"]


@st.composite
def overrides(draw) -> list[str]:
    """``--set NAME=VALUE`` items: inputs, scenario fields, dotted paths, hostile values."""
    rate = draw(st.sampled_from([0, 6]))
    items = []
    for _ in range(draw(st.integers(0, 2))):
        kind = pick(draw, ["input", "field", "dotted"], ["name", "raw"], rate)
        if kind == "input":
            node = draw(st.sampled_from(INPUT_NODES))
            items.append(f"{node}={toml_value(draw(distribution(node, rate=rate)))}")
        elif kind == "field":
            key = draw(st.sampled_from(sorted(FIELD_VALUES)))
            value = mutate(draw, draw(st.sampled_from(FIELD_VALUES[key])), rate)
            items.append(f"{key}={toml_value(value)}")
        elif kind == "name":
            items.append(f"name={draw(st.sampled_from(HOSTILE_NAMES))}")
        elif kind == "dotted":
            hostile = ["a.b.c", "inputs..x", "scenario", "inputs.mfu.x.y", "inputs.mfu.high"]
            path = pick(draw, DOTTED, hostile, rate)
            value = 0.45 if path.startswith("inputs.mfu") else 64
            items.append(f"{path}={toml_value(mutate(draw, value, rate))}")
        else:
            raw = ["=1", "mfu", "nope=1", "mfu=", "mfu=[1,", "draws=1e3", "seed=-1", "mfu=1e-300"]
            items.append(draw(st.sampled_from(raw)))
    return items


@st.composite
def command(draw) -> dict[str, Any]:
    """The command, its options and where the report goes."""
    which = draw(st.sampled_from(["run"] * 8 + ["sensitivity", "compare"]))
    options: list[str] = []
    if rarely(draw, 4):
        options += ["--draws", str(draw(st.sampled_from([64, 500, 1, 0, -5, 59])))]
    if rarely(draw, 6):
        options += ["--seed", str(draw(st.sampled_from([0, 7, -1, 2**64])))]
    if which == "run" and rarely(draw, 4):
        chunk = draw(st.sampled_from([1, 2, 50, 1000, 0, -1]))
        options += ["--chunk-draws", str(chunk)]
        if chunk in (1, 2) and "--draws" not in options:  # a chunk costs ~10 ms: bound the count
            options += ["--draws", str(draw(st.sampled_from([2, 16, 100])))]
    if which == "sensitivity":
        options += ["--analysis", draw(st.sampled_from(["rank", "sobol", "shapley"]))]
        if rarely(draw, 4):  # the sampling design (the old meaning of --method is refused)
            options += ["--method", draw(st.sampled_from(["random", "sobol", "rank"]))]
        options += ["--sobol-draws", str(draw(st.sampled_from([64, 128, 0, -1, 1])))]
        if draw(st.booleans()):
            options += ["--output", draw(st.sampled_from(["energy_mwh", "nope", "tco_usd"]))]
    out = draw(st.sampled_from(["fresh"] * 6 + ["default"] * 3 + ["victim", "dot", "reports"]))
    force = rarely(draw, 4)
    return {"which": which, "options": options, "out": out, "force": force}


# --- the sandbox and the property ---------------------------------------------------------

VICTIM_FILES = {
    "w1/keep.txt": b"outside the reports\n",
    "victim/keep.txt": b"a folder that is not a report\n",
    "w1/w2/w3/precious.txt": b"a source file beside the scenario\n",
    "w1/w2/w3/reports/other/summary.json": b"{}\n",
    "w1/w2/w3/reports/other/report.md": b"another scenario's report\n",
    "w1/w2/w3/data.csv": b"x,f,y\n1,0.3,2\n1.5,0.4,2\n2,0.5,2\n",
    "w1/w2/w3/binary.csv": bytes(range(256)) * 4,
    "w1/w2/w3/empty.csv": b"",
    "w1/w2/w3/nan.csv": b"x\nnan\ninf\n1\n",
    "w1/w2/w3/header.csv": b"x\n",
    "w1/w2/w3/sub/keep.txt": b"a folder named like a CSV file\n",
}


def _resolve(value: Any, sandbox: str) -> Any:
    """Replace the sandbox placeholder in every string of a document."""
    if isinstance(value, str):
        return value.replace(SANDBOX, sandbox)
    if isinstance(value, list):
        return [_resolve(v, sandbox) for v in value]
    if isinstance(value, dict):
        return {_resolve(k, sandbox): _resolve(v, sandbox) for k, v in value.items()}
    return value


def _snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under root: relative path -> content hash (or 'dir')."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = "dir"
        for f in filenames:
            path = os.path.join(dirpath, f)
            with open(path, "rb") as handle:
                out[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
    return out


class _Timeout(BaseException):
    """One example ran past FUZZ_EXAMPLE_SECONDS (a hang)."""


def _on_alarm(signum, frame):
    raise _Timeout(f"example ran past {FUZZ_EXAMPLE_SECONDS} s")


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"summary.json holds {constant}")

    return json.loads(text, parse_constant=refuse)


def _call(argv: list[str]) -> tuple[int, str, str]:
    """main(argv) in-process: (exit status, stdout, stderr); an exception is a failure."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse: usage errors
            code = exit_.code if isinstance(exit_.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def _check(doc, sets, cmd, sandbox: Path) -> None:
    cwd = sandbox.joinpath(*CWD_PARTS)
    for rel, content in VICTIM_FILES.items():
        (sandbox / rel).parent.mkdir(parents=True, exist_ok=True)
        (sandbox / rel).write_bytes(content)
    scenario_file = cwd / "scenario.toml"
    scenario_file.write_text(toml_document(_resolve(doc, str(sandbox))), encoding="utf-8")
    sets = [_resolve(item, str(sandbox)) for item in sets]
    set_args = [arg for item in sets for arg in ("--set", item)]
    configs = [str(scenario_file)]
    if cmd["which"] == "compare":
        base = cwd / "base.toml"
        base.write_text(
            toml_document(
                {"scenario": {"name": "base", "draws": 200}, "inputs": dict(MINIMAL_INPUTS)}
            )
        )
        configs.append(str(base))
    out_dir = {
        "fresh": sandbox / "out",
        "default": None,
        "victim": sandbox / "victim",
        "dot": Path("."),
        "reports": Path("reports"),
    }[cmd["out"]]
    argv = [cmd["which"], *configs, *set_args, *cmd["options"], "--no-plots", "--quiet"]
    if out_dir is not None:
        argv += ["--out", str(out_dir)]
    if cmd["force"]:
        argv.append("--force")

    before = _snapshot(sandbox)
    old_cwd = os.getcwd()
    os.chdir(cwd)
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(FUZZ_EXAMPLE_SECONDS)
    started = time.perf_counter()
    try:
        validated = None
        if cmd["which"] != "compare":
            code, _, err = _call(
                ["validate", str(scenario_file), *set_args, *_scenario_options(cmd["options"])]
            )
            assert code in (0, 2), f"validate exited {code}: {err!r}"
            if code == 2:
                assert _one_error_line(err), f"validate's refusal is not one 'error:' line: {err!r}"
            validated = code == 0
            assert _snapshot(sandbox) == before, "validate changed the sandbox"
        code, _, err = _call(argv)
    except _Timeout as error:
        raise AssertionError(f"hang: {error}") from None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        os.chdir(old_cwd)
    seconds = time.perf_counter() - started
    event(f"{cmd['which']} exit {code}" + (", validate ok" if validated else ""))
    after = _snapshot(sandbox)
    changed = sorted(p for p in before if after.get(p) != before[p])
    created = sorted(set(after) - set(before))

    assert code in (0, 2), f"exit {code} (want 0 or 2); stderr: {err!r}"
    assert not (validated is False and code == 0), "validate refused, run wrote a report"
    if code == 2:
        assert _one_error_line(err), f"exit 2 but stderr is not one 'error:' line: {err!r}"
        assert not changed and not created, (
            f"refused ({err.strip()!r}) yet changed {changed[:5]} and created {created[:5]}"
        )
        if validated and cmd["which"] != "compare":
            # an option refused by the parser or the run (after the file's name, where the
            # option is checked against the scenario: --output NODE): never the scenario itself
            assert re.match(r"error: (\S+: )?(--|python -m simulate )", err), (
                f"validate said ok, run refused the scenario: {err.strip()!r}"
            )
        return
    assert err == "", f"exit 0 with stderr under --quiet: {err!r}"
    reports = sorted({str(Path(p).parent) for p in created if Path(p).name == "summary.json"})
    if out_dir is None:
        expected_parent = os.path.join(*CWD_PARTS, "reports")
        assert len(reports) == 1 and str(Path(reports[0]).parent) == expected_parent, (
            f"default report folder not a direct child of reports/: {reports} (sets {sets})"
        )
        assert not Path(reports[0]).name.startswith("."), f"hidden report folder {reports}"
    else:
        expected = os.path.relpath(out_dir if out_dir.is_absolute() else cwd / out_dir, sandbox)
        assert reports == [os.path.normpath(expected)], f"report in {reports}, want {expected}"
    report = sandbox / reports[0]
    assert not changed, f"exit 0 but changed or removed {changed[:5]} (report {reports[0]})"
    stray = [p for p in created if not (p == reports[0] or p.startswith(reports[0] + os.sep))]
    assert not stray, f"files outside the report folder {reports[0]}: {stray[:5]}"
    summary = _strict_json((report / "summary.json").read_text(encoding="utf-8"))
    assert isinstance(summary, dict)
    assert (report / "report.md").is_file()
    assert seconds < FUZZ_EXAMPLE_SECONDS


def _one_error_line(err: str) -> bool:
    """One 'error:' line, last; before it only the scenario's own 'warning:' lines (a load
    warning, e.g. an unbalanced Sobol' count, is printed before the run, whose refusal may
    come later, e.g. from the [progress] update)."""
    *before, last = err.splitlines() or [""]
    return (
        err.endswith("\n")
        and last.startswith("error: ")
        and all(line.startswith("warning: ") for line in before)
    )


def _scenario_options(options: list[str]) -> list[str]:
    """The options of ``run`` that validate takes too (--draws, --seed)."""
    out = []
    for flag, value in zip(options[::2], options[1::2], strict=True):
        if flag in ("--draws", "--seed"):
            out += [flag, value]
    return out


MINIMAL_INPUTS = {
    "n_params": 7e9, "n_tokens": 1e12, "n_gpus": 512,
    "mfu": {"dist": "pert", "low": 0.3, "mode": 0.4, "high": 0.5},
    "gpu_price_usd": 30000.0, "overhead_capex_ratio": 0.5, "power_overhead_factor": 1.5,
    "electricity_usd_per_kwh": 0.08, "gpu_peak_flop_per_s": 9.89e14, "gpu_tdp_w": 700.0,
}  # fmt: skip


def test_toml_writer_round_trips():
    """The writer's output reads back as the document (tomllib), hostile strings included."""
    import tomllib

    doc = {
        "scenario": {"name": 'x\x00y\n"\\é名', "draws": -(2**63), "percentiles": [0.1, -0.0]},
        "inputs": {"mfu": {"dist": "mixture", "components": [1e305, {"value": 5e-324}]}},
        "top": [1, "a", [2.5]],
    }
    back = tomllib.loads(toml_document(doc))
    assert back == doc
    assert math.copysign(1.0, back["scenario"]["percentiles"][1]) == -1.0
    assert math.isnan(tomllib.loads(toml_document({"t": {"v": NAN}}))["t"]["v"])


@pytest.mark.filterwarnings("ignore")
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,  # the bound is FUZZ_EXAMPLE_SECONDS, by SIGALRM
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(doc=scenario(), sets=overrides(), cmd=command())
def test_cli_never_crashes_never_writes_on_refusal(doc, sets, cmd):
    """Exit 0 with a valid report, or exit 2 with one line and nothing touched."""
    sandbox = Path(tempfile.mkdtemp(prefix="fuzz-cli-"))
    try:
        _check(doc, sets, cmd, sandbox)
    finally:
        shutil.rmtree(sandbox, ignore_errors=True)
