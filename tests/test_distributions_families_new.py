"""New families sampled by every design: goodness of fit at a fixed seed, and properties.

Statistical tolerance of the KS checks. Under H0 with n i.i.d. draws, the KS
statistic's distribution is known exactly (scipy.stats.kstest gives the p-value);
we reject only below ALPHA = 1e-3, a one-in-a-thousand false alarm per check at a
fixed seed. LHS and Sobol designs are stratified, so their KS statistic is
smaller than for i.i.d. draws and the same threshold is conservative for them.
Discrete families are checked with Pearson's chi-square on the counts
(KS is invalid for discontinuous cdfs: its p-values are then too large).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from distributions import (
    Discrete,
    Empirical,
    Fixed,
    Gamma,
    Metalog,
    Mixture,
    Normal,
    ScipyFamily,
    Uniform,
    sample,
    truncate,
)

ALPHA = 1e-3
N_DRAWS = 4096  # a power of two keeps Sobol' balanced
SEED = 20240611
METHODS = ("random", "lhs", "sobol")

CONTINUOUS = {
    "gamma": Gamma(a=2.5, scale=3.0),
    "gamma_shifted": Gamma(a=0.7, scale=1.0, loc=5.0),
    "metalog_unbounded": Metalog.from_percentiles({10: 1.0, 50: 2.0, 90: 4.0}),
    "metalog_lower": Metalog.from_percentiles({10: 1.0, 50: 2.0, 90: 5.0}, low=0.0),
    "metalog_upper": Metalog.from_percentiles({10: 1.0, 50: 2.0, 90: 2.5}, high=3.0),
    "metalog_bounded": Metalog.from_percentiles(
        {10: 0.3, 25: 0.35, 50: 0.4, 90: 0.5}, low=0.2, high=0.6
    ),
    "mixture": Mixture(
        components=(Normal(mean=60, sd=5), Gamma(a=3, scale=10, loc=70)), weights=(0.7, 0.3)
    ),
    "scipy_weibull": ScipyFamily("weibull_min", {"c": 1.5, "scale": 2.0}),
    "scipy_student_t": ScipyFamily("t", {"df": 3, "loc": 1.0}),
    "truncated_normal": truncate(Normal(mean=0.4, sd=0.05), 0.3, 0.45),
    "truncated_gamma_upper_tail": truncate(Gamma(a=2, scale=1), 8, 12),
    "truncated_mixture": truncate(
        Mixture(components=(Uniform(low=0, high=1), Normal(mean=2, sd=1)), weights=(0.5, 0.5)),
        0.5,
        math.inf,
    ),
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_family_matches_its_scipy_cdf(name: str, method: str) -> None:
    spec = CONTINUOUS[name]
    draws = sample({name: spec}, N_DRAWS, method=method, seed=SEED)[name]
    result = stats.kstest(draws, spec.to_scipy().cdf)
    assert result.pvalue > ALPHA, (name, method, result)


DISCRETE = {
    "discrete": Discrete(values=(8192, 16384, 24576), weights=(0.5, 0.3, 0.2)),
    "empirical": Empirical(values=(0.38, 0.41, 0.41, 0.43, 0.43, 0.43, 0.40)),
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", sorted(DISCRETE))
def test_discrete_family_frequencies(name: str, method: str) -> None:
    spec = DISCRETE[name]
    draws = sample({name: spec}, N_DRAWS, method=method, seed=SEED)[name]
    values, probabilities = spec.atoms(), spec.probabilities()
    assert set(np.unique(draws)) <= set(values)
    counts = np.array([(draws == v).sum() for v in values])
    result = stats.chisquare(counts, N_DRAWS * probabilities)
    assert result.pvalue > ALPHA, (name, method, result)


def test_discrete_to_scipy_agrees() -> None:
    spec = DISCRETE["discrete"]
    u = np.linspace(0.01, 0.99, 99)
    np.testing.assert_array_equal(spec.ppf(u), spec.to_scipy().ppf(u))
    x = np.array([0, 8192, 10000, 16384, 24576, 3e4])
    np.testing.assert_allclose(spec.cdf(x), spec.to_scipy().cdf(x))
    assert spec.expected() == pytest.approx(spec.to_scipy().mean())


def test_empirical_resamples_its_draws() -> None:
    spec = Empirical(values=(3.0, 1.0, 2.0, 2.0))
    np.testing.assert_array_equal(
        spec.ppf(np.array([0.2, 0.25, 0.26, 0.75, 0.76])), [1, 1, 2, 2, 3]
    )
    assert spec.expected() == 2.0
    assert spec.support() == (1.0, 3.0)


def test_mixture_with_a_point_mass() -> None:
    """70% the plan holds (0 days late), 30% a slipped delivery (10 to 20 days late).

    Share of exact zeros ~ Binomial(n, 0.7)/n: SE = sqrt(0.7·0.3/n) = 0.00716 at
    n = 4096; allow 4 SE. The ppf returns the atom exactly, not a root-finder's
    approximation of it.
    """
    spec = Mixture(components=(Fixed(value=0.0), Uniform(low=10, high=20)), weights=(0.7, 0.3))
    draws = sample({"delay_days": spec}, N_DRAWS, method="random", seed=SEED)["delay_days"]
    share = np.mean(draws == 0.0)
    assert abs(share - 0.7) < 4 * math.sqrt(0.7 * 0.3 / N_DRAWS)
    late = draws[draws != 0.0]
    assert stats.kstest(late, stats.uniform(10, 10).cdf).pvalue > ALPHA
    assert spec.expected() == pytest.approx(4.5)


def test_mixture_quantile_inverts_its_cdf() -> None:
    spec = CONTINUOUS["mixture"]
    u = np.linspace(0.001, 0.999, 999)
    np.testing.assert_allclose(spec.cdf(spec.ppf(u)), u, rtol=0, atol=1e-12)


def test_metalog_reproduces_its_quantiles_and_keelin_k3_condition() -> None:
    # Keelin 2016, §6: a 3-term metalog is feasible iff a2 > 0 and |a3|/a2 < 1.66711.
    spec = Metalog.from_percentiles({10: 1.0, 50: 2.0, 90: 4.0})
    a = spec.coefficients
    assert a[1] > 0 and abs(a[2]) / a[1] < 1.66711
    np.testing.assert_allclose(spec.ppf(np.array([0.1, 0.5, 0.9])), [1, 2, 4], rtol=1e-12)
    x = np.linspace(0, 5, 11)
    np.testing.assert_allclose(spec.ppf(spec.cdf(x)), x, rtol=1e-9, atol=1e-12)


def test_metalog_density_integrates_to_one() -> None:
    from scipy import integrate

    spec = CONTINUOUS["metalog_bounded"]
    total, _ = integrate.quad(lambda x: float(spec.to_scipy().pdf(x)), 0.2, 0.6, limit=200)
    assert total == pytest.approx(1, abs=1e-6)


def test_metalog_mean_of_symmetric_quantiles_is_the_median() -> None:
    spec = Metalog.from_percentiles({10: 1.0, 50: 2.0, 90: 3.0})
    assert spec.expected() == pytest.approx(2.0, abs=1e-9)


def test_scipy_family_is_scipy() -> None:
    spec = ScipyFamily("weibull_min", {"c": 1.5, "scale": 2.0})
    u = np.array([0.1, 0.5, 0.9])
    np.testing.assert_array_equal(spec.ppf(u), stats.weibull_min(c=1.5, scale=2.0).ppf(u))
    assert spec.describe() == "scipy.weibull_min(c=1.5, scale=2)"


def test_gamma_is_scipy_gamma() -> None:
    spec = Gamma(a=2.5, scale=3.0, loc=1.0)
    assert spec.expected() == pytest.approx(1 + 2.5 * 3)
    assert spec.support() == (1.0, math.inf)


finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False)
positive = st.floats(min_value=1e-2, max_value=1e2, allow_nan=False)
uniform_draws = st.lists(st.floats(min_value=1e-9, max_value=1 - 1e-9), min_size=1, max_size=20)


@settings(max_examples=40, deadline=None)
@given(mean=finite, sd=positive, weight=st.floats(0.05, 0.95), gap=positive, u=uniform_draws)
def test_mixture_ppf_monotone_and_inside_support(mean, sd, weight, gap, u) -> None:
    components = (Normal(mean=mean, sd=sd), Uniform(low=mean + gap, high=mean + 2 * gap))
    spec = Mixture(components=components, weights=(weight, 1 - weight))
    u = np.sort(np.array(u))
    x = spec.ppf(u)
    assert np.all(np.diff(x) >= 0)
    assert np.all(np.abs(spec.cdf(x) - u) < 1e-9)


@settings(max_examples=40, deadline=None)
@given(mean=finite, sd=positive, a=st.floats(-3, 3), width=st.floats(0.01, 3), u=uniform_draws)
def test_truncation_respects_its_bounds(mean, sd, a, width, u) -> None:
    low, high = mean + a * sd, mean + (a + width) * sd
    spec = truncate(Normal(mean=mean, sd=sd), low, high)
    x = spec.ppf(np.sort(np.array(u)))
    assert np.all((x >= low) & (x <= high))
    assert np.all(np.diff(x) >= 0)


@settings(max_examples=60, deadline=None)
@given(median=finite, left=positive, right=positive, u=uniform_draws)
def test_metalog_feasibility_agrees_with_keelin_closed_form(median, left, right, u) -> None:
    """Keelin 2016, §6: 3 terms are feasible iff a2 > 0 and |a3|/a2 < 1.66711.

    For p10, p50, p90 = m − l, m, m + r: L = ∓ln 9, c = ∓0.4 give
    a2 = (l + r)/(2 ln 9), a3 = (r − l)/(0.8 ln 9), so |a3|/a2 = 2.5·|r − l|/(l + r).
    (The constant is given to 6 digits, so a band of ±1e-4 around it is not judged.)
    """
    ratio = 2.5 * abs(right - left) / (left + right)
    quantiles = {10: median - left, 50: median, 90: median + right}
    if ratio > 1.66711 + 1e-4:
        with pytest.raises(ValueError, match="infeasible"):
            Metalog.from_percentiles(quantiles)
    elif ratio < 1.66711 - 1e-4:
        spec = Metalog.from_percentiles(quantiles)
        x = spec.ppf(np.sort(np.array(u)))
        assert np.all(np.diff(x) >= 0)


def test_is_discrete_tells_step_distributions_apart() -> None:
    gpus = Discrete(values=(8192, 16384))
    assert gpus.is_discrete and Fixed(value=1).is_discrete
    assert Mixture(components=(gpus, Fixed(value=4096)), weights=(0.5, 0.5)).is_discrete
    assert not Mixture(components=(gpus, Normal(0, 1)), weights=(0.5, 0.5)).is_discrete
    assert truncate(Normal(0, 1), 0, 1).is_discrete is False
    np.testing.assert_array_equal(gpus.atoms(), [8192, 16384])


def test_mixture_with_an_atom_has_a_density_for_its_continuous_part() -> None:
    spec = Mixture(components=(Fixed(value=0.0), Uniform(low=10, high=20)), weights=(0.7, 0.3))
    np.testing.assert_allclose(spec.to_scipy().pdf(np.array([5.0, 15.0])), [0.0, 0.03])


def test_mixture_ppf_monotone_where_the_root_solver_alone_was_not() -> None:
    # hypothesis found this case: two targets 2 ulps apart at u = 1e-9 came back in the
    # wrong order (by 1.1e-13) when the ppf stopped at the root solver's tolerance; the
    # generalized inverse (smallest double with cdf >= u) is monotone by construction.
    weight = 0.13072240150071693
    spec = Mixture(
        components=(Normal(mean=0.0, sd=66.25), Uniform(low=44.25, high=88.5)),
        weights=(weight, 1 - weight),
    )
    x = spec.ppf(np.array([1e-09, 1.0000000000000003e-09]))
    assert x[0] <= x[1]
    below = np.nextafter(x, -np.inf)
    assert np.all(spec.cdf(below) < np.array([1e-09, 1.0000000000000003e-09]))
