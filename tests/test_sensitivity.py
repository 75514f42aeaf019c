"""Tests for simulate.analysis.sensitivity: published test functions, closed forms, hand values.

Tolerances are Monte Carlo standard errors at fixed seeds, derived beside each number.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from distributions import Fixed, LogNormal, Normal, Uniform
from simulate.analysis.intervals import make_draw
from simulate.analysis.risk import RiskTarget
from simulate.analysis.sensitivity import (
    _grouped_covariances,
    analyze,
    log_variance_shares,
    markdown_section,
    markdown_table,
    rank_correlations,
    sobol,
    sobol_evaluations,
    tornado,
)
from simulate.model import chain
from tests.conftest import mid_cdf_rho_reference, scipy_mid_cdf

PI = math.pi


# --------------------------------------------------------------------------- test functions
def ishigami(inputs, a=7.0, b=0.1):
    x1, x2, x3 = inputs["x1"], inputs["x2"], inputs["x3"]
    return {"y": np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)}


ISHIGAMI_SPECS = {name: Uniform(low=-PI, high=PI) for name in ("x1", "x2", "x3")}

G_A = (0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0)
G_SPECS = {f"x{i + 1}": Uniform(low=0.0, high=1.0) for i in range(len(G_A))}


def g_function(inputs):
    y = 1.0
    for i, a in enumerate(G_A):
        y = y * (np.abs(4 * inputs[f"x{i + 1}"] - 2) + a) / (1 + a)
    return {"y": y}


def _by_input(rows, key):
    return {row["input"]: row[key] for row in rows}


# --------------------------------------------------------------------------- Sobol'
def test_ishigami_closed_form_matches_published_values():
    # Ishigami & Homma (1990); Saltelli et al. (2008), Global Sensitivity Analysis, §4.5:
    # V = a²/8 + bπ⁴/5 + b²π⁸/18 + 1/2, V1 = (1 + bπ⁴/5)²/2, V2 = a²/8, V3 = 0,
    # V_T1 = V1 + 8b²π⁸/225, V_T3 = 8b²π⁸/225.
    a, b = 7.0, 0.1
    v = a**2 / 8 + b * PI**4 / 5 + b**2 * PI**8 / 18 + 0.5
    v1, v2, v13 = (1 + b * PI**4 / 5) ** 2 / 2, a**2 / 8, 8 * b**2 * PI**8 / 225
    np.testing.assert_allclose([v1 / v, v2 / v, 0.0], [0.3139, 0.4424, 0.0], atol=1e-4)
    np.testing.assert_allclose(
        [(v1 + v13) / v, v2 / v, v13 / v], [0.5576, 0.4424, 0.2437], atol=1e-4
    )


def test_sobol_ishigami_within_005_at_2_14():
    result = sobol(ishigami, ISHIGAMI_SPECS, outputs=["y"], n=2**14, seed=3, n_resamples=100)
    rows = result["outputs"]["y"]["inputs"]
    first, total = _by_input(rows, "first_order"), _by_input(rows, "total_order")
    # The tolerance, 0.05 (Saltelli et al. 2008). For it to be a >= 4-sigma test the
    # bootstrap SE must be <= 0.05/4 = 0.0125; it is 0.003 to 0.010 at 2^14 base draws.
    for name, s1, st in zip(
        ("x1", "x2", "x3"), (0.3139, 0.4424, 0.0), (0.5576, 0.4424, 0.2437), strict=True
    ):
        assert abs(first[name]["value"] - s1) <= 0.05
        assert abs(total[name]["value"] - st) <= 0.05
        assert first[name]["standard_error"] < 0.0125 and total[name]["standard_error"] < 0.0125
        assert first[name]["low"] <= first[name]["value"] <= first[name]["high"]
    assert [row["input"] for row in rows] == ["x1", "x2", "x3"]  # sorted by total index
    assert result["n_evaluations"] == 2**14 * 5
    json.dumps(result, allow_nan=False)


def test_sobol_g_function_against_closed_form():
    # Sobol' G-function (Saltelli et al. 2010, §6): V_i = 1/(3(1+a_i)²), V = Π(1+V_i) − 1,
    # S_i = V_i / V, S_Ti = V_i Π_{j≠i}(1+V_j) / V.
    vi = np.array([1 / (3 * (1 + a) ** 2) for a in G_A])
    v = np.prod(1 + vi) - 1
    s1 = vi / v
    st = vi * np.prod(1 + vi) / (1 + vi) / v
    np.testing.assert_allclose(s1[:4], [0.7162, 0.1790, 0.0237, 0.0072], atol=1e-4)
    result = sobol(g_function, G_SPECS, outputs=["y"], n=2**14, seed=11, n_resamples=100)
    rows = result["outputs"]["y"]["inputs"]
    first, total = _by_input(rows, "first_order"), _by_input(rows, "total_order")
    for i, name in enumerate(G_SPECS):
        # A z-test at 4 bootstrap SE (two-sided false alarm 6e-5 per index), and the SE
        # itself must be small enough for the test to mean something.
        for estimate, truth in ((first[name], s1[i]), (total[name], st[i])):
            assert estimate["standard_error"] < 0.02
            assert abs(estimate["value"] - truth) <= 4 * estimate["standard_error"]


def test_sobol_agrees_with_salib_on_the_same_draws():
    salib_sobol = pytest.importorskip("SALib.analyze.sobol")
    n, d = 2**12, 3
    ev = sobol_evaluations(ishigami, ISHIGAMI_SPECS, outputs=["y"], n=n, seed=5)
    f_a, f_b, f_ab = ev["f_A"][0], ev["f_B"][0], ev["f_AB"][:, 0, :]
    # SALib's layout without second order: per base row j, A_j, AB_1j .. AB_dj, B_j.
    y = np.column_stack([f_a, f_ab.T, f_b]).ravel()
    problem = {"num_vars": d, "names": list(ISHIGAMI_SPECS), "bounds": [[-PI, PI]] * d}
    theirs = salib_sobol.analyze(problem, y, calc_second_order=False, num_resamples=10, seed=1)
    ours = sobol(ishigami, ISHIGAMI_SPECS, outputs=["y"], n=n, seed=5, n_resamples=10)
    first = _by_input(ours["outputs"]["y"]["inputs"], "first_order")
    total = _by_input(ours["outputs"]["y"]["inputs"], "total_order")
    # Same estimators (Saltelli 2010 first, Jansen total), but the first-order one is not
    # shift-invariant: Σ f_B (f_AB − f_A) gains c·Σ (f_AB − f_A) when f shifts by c. scipy
    # subtracts the mean of f_A and f_B (Sobol' & Levitan 1999), SALib the mean of all of Y,
    # so S1_SALib = S1_scipy − (m_SALib − m_scipy)·mean(f_AB_i − f_A)/Var(f_A, f_B) exactly.
    # The total index is shift-invariant.
    both = np.concatenate([f_a, f_b])
    shift, var = y.mean() - both.mean(), np.var(both)
    for i, name in enumerate(ISHIGAMI_SPECS):
        shifted = first[name]["value"] - shift * np.mean(f_ab[i] - f_a) / var
        assert theirs["S1"][i] == pytest.approx(shifted, abs=1e-12)
        assert theirs["ST"][i] == pytest.approx(total[name]["value"], abs=1e-12)


def test_sobol_rejects_bad_sizes():
    with pytest.raises(ValueError, match="n a power of 2"):
        sobol(ishigami, ISHIGAMI_SPECS, outputs=["y"], n=1000)
    with pytest.raises(ValueError, match="need positive outputs"):
        sobol(ishigami, ISHIGAMI_SPECS, outputs=["y"], n=2**6, log=True)


# --------------------------------------------------------------------------- log-variance shares
LOG_EXPONENTS = {"x1": 2.0, "x2": -1.0, "x3": 0.5}
LOG_SPECS = {
    "x1": LogNormal(mu=0.1, sigma=0.3),
    "x2": LogNormal(mu=-0.2, sigma=0.5),
    "x3": LogNormal(mu=1.0, sigma=0.8),
    "c": Fixed(value=3.0),
}


def lognormal_product(inputs):
    y = inputs["c"]
    for name, a in LOG_EXPONENTS.items():
        y = y * inputs[name] ** a
    return {"y": y}


def _log_weights():
    """a_i² σ_i², each input's term of Var(log Y)."""
    return {name: a**2 * LOG_SPECS[name].sigma ** 2 for name, a in LOG_EXPONENTS.items()}


