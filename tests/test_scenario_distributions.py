"""Issue 3's families in scenario files: discrete counts, files, fits, truncation, correlations."""

import json
import math

import numpy as np
import pytest
from scipy import stats

import simulate
from simulate.cli import main
from simulate.scenario.config import ConfigError
from tests.conftest import MINIMAL

CORRELATED = MINIMAL.replace(
    "overhead_capex_ratio = 0.5",
    'overhead_capex_ratio = { dist = "uniform", low = 0.3, high = 0.7 }',
).replace(
    "gpu_price_usd = 30000",
    'gpu_price_usd = { dist = "lognormal", p5 = 25000, p95 = 40000 }',
)


def test_discrete_gpu_count(write_config):
    text = MINIMAL.replace(
        "n_gpus = 512",
        'n_gpus = { dist = "discrete", values = [256, 512], weights = [0.25, 0.75] }',
    )
    ds = simulate.run(simulate.load_scenario(write_config(text), draws=20_000))
    share = float(np.mean(ds["n_gpus"].values == 256))
    # binomial SE at p = 0.25, n = 20,000: sqrt(0.25 · 0.75 / 20,000) = 0.00306; 4 SE
    assert abs(share - 0.25) < 4 * math.sqrt(0.25 * 0.75 / 20_000)


def test_fractional_or_continuous_gpu_count_is_refused(write_config):
    text = MINIMAL.replace("n_gpus = 512", 'n_gpus = { dist = "discrete", values = [256, 512.5] }')
    with pytest.raises(
        ConfigError,
        match=r"inputs\.n_gpus: must be a whole number in \[1, inf\); "
        r"got discrete.*which holds 512\.5",
    ):
        simulate.load_scenario(write_config(text))
    text = MINIMAL.replace("n_gpus = 512", 'n_gpus = { dist = "uniform", low = 256, high = 512 }')
    with pytest.raises(ConfigError, match=r"gives fractions \(use dist = \"discrete\""):
        simulate.load_scenario(write_config(text))


def test_empirical_from_a_csv_beside_the_scenario(write_config, tmp_path):
    (tmp_path / "mfu.csv").write_text("run,mfu\na,0.38\nb,0.41\nc,0.43\n")
    text = MINIMAL.replace(
        'mfu = { dist = "pert", low = 0.3, mode = 0.4, high = 0.5 }',
        'mfu = { dist = "empirical", file = "mfu.csv", column = "mfu" }',
    )
    ds = simulate.run(simulate.load_scenario(write_config(text), draws=3_000))
    assert set(np.unique(ds["mfu"].values)) == {0.38, 0.41, 0.43}


def test_fitted_and_truncated_mfu(write_config):
    text = MINIMAL.replace(
        'mfu = { dist = "pert", low = 0.3, mode = 0.4, high = 0.5 }',
        'mfu = { dist = "normal", p10 = 0.36, p90 = 0.44, truncate = [0.2, 0.6] }',
    )
    ds = simulate.run(simulate.load_scenario(write_config(text), draws=50_000))
    mfu = ds["mfu"].values
    assert mfu.min() >= 0.2 and mfu.max() <= 0.6
    # truncation at ±4.9 sd moves the p10/p90 by < 1e-6: the fit's percentiles hold
    # within 4 SE of a sample quantile, sqrt(p(1-p)/n)/f(x_p)
    sd = 0.04 / stats.norm.ppf(0.9)
    se = math.sqrt(0.09 / 50_000) / (stats.norm.pdf(stats.norm.ppf(0.9)) / sd)
    assert math.isfinite(se) and se < 1e-3
    assert abs(np.quantile(mfu, 0.1) - 0.36) < 4 * se
    assert abs(np.quantile(mfu, 0.9) - 0.44) < 4 * se


def test_correlations_reach_the_report(write_config, tmp_path):
    text = (
        CORRELATED + '\n[correlations]\npairs = [["gpu_price_usd", "overhead_capex_ratio", 0.6]]\n'
    )
    out = tmp_path / "r"
    assert (
        main(
            [
                "run",
                str(write_config(text)),
                "--draws",
                "20000",
                "--out",
                str(out),
                "--quiet",
                "--no-plots",
            ]
        )
        == 0
    )
    summary = json.loads((out / "summary.json").read_text())
    (row,) = summary["correlations"]
    # SE of Spearman at rho = 0.6, n = 20,000 (Bonett & Wright 2000):
    # (1 - rho²) sqrt((1 + rho²/2) / (n - 3)) = 0.0064 · ... = 0.00538; 3 SE
    se = (1 - 0.36) * math.sqrt((1 + 0.18) / (20_000 - 3))
    assert row["requested"] == 0.6 and abs(row["achieved"] - 0.6) < 3 * se
    assert "## Correlations" in (out / "report.md").read_text()


def test_correlations_keep_marginals(write_config):
    plain = simulate.run(simulate.load_scenario(write_config(CORRELATED), draws=20_000))
    text = (
        CORRELATED + '\n[correlations]\npairs = [["gpu_price_usd", "overhead_capex_ratio", 0.6]]\n'
    )
    tied = simulate.run(simulate.load_scenario(write_config(text, "tied.toml"), draws=20_000))
    low, high = 0.3, 0.7
    assert (
        stats.kstest(tied["overhead_capex_ratio"].values, stats.uniform(low, high - low).cdf).pvalue
        > 1e-3
    )
    assert stats.ks_2samp(plain["gpu_price_usd"].values, tied["gpu_price_usd"].values).pvalue > 1e-3


def test_correlation_errors(write_config):
    bad = CORRELATED + '\n[correlations]\npairs = [["gpu_price_usd", "n_gpus", 0.5]]\n'
    with pytest.raises(
        ConfigError,
        match=r"correlations: correlations need uncertain inputs; "
        r"n_gpus is a constant",
    ):
        simulate.load_scenario(write_config(bad))
    bad = CORRELATED + '\n[correlations]\npairs = [["gpu_price_usd", "nope", 0.5]]\n'
    with pytest.raises(ConfigError, match=r"correlations: correlations name unknown inputs nope"):
        simulate.load_scenario(write_config(bad))
    bad = CORRELATED + "\n[correlations]\npair = []\n"
    with pytest.raises(ConfigError, match=r"correlations\.pair: unknown field; known: pairs"):
        simulate.load_scenario(write_config(bad))


def test_non_psd_correlations_are_repaired_with_a_warning(write_config, tmp_path):
    text = CORRELATED.replace(
        "electricity_usd_per_kwh = 0.08", 'electricity_usd_per_kwh = "0.06 to 0.11"'
    ) + (
        "\n[correlations]\n"
        'names = ["gpu_price_usd", "overhead_capex_ratio", "electricity_usd_per_kwh"]\n'
        "matrix = [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]\n"
    )
    scenario = simulate.load_scenario(write_config(text))
    (warning,) = scenario.warnings
    assert "not positive semi-definite" in warning and "Frobenius" in warning


def test_cli_prints_the_repair_warning_as_one_line(write_config, capsys):
    text = CORRELATED.replace(
        "electricity_usd_per_kwh = 0.08", 'electricity_usd_per_kwh = "0.06 to 0.11"'
    ) + (
        "\n[correlations]\n"
        'names = ["gpu_price_usd", "overhead_capex_ratio", "electricity_usd_per_kwh"]\n'
        "matrix = [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]\n"
    )
    assert main(["validate", str(write_config(text))]) == 0
    err = capsys.readouterr().err
    assert err.startswith("warning: ") and err.count("\n") == 1
