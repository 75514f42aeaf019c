"""Rank correlation through a Gaussian copula: achieved Spearman, marginals, repair.

Tolerance of the achieved Spearman correlation. For a sample of n pairs from a
bivariate normal (here: the Gaussian copula; Spearman is invariant under the
monotone marginal ppfs), Bonett and Wright (2000, Psychometrika 65, eq. 7) give
var(atanh r_s) ≈ (1 + ρ²/2)/(n − 3), which for |ρ| < 0.9 is at least the 1.06/(n − 3)
of Fieller, Hartley and Pearson (1957) and so the more conservative of the two.
By the delta method (d atanh ρ / dρ = 1/(1 − ρ²)):

    SE(r_s) ≈ (1 − ρ²)·sqrt((1 + ρ²/2)/(n − 3)).

At n = 1e5 and ρ = 0.6: SE = 0.64·sqrt(1.18/99997) = 0.0022. The sample Spearman's
bias is O(1/n) (Moran 1948: E r_s = (6/π)[(n−2)/(n+1)·asin(r/2) + asin(r)/(n+1)]),
below 1e-5 here, negligible beside SE. We require |r_s − ρ| < 3·SE. LHS and Sobol'
designs estimate with less variance than i.i.d. draws, so 3·SE is conservative there.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from distributions import (
    Correlations,
    Gamma,
    LogNormal,
    Metalog,
    Normal,
    Uniform,
    achieved_spearman,
    nearest_correlation,
    pearson_from_spearman,
    sample,
    spearman_from_pearson,
    uniforms,
)
from distributions.sampling import _stream

N_DRAWS = 100_000
SEED = 7
ALPHA = 1e-3  # KS false-alarm rate per check, as in test_distributions_families_new.py

SPECS = {
    "mfu": Uniform(low=0.38, high=0.43),
    "goodput": Gamma(a=20, scale=0.04),
    "gpu_price_usd": LogNormal.from_interval(25_000, 40_000),
    "electricity_usd_per_kwh": Metalog.from_percentiles({10: 0.06, 50: 0.08, 90: 0.11}, low=0),
    "n_gpus": Normal(mean=16_000, sd=500),
}
REQUESTED = {
    ("goodput", "mfu"): 0.6,
    ("gpu_price_usd", "mfu"): -0.3,
    ("electricity_usd_per_kwh", "gpu_price_usd"): 0.45,
}


def spearman_standard_error(rho: float, n: int) -> float:
    """(1 − ρ²)·sqrt((1 + ρ²/2)/(n − 3)): Bonett and Wright (2000) and the delta method."""
    return (1 - rho**2) * math.sqrt((1 + rho**2 / 2) / (n - 3))


@pytest.fixture(scope="module", params=["random", "lhs", "sobol"])
def correlated(request) -> dict[str, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the requested matrix is valid: no repair warning
        return sample(
            SPECS,
            N_DRAWS,
            method=request.param,
            seed=SEED,
            correlations=Correlations.from_pairs(REQUESTED),
        )


def test_achieved_spearman_within_three_standard_errors(correlated) -> None:
    achieved = achieved_spearman(correlated)
    for pair, rho in achieved.items():
        target = REQUESTED.get(pair, 0.0)
        assert abs(rho - target) < 3 * spearman_standard_error(target, N_DRAWS), (pair, rho)


def test_marginals_unchanged(correlated) -> None:
    for name, spec in SPECS.items():
        assert stats.kstest(correlated[name], spec.to_scipy().cdf).pvalue > ALPHA, name


def test_spearman_pearson_conversion() -> None:
    # Round trip, ends and a value: ρs = 0.5 -> r = 2 sin(π/12) = 0.517638.
    rho = np.linspace(-1, 1, 21)
    np.testing.assert_allclose(spearman_from_pearson(pearson_from_spearman(rho)), rho, atol=1e-14)
    assert pearson_from_spearman(1.0) == pytest.approx(1.0)
    assert pearson_from_spearman(0.5) == pytest.approx(0.5176380902, abs=1e-10)


def test_without_correlations_draws_are_unchanged() -> None:
    """The random design without correlations is the name-keyed stream, bit for bit."""
    u = uniforms(["a", "b"], 1000, seed=3, start=17)
    stream = _stream(3, "a")
    stream.bit_generator.advance(17)
    np.testing.assert_array_equal(u["a"], stream.random(1000))
    with_empty = uniforms(
        ["a", "b"], 1000, seed=3, start=17, correlations=Correlations.from_pairs({})
    )
    np.testing.assert_array_equal(with_empty["a"], u["a"])


@pytest.mark.parametrize("method", ["random", "lhs", "sobol"])
def test_uncorrelated_columns_untouched_and_chunks_exact(method) -> None:
    correlations = Correlations.from_pairs([["a", "b", 0.7]])
    plain = uniforms(["a", "b", "c"], 512, method=method, seed=5)
    both = uniforms(["a", "b", "c"], 512, method=method, seed=5, correlations=correlations)
    np.testing.assert_array_equal(both["c"], plain["c"])
    tail = uniforms(
        ["a", "b", "c"], 212, method=method, seed=5, start=300, correlations=correlations
    )
    for name in "abc":
        np.testing.assert_array_equal(tail[name], both[name][300:])


def test_matrix_and_pairs_forms_agree() -> None:
    names = ["mfu", "goodput", "n_gpus"]
    matrix = [[1, 0.6, 0], [0.6, 1, -0.2], [0, -0.2, 1]]
    from_matrix = Correlations.from_matrix(names, matrix)
    from_pairs = Correlations.from_pairs(
        {("goodput", "mfu"): 0.6, ("goodput", "n_gpus"): -0.2, ("mfu", "n_gpus"): 0.0}
    )
    assert from_matrix == from_pairs
    assert from_matrix.pairs()[("goodput", "mfu")] == 0.6


def test_higham_known_example() -> None:
    """Higham (2002), §4: the nearest correlation matrix to [[1,1,0],[1,1,1],[0,1,1]]
    has off-diagonals 0.7607, 0.1573, 0.7607 (printed to 4 decimals, hence atol 5e-5)."""
    nearest = nearest_correlation([[1, 1, 0], [1, 1, 1], [0, 1, 1]])
    expected = [[1, 0.7607, 0.1573], [0.7607, 1, 0.7607], [0.1573, 0.7607, 1]]
    np.testing.assert_allclose(nearest, expected, atol=5e-5)
    assert np.linalg.eigvalsh(nearest)[0] > -1e-10


def test_not_positive_semidefinite_is_repaired_with_a_warning() -> None:
    correlations = Correlations.from_pairs({("a", "b"): 0.9, ("b", "c"): 0.9, ("a", "c"): -0.9})
    with pytest.warns(
        UserWarning,
        match=r"nearest correlation matrix \(Higham 2002\), which "
        r"moves the Spearman matrix by [0-9.]+ \(Frobenius",
    ):
        pearson = correlations.copula_pearson
    assert np.linalg.eigvalsh(pearson)[0] > -1e-10
    np.testing.assert_allclose(np.diag(pearson), 1)
    factor = correlations.factor
    np.testing.assert_allclose(factor @ factor.T, pearson, atol=1e-9)
    assert np.allclose(factor, np.tril(factor))


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.floats(-1, 1), min_size=6, max_size=6),
)
def test_nearest_correlation_is_a_correlation_matrix(values) -> None:
    """Any symmetric matrix with unit diagonal and entries in [-1, 1] is repaired into a
    positive semi-definite one with unit diagonal, and a valid one is left as it is."""
    matrix = np.eye(4)
    matrix[np.triu_indices(4, 1)] = values
    matrix = np.triu(matrix) + np.triu(matrix, 1).T
    nearest = nearest_correlation(matrix)
    np.testing.assert_allclose(np.diag(nearest), 1)
    np.testing.assert_allclose(nearest, nearest.T)
    assert np.linalg.eigvalsh(nearest)[0] > -1e-8
    if np.linalg.eigvalsh(matrix)[0] >= 0:
        np.testing.assert_allclose(nearest, matrix, atol=1e-8)


@settings(max_examples=40, deadline=None)
@given(rho=st.floats(-1, 1))
def test_any_valid_pair_factors_without_repair(rho) -> None:
    correlations = Correlations.from_pairs({("a", "b"): rho})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        factor = correlations.factor
    np.testing.assert_allclose(factor @ factor.T, correlations.copula_pearson, atol=1e-12)
