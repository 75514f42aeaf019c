"""The forecast updated from a run in progress, against a synthetic run with known truth.

Synthetic run: 70B parameters, 15T tokens, 4,096 H100 at 989.4 TFLOP/s dense BF16, MFU
uniform on [0.2, 0.6] (a wide prior), goodput 1, so train_days = c / mfu with c fixed.
The truth is MFU 0.4, i.e. T* = c / 0.4. Observations: k progress shares
s_i = (t_i / T*) · exp(ε_i), ε_i ~ N(0, σ²), σ = progress_sd = 0.03.

Likelihood in log T: log s_i = log t_i − log T + ε_i, so k observations give a normal
likelihood for log T with mean mean_i(log t_i − log s_i) and sd σ/√k. The prior density
of log T is smooth over that width (uniform MFU: density ∝ 1/T, a tilt that moves the
mean by −sd² and leaves the sd alone), so the posterior sd of log T is σ/√k and the
posterior is lognormal: sd(log T) = log(P95/P5) / (2·z_0.95).

Monte Carlo error of that spread from an importance sample of n_eff effective draws: each
quantile's sd is √(p(1−p)) / φ(z_p) / √n_eff in sd units (p = 0.05: 2.11); the spread of
two, divided by 2·1.645, has relative sd ≈ 2.11·√2 / 3.29 / √n_eff = 0.91 / √n_eff.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import simulate
from simulate.scenario.config import ConfigError, scenario_from_dict
from simulate.workflows.planning import update_forecast

SIGMA = 0.03
Z95 = stats.norm.ppf(0.95)


def _scenario(progress, *, draws=400_000, inputs=None, correlations=None):
    raw = {
        "scenario": {"name": "synthetic", "draws": draws, "seed": 11},
        "cluster": {"accelerator": "H100-SXM"},
        "inputs": {
            "n_params": 70e9,
            "n_tokens": 15e12,
            "n_gpus": 4096,
            "mfu": {"dist": "uniform", "low": 0.2, "high": 0.6},
            "power_overhead_factor": 1.5,
            "electricity_usd_per_kwh": 0.08,
            "overhead_capex_ratio": 1.0,
        }
        | (inputs or {}),
        "risk": {"deadline_days": 55},
        "progress": progress,
    }
    if correlations:
        raw["correlations"] = {"pairs": correlations}
    return scenario_from_dict(raw)


def _true_days() -> float:
    # 6 N D / (GPUs · peak · MFU) in days, written out (not through the chain).
    return 6 * 70e9 * 15e12 / (4096 * 989.4e12 * 0.4) / 86_400


@pytest.mark.parametrize("k", [1, 4, 16])
def test_posterior_contracts_around_the_truth_at_the_likelihood_rate(k):
    truth = _true_days()
    rng = np.random.default_rng(100 + k)
    days = np.linspace(2.0, 12.0, k)
    shares = days / truth * np.exp(rng.normal(0.0, SIGMA, k))
    history = [[float(d), float(s)] for d, s in zip(days, shares, strict=True)]
    scenario = _scenario({"elapsed_days": 12.0, "history": history, "progress_sd": SIGMA})
    ds = simulate.run(scenario)
    update = update_forecast(ds, scenario)
    p5, p50, p95 = update["train_days"].sel(stage="after").values
    spread = math.log(p95 / p5) / (2 * Z95)
    expected = SIGMA / math.sqrt(k)
    ess = update.attrs["effective_draws"]
    assert abs(spread / expected - 1) < 4 * 0.91 / math.sqrt(ess) + 0.01, (spread, expected)
    # Centre: the likelihood's own estimate of log T is within 4 sd of the truth, and
    # the posterior median within 4 sd of the likelihood's estimate.
    mle = float(np.mean(np.log(days) - np.log(shares)))
    assert abs(mle - math.log(truth)) < 4 * expected
    assert abs(math.log(p50) - mle) < 4 * expected * 0.91 / math.sqrt(ess) + expected**2 * 2
    # The prior was far wider: the update did contract.
    b5, _, b95 = update["train_days"].sel(stage="before").values
    assert math.log(b95 / b5) > 5 * math.log(p95 / p5)


def test_interruptions_update_the_failure_rate_to_the_gamma_posterior():
    # Prior: rate per GPU-hour uniform on [1e-6, 1e-4]; k interruptions in h hours on g GPUs
    # give a likelihood ∝ λ^k e^{−λ g h}: the posterior is Gamma(k + 1, 1 / (g h)) cut to
    # the prior's range (here it holds all but a negligible tail).
    k, elapsed, gpus = 40, 20.0, 4096
    failure = {
        "interruptions_per_gpu_hour": {"dist": "uniform", "low": 1e-6, "high": 1e-4},
        "restart_hours": 0.2,
        "checkpoint_interval_hours": 0.5,
        "checkpoint_write_hours": 0.005,  # 1% of a 0.5 h interval
    }
    scenario = _scenario(
        {"elapsed_days": elapsed, "interruptions": k}, inputs=failure, draws=400_000
    )
    update = update_forecast(simulate.run(scenario), scenario)
    rate = update["interruptions_per_gpu_hour"].sel(stage="after").values
    posterior = stats.gamma(k + 1, scale=1 / (gpus * elapsed * 24))
    expected = posterior.ppf([0.05, 0.5, 0.95])
    ess = update.attrs["effective_draws"]
    # each quantile within 4 of its sd: sqrt(p(1-p)) / f(x_p) / sqrt(n_eff)
    se = np.sqrt([0.05 * 0.95, 0.25, 0.05 * 0.95]) / posterior.pdf(expected) / math.sqrt(ess)
    np.testing.assert_array_less(np.abs(rate - expected), 4 * se)


def test_risk_and_costs_are_side_by_side_before_and_after():
    truth = _true_days()
    scenario = _scenario({"elapsed_days": 10.0, "tokens_done": 10.0 / truth})
    update = update_forecast(simulate.run(scenario, draws=100_000), scenario)
    risk = update["risk_probability"].sel(target="train_days_over_deadline")
    # before: P(T > 55) under the prior, T = c / mfu: P(mfu < c/55), mfu ~ U(0.2, 0.6)
    c = truth * 0.4
    assert risk.sel(stage="before").item() == pytest.approx((c / 55 - 0.2) / 0.4, abs=0.01)
    # after: T* = c/0.4 = 46 d and one observation puts sd(log T) at 0.03: log(55/46) is 6 sd
    assert risk.sel(stage="after").item() < 1e-3
    cost = update["amortized_cost_usd_to_complete"].sel(stage="after").values
    assert np.all(cost > 0)


def test_impossible_observations_get_a_clear_message():
    scenario = _scenario({"elapsed_days": 500.0, "tokens_done": 0.5})
    with pytest.raises(ConfigError, match="progress: no draw is consistent"):
        update_forecast(simulate.run(scenario, draws=10_000), scenario)


def test_a_collapsed_update_is_refused_not_answered():
    scenario = _scenario({"elapsed_days": 10.0, "tokens_done": 0.3, "progress_sd": 1e-7})
    with pytest.raises(ConfigError, match="effective sample of .* below 100"):
        update_forecast(simulate.run(scenario, draws=10_000), scenario)


@pytest.mark.parametrize(
    ("progress", "match"),
    [
        ({"tokens_done": 0.3}, "progress.elapsed_days: required"),
        ({"elapsed_days": -1, "tokens_done": 0.3}, "progress.elapsed_days: must be a number > 0"),
        ({"elapsed_days": 5, "history": [[6, 0.1]]}, "day 6 is after elapsed_days 5"),
        ({"elapsed_days": 5, "interruptions": 2.5}, "progress.interruptions: must be a whole"),
        ({"elapsed_days": 5, "start_date": "soon", "tokens_done": 0.1}, "TOML date"),
        ({"elapsed_days": 5}, "give tokens_done"),
    ],
)
def test_bad_progress_tables(progress, match):
    with pytest.raises(ConfigError, match=match):
        _scenario(progress)


@pytest.mark.parametrize("rho_s", [0.0, 0.9])
def test_correlated_inputs_update_to_the_copula_posterior(rho_s):
    """[progress] x [correlations]: the update reweights the copula's own draws.

    mfu ~ U(0.2, 0.6) and goodput ~ U(0.6, 1.0) joined by a Gaussian copula with Spearman
    rho_s (Pearson r = 2 sin(pi rho_s / 6), Kruskal 1958); train_days = C / (mfu goodput).
    One observation s = t / T* at t = 10 days with sd 0.03 in log s, T* at mfu 0.4,
    goodput 0.8. Posterior density of (m, g) ∝ c(u, v) · N(log s; log(t / T(m, g)), σ²),
    c the copula density φ2(z, w; r) / (φ(z) φ(w)), z = Φ⁻¹(u), w = Φ⁻¹(v): integrated on a
    grid here (scipy), its goodput median is the reference. Tolerance: 4 sd of a median
    from n_eff weighted draws, 0.5 / f(median) / sqrt(n_eff), plus the grid's step."""
    truth = _true_days() * 0.4 / (0.4 * 0.8)  # goodput 1 -> 0.8, same MFU
    t, share = 10.0, 10.0 / truth
    inputs = {"goodput": {"dist": "uniform", "low": 0.6, "high": 1.0}}
    scenario = _scenario(
        {"elapsed_days": t, "tokens_done": share, "progress_sd": SIGMA},
        inputs=inputs,
        correlations=[["mfu", "goodput", rho_s]] if rho_s else None,
    )
    ds = simulate.run(scenario)
    update = update_forecast(ds, scenario)
    got = update["goodput"].sel(stage="after").values[1]

    r = 2 * math.sin(math.pi * rho_s / 6)
    steps = 1200
    u = (np.arange(steps) + 0.5) / steps
    m, g = np.meshgrid(0.2 + 0.4 * u, 0.6 + 0.4 * u, indexing="ij")
    z, w = np.meshgrid(stats.norm.ppf(u), stats.norm.ppf(u), indexing="ij")
    log_copula = (
        stats.multivariate_normal([0, 0], [[1, r], [r, 1]]).logpdf(np.dstack([z, w]))
        - stats.norm.logpdf(z) - stats.norm.logpdf(w)
    )  # fmt: skip
    days = _true_days() * 0.4 / (m * g)
    log_post = log_copula + stats.norm.logpdf(math.log(share) - np.log(t / days), scale=SIGMA)
    post = np.exp(log_post - log_post.max()).sum(axis=0)  # marginal of goodput
    cdf = np.cumsum(post) / post.sum()
    grid_g = 0.6 + 0.4 * u
    median = float(np.interp(0.5, cdf, grid_g))
    density = float(np.interp(median, grid_g, post / post.sum() * steps / 0.4))
    se = 0.5 / density / math.sqrt(update.attrs["effective_draws"])
    # (the two cases' medians, 0.775 and 0.799, differ by 6 to 14 times this tolerance)
    assert abs(got - median) < 4 * se + 0.4 / steps, (got, median, se)
