"""``[risk]`` as a list of targets: any node, above or below a threshold, with a label.

References are independent of the code under test: the probability is a plain count of
the run's draws (numpy), its interval is scipy's Wilson interval (``binomtest``).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

import simulate
from simulate.cli import main
from simulate.engine.chunked import run_chunked
from simulate.report.summary import build_summary
from simulate.scenario.config import ConfigError
from tests.conftest import MINIMAL

TARGETS = """
[[risk.targets]]
node = "gpu_hours"
threshold = 28000
direction = "below"
label = "floor"

[[risk.targets]]
node = "energy_cost_usd"
threshold = 2600
label = "energy budget"
"""


def _scenario(write_config, extra: str = TARGETS):
    return simulate.load_scenario(write_config(MINIMAL + extra))


def test_targets_parse_with_the_shorthands_first(write_config):
    scenario = _scenario(write_config)
    keys = [t.key for t in scenario.risk_targets]
    assert (
        keys
        == [
            "train_days_over_deadline",
            "tco_usd_over_budget",
            "gpu_hours_under_floor",
            "energy_cost_usd_over_energy_budget",
        ][-len(keys) :]
    )
    assert {t.direction for t in scenario.risk_targets} == {"above", "below"}


def test_miss_probability_is_the_count_with_wilsons_interval(write_config):
    scenario = _scenario(write_config)
    ds = simulate.run(scenario)
    summary = build_summary(ds, scenario)
    for target in scenario.risk_targets:
        values = ds[target.node].values
        side = (
            values < target.threshold if target.direction == "below" else values > target.threshold
        )
        count = int(side.sum())
        entry = summary["risk"][target.key]
        assert entry["draws_missing"] == count and entry["draws"] == values.size
        assert entry["probability"] == count / values.size
        ci = stats.binomtest(count, values.size).proportion_ci(method="wilson")
        assert entry["ci95"] == pytest.approx([ci.low, ci.high], abs=1e-15)
        assert entry["node"] == target.node and entry["label"] == target.label
    # the "below" target is not a complement of an "above" one: both sides are strict
    floor = summary["risk"]["gpu_hours_under_floor"]
    assert 0 < floor["probability"] < 1


def test_chunked_counts_equal_the_in_memory_counts(write_config):
    scenario = _scenario(write_config)
    memory = build_summary(simulate.run(scenario), scenario)["risk"]
    chunked = build_summary(run_chunked(scenario, chunk_draws=300, workers=2), scenario)["risk"]
    assert chunked == memory


def test_report_states_each_target(write_config, tmp_path):
    config = str(write_config(MINIMAL + TARGETS))
    out = tmp_path / "r"
    assert main(["run", config, "--out", str(out), "--no-plots", "--quiet"]) == 0
    text = (out / "report.md").read_text()
    assert "- P(gpu_hours < floor 28,000 GPU·h): 32.4% (95% CI 30.3% to 34.5%; 647 of 2,000" in text
    assert "P(gpu_hours < 2.8e+04) as drawn: " in text  # the risk drivers
    assert "P(energy_cost_usd > energy budget" in text
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["risk"]) >= {"gpu_hours_under_floor", "energy_cost_usd_over_energy_budget"}


def test_a_budget_on_the_rental_cost(write_config):
    extra = """
[[risk.targets]]
node = "rental_cost_usd"
threshold = 74000
label = "rental budget"
"""
    text = MINIMAL.replace("seed = 1\n", 'seed = 1\nviews = ["rental"]\n') + extra
    text = text.replace("budget_usd = 3e7\n", "")  # a budget on tco_usd, a view left out
    text = text.replace("[inputs]\n", "[inputs]\nrental_usd_per_gpu_hour = 2.5\n")
    scenario = simulate.load_scenario(write_config(text))
    ds = simulate.run(scenario)
    entry = build_summary(ds, scenario)["risk"]["rental_cost_usd_over_rental_budget"]
    assert entry["draws_missing"] == int(np.count_nonzero(ds["rental_cost_usd"].values > 74000))
    assert 0 < entry["probability"] < 1


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('node = "nope"\nthreshold = 1', r"risk.targets\[0\].node: must name a node"),
        ('node = "gpu_hours"\nthreshold = "x"', r"risk.targets\[0\].threshold: must be a finite"),
        ('node = "gpu_hours"\nthreshold = nan', r"risk.targets\[0\].threshold: must be a finite"),
        (
            'node = "gpu_hours"\nthreshold = 1\ndirection = "sideways"',
            r"risk.targets\[0\].direction: must be above or below; got 'sideways'",
        ),
        ('node = "gpu_hours"\nthreshold = 1\nlabel = "--"', r"risk.targets\[0\].label: must be"),
        ('node = "gpu_hours"\nthreshold = 1\ncolour = 1', r"risk.targets\[0\].colour: unknown"),
        (
            'node = "train_days"\nthreshold = 1\nlabel = "deadline"',
            r"risk.targets\[0\]: same node, direction and label as risk.deadline_days",
        ),
    ],
)
def test_bad_targets_are_one_line(write_config, table, message):
    with pytest.raises(ConfigError, match=message):
        simulate.load_scenario(write_config(MINIMAL + "\n[[risk.targets]]\n" + table + "\n"))


def test_a_target_on_a_node_the_scenario_cannot_compute(write_config):
    no_catalog = MINIMAL.replace('[cluster]\naccelerator = "H100-SXM"\n', "").replace(
        "[inputs]\n", "[inputs]\ngpu_peak_flop_per_s = 989e12\ngpu_tdp_w = 700\n"
    )
    text = no_catalog + '\n[[risk.targets]]\nnode = "rental_cost_usd"\nthreshold = 1\n'
    with pytest.raises(
        ConfigError,
        match=r"risk.targets\[0\]: this scenario does not compute rental_cost_usd; it needs "
        r"rental_usd_per_gpu_hour \(",
    ):
        simulate.load_scenario(write_config(text))
