"""Every family: parameters as scipy understands them, and a KS test under every method."""

import math

import numpy as np
import pytest
from scipy import stats

import distributions as d

FAMILIES = {
    "uniform": d.Uniform(low=0.38, high=0.43),
    "loguniform": d.LogUniform(low=1e3, high=1e5),
    "triangular": d.Triangular(low=0.5, mode=1.0, high=1.5),
    "pert": d.PERT(low=0.8, mode=0.9, high=0.97),
    "normal": d.Normal(mean=10.0, sd=2.0),
    "truncnormal": d.TruncatedNormal(mean=0.4, sd=0.1, low=0.3, high=0.6),
    "lognormal": d.LogNormal(mu=0.5, sigma=0.3),
    "beta": d.Beta(a=2.0, b=5.0, low=0.2, high=0.9),
}


@pytest.mark.parametrize("method", d.METHODS)
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_ks_every_family_every_method(family, method):
    spec = FAMILIES[family]
    draws = d.sample({family: spec}, 4_000, method=method, seed=11)[family]
    # Fixed seed: p > 0.001 is the usual KS acceptance at level 0.1%.
    assert stats.kstest(draws, spec.to_scipy().cdf).pvalue > 1e-3
    low, high = spec.support()
    assert np.all((draws >= low) & (draws <= high))


def test_pert_is_the_beta_of_vose():
    # PERT(0, 3, 10), lambda 4: alpha = 1 + 4·3/10 = 2.2, beta = 1 + 4·7/10 = 3.8;
    # mean (0 + 4·3 + 10)/6.
    pert = d.PERT(low=0.0, mode=3.0, high=10.0)
    assert pert.to_scipy().args[:2] == pytest.approx((2.2, 3.8))
    assert pert.expected() == pytest.approx(22 / 6)


def test_a_to_b_is_squiggles_lognormal():
    # Squiggle: "5 to 10" -> mu = (ln 5 + ln 10)/2 = 1.956012,
    # sigma = ln 2 / (2 · 1.644854) = 0.210702
    spec = d.parse("5 to 10")
    assert spec.mu == pytest.approx(1.956012, abs=1e-6)
    assert spec.sigma == pytest.approx(0.210702, abs=1e-6)
    assert spec.to_scipy().ppf([0.05, 0.95]) == pytest.approx([5, 10])


def test_lognormal_table_forms_agree():
    by_percentiles = d.parse({"dist": "lognormal", "p5": 5, "p95": 10})
    by_interval = d.parse({"dist": "lognormal", "low": 5, "high": 10, "credibility": 0.9})
    assert by_percentiles == by_interval == d.parse("5 to 10")
    wide = d.parse({"dist": "lognormal", "low": 5, "high": 10, "credibility": 0.5})
    assert wide.to_scipy().ppf([0.25, 0.75]) == pytest.approx([5, 10])


def test_truncated_normal_mass_is_renormalized():
    spec = FAMILIES["truncnormal"]
    # Mass inside [0.3, 0.6] of N(0.4, 0.1): Phi(2) - Phi(-1) = 0.818595
    inside = stats.norm.cdf(2) - stats.norm.cdf(-1)
    assert spec.cdf(0.4) == pytest.approx((0.5 - stats.norm.cdf(-1)) / inside)
    assert math.isclose(inside, 0.8185946141, rel_tol=1e-9)


def test_fixed_is_a_constant():
    spec = d.parse(3.5)
    assert spec.is_fixed and spec.expected() == 3.5 and spec.support() == (3.5, 3.5)
    assert d.sample({"x": spec}, 10) == {}


@pytest.mark.parametrize(
    "spec",
    [
        d.Uniform(low=0.38, high=0.43),
        d.Triangular(low=0.5, mode=1.0, high=1.5),
        d.Triangular(low=0.0, mode=0.0, high=1.0),
        d.Triangular(low=0.0, mode=1.0, high=1.0),
        d.LogNormal(mu=0.3, sigma=0.2),
        d.Normal(mean=3.0, sd=2.0),
    ],
    ids=lambda spec: spec.describe(),
)
def test_closed_form_ppf_equals_scipy_bit_for_bit(spec) -> None:
    # these families write scipy's own quantile arithmetic out (skipping the frozen
    # distribution's argument checks), so the draws are scipy's, bit for bit
    u = np.concatenate([np.random.default_rng(11).random(100_000), [0.0, 2.0**-54, 1 - 2.0**-53]])
    np.testing.assert_array_equal(spec.ppf(u), spec.to_scipy().ppf(u))