def test_log_variance_shares_exact_for_product_of_lognormals():
    n = 2**15
    draws = make_draw(lognormal_product, LOG_SPECS, seed=9)(0, n)
    result = log_variance_shares(draws, LOG_SPECS, outputs=["y"])
    out = result["outputs"]["y"]
    exponents, shares = _by_input(out["inputs"], "exponent"), _by_input(out["inputs"], "share")
    # log Y = log 3 + Σ a_i log X_i exactly: the fit recovers the exponents to rounding.
    for name, a in LOG_EXPONENTS.items():
        assert exponents[name]["value"] == pytest.approx(a, abs=1e-9)
    assert out["r_squared"]["value"] == pytest.approx(1.0, abs=1e-12)
    # Var(log Y) = Σ a_i² σ_i²: share_i = a_i² σ_i² / Σ_j a_j² σ_j² (independent inputs).
    weights = _log_weights()
    total = sum(weights.values())
    w = {name: value / total for name, value in weights.items()}
    # Delta method with independent normal log X_i (sample variances have relative variance
    # 2/n, cross-covariances variance σ_i²σ_j²/n):
    # Var(share_i)/w_i² = (2/n)[(1 − w_i)² + Σ_{j≠i} w_j²] + (4/n) Σ_{j<k} w_j w_k.
    names = list(w)
    pair_sum = sum(w[a] * w[b] for i, a in enumerate(names) for b in names[i + 1 :])
    for name in names:
        others = sum(w[j] ** 2 for j in names if j != name)
        se = w[name] * math.sqrt(2 / n * ((1 - w[name]) ** 2 + others) + 4 / n * pair_sum)
        assert abs(shares[name]["value"] - w[name]) <= 4 * se
        # the grouped jackknife SE should estimate the same SE (its own relative SD with
        # 20 groups is 1/√38 ≈ 0.16, so a factor of 2 is beyond 4 of its SDs)
        assert 0.5 < shares[name]["standard_error"] / se < 2.0
    json.dumps(result, allow_nan=False)


