"""Intervals that say what they are on randomized QMC designs (issue 15, item 7).

Y = X1 · X2 · X3 with independent lognormal X_i has a lognormal law: log Y ~
Normal(Σ mu_i, Σ sigma_i²), so its mean exp(mu + sigma²/2) and median exp(mu) are known
exactly. Each method's reported intervals are checked against those truths over 30
independent seeds.

Coverage check (derivation). With honest intervals each seed's 95% interval covers the
truth independently with probability 0.95, so the count of 30 is Binomial(30, 0.95):
P(count <= 24) = 0.0033 (scipy.stats.binom.cdf(24, 30, 0.95)), so ">= 25 of 30" fails an
honest method 0.33% of the time. An interval that is too *wide* (the iid interval on a
Sobol' design overstates the mean's error about 230x) still covers 30 of 30, so the same
runs' 50% intervals are checked too: honest, their count is Binomial(30, 0.5) and
P(count <= 6 or >= 24) = 2 · binom.cdf(6, 30, 0.5) = 0.0014; too wide, they cover 30 of
30; too narrow, few. The seeds are fixed, so the test is deterministic.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats

import simulate
from distributions import LogNormal, sample, uniforms
from distributions.sampling import QMC_REPLICATES
from simulate.analysis.summary import summarize
from simulate.report.summary import build_summary

MUS, SIGMAS = (0.5, -0.2, 1.0), (0.3, 0.2, 0.25)
MU, SIGMA = sum(MUS), math.sqrt(sum(s * s for s in SIGMAS))
TRUE_MEAN, TRUE_MEDIAN = math.exp(MU + SIGMA**2 / 2), math.exp(MU)
SEEDS = range(30)
DRAWS = 4096  # 16 replicates of 256


def _specs() -> dict[str, LogNormal]:
    pairs = enumerate(zip(MUS, SIGMAS, strict=True))
    return {f"x{i}": LogNormal(mu=m, sigma=s) for i, (m, s) in pairs}


def _covered(method: str, confidence: float) -> tuple[int, int]:
    """How many of the 30 seeds' intervals hold the true mean and the true median."""
    specs = _specs()
    mean_hits = median_hits = 0
    for seed in SEEDS:
        x = sample(specs, DRAWS, method=method, seed=seed)
        y = x["x0"] * x["x1"] * x["x2"]
        replicates = QMC_REPLICATES if method != "random" else 0
        s = summarize({"y": y}, [50], confidence=confidence, replicates=replicates)
        half = s.attrs["critical_value"] * float(s["mean_standard_error"][0])
        mean = float(s["mean"][0])
        mean_hits += mean - half <= TRUE_MEAN <= mean + half
        low, high = float(s["percentile_low"][0, 0]), float(s["percentile_high"][0, 0])
        median_hits += low <= TRUE_MEDIAN <= high
    return mean_hits, median_hits


@pytest.mark.parametrize("method", ["random", "lhs", "sobol"])
def test_95_percent_intervals_cover_the_truth_about_95_percent_of_the_time(method):
    assert stats.binom.cdf(24, 30, 0.95) == pytest.approx(0.0033, abs=0.0001)
    mean_hits, median_hits = _covered(method, 0.95)
    assert mean_hits >= 25 and median_hits >= 25, (mean_hits, median_hits)


@pytest.mark.parametrize("method", ["random", "lhs", "sobol"])
def test_50_percent_intervals_are_not_too_wide(method):
    assert 2 * stats.binom.cdf(6, 30, 0.5) == pytest.approx(0.0014, abs=0.0001)
    mean_hits, median_hits = _covered(method, 0.5)
    assert 7 <= mean_hits <= 23 and 7 <= median_hits <= 23, (mean_hits, median_hits)


