"""Sensitivity and convergence wired to scenarios: the CLI, the report, run-to-precision."""

import json

import numpy as np
import pytest
from scipy import stats

import simulate
from simulate.cli import main
from simulate.scenario.config import ConfigError
from simulate.workflows.sections import run_to_precision, sensitivity_section
from tests.conftest import mid_cdf_rho_reference


def test_report_has_a_sensitivity_section(write_config):
    scenario = simulate.load_scenario(write_config())
    ds = simulate.run(scenario)
    section = sensitivity_section(ds, scenario)
    rows = section["rank_correlation"]["outputs"]["train_days"]["inputs"]
    assert rows[0]["input"] == "mfu"  # the only uncertain input that moves days
    # days = K / mfu: monotone; the reported rho is the mid-CDF estimator's (conftest.py),
    # -1 up to the O(1/n) gap between the population cdf and the sample ranks
    rho = mid_cdf_rho_reference(
        scenario.inputs["mfu"].dist, ds["mfu"].values, ds["train_days"].values
    )
    assert rows[0]["spearman"]["value"] == pytest.approx(rho, abs=1e-9)
    assert rho == pytest.approx(-1.0, abs=20 / ds.sizes["draw"])
    summary = simulate.build_summary(ds, scenario, sensitivity=section)
    assert "sensitivity" in summary
    assert "## Sensitivity" in simulate.report.markdown.render_markdown(summary)


def test_fixed_scenario_has_no_sensitivity(tmp_path):
    from tests.conftest import CONFIGS

    scenario = simulate.load_scenario(CONFIGS / "llama-3.1-405b-article.toml", draws=10)
    assert sensitivity_section(simulate.run(scenario), scenario) is None


def test_run_to_precision_equals_a_fixed_run(write_config):
    scenario = simulate.load_scenario(write_config())
    ds, record = run_to_precision(scenario, precision=0.01, max_draws=2**16, batch=2**10)
    assert record["converged"] and record["n_draws"] == ds.sizes["draw"]
    fixed = simulate.run(scenario, draws=record["n_draws"])
    np.testing.assert_array_equal(ds["train_days"].values, fixed["train_days"].values)
    # the stopping rule held: every percentile's half-width within 1% of its value (numpy's
    # percentile, scipy's order-statistic interval of the same draws)
    days = fixed["train_days"].values
    for q in scenario.percentiles:
        ci = stats.quantile_test(days, q=0.0, p=q / 100).confidence_interval(0.95)
        assert (ci.high - ci.low) / 2 <= 0.01 * abs(np.quantile(days, q / 100))


def test_precision_refuses_lhs_whose_design_cannot_grow(write_config):
    scenario = simulate.load_scenario(write_config(), method="lhs")
    with pytest.raises(ConfigError, match=r": precision: needs method random or sobol"):
        run_to_precision(scenario, precision=0.01)


def test_cli_sensitivity_sobol(write_config, tmp_path, capsys):
    out = tmp_path / "s"
    code = main(
        [
            "sensitivity",
            str(write_config()),
            "--analysis",
            "sobol",
            "--sobol-draws",
            "512",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert "Rank correlations: train_days" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert {"rank_correlation", "sobol", "tornado", "risk_drivers"} <= set(summary["sensitivity"])


def test_cli_precision_records_convergence(write_config, tmp_path):
    out = tmp_path / "p"
    assert (
        main(["run", str(write_config()), "--precision", "0.02", "--out", str(out), "--quiet"]) == 0
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["convergence"]["converged"]
    assert summary["provenance"]["draws"] == summary["convergence"]["n_draws"]
