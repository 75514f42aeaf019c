"""Truncation against scipy's own truncated families, and mass outside a domain."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from distributions import (
    Discrete,
    Empirical,
    Fixed,
    Gamma,
    LogNormal,
    Normal,
    Truncated,
    TruncatedNormal,
    Uniform,
    mass_outside,
    parse,
    sample,
    truncate,
)

U = np.linspace(1e-6, 1 - 1e-6, 1001)


@pytest.mark.parametrize(
    ("low", "high"), [(-1, 2), (0, math.inf), (-math.inf, -1.5), (2, 3), (8.5, 9.5), (-9.5, -8.5)]
)
def test_truncated_normal_is_scipy_truncnorm(low, high) -> None:
    """ppf(F(low) + u·(F(high) − F(low))) equals scipy's truncnorm, tails included
    (8.5 sd out, 1 − F rounds to 0 in double; the survival-function branch keeps it)."""
    spec = truncate(Normal(mean=0, sd=1), low, high)
    reference = stats.truncnorm(low, high)
    np.testing.assert_allclose(spec.ppf(U), reference.ppf(U), rtol=1e-9, atol=1e-12)
    x = np.linspace(max(low, -10), min(high, 10), 101)
    np.testing.assert_allclose(spec.cdf(x), reference.cdf(x), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(spec.to_scipy().pdf(x), reference.pdf(x), rtol=1e-8)
    assert spec.expected() == pytest.approx(reference.mean(), rel=1e-7, abs=1e-9)


def test_truncated_normal_equals_existing_family() -> None:
    spec = parse({"dist": "normal", "mean": 0.4, "sd": 0.05, "truncate": [0.3, 0.45]})
    existing = TruncatedNormal(mean=0.4, sd=0.05, low=0.3, high=0.45)
    np.testing.assert_allclose(spec.ppf(U), existing.ppf(U), rtol=1e-12)


def test_truncated_gamma_against_scipy_kept_mass() -> None:
    """P(X <= x | 1 <= X <= 4) = (F(x) − F(1)) / (F(4) − F(1)) with scipy's gamma cdf F."""
    base = Gamma(a=2, scale=1.5)
    spec = truncate(base, 1, 4)
    reference = stats.gamma(2, scale=1.5)
    x = np.linspace(1, 4, 31)
    kept = reference.cdf(4) - reference.cdf(1)
    np.testing.assert_allclose(
        spec.cdf(x), (reference.cdf(x) - reference.cdf(1)) / kept, rtol=1e-12, atol=1e-15
    )


def test_truncation_never_clamps() -> None:
    """No probability piles up on a bound: among 2^12 Sobol draws of N(0, 1) cut to
    [0, 0.1], none equals a bound (a clamp would put half of them on 0)."""
    spec = truncate(Normal(mean=0, sd=1), 0, 0.1)
    draws = sample({"x": spec}, 4096, method="sobol", seed=1)["x"]
    assert np.all((draws > 0) & (draws < 0.1))


def test_truncated_step_distributions_stay_discrete() -> None:
    spec = truncate(Discrete(values=(1, 2, 3, 4), weights=(0.1, 0.2, 0.3, 0.4)), 2, 3)
    assert isinstance(spec, Discrete)
    np.testing.assert_allclose(spec.probabilities(), [0.4, 0.6])
    empirical = truncate(Empirical(values=(1, 2, 2, 5)), 2, 10)
    np.testing.assert_allclose(empirical.atoms(), [2, 5])
    np.testing.assert_allclose(empirical.probabilities(), [2 / 3, 1 / 3])
    assert truncate(Fixed(value=3), 0, 5) == Fixed(value=3)


def test_truncated_class_on_a_discrete_base_keeps_atoms_on_bounds() -> None:
    spec = Truncated(base=Discrete(values=(1, 2, 3)), low=2, high=3)
    np.testing.assert_array_equal(spec.ppf(np.array([0.1, 0.49, 0.51, 0.9])), [2, 2, 3, 3])


def test_truncated_support_and_describe() -> None:
    spec = truncate(LogNormal(mu=0, sigma=1), 0.5, math.inf)
    assert spec.support() == (0.5, math.inf)
    assert spec.describe().endswith("truncated to [0.5, inf]")


def test_mass_outside_normal() -> None:
    spec = Normal(mean=0.4, sd=0.1)
    expected = stats.norm.cdf(0, 0.4, 0.1) + stats.norm.sf(1, 0.4, 0.1)
    assert mass_outside(spec, 0, 1, low_open=True) == pytest.approx(expected, rel=1e-12)
    assert mass_outside(spec, -math.inf, math.inf) == 0.0


def test_mass_outside_far_upper_tail_is_not_rounded_to_zero() -> None:
    # P(Z > 9) = 1.13e-19: 1 − cdf would give 0, the survival function does not.
    assert mass_outside(Normal(mean=0, sd=1), -math.inf, 9) == pytest.approx(stats.norm.sf(9))


def test_mass_outside_open_and_closed_bounds() -> None:
    """mfu lies in (0, 1]: an atom at 0 is outside, an atom at 1 inside."""
    spec = Discrete(values=(0, 0.5, 1), weights=(0.2, 0.5, 0.3))
    assert mass_outside(spec, 0, 1, low_open=True) == pytest.approx(0.2)
    assert mass_outside(spec, 0, 1) == 0.0
    assert mass_outside(spec, 0, 1, low_open=True, high_open=True) == pytest.approx(0.5)
    assert mass_outside(Fixed(value=0.0), 0, 1, low_open=True) == 1.0
    assert mass_outside(Uniform(low=0, high=1), 0, 1, low_open=True) == 0.0


def test_truncation_removes_mass_outside() -> None:
    spec = truncate(Normal(mean=0.4, sd=0.3), 0, 1)
    assert mass_outside(spec, 0, 1, low_open=True) == 0.0