def test_the_iid_interval_on_sobol_is_far_too_wide_for_the_mean():
    """What the replicate interval fixes: the iid standard error s/√n against the spread
    of the mean between independent scrambles (30 seeds)."""
    specs = _specs()
    means, iid = [], []
    for seed in SEEDS:
        x = sample(specs, DRAWS, method="sobol", seed=seed)
        y = x["x0"] * x["x1"] * x["x2"]
        means.append(y.mean())
        iid.append(y.std(ddof=1) / math.sqrt(DRAWS))
    assert np.mean(iid) > 10 * np.std(means, ddof=1)


@pytest.mark.parametrize("method", ["lhs", "sobol"])
def test_qmc_designs_are_reproducible_and_addressable_by_index(method):
    names = ["a", "b", "c"]
    whole = uniforms(names, 1000, method=method, seed=3)
    again = uniforms(names, 1000, method=method, seed=3)
    assert all(np.array_equal(whole[k], again[k]) for k in names)
    if method == "sobol":  # a chunk is the same draws as the whole design's slice
        part = uniforms(names, 300, method=method, seed=3, start=700)
        assert all(np.array_equal(part[k], whole[k][700:]) for k in names)
    # replicate r (draws r, r + 16, ...) is one stratified design: for LHS each of its
    # 1000/16 -> 63 (or 62) points falls in its own stratum of [0, 1)
    if method == "lhs":
        replicate = whole["a"][0::QMC_REPLICATES]
        strata = np.floor(replicate * replicate.size).astype(int)
        assert sorted(strata) == list(range(replicate.size))


def test_sobol_replicates_are_balanced_at_powers_of_two():
    """Each replicate of a 2^k-draw Sobol' run holds 2^(k-4) points of a scrambled net:
    exactly half of them below 1/2 in every coordinate (a (t, m, s)-net property)."""
    u = uniforms(["a", "b"], 1024, method="sobol", seed=5)
    for r in range(QMC_REPLICATES):
        for column in u.values():
            assert np.count_nonzero(column[r::QMC_REPLICATES] < 0.5) == 1024 // 16 // 2


def test_a_sobol_run_states_its_replicates(write_config):
    scenario = simulate.load_scenario(write_config(), draws=2048, method="sobol")
    ds = simulate.run(scenario)
    assert ds.attrs["replicates"] == QMC_REPLICATES
    summary = build_summary(ds, scenario)
    intervals = summary["intervals"]
    assert intervals["method"] == "replicates" and intervals["replicates"] == 16
    assert intervals["critical_value"] == pytest.approx(stats.t.ppf(0.975, 15))
    assert "16 independent randomizations" in intervals["description"]
    random_run = simulate.run(simulate.load_scenario(write_config(), draws=2048))
    assert build_summary(random_run, scenario)["intervals"]["method"] == "iid"


def test_sobol_draw_count_not_a_power_of_two_is_warned(write_config):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy's own warning is not what tells the user
        scenario = simulate.load_scenario(write_config(), draws=3000, method="sobol")
    assert any("power of 2" in w and "3000" in w for w in scenario.warnings)
    fine = simulate.load_scenario(write_config(), draws=4096, method="sobol")
    assert not any("power of 2" in w for w in fine.warnings)


def test_run_to_precision_on_sobol_equals_a_fixed_sobol_run(write_config):
    """Sobol' replicates are sequences addressable by index: the batches (totals 2^k) make
    the same draws as one run of that size, and its intervals are the replicates'."""
    from simulate.workflows.sections import run_to_precision

    scenario = simulate.load_scenario(write_config(), method="sobol")
    ds, record = run_to_precision(scenario, precision=0.01, max_draws=2**14, batch=2**10)
    assert record["converged"] and record["n_draws"] == ds.sizes["draw"]
    fixed = simulate.run(scenario, draws=record["n_draws"])
    np.testing.assert_array_equal(ds["train_days"].values, fixed["train_days"].values)
    assert build_summary(fixed, scenario)["intervals"]["replicates"] == QMC_REPLICATES
