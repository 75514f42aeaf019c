"""The answer a planner reads first (issue 13, items 1 and 2): per-run costs side by side,
a budget on any cost view, and thresholds the priors cannot reach reported as such.

References are independent of the code under test: counts of the run's draws (numpy), the
Wilson (1927) interval written out from its formula, the reachable train_days of the
default scenario derived by hand from the Llama 3 paper's figures.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

import simulate
from simulate.cli import main
from simulate.model.chain import NODES, node_ranges
from simulate.report.summary import build_summary
from simulate.report.units import format_probability
from simulate.scenario.config import ConfigError
from tests.conftest import CONFIGS, MINIMAL

DEFAULT = str(CONFIGS / "llama-3.1-405b.toml")
Z = stats.norm.ppf(0.975)

# The default scenario by hand: C = 6 N D = 6 x 405e9 x 15.6e12 FLOP on 16,384 H100 at the
# dense BF16 peak 989.4 TFLOP/s: ideal days = C / (16,384 x 989.4e12 x 86,400) = 27.066.
IDEAL_DAYS = 6 * 405e9 * 15.6e12 / (16_384 * 989.4e12 * 86_400)
# Longest run: the lowest MFU (uniform 0.38-0.43) and the lowest goodput (PERT 0.80-0.97).
LONGEST_DAYS = IDEAL_DAYS / (0.38 * 0.80)
# Shortest run: the highest of each.
SHORTEST_DAYS = IDEAL_DAYS / (0.43 * 0.97)
# The draws reach within a hair of those ends: the sampler's extreme uniforms are 2^-54
# and 1 - 2^-53, and the PERT(0.80, 0.90, 0.97) is Beta(a, b) with a = 1 + 4 x 0.10 / 0.17
# = 3.35, b = 1 + 4 x 0.07 / 0.17 = 2.65 scaled to 0.17: its quantile at 2^-54 lies about
# 0.17 x (2^-54 x a x B(a, b))^(1/a) ~ 2e-6 above 0.80, a relative 3e-6 on the days.
END_RTOL = 1e-5


def _wilson(count: int, n: int) -> tuple[float, float]:
    """Wilson's score interval, from its formula (Wilson 1927; Brown, Cai & DasGupta 2001)."""
    p = count / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    return centre - half, centre + half


# ---- item 1: the answer leads with per-run costs; a budget on any cost view ----


def test_default_answer_leads_with_per_run_costs(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["run", DEFAULT, "--draws", "2000", "--out", str(out), "--no-plots"]) == 0
    printed = capsys.readouterr().out.splitlines()
    summary = json.loads((out / "summary.json").read_text())
    nodes = [row["node"] for row in summary["answer"]]
    assert nodes == ["amortized_cost_usd", "rental_cost_usd", "tco_usd", "train_days", "gpu_hours"]
    for row in summary["answer"]:
        assert row["percentiles"] == summary["variables"][row["node"]]["percentiles"]
        assert set(row["percentiles"]) == {"p5", "p50", "p95"}
    tco = summary["answer"][2]
    assert tco["label"] == "the article's TCO"
    assert tco["definition"].startswith("cluster purchase + this run's energy")
    # terminal: the first rows of the table are the answer's, in order
    assert [line.split()[0] for line in printed[2:7]] == nodes
    # report.md: the answer table's first row is the amortized cost, and the risk follows
    text = (out / "report.md").read_text()
    answer = text.split("## Answer", 1)[1].split("## Cost views", 1)[0]
    rows = [line for line in answer.splitlines() if line.startswith("| **")]
    assert rows[0].startswith("| **amortized capital + energy** | amortized_cost_usd | M$ |")
    assert "the article's TCO** | tco_usd" in rows[2]
    assert "P(amortized_cost_usd > budget 80 M$): " in answer