def test_first_order_sobol_of_log_matches_log_shares():
    # For a product, log Y is additive in log X_i, so first-order Sobol' indices of log Y are
    # the log-variance shares, w_i (the alternative estimator).
    weights = _log_weights()
    total = sum(weights.values())
    result = sobol(
        lognormal_product, LOG_SPECS, outputs=["y"], n=2**13, seed=2, log=True, n_resamples=100
    )
    first = _by_input(result["outputs"]["y"]["inputs"], "first_order")
    for name, weight in weights.items():
        assert abs(first[name]["value"] - weight / total) <= 4 * first[name]["standard_error"]


def test_log_variance_shares_reports_what_a_sum_leaves_unexplained():
    specs = {"x1": LogNormal(mu=0.0, sigma=1.0), "x2": Normal(mean=0.0, sd=1.0)}
    draws = make_draw(lambda v: {"y": v["x1"] + np.exp(v["x2"])}, specs, seed=1)(0, 4096)
    result = log_variance_shares(draws, specs, outputs=["y"])
    assert result["skipped"] == ["x2"]  # a normal input has non-positive draws
    assert result["outputs"]["y"]["r_squared"]["value"] < 0.9
    assert result["outputs"]["y"]["unexplained"]["value"] > 0.1
    with pytest.raises(ValueError, match="need an input with positive draws; x2 has none"):
        log_variance_shares(draws, {"x2": specs["x2"]}, outputs=["y"])


# --------------------------------------------------------------------------- rank correlations
def test_spearman_and_contribution_for_a_linear_gaussian_model():
    # Y = X1 + 2 X2, X_i ~ N(0, 1): Pearson ρ_1 = 1/√5, ρ_2 = 2/√5, and for a bivariate
    # normal Spearman's ρ_s = (6/π) arcsin(ρ/2) (Pearson 1907; Kruskal 1958).
    specs = {"x1": Normal(mean=0.0, sd=1.0), "x2": Normal(mean=0.0, sd=1.0)}
    n = 20_000
    draws = make_draw(lambda v: {"y": v["x1"] + 2 * v["x2"]}, specs, seed=4)(0, n)
    result = rank_correlations(draws, specs, outputs=["y"])
    rows = result["outputs"]["y"]["inputs"]
    assert [row["input"] for row in rows] == ["x2", "x1"]
    spearman = _by_input(rows, "spearman")
    expected = {
        "x1": 6 / PI * math.asin(1 / (2 * math.sqrt(5))),
        "x2": 6 / PI * math.asin(1 / math.sqrt(5)),
    }
    for name, rho in expected.items():
        # SE of Spearman's r ≈ (1 − ρ²)·√((1 + ρ²/2)/(n − 3)) (Bonett & Wright 2000): ≤ 0.006.
        se = (1 - rho**2) * math.sqrt((1 + rho**2 / 2) / (n - 3))
        assert abs(spearman[name]["value"] - rho) <= 4 * se
        # the jackknife SE estimates the same thing (relative SD 0.16 with 20 groups)
        assert 0.5 < spearman[name]["standard_error"] / se < 2.0
    contribution = _by_input(rows, "contribution_to_variance")
    share = expected["x2"] ** 2 / (expected["x1"] ** 2 + expected["x2"] ** 2)
    assert abs(contribution["x2"]["value"] - share) <= 4 * contribution["x2"]["standard_error"]
    assert contribution["x1"]["value"] + contribution["x2"]["value"] == pytest.approx(1.0)
    assert {row["sign"] for row in rows} == {"positive"}


