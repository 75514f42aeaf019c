"""Risk drivers by Monte Carlo filtering, the indicator index and decile probabilities
(simulate.analysis.risk_drivers), against answers known in closed form."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from distributions import Uniform
from simulate.analysis.intervals import make_draw
from simulate.analysis.risk import RiskTarget
from simulate.analysis.risk_drivers import (
    MIN_DRAWS,
    fixed_at_median,
    indicator_index,
    risk_drivers,
)
from simulate.analysis.sensitivity import analyze, markdown_section
from simulate.cli import main

# the single-phase default of before the phases: its drivers are mfu and goodput alone
DEFAULT = str(Path(__file__).parent / "data" / "single_phase.toml")


def _uniforms(n: int, k: int, seed: int) -> dict[str, np.ndarray]:
    u = np.random.default_rng(seed).random((k, n))
    return {f"x{i + 1}": u[i] for i in range(k)}


def test_a_target_that_depends_on_one_input_only():
    # Y = X1, X1..X3 ~ U(0, 1) independent, miss when Y > 0.5. Every miss has X1 > 0.5 and
    # every hit X1 <= 0.5, so the two empirical cdfs of X1 are 0 and 1 apart at 0.5: KS
    # distance 1 exactly. E[1{X1 > 0.5} | X1] is the indicator itself, so
    # Var(E[1{miss}|X1]) = p(1 - p) and the index is 1 (pure bins give 1 exactly). With 50
    # equal bins of 400 draws, at most the one bin holding the 0.5 boundary is mixed, which
    # lowers the between-bin variance by at most (1/50)·(1/4), i.e. the index by at most
    # 0.02 (p(1 - p) ~ 1/4), and never raises it.
    n = 20_000
    draws = _uniforms(n, 3, seed=5)
    draws["y"] = draws["x1"]
    result = risk_drivers(draws, ["x1", "x2", "x3"], [RiskTarget("y", 0.5)])
    entry = result["outputs"]["y_over_threshold"]
    assert entry["ranked"] and entry["misses"] == int((draws["x1"] > 0.5).sum())
    top, *others = entry["inputs"]
    assert top["input"] == "x1" and not top["within_noise"]
    assert top["ks_distance"] == 1.0
    assert 1 - 0.021 <= top["indicator_index"]["value"] <= 1 + 1e-12
    assert top["p_miss_bottom_decile"]["count"] == 0
    assert top["p_miss_top_decile"]["probability"] == 1.0
    assert top["median_among_misses"] > 0.5 > top["median_among_hits"]
    assert {row["input"] for row in others} == {"x2", "x3"}
    assert all(row["within_noise"] for row in others)
    json.dumps(result, allow_nan=False)


def test_the_finite_bin_bias_is_removed():
    # An input unrelated to the target: the true index is 0, but the raw between-bin
    # variance over p(1 - p) averages (B - 1)/n (Pearson's chi-square / n). The corrected
    # estimate must average 0 over independent replications; the raw one (B - 1)/n = 0.0095.
    rng = np.random.default_rng(3)
    n, bins, reps = 2_000, 20, 300
    estimates = []
    for _ in range(reps):
        miss = (rng.random(n) < 0.3).astype(float)
        cells = np.arange(n) % bins  # the input's equal-probability bin, unrelated to miss
        estimates.append(indicator_index(miss, cells)["value"])
    estimates = np.array(estimates)
    se = estimates.std(ddof=1) / math.sqrt(reps)
    assert abs(estimates.mean()) <= 4 * se
    assert (bins - 1) / n > 8 * se  # the uncorrected bias would be seen
    # a target the bins decide: every bin pure, V = p(1 - p), and the index is 1 exactly
    decided = (np.arange(n) >= 3 * n // 4).astype(float)
    index = indicator_index(decided, np.arange(n) * bins // n)
    assert index["value"] == pytest.approx(1.0, abs=1e-12)


def test_decile_probabilities_of_a_monotone_model():
    # Y = X1 + X2, X ~ U(0, 1), miss when Y > 1. P(miss | X1 = x) = P(X2 > 1 - x) = x, so
    # P(miss | X1 in its top decile) = E[X1 | X1 > 0.9] = 0.95 and in its bottom decile
    # E[X1 | X1 < 0.1] = 0.05; by symmetry the same for X2. Index: Var(X1)/(1/4) = 1/3.
    # Six comparisons: 99.9% intervals, so that all six hold by chance with ~99.4%, not
    # the ~74% of 95% intervals.
    n = 100_000
    draws = _uniforms(n, 2, seed=11)
    draws["y"] = draws["x1"] + draws["x2"]
    result = risk_drivers(draws, ["x1", "x2"], [RiskTarget("y", 1.0)], confidence=0.999)
    rows = result["outputs"]["y_over_threshold"]["inputs"]
    assert {row["input"] for row in rows} == {"x1", "x2"}
    for row in rows:
        top, bottom = row["p_miss_top_decile"], row["p_miss_bottom_decile"]
        assert top["low"] <= 0.95 <= top["high"], top
        assert bottom["low"] <= 0.05 <= bottom["high"], bottom
        index = row["indicator_index"]
        assert index["low"] <= 1 / 3 <= index["high"], index
        assert not row["within_noise"]


def test_a_far_tail_target_is_not_ranked():
    n = 20_000
    draws = _uniforms(n, 2, seed=7)
    draws["y"] = draws["x1"]
    never = RiskTarget("y", 1.0, label="never")  # U(0, 1) never exceeds 1
    almost = RiskTarget("y", 0.9995, direction="below", label="almost")  # misses ~99.95%
    result = risk_drivers(draws, ["x1", "x2"], [never, almost])
    z = stats.norm.ppf(0.975)
    zero = result["outputs"][never.key]
    assert not zero["ranked"] and zero["inputs"] == [] and zero["misses"] == 0
    # no miss: the Wilson upper bound at k = 0 is z²/(n + z²), so 50 misses need 50(n + z²)/z²
    assert zero["draws_needed"] == math.ceil(MIN_DRAWS * (n + z**2) / z**2)
    assert "too close to 0 to attribute" in zero["message"]
    assert f"{zero['draws_needed']:,} draws" in zero["message"]
    one = result["outputs"][almost.key]
    hits = int((draws["x1"] >= 0.9995).sum())
    assert 0 < hits < MIN_DRAWS and one["hits"] == hits and not one["ranked"]
    assert one["draws_needed"] == math.ceil(MIN_DRAWS * n / hits)
    assert "too close to 1 to attribute" in one["message"]


def test_bad_calls_are_refused():
    draws = _uniforms(600, 1, seed=1)
    with pytest.raises(ValueError, match="needs the draws of y"):
        risk_drivers(draws, ["x1"], [RiskTarget("y", 0.5)])
    with pytest.raises(ValueError, match="min_draws must be >= 1"):
        risk_drivers(draws | {"y": draws["x1"]}, ["x1"], [RiskTarget("y", 0.5)], min_draws=0)


def test_cli_default_scenario_ranks_only_inputs_that_move_the_target(tmp_path, capsys):
    # a deadline near the median of train_days (about 75 days): days = FLOPs / (n_gpus ·
    # peak · mfu · goodput), and only mfu and goodput are uncertain among those.
    out = tmp_path / "r"
    args = ["sensitivity", DEFAULT, "--set", "deadline_days=75", "--out", str(out), "--no-plots"]
    args += ["--set", "budget_node=tco_usd", "--set", "budget_usd=1.2e9"]  # a budget on TCO
    assert main(args) == 0
    capsys.readouterr()
    drivers = json.loads((out / "summary.json").read_text())["sensitivity"]["risk_drivers"]
    days = drivers["outputs"]["train_days_over_deadline"]
    above = [row["input"] for row in days["inputs"] if not row["within_noise"]]
    assert set(above) == {"mfu", "goodput"}
    cost = drivers["outputs"]["tco_usd_over_budget"]
    assert cost["inputs"][0]["input"] == "gpu_price_usd"  # the issue saw it ranked last
    change = cost["inputs"][0]["fixed_at_median"]["change"]
    assert 0 <= change["low"] <= change["value"] <= change["high"]


def test_cli_near_certain_miss_prints_the_message(tmp_path, capsys):
    # 1T parameters, 20T tokens on 24,576 H100s: every draw needs more than 120 days
    out = tmp_path / "r"
    plan = ["n_params=1e12", "n_tokens=20e12", "n_gpus=24576", "deadline_days=120"]
    args = ["sensitivity", DEFAULT, "--out", str(out), "--no-plots"]
    for item in plan:
        args += ["--set", item]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "P(miss) is too close to 1 to attribute" in printed
    days = json.loads((out / "summary.json").read_text())["sensitivity"]["risk_drivers"]
    entry = days["outputs"]["train_days_over_deadline"]
    assert entry["hits"] < MIN_DRAWS and entry["inputs"] == [] and not entry["ranked"]


def test_report_folder_and_page_hold_the_risk_driver_chart(tmp_path):
    out = tmp_path / "r"
    args = ["run", DEFAULT, "--set", "deadline_days=75", "--draws", "20000", "--out", str(out)]
    assert main([*args, "--quiet"]) == 0
    png = out / "train_days_over_deadline_risk_drivers.png"
    assert png.read_bytes().startswith(b"\x89PNG")
    page = (out / "report.html").read_text()
    assert 'data-name="train_days_over_deadline_risk_drivers.png"' in page
    assert "train_days_over_deadline: the top drivers&#x27; distributions (ECDF)" in page
    drivers = page[page.index("<h4>Risk drivers (what the misses have in common)") :]
    drivers = drivers[: drivers.index("</section>")].split("tco_usd_over")[0]
    assert "<td>mfu</td>" in drivers and "<td>goodput</td>" in drivers
    # inputs within noise are not ranked: named in one line under the table
    hidden = drivers[drivers.index("Within noise, not ranked:") :]
    assert "<td>gpu_price_usd</td>" not in drivers and "gpu_price_usd" in hidden


def test_analyze_adds_the_absolute_fixed_at_median_column_and_says_what_it_means():
    # Y = X1 - X2 + 0.5·X3, miss when Y > 0.25. Fixing X2 at its median 0.5 can raise or
    # lower P(miss); the column is |Δ| with the image of Δ's interval under |·|.
    specs = {f"x{i}": Uniform(low=0.0, high=1.0) for i in (1, 2, 3)}

    def model(v):
        return {"y": v["x1"] - v["x2"] + 0.5 * v["x3"]}

    draws = make_draw(model, specs, seed=4)(0, 20_000)
    section = analyze(model, specs, draws, outputs=["y"], targets=[RiskTarget("y", 0.25)])
    result = section["risk_drivers"]
    rows = {row["input"]: row for row in result["outputs"]["y_over_threshold"]["inputs"]}
    fixed = fixed_at_median(model, specs, draws, targets=[RiskTarget("y", 0.25)])
    for row in fixed["outputs"]["y_over_threshold"]["inputs"]:
        change, delta = rows[row["input"]]["fixed_at_median"]["change"], row["reduction"]
        assert change["value"] == abs(delta["value"])
        if delta["low"] > 0 or delta["high"] < 0:
            assert {change["low"], change["high"]} == {abs(delta["low"]), abs(delta["high"])}
        else:
            assert change["low"] == 0 and change["high"] == max(-delta["low"], delta["high"])
    text = markdown_section(section)
    assert "an input correlated with a driver shows as a driver too" in text
    assert "| \\|change\\| fixed at median |" in text


@pytest.mark.parametrize("slice_draws", [1_000, 1 << 20])
def test_fixed_at_median_counts_every_draw_once_in_slices(slice_draws, monkeypatch):
    """The re-runs go in slices of draws (here 1,000, the last one short, or one slice):
    each row's counts are those numpy gives on the whole sample, the model written out."""
    import simulate.analysis.risk_drivers as module

    monkeypatch.setattr(module, "_SLICE_DRAWS", slice_draws)
    specs = {f"x{i}": Uniform(low=0.0, high=1.0) for i in (1, 2, 3)}

    def model(v):
        return {"y": v["x1"] - v["x2"] + 0.5 * v["x3"]}

    draws = make_draw(model, specs, seed=5)(0, 10_501)
    n = draws["y"].size
    result = fixed_at_median(model, specs, draws, targets=[RiskTarget("y", 0.25)])
    x = {name: np.asarray(draws[name]) for name in specs}
    drawn = x["x1"] - x["x2"] + 0.5 * x["x3"] > 0.25
    for row in result["outputs"]["y_over_threshold"]["inputs"]:
        fixed = {**x, row["input"]: 0.5}
        missed = fixed["x1"] - fixed["x2"] + 0.5 * fixed["x3"] > 0.25
        assert row["probability"]["probability"] == np.count_nonzero(missed) / n
        only_drawn = np.count_nonzero(drawn & ~missed)
        only_fixed = np.count_nonzero(~drawn & missed)
        assert row["reduction"]["value"] == (only_drawn - only_fixed) / n