def _count_check(ds, entry, node, threshold):
    count = int(np.count_nonzero(ds[node].values > threshold))
    assert entry["draws_missing"] == count and entry["draws"] == ds.sizes["draw"]
    assert entry["ci95"] == pytest.approx(_wilson(count, ds.sizes["draw"]), abs=1e-12)
    assert 0 < count < ds.sizes["draw"]


def test_budget_on_amortized_cost_from_the_file(write_config):
    # MINIMAL's capital: 512 GPUs x 30,000 USD x 1.5 = 23.04 M$; amortized over 3 years
    # (1,095.75 days) for a run of about 2.4 days it is 23.04e6 x 2.4 / 1,095.75 = 50.5 k$,
    # plus about 2 k$ of energy: a 55 k$ budget falls inside the distribution.
    text = MINIMAL.replace(
        "budget_usd = 3e7", 'budget_usd = 5.5e4\nbudget_node = "amortized_cost_usd"'
    )
    scenario = simulate.load_scenario(write_config(text))
    assert scenario.budget_node == "amortized_cost_usd"
    ds = simulate.run(scenario)
    summary = build_summary(ds, scenario)
    assert "tco_usd_over_budget" not in summary["risk"]
    _count_check(ds, summary["risk"]["amortized_cost_usd_over_budget"], "amortized_cost_usd", 5.5e4)


def test_budget_on_rental_cost_from_set(write_config, tmp_path):
    config = str(write_config(MINIMAL))
    out = tmp_path / "r"
    # 29,400 GPU-hours (P50) x 2.5 USD = 73.4 k$: a 75 k$ budget falls inside
    sets = ["budget_node=rental_cost_usd", "budget_usd=7.5e4", "rental_usd_per_gpu_hour=2.5"]
    argv = ["run", config, "--out", str(out), "--no-plots", "--quiet"]
    for item in sets:
        argv += ["--set", item]
    assert main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    scenario = simulate.load_scenario(config, sets)
    ds = simulate.run(scenario)
    assert set(summary["risk"]) == {"train_days_over_deadline", "rental_cost_usd_over_budget"}
    entry = summary["risk"]["rental_cost_usd_over_budget"]
    _count_check(ds, entry, "rental_cost_usd", 7.5e4)
    assert "P(rental_cost_usd > budget $75,000): " in (out / "report.md").read_text()


def test_rental_only_views_with_a_budget_are_refused_until_it_names_its_node(write_config):
    text = MINIMAL.replace("seed = 1\n", 'seed = 1\nviews = ["rental"]\n')
    with pytest.raises(
        ConfigError,
        match=r"risk.budget_usd: sits on tco_usd unless risk.budget_node says otherwise, and "
        r"views = \['rental'\] leave out tco; give risk.budget_node \(rental_cost_usd\)",
    ):
        simulate.load_scenario(write_config(text))
    scenario = simulate.load_scenario(write_config(text), ["budget_node=rental_cost_usd"])
    assert [t.key for t in scenario.risk_targets] == [
        "train_days_over_deadline",
        "rental_cost_usd_over_budget",
    ]
    summary = build_summary(simulate.run(scenario), scenario)
    assert [row["node"] for row in summary["answer"]] == [
        "rental_cost_usd",
        "train_days",
        "gpu_hours",
    ]


NO_CATALOG = (
    MINIMAL.replace('[cluster]\naccelerator = "H100-SXM"\n', "")
    .replace("[inputs]\n", "[inputs]\ngpu_peak_flop_per_s = 989.4e12\ngpu_tdp_w = 700\n")
    .replace("budget_usd = 3e7", 'budget_usd = 3e7\nbudget_node = "rental_cost_usd"')
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            NO_CATALOG,
            r"scenario.toml: risk.budget_node: this scenario does not compute rental_cost_usd; "
            r"it needs rental_usd_per_gpu_hour",
        ),
        (
            MINIMAL.replace("budget_usd = 3e7", 'budget_usd = 3e7\nbudget_node = "train_days"'),
            r"risk.budget_node: must name a cost node in USD \(.*amortized_cost_usd.*\); "
            r"got 'train_days'",
        ),
        (
            MINIMAL.replace("budget_usd = 3e7", 'budget_node = "amortized_cost_usd"'),
            r"risk.budget_node: names the node of risk.budget_usd, which is not given",
        ),
    ],
)
def test_bad_budget_nodes_are_one_line(write_config, text, message):
    with pytest.raises(ConfigError, match=message):
        simulate.load_scenario(write_config(text))