def test_prcc_equals_correlation_of_rank_regression_residuals():
    # PRCC by definition (Iman & Conover 1980): correlate the residuals of rank(X_i) and of
    # rank(Y), each regressed on the ranks of the other inputs.
    specs = {
        "x1": Uniform(low=0.0, high=1.0),
        "x2": LogNormal(mu=0.0, sigma=1.0),
        "x3": Normal(mean=0.0, sd=1.0),
        "k": Fixed(value=2.0),
    }

    def model(v):
        return {"y": v["k"] * np.exp(v["x1"]) - np.sqrt(v["x2"]) + 0.3 * v["x3"] ** 3}

    n = 5000
    draws = make_draw(model, specs, seed=8)(0, n)
    result = rank_correlations(draws, specs, outputs=["y"])
    prcc = _by_input(result["outputs"]["y"]["inputs"], "prcc")
    assert set(prcc) == {"x1", "x2", "x3"}  # the fixed input is not ranked
    names = ["x1", "x2", "x3"]
    # the inputs' ranks are their mid-CDF ranks (scipy's cdf), the output's rankdata
    ranks = {name: scipy_mid_cdf(specs[name], draws[name]) for name in names}
    ranks["y"] = stats.rankdata(draws["y"])
    for name in names:
        others = np.column_stack([np.ones(n)] + [ranks[o] for o in names if o != name])

        def residual(target, others=others):
            return target - others @ np.linalg.lstsq(others, target, rcond=None)[0]

        direct = np.corrcoef(residual(ranks[name]), residual(ranks["y"]))[0, 1]
        assert prcc[name]["value"] == pytest.approx(direct, abs=1e-10)
    assert prcc["x2"]["value"] < 0 < prcc["x1"]["value"]


def test_ranks_from_the_runs_uniforms_are_the_ranks_from_the_cdf():
    # a continuous input's rank is its uniform where given, else the cdf of its value: the
    # same numbers up to rounding; the reference is scipy's cdf against rankdata
    specs = {"x1": LogNormal(mu=0.0, sigma=2.0), "x2": Uniform(low=-1.0, high=5.0)}
    draws = make_draw(lambda v: {"y": v["x1"] * v["x2"]}, specs, seed=2)(0, 3000)
    uniforms = {name: specs[name].to_scipy().cdf(draws[name]) for name in specs}
    a = rank_correlations(draws, specs, outputs=["y"])["outputs"]["y"]["inputs"]
    b = rank_correlations(draws, specs, outputs=["y"], uniforms=uniforms)["outputs"]["y"]
    for row, other in zip(a, b["inputs"], strict=True):
        reference = mid_cdf_rho_reference(specs[row["input"]], draws[row["input"]], draws["y"])
        assert row["input"] == other["input"]
        assert row["spearman"]["value"] == pytest.approx(reference, abs=1e-12)
        assert other["spearman"]["value"] == pytest.approx(reference, abs=1e-12)


def test_rank_correlations_errors():
    specs = {"x1": Uniform(low=0.0, high=1.0)}
    draws = {"x1": np.linspace(0, 1, 100), "y": np.ones(100)}
    with pytest.raises(ValueError, match="output y has no spread"):
        rank_correlations(draws, specs, outputs=["y"])
    with pytest.raises(ValueError, match="hold no output z"):
        rank_correlations(draws, specs, outputs=["z"])
    with pytest.raises(ValueError, match="at least 3 draws per group"):
        rank_correlations({"x1": draws["x1"][:10], "y": draws["x1"][:10]}, specs, outputs=["y"])


