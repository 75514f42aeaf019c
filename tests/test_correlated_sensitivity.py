"""With ``[correlations]`` every analysis of the sensitivity section describes the joint
distribution the main run drew: the variance-based section (Shapley effects in place of
Sobol' indices), the tornado and the risk drivers condition through the copula.

Before: the Sobol' section drew its inputs independently (with mfu-goodput Spearman 0.8
its variance of train_days was 0.55x the main run's), the tornado held the other inputs
at their unconditional medians and the risk drivers left them as drawn.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import simulate
from simulate.analysis.risk import RiskTarget
from simulate.analysis.risk_drivers import fixed_at_median as risk_drivers
from simulate.analysis.sensitivity import tornado
from simulate.cli import main
from simulate.engine.memory import run_uniforms
from simulate.model.catalog import CONFIG_DIR
from simulate.model.chain import evaluate
from simulate.workflows.sections import (
    _correlated_uniforms,
    scenario_specs,
    sensitivity_section,
)

CORRELATED = '\n[correlations]\npairs = [["mfu", "goodput", 0.8]]\n'
# four uncertain inputs left (mfu, goodput, overhead_capex_ratio, gpu_price_usd): cheap
FIXED = [
    "pue=1.1",
    "electricity_usd_per_kwh=0.08",
    "hardware_life_years=4",
    "grid_kgco2_per_kwh=0.4",
    "rental_usd_per_gpu_hour=2",
    "average_power_fraction=0.75",
]


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "correlated.toml"
    text = (Path(__file__).parent / "data" / "single_phase.toml").read_text()  # mfu, goodput
    path.write_text(text.replace("deadline_days = 90", "deadline_days = 77") + CORRELATED)
    return path


def variance_se(values: np.ndarray) -> float:
    """Standard error of the sample variance: sqrt((m4 - s^4) / n) (large-n form)."""
    centered = values - values.mean()
    return float(np.sqrt((np.mean(centered**4) - np.mean(centered**2) ** 2) / values.size))


def test_variance_section_has_the_main_runs_variance(config):
    scenario = simulate.load_scenario(config, FIXED, draws=100_000)
    ds = simulate.run(scenario)
    section = sensitivity_section(ds.copy(), scenario, method="sobol")  # uniforms regenerated
    assert "sobol" not in section and section["variance_method"] == "shapley"
    assert any("Sobol' indices assume independent inputs" in note for note in section["notes"])
    shapley = section["shapley"]
    assert shapley["dependence"].startswith("Gaussian copula")
    for out, cell in shapley["outputs"].items():
        main_run = ds[out].values
        v_main = float(np.var(main_run, ddof=1))
        v = cell["variance"]
        bound = 4 * np.hypot(v["standard_error"], variance_se(main_run))
        assert abs(v["value"] - v_main) <= bound, (out, v, v_main)
    # the shares still sum to 1, and mfu and goodput share train_days's variance
    days = {
        row["input"]: row["shapley"]["value"] for row in shapley["outputs"]["train_days"]["inputs"]
    }
    assert sum(days.values()) == pytest.approx(1.0, abs=1e-12)
    assert days["mfu"] + days["goodput"] == pytest.approx(1.0, abs=0.02)
    assert "Gaussian copula" in section["tornado"]["others"]
    assert "conditional" in section["risk_drivers"]["others"]
    # the risk drivers' uniforms, regenerated for a Dataset that kept none, are the run's
    regenerated = _correlated_uniforms(ds.copy(), scenario)
    for name in ("mfu", "goodput"):
        np.testing.assert_array_equal(regenerated[name], run_uniforms(ds)[name])


def _window(u: np.ndarray, at: float, half_width: float = 0.0025) -> np.ndarray:
    return np.abs(u - at) < half_width


def test_tornado_holds_the_others_at_their_conditional_medians(config):
    # train_days depends on mfu and goodput only. With mfu at its P10, the tornado's
    # train_days must be the median of train_days among main-run draws whose mfu is at
    # its P10 (a window of uniforms 0.1 +- 0.0025), checked by the order-statistic
    # 99.9% interval of that median.
    scenario = simulate.load_scenario(config, FIXED, draws=400_000)
    ds = simulate.run(scenario)
    near = _window(run_uniforms(ds)["mfu"], 0.10)
    days = np.sort(ds["train_days"].values[near])
    n = days.size
    lo, hi = stats.binom.ppf([0.0005, 0.9995], n, 0.5).astype(int)
    result = tornado(
        evaluate,
        scenario_specs(scenario),
        outputs=["train_days"],
        correlations=scenario.correlations,
    )
    row = next(r for r in result["outputs"]["train_days"]["inputs"] if r["input"] == "mfu")
    assert days[lo] <= row["output_at_input_low"] <= days[hi], (days[lo], days[hi], row)
    # and an independent tornado (goodput at its unconditional median) is outside it
    plain = tornado(evaluate, scenario_specs(scenario), outputs=["train_days"])
    plain_row = next(r for r in plain["outputs"]["train_days"]["inputs"] if r["input"] == "mfu")
    assert not days[lo] <= plain_row["output_at_input_low"] <= days[hi]


def test_risk_drivers_draw_the_others_given_the_fixed_input(config):
    # P(train_days > 77) with mfu fixed at its median must equal the exceedance among
    # main-run draws whose mfu is at its median (uniforms 0.5 +- 0.0025).
    scenario = simulate.load_scenario(config, FIXED, draws=400_000)
    ds = simulate.run(scenario)
    near = _window(run_uniforms(ds)["mfu"], 0.5)
    exceed = ds["train_days"].values[near] > 77
    p_window, n_window = exceed.mean(), exceed.size
    result = risk_drivers(
        evaluate,
        scenario_specs(scenario),
        ds,
        targets=[RiskTarget("train_days", 77.0)],
        correlations=scenario.correlations,
        input_uniforms=run_uniforms(ds),
    )
    row = next(
        r for r in result["outputs"]["train_days_over_threshold"]["inputs"] if r["input"] == "mfu"
    )
    p_fixed = row["probability"]["probability"]
    se = np.sqrt(p_window * (1 - p_window) / n_window + p_fixed * (1 - p_fixed) / ds.sizes["draw"])
    assert abs(p_fixed - p_window) <= 4 * se, (p_fixed, p_window, se)
    # without the copula (the old behaviour) the answer is far off
    plain = risk_drivers(
        evaluate, scenario_specs(scenario), ds, targets=[RiskTarget("train_days", 77.0)]
    )
    plain_row = next(
        r for r in plain["outputs"]["train_days_over_threshold"]["inputs"] if r["input"] == "mfu"
    )
    assert abs(plain_row["probability"]["probability"] - p_window) > 8 * se


def test_cli_sobol_on_a_correlated_scenario_reports_shapley(config, tmp_path, capsys):
    out = tmp_path / "report"
    args = ["sensitivity", str(config), "--analysis", "sobol", "--draws", "20000"]
    for item in FIXED:
        args += ["--set", item]
    assert main([*args, "--out", str(out), "--no-plots"]) == 0
    printed = capsys.readouterr().out
    assert "Shapley effects (shares of Var(output)): train_days" in printed
    assert "Sobol' indices assume independent inputs" in printed
    summary = json.loads((out / "summary.json").read_text())
    section = summary["sensitivity"]
    assert section["variance_method"] == "shapley" and "sobol" not in section
    rows = section["shapley"]["outputs"]["tco_usd"]["inputs"]
    assert {"value", "standard_error", "low", "high"} <= set(rows[0]["shapley"])
    assert section["log_variance"]["assumption"] == "independent inputs"
    report = (out / "report.md").read_text()
    assert "Shapley effects (shares of Var(output))" in report
    assert "Assumes independent inputs." in report


def test_cli_method_shapley_on_an_independent_scenario(tmp_path, capsys):
    out = tmp_path / "report"
    args = ["sensitivity", str(CONFIG_DIR / "llama-3.1-405b.toml"), "--analysis", "shapley"]
    args += ["--draws", "20000", "--out", str(out), "--no-plots", "--quiet"]
    for item in FIXED:
        args += ["--set", item]
    assert main(args) == 0
    section = json.loads((out / "summary.json").read_text())["sensitivity"]
    assert section["shapley"]["dependence"] == "independent inputs"
    assert "notes" not in section
    # independent inputs: tco_usd = capex (gpu price x (1 + overhead)) + energy; the
    # shares sum to 1 and the two capital inputs carry nearly all of it
    rows = {
        r["input"]: r["shapley"]["value"]
        for r in section["shapley"]["outputs"]["tco_usd"]["inputs"]
    }
    assert sum(rows.values()) == pytest.approx(1.0, abs=1e-12)
    assert rows["gpu_price_usd"] + rows["overhead_capex_ratio"] > 0.95


def test_risk_drivers_with_the_copula_do_not_depend_on_the_slices(config, monkeypatch):
    """The fixed-at-median re-runs go in slices of draws, the copula's conditional draws
    sliced with the rest: slices of 7,777 draws (the last one short) give the very result
    of one slice."""
    import simulate.analysis.risk_drivers as module

    scenario = simulate.load_scenario(config, FIXED, draws=50_000)
    ds = simulate.run(scenario)

    def result() -> dict:
        return risk_drivers(
            evaluate,
            scenario_specs(scenario),
            ds,
            targets=[RiskTarget("train_days", 77.0), RiskTarget("tco_usd", 8e8)],
            correlations=scenario.correlations,
            input_uniforms=run_uniforms(ds),
        )

    whole = result()
    monkeypatch.setattr(module, "_SLICE_DRAWS", 7_777)
    assert result() == whole
