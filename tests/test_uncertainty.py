"""Tests for simulate.analysis.intervals, .summary and .convergence: intervals, the summary
Dataset, risk drivers and runs to a precision.

Tolerances are Monte Carlo standard errors at fixed seeds, derived beside each number.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from distributions import Fixed, LogNormal, Uniform
from simulate.analysis.convergence import run_until
from simulate.analysis.intervals import (
    make_draw,
    mean_interval,
    percentile_key,
    quantile_intervals,
)
from simulate.analysis.risk import RiskTarget, miss_probability
from simulate.analysis.risk_drivers import fixed_at_median as risk_drivers
from simulate.analysis.summary import risk, summarize
from simulate.model import chain

# --------------------------------------------------------------------------- percentiles


def test_quantile_estimates_equal_numpy_and_intervals_equal_scipy_quantile_test():
    rng = np.random.default_rng(0)
    for n in (7, 40, 301):
        x = rng.standard_normal(n)
        p = np.array([0.05, 0.25, 0.5, 0.9, 0.95])
        estimate, low, high = quantile_intervals(x, p, confidence=0.9)
        np.testing.assert_array_equal(estimate, np.quantile(x, p))
        for i, pi in enumerate(p):
            ci = stats.quantile_test(x, q=0.0, p=pi).confidence_interval(0.9)
            # scipy writes NaN where the sample is too small for a bound; we write ±inf
            assert low[i] == (ci.low if np.isfinite(ci.low) else -np.inf)
            assert high[i] == (ci.high if np.isfinite(ci.high) else np.inf)


def test_quantile_intervals_vectorize_over_leading_axes():
    x = np.random.default_rng(1).exponential(size=(3, 4, 500))
    estimate, low, high = quantile_intervals(x, [0.1, 0.5, 0.9])
    assert estimate.shape == low.shape == high.shape == (3, 4, 3)
    one = quantile_intervals(x[2, 1], [0.1, 0.5, 0.9])
    np.testing.assert_array_equal(np.stack(one), np.stack([estimate[2, 1], low[2, 1], high[2, 1]]))


def test_order_statistic_intervals_cover_the_true_quantile_about_95_percent():
    # Derivation (David & Nagaraja 2003, §7.1): with K = #{X_j <= ξ_p} ~ Binomial(n, p),
    # X_(r) <= ξ_p  <=>  K >= r, and ξ_p < X_(s)  <=>  K <= s - 1, so the interval covers ξ_p
    # with probability F(s − 1) − F(r − 1) exactly, for any continuous distribution. With
    # r = F⁻¹(0.025) and s − 1 = F⁻¹(0.975) that exact coverage e is >= 0.95. Over 400
    # independent seeds the number of covering intervals is Binomial(400, e): the observed
    # share must lie within 3 SD, 3·√(e(1 − e)/400) ≈ 0.033, of e, and of 0.95.
    n, seeds = 200, 400
    p = np.array([0.05, 0.5, 0.9])
    truth = -np.log1p(-p)  # Exponential(1) quantiles
    x = np.stack([np.random.default_rng(seed).exponential(size=n) for seed in range(seeds)])
    _, low, high = quantile_intervals(x, p, confidence=0.95)
    covered = ((low <= truth) & (truth <= high)).mean(axis=0)
    r = stats.binom.ppf(0.025, n, p)
    s_minus_1 = stats.binom.ppf(0.975, n, p)
    exact = stats.binom.cdf(s_minus_1, n, p) - stats.binom.cdf(r - 1, n, p)
    assert np.all(exact >= 0.95)
    for share, e in zip(covered, exact, strict=True):
        assert abs(share - e) <= 3 * math.sqrt(e * (1 - e) / seeds)
        assert abs(share - 0.95) <= 3 * math.sqrt(0.95 * 0.05 / seeds)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.integers(1, 60), elements=st.floats(-1e6, 1e6)),
    st.lists(st.floats(0, 1), min_size=1, max_size=5),
)
def test_percentile_intervals_are_ordered(values, probabilities):
    p = np.sort(np.asarray(probabilities))
    estimate, low, high = quantile_intervals(values, p)
    assert np.all(low <= estimate) and np.all(estimate <= high)
    assert np.all(estimate[1:] >= estimate[:-1])
    assert np.all(low[1:] >= low[:-1]) and np.all(high[1:] >= high[:-1])


def test_quantile_intervals_reject_bad_arguments():
    with pytest.raises(ValueError, match="probabilities in"):
        quantile_intervals(np.ones(5), [1.5])
    with pytest.raises(ValueError, match="confidence must lie in"):
        quantile_intervals(np.ones(5), [0.5], confidence=95)


# --------------------------------------------------------------------------- probabilities, mean
def test_miss_probability_is_wilson():
    values = np.arange(50.0)  # 7 of 50 exceed 42.5
    cell = miss_probability(values, RiskTarget("x", 42.5))
    # Wilson (1927): (p̂ + z²/2n ± z√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n)
    z, n, p = stats.norm.ppf(0.975), 50, 7 / 50
    center = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert cell["draws_missing"] == 7 and cell["probability"] == pytest.approx(0.14)
    assert cell["ci95"] == pytest.approx([center - half, center + half], rel=1e-9)
    assert cell["threshold"] == 42.5 and cell["draws"] == 50


def test_mean_interval():
    x = np.random.default_rng(3).normal(10.0, 2.0, size=10_000)
    cell = mean_interval(x)
    assert cell["std"] == x.std(ddof=1)
    assert cell["standard_error"] == pytest.approx(x.std(ddof=1) / 100)
    assert cell["high"] - cell["value"] == pytest.approx(1.959964 * cell["standard_error"])
    # true mean 10, SE 0.02: within 4 SE
    assert abs(cell["value"] - 10.0) <= 4 * 0.02


def test_summarize_is_a_dataset_checked_against_numpy_and_scipy():
    rng = np.random.default_rng(11)
    a, b = rng.lognormal(size=1001), rng.normal(size=1001)
    draws = xr.Dataset({"a": ("draw", a, {"units": "days"}), "b": ("draw", b, {"units": "USD"})})
    percentiles = (2.5, 50, 97.5)
    result = summarize(draws, percentiles)
    assert dict(result.sizes) == {"variable": 2, "quantile": 3}
    assert result["variable"].values.tolist() == ["a", "b"]
    assert result["quantile"].values.tolist() == [2.5, 50.0, 97.5]
    assert result["units"].values.tolist() == ["days", "USD"]
    assert result.attrs == {
        "n_draws": 1001,
        "confidence": 0.95,
        "interval": "iid",
        "replicates": 0,
        "critical_value": stats.norm.ppf(0.975),  # iid draws: the normal interval of the mean
    }
    for name, x in (("a", a), ("b", b)):
        row = result.sel(variable=name)
        # numpy's linear rule, bit for bit; the mean, its SE and the std from numpy
        assert row["percentile"].values.tolist() == np.quantile(x, [0.025, 0.5, 0.975]).tolist()
        assert float(row["mean"]) == float(x.mean())
        assert float(row["std"]) == float(x.std(ddof=1))
        assert float(row["mean_standard_error"]) == float(x.std(ddof=1)) / math.sqrt(1001)
        for q in percentiles:
            ci = stats.quantile_test(x, q=0.0, p=q / 100).confidence_interval(0.95)
            assert float(row["percentile_low"].sel(quantile=q)) == ci.low
            assert float(row["percentile_high"].sel(quantile=q)) == ci.high
    frame = result.to_dataframe()
    assert list(frame.index.names) == ["variable", "quantile"] and len(frame) == 6
    assert {"mean", "std", "percentile", "percentile_low", "percentile_high", "units"} <= set(
        frame.columns
    )
    assert frame.loc[("a", 50.0), "percentile"] == np.quantile(a, 0.5)
    assert percentile_key(5.0) == "p5"
    tiny = summarize({"a": np.arange(3.0)}, (50,))  # too few draws: the bounds are unbounded
    assert tiny["percentile_low"].item() == -np.inf and tiny["percentile_high"].item() == np.inf
    assert tiny["units"].item() == ""
    with pytest.raises(ValueError, match="the draws hold no c"):
        summarize(draws, (50,), variables=["a", "c"])


def test_summarize_a_constant_and_a_single_draw():
    constant = xr.Dataset({"c": ("draw", np.full(4, 2.5), {"constant": True, "units": "x"})})
    row = summarize(constant, (5, 95)).sel(variable="c")
    assert row["percentile"].values.tolist() == [2.5, 2.5]
    assert float(row["std"]) == float(row["mean_standard_error"]) == 0.0
    one = summarize({"y": np.array([3.0])}, (50,)).sel(variable="y")
    # one draw: no spread seen, the mean's standard error unknown
    assert float(row["mean"]) == 2.5 and float(one["std"]) == 0.0
    assert float(one["mean_standard_error"]) == math.inf


# --------------------------------------------------------------------------- risk drivers
def test_risk_drivers_find_the_input_that_drives_exceedance():
    # Y = 10·X1 + X2, X1 ~ U(0, 1), X2 ~ U(0, 0.1), threshold 9. P(Y > 9) = E[0.1 + X2/10]
    # = 0.105. X1 fixed at 0.5 gives Y <= 5.1: P = 0, the fall is the whole 0.105. X2 fixed
    # at 0.05 gives P(X1 > 0.895) = 0.105 again: the true fall is 0.
    specs = {
        "x1": Uniform(low=0.0, high=1.0),
        "x2": Uniform(low=0.0, high=0.1),
        "k": Fixed(value=10.0),
    }

    def model(v):
        return {"y": v["k"] * v["x1"] + v["x2"]}

    n = 20_000
    draws = make_draw(model, specs, seed=12)(0, n)
    result = risk_drivers(model, specs, draws, targets=[RiskTarget("y", 9.0)])
    out = result["outputs"]["y_over_threshold"]
    base = out["probability"]
    # SE of the base probability: √(0.105·0.895/20000) ≈ 0.0022
    assert abs(base["probability"] - 0.105) <= 4 * math.sqrt(0.105 * 0.895 / n)
    top, other = out["inputs"]
    assert top["input"] == "x1" and top["probability"]["count"] == 0
    assert top["reduction"]["value"] == pytest.approx(base["probability"])
    assert abs(other["reduction"]["value"]) <= 4 * other["reduction"]["standard_error"]
    # Newcombe's paired SE equals the SD (ddof 0) of the per-draw indicator difference / √n.
    exceed = draws["y"] > 9.0
    fixed = model(draws | {"x2": 0.05, "k": 10.0})["y"] > 9.0
    difference = exceed.astype(float) - fixed
    assert other["reduction"]["value"] == pytest.approx(difference.mean(), abs=1e-15)
    assert other["reduction"]["standard_error"] == pytest.approx(difference.std() / math.sqrt(n))
    json.dumps(result, allow_nan=False)
    with pytest.raises(ValueError, match="the model does not compute z"):
        risk_drivers(model, specs, draws, targets=[RiskTarget("z", 1.0)])
    with pytest.raises(ValueError, match="needs the draws of x2"):
        risk_drivers(model, specs, {"x1": draws["x1"]}, targets=[RiskTarget("y", 9.0)])


# --------------------------------------------------------------------------- convergence
SPECS = {"x": LogNormal(mu=0.0, sigma=0.5), "u": Uniform(low=1.0, high=2.0), "c": Fixed(value=3.0)}


def product(v):
    return {"y": v["c"] * v["x"] * v["u"]}


@pytest.mark.parametrize("growth", ["double", "fixed"])
def test_run_until_equals_the_fixed_run_bit_for_bit(growth):
    draw = make_draw(product, SPECS, seed=21)
    result = run_until(
        draw,
        precision=0.02,
        outputs=["y"],
        targets=[RiskTarget("y", 6.0)],
        batch=1000,
        growth=growth,
    )
    assert result.converged and result.n_draws > 1000
    sizes = [step["n_draws"] for step in result.history]
    assert sizes == (
        [1000 * 2**i for i in range(len(sizes))]
        if growth == "double"
        else [1000 * (i + 1) for i in range(len(sizes))]
    )
    fixed = draw(0, result.n_draws)
    assert set(fixed) == set(result.draws) == {"x", "u", "y"}
    for name, values in fixed.items():
        assert np.array_equal(values, result.draws[name])
    xr.testing.assert_identical(summarize(fixed, variables=["y"]), result.summary)
    assert risk(fixed, [RiskTarget("y", 6.0)]) == result.risk
    y = fixed["y"]
    for q in (5, 50, 95):
        value = np.quantile(y, q / 100)  # numpy's rule; the interval scipy's quantile_test
        ci = stats.quantile_test(y, q=0.0, p=q / 100).confidence_interval(0.95)
        assert float(result.summary["percentile"].sel(variable="y", quantile=q)) == value
        assert (ci.high - ci.low) / 2 <= 0.02 * abs(value)
    exceed = int(np.count_nonzero(y > 6.0))
    wilson = stats.binomtest(exceed, y.size).proportion_ci(method="wilson")
    assert (wilson.high - wilson.low) / 2 <= 0.02
    assert result.history[-2]["percentile_relative_half_width"] > 0.02 or (
        result.history[-2]["probability_half_width"] > 0.02
    )
    json.dumps(result.to_dict(), allow_nan=False)


def test_run_until_on_the_chain_matches_a_fixed_run():
    specs = {
        "n_params": Fixed(value=7e10),
        "n_tokens": LogNormal.from_interval(1e12, 2e12),
        "flop_per_param_token": Fixed(value=6.0),
        "n_gpus": Fixed(value=1024.0),
        "gpu_peak_flop_per_s": Fixed(value=989e12),
        "mfu": Uniform(low=0.3, high=0.5),
        "goodput": Fixed(value=0.9),
    }
    draw = make_draw(chain.evaluate, specs, seed=5)
    result = run_until(draw, precision=0.01, outputs=["train_days"], batch=512)
    assert result.converged and len(result.history) > 1
    assert np.array_equal(draw(0, result.n_draws)["train_days"], result.draws["train_days"])


def test_run_until_stops_at_the_cap():
    draw = make_draw(product, SPECS, seed=1)
    result = run_until(draw, precision=1e-6, outputs=["y"], batch=100, max_draws=700)
    assert not result.converged and result.n_draws == 700
    assert [step["n_draws"] for step in result.history] == [100, 200, 400, 700]
    with pytest.raises(ValueError, match="the draws hold no z"):
        run_until(draw, precision=0.1, outputs=["z"])
    with pytest.raises(ValueError, match="precision > 0"):
        run_until(draw, precision=0.0)
    with pytest.raises(ValueError, match="growth 'double' or 'fixed'"):
        run_until(draw, precision=0.1, growth="triple")  # type: ignore[arg-type]