def test_bad_budget_node_from_the_cli_exits_2(write_config, capsys):
    config = str(write_config(MINIMAL))
    assert main(["validate", config, "--set", "budget_node=co2_t"]) == 2
    err = capsys.readouterr().err
    assert "risk.budget_node: must name a cost node in USD" in err and "Traceback" not in err


# ---- item 2: thresholds outside what the priors can reach ----


def test_deadline_above_the_longest_reachable_run_is_impossible(tmp_path, capsys):
    assert LONGEST_DAYS == pytest.approx(89.03, abs=0.005)  # the 27.066 / (0.38 x 0.80)
    out = tmp_path / "r"
    assert main(["run", DEFAULT, "--draws", "2000", "--out", str(out), "--no-plots"]) == 0
    printed = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    entry = summary["risk"]["train_days_over_deadline"]
    assert entry["status"] == "impossible" and entry["draws_missing"] == 0
    low, high = entry["reachable"]
    assert high == pytest.approx(LONGEST_DAYS, rel=END_RTOL) and high <= LONGEST_DAYS
    assert low == pytest.approx(SHORTEST_DAYS, rel=END_RTOL) and low >= SHORTEST_DAYS
    line = (
        "P(train_days > deadline 90 days): impossible under these priors: train_days lies "
        "between 64.89 days and 89.03 days (0 of 2,000 draws)"
    )
    assert line in printed
    assert f"- {line}" in (out / "report.md").read_text()
    assert summary["schema_version"] == 3


def test_deadline_below_the_shortest_reachable_run_is_certain(tmp_path, capsys):
    assert SHORTEST_DAYS == pytest.approx(64.89, abs=0.005)  # 27.066 / (0.43 x 0.97)
    out = tmp_path / "r"
    argv = ["run", DEFAULT, "--draws", "500", "--out", str(out), "--no-plots"]
    assert main([*argv, "--set", "deadline_days=64"]) == 0
    printed = capsys.readouterr().out
    entry = json.loads((out / "summary.json").read_text())["risk"]["train_days_over_deadline"]
    assert entry["status"] == "certain" and entry["draws_missing"] == 500
    assert "P(train_days > deadline 64 days): certain under these priors" in printed
    assert "certain under these priors" in (out / "report.md").read_text()


def test_a_reachable_deadline_stays_an_estimate():
    scenario = simulate.load_scenario(DEFAULT, ["deadline_days=75"], draws=2000)
    ds = simulate.run(scenario)
    entry = build_summary(ds, scenario)["risk"]["train_days_over_deadline"]
    assert entry["status"] == "estimate"
    assert entry["draws_missing"] == int(np.count_nonzero(ds["train_days"].values > 75))


def test_a_threshold_at_the_reachable_end_cannot_be_crossed(write_config):
    # A target is missed strictly beyond its threshold: "below 0.3" of an MFU that reaches
    # down to 0.3 exactly (PERT's lower end) is impossible, "below" a value inside is not.
    targets = '\n[[risk.targets]]\nnode = "mfu"\nthreshold = {t}\ndirection = "below"\n'
    for threshold, status in ((0.3, "impossible"), (0.31, "estimate")):
        scenario = simulate.load_scenario(write_config(MINIMAL + targets.format(t=threshold)))
        entry = build_summary(simulate.run(scenario), scenario)["risk"]["mfu_under_threshold"]
        assert entry["status"] == status