# --------------------------------------------------------------------------- tornado
def test_tornado_on_a_product_against_hand_values():
    # Y = X1·X2·k, X1 ~ U(1, 3): P10 1.2, P50 2, P90 2.8; X2 ~ U(10, 20): 11, 15, 19; k = 1.
    # Base 2·15 = 30. X1: 1.2·15 = 18 → 2.8·15 = 42 (swing 24); X2: 2·11 = 22 → 2·19 = 38 (16).
    specs = {
        "x2": Uniform(low=10.0, high=20.0),
        "x1": Uniform(low=1.0, high=3.0),
        "k": Fixed(value=1.0),
    }
    result = tornado(lambda v: {"y": v["x1"] * v["x2"] * v["k"]}, specs, outputs=["y"])
    out = result["outputs"]["y"]
    assert out["base"] == pytest.approx(30.0)
    (first, second) = out["inputs"]
    assert first["input"] == "x1" and second["input"] == "x2"
    assert [first["input_low"], first["input_high"]] == pytest.approx([1.2, 2.8])
    assert [first["output_at_input_low"], first["output_at_input_high"], first["swing"]] == (
        pytest.approx([18.0, 42.0, 24.0])
    )
    assert [second["output_at_input_low"], second["output_at_input_high"], second["swing"]] == (
        pytest.approx([22.0, 38.0, 16.0])
    )
    with pytest.raises(ValueError, match="0 < low < high < 1"):
        tornado(lambda v: v, specs, outputs=["x1"], low=0.9, high=0.1)


# --------------------------------------------------------------------------- on the chain
CHAIN_SPECS = {
    "n_params": Fixed(value=405e9),
    "n_tokens": LogNormal.from_interval(14e12, 16e12),
    "flop_per_param_token": Fixed(value=6.0),
    "n_gpus": Fixed(value=16384.0),
    "gpu_peak_flop_per_s": Fixed(value=989e12),
    "mfu": Uniform(low=0.38, high=0.43),
    "goodput": Uniform(low=0.8, high=0.95),
    "gpu_price_usd": LogNormal.from_interval(25e3, 40e3),
    "overhead_capex_ratio": Uniform(low=0.5, high=1.5),
    "gpu_tdp_w": Fixed(value=700.0),
    "power_overhead_factor": Uniform(low=1.5, high=2.5),
    "electricity_usd_per_kwh": LogNormal.from_interval(0.06, 0.11),
}


def test_chain_analyses_are_consistent_and_render():
    draws = make_draw(chain.evaluate, CHAIN_SPECS, seed=2024)(0, 8192)
    # the key outputs these inputs compute (no hardware life or rental price: no amortized
    # or rental cost)
    outputs = [name for name in chain.KEY_OUTPUTS if name in draws]
    assert outputs == ["train_days", "gpu_hours", "energy_cost_usd", "tco_usd"]
    logs = log_variance_shares(draws, CHAIN_SPECS, outputs=outputs)
    # train_days = 6·N·D / (G·P·mfu·goodput·86400): exponents +1, −1, −1 exactly, R² = 1.
    days = _by_input(logs["outputs"]["train_days"]["inputs"], "exponent")
    assert days["n_tokens"]["value"] == pytest.approx(1.0, abs=1e-9)
    assert days["mfu"]["value"] == pytest.approx(-1.0, abs=1e-9)
    assert days["goodput"]["value"] == pytest.approx(-1.0, abs=1e-9)
    ranks = rank_correlations(draws, CHAIN_SPECS, outputs=outputs)
    top = ranks["outputs"]["tco_usd"]["inputs"][0]["input"]
    bars = tornado(chain.evaluate, CHAIN_SPECS, outputs=outputs)
    assert bars["outputs"]["tco_usd"]["inputs"][0]["input"] == top == "overhead_capex_ratio"
    for result in (logs, ranks, bars):
        json.dumps(result, allow_nan=False)
    table = markdown_table(ranks, output="train_days", limit=3)
    lines = table.splitlines()
    assert lines[0].startswith("| rank | input | Spearman ρ | PRCC |")
    assert len([line for line in lines if line.startswith("| ")]) == 1 + 3
    assert "95% interval (grouped jackknife, 20 groups)" in table
    assert "| 1 | overhead_capex_ratio |" in markdown_table(bars, output="tco_usd")
    with pytest.raises(ValueError, match="has no output 'nope'"):
        markdown_table(ranks, output="nope")
    with pytest.raises(ValueError, match="no table for method"):
        markdown_table({"method": "x", "outputs": {}}, output="y")