def test_node_ranges_hold_every_value_the_chain_can_reach():
    # Each input uniform over its range; every node's value at random points of that box
    # (computed by the chain, draw by draw) lies inside the range node_ranges propagates.
    scenario = simulate.load_scenario(DEFAULT)
    from simulate.scenario.inputs import reachable_ranges

    ranges = reachable_ranges(scenario.inputs)
    rng = np.random.default_rng(13)
    points = {
        name: rng.uniform(*ranges[name], 20_000)
        if ranges[name][0] < ranges[name][1]
        else ranges[name][0]
        for name in scenario.inputs
    }
    values = simulate.evaluate(points)
    for name, value in values.items():
        low, high = ranges[name]
        assert np.all(np.asarray(value) >= low * (1 - 1e-12)), name
        assert np.all(np.asarray(value) <= high * (1 + 1e-12)), name
    # and the ends of a monotone rule are exact: 12 · L · d · T at the corners
    r = node_ranges({"n_layers": (1, 2), "d_model": (3, 5), "seq_len": (7, 11)})
    assert r["attention_flop_per_token"] == (12 * 1 * 3 * 7, 12 * 2 * 5 * 11)
    assert set(r) <= set(NODES)


# ---- every probability shows a nonzero bound ----


def test_zero_of_n_prints_the_wilson_upper_bound_never_zero():
    n = 100_000
    upper = Z**2 / (n + Z**2)  # Wilson's upper bound at 0 of n: (z^2/n) / (1 + z^2/n)
    assert 100 * upper == pytest.approx(0.0038414, rel=1e-4)  # 0.0038%, up to 0.004%
    low, high = _wilson(0, n)
    assert high == pytest.approx(upper, rel=1e-12)
    assert format_probability(0, n, low, high) == "0 of 100,000 draws; < 0.004%"
    low, high = _wilson(n, n)  # all draws: the lower bound 1 - 0.0038%, down to 99.996%
    assert format_probability(n, n, low, high) == "100,000 of 100,000 draws; > 99.996%"


@pytest.mark.parametrize(("count", "n"), [(1, 10**6), (3, 10**5), (50_240, 10**5), (999, 1000)])
def test_interval_bounds_round_outward_and_stay_off_zero(count, n):
    low, high = _wilson(count, n)
    text = format_probability(count, n, low, high)
    shown = text.split("95% CI ", 1)[1].split(";", 1)[0]
    shown_low, shown_high = (float(x.rstrip("%")) / 100 for x in shown.split(" to "))
    assert 0 < shown_low <= low and high <= shown_high < 1
    assert text.endswith(f"; {count:,} of {n:,} draws)")
    assert format_probability(50_240, 10**5, *_wilson(50_240, 10**5)) == (
        "50.24% (95% CI 49.93% to 50.55%; 50,240 of 100,000 draws)"
    )


def test_compare_tables_say_impossible_and_print_intervals(write_config, tmp_path, capsys):
    # MINIMAL's run lasts about 2.4 days: a 30-day deadline cannot be missed; 2.4 days can
    far = write_config(MINIMAL.replace('name = "minimal"', 'name = "far"'), name="far.toml")
    near = MINIMAL.replace('name = "minimal"', 'name = "near"').replace(
        "deadline_days = 30", "deadline_days = 2.4"
    )
    near = write_config(near, name="near.toml")
    out = tmp_path / "c"
    argv = ["compare", str(far), str(near), "--draws", "400", "--out", str(out), "--no-plots"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    (row,) = [line for line in printed.splitlines() if line.startswith("P(train_days > ")]
    assert "impossible under these priors" in row and "95% CI" in row
    text = (out / "report.md").read_text()
    (row,) = [line for line in text.splitlines() if line.startswith("| P(train_days > ")]
    assert "| impossible under these priors |" in row and "of 400 draws)" in row