def test_analyze_bundles_every_analysis_into_one_json_section():
    outputs = ["train_days", "tco_usd"]
    draws = make_draw(chain.evaluate, CHAIN_SPECS, seed=7)(0, 4096)
    section = analyze(
        chain.evaluate,
        CHAIN_SPECS,
        draws,
        outputs=outputs,
        targets=[RiskTarget("train_days", 80.0)],
        method="sobol",
        sobol_n=2**10,
    )
    assert set(section) == {
        "method",
        "rank_correlation",
        "log_variance",
        "tornado",
        "risk_drivers",
        "sobol",
        "sobol_log",
    }
    json.dumps(section, allow_nan=False)
    text = markdown_section(section, limit=2)
    assert "#### Risk drivers (what the misses have in common): train_days" in text
    assert "#### Sobol' indices of log(output): tco_usd" in text
    p = section["risk_drivers"]["outputs"]["train_days_over_threshold"]["probability"][
        "probability"
    ]
    assert f"P(train_days > 80) as drawn: {p:.3g} [" in text
    with pytest.raises(ValueError, match="unknown sensitivity method"):
        analyze(chain.evaluate, CHAIN_SPECS, draws, outputs=outputs, method="morris")


def test_rank_correlations_with_one_input_and_an_xarray_dataset():
    # One uncertain input and a monotone model: rho is the mid-CDF estimator's (-1 up to
    # the O(1/n) gap between cdf and sample ranks), PRCC with no other input is rho itself
    # (the ridge keeps a near-singular matrix solvable), the contribution 1.
    xr = pytest.importorskip("xarray")
    specs = {"x": LogNormal(mu=0.0, sigma=1.0), "c": Fixed(value=2.0)}
    draws = make_draw(lambda v: {"y": v["c"] / v["x"]}, specs, seed=3)(0, 1000)
    dataset = xr.Dataset({name: ("draw", values) for name, values in draws.items()})
    result = rank_correlations(dataset, specs, outputs=["y"])
    (row,) = result["outputs"]["y"]["inputs"]
    assert row["sign"] == "negative"
    rho = mid_cdf_rho_reference(specs["x"], draws["x"], draws["y"])
    assert row["spearman"]["value"] == pytest.approx(rho, abs=1e-12)
    assert rho == pytest.approx(-1.0, abs=10 / 1000)
    assert row["prcc"]["value"] == pytest.approx(rho, abs=1e-9)
    assert row["contribution_to_variance"]["value"] == pytest.approx(1.0)
    assert result == rank_correlations(draws, specs, outputs=["y"])


def test_sobol_of_one_output_with_one_uncertain_input_is_one():
    """One input, one output: all the variance is the input's, S1 = ST = 1. (scipy's
    sobol_indices squeezed this case to a scalar and crashed; found by the fuzz test.)
    Tolerance: for y = x, x ~ U(0, 1), Jansen's total estimator is mean((x_A - x_B)^2) / (2
    var y), whose coefficient of variation is sqrt(1/15 - 1/36) / (1/6) = 1.18 a draw, so
    0.018 at n = 4096; 0.1 is over 5 of those (Saltelli's first order is alike)."""
    result = sobol(
        lambda v: {"y": v["x"]}, {"x": Uniform(low=0.0, high=1.0)}, outputs=["y"], n=4096
    )
    (row,) = result["outputs"]["y"]["inputs"]
    assert abs(row["first_order"]["value"] - 1) < 0.1
    assert abs(row["total_order"]["value"] - 1) < 0.1


@pytest.mark.parametrize("transform", [None, np.log])
def test_grouped_covariances_equal_numpys_with_each_group_left_out(transform):
    """The full covariance and each leave-one-group-out one equal ``np.cov`` of the draws
    with that group removed (groups of unequal size: 1003 draws in 7 groups; columns far
    from 0, where an unshifted sum of cross products would cancel)."""
    rng = np.random.default_rng(3)
    n, groups = 1003, 7
    base = rng.lognormal(20.0, 0.1, n)
    columns = [base, base * rng.lognormal(0.0, 0.05, n), rng.lognormal(5.0, 0.3, n)]
    values = np.stack(columns) if transform is None else transform(np.stack(columns))
    full, left_out = _grouped_covariances(columns, groups, transform)
    np.testing.assert_allclose(full, np.cov(values), rtol=1e-10)
    bounds = np.linspace(0, n, groups + 1).astype(int)
    for g, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        kept = np.delete(values, np.s_[a:b], axis=1)
        np.testing.assert_allclose(left_out[g], np.cov(kept), rtol=1e-10)
