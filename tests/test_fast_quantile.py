"""The Beta quantile through HINV (``distributions.fast_quantile``) against scipy's exact one.

HINV states its error in u, ``|F(ppf(u)) − u|``: it aims at U_RESOLUTION (1e-13), and each
table is checked at build against U_TOLERANCE (1e-12). The reference ``F`` is
``scipy.special.betainc`` (boost's ``ibeta``, accurate to a few ulps of u, far below
either). In the tails the quantile is scipy's own, so it equals ``betaincinv`` exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from distributions import PERT, Beta, fast_quantile, sample
from distributions.fast_quantile import TAIL, U_RESOLUTION, U_TOLERANCE, beta_ppf

#: PERT-like shapes (both >= 1): the job's goodput, the extremes mode = low / high, the
#: uniform, and a narrow one.
SHAPES = [(3.3529411764705883, 2.6470588235294117), (1, 5), (5, 1), (1, 1), (1.2, 4.8), (200, 300)]


@pytest.mark.parametrize(("a", "b"), SHAPES)
def test_u_error_within_resolution(a: float, b: float) -> None:
    u = np.random.default_rng(20261128).random(200_000)
    x = beta_ppf(a, b, u)
    assert np.all((x >= 0) & (x <= 1))
    assert np.max(np.abs(special.betainc(a, b, x) - u)) <= U_RESOLUTION
    tails = (u < TAIL) | (u > 1 - TAIL)
    assert tails.sum() > 300  # ~400 expected: 2 * TAIL * 200,000
    np.testing.assert_array_equal(x[tails], special.betaincinv(a, b, u[tails]))


def test_u_error_within_tolerance_over_a_grid_of_shapes() -> None:
    # modified PERT (any lambda) and beta shapes from 1 to 1000; HINV's aim of 1e-13 is
    # missed on some (5.6e-13 at (1.001, 1000), measured) but the build check's 1e-12 holds
    u = np.random.default_rng(5).random(20_000)
    shapes = [1.0, 1.001, 1.5, 3.0, 10.0, 30.0, 1000.0]
    for a in shapes:
        for b in shapes:
            error = np.max(np.abs(special.betainc(a, b, beta_ppf(a, b, u)) - u))
            assert error <= U_TOLERANCE, (a, b, error)


def test_a_table_beyond_the_tolerance_is_refused(monkeypatch) -> None:
    # with the tolerance below HINV's own error, the check refuses the table: exact quantiles
    monkeypatch.setattr(fast_quantile, "U_TOLERANCE", 1e-17)
    fast_quantile._table.cache_clear()
    try:
        assert fast_quantile._table(3.0, 2.0) is None
        u = np.linspace(0.01, 0.99, 99)
        np.testing.assert_array_equal(beta_ppf(3.0, 2.0, u), stats.beta(3.0, 2.0).ppf(u))
    finally:
        fast_quantile._table.cache_clear()


@pytest.mark.parametrize(("a", "b"), SHAPES)
def test_monotone_and_endpoints(a: float, b: float) -> None:
    u = np.sort(np.random.default_rng(7).random(100_000))
    assert np.all(np.diff(beta_ppf(a, b, u)) >= 0)
    np.testing.assert_array_equal(beta_ppf(a, b, np.array([0.0, 1.0])), [0.0, 1.0])


@pytest.mark.parametrize(("a", "b"), [(0.5, 0.5), (0.9, 3.0), (2.0, 1e4), (1e4, 2.0)])
def test_exact_quantile_where_hinv_does_not_apply(a: float, b: float) -> None:
    # (0.5, 0.5) and (0.9, 3): unbounded density, not tabulated; (2, 1e4) and (1e4, 2):
    # HINV's setup fails ("numerical problems with a pole or very flat tail"). All fall
    # back to scipy's ppf.
    u = np.linspace(0.001, 0.999, 999)
    np.testing.assert_array_equal(beta_ppf(a, b, u), stats.beta(a, b).ppf(u))


def test_pert_and_beta_sample_through_the_table() -> None:
    pert = PERT(low=0.80, mode=0.90, high=0.97)
    beta = Beta(a=2.0, b=3.0, low=10.0, high=20.0)
    u = np.random.default_rng(3).random(10_000)
    np.testing.assert_array_equal(pert.ppf(u), beta_ppf(*pert.shapes(), u) * (0.97 - 0.80) + 0.80)
    np.testing.assert_array_equal(beta.ppf(u), beta_ppf(2.0, 3.0, u) * 10.0 + 10.0)
    # and the values agree with scipy's exact quantiles to the u-resolution's effect
    exact = pert.to_scipy().ppf(u)
    slope = 1 / pert.to_scipy().pdf(exact)  # dx/du
    assert np.all(np.abs(pert.ppf(u) - exact) <= U_RESOLUTION * slope + 4 * np.spacing(exact))


def test_threads_give_the_same_draws() -> None:
    specs = {"goodput": PERT(low=0.80, mode=0.90, high=0.97)}
    one = sample(specs, 300_000, seed=1, threads=1)["goodput"]
    two = sample(specs, 300_000, seed=1, threads=2)["goodput"]
    np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize("start", [0, 12_345])
def test_threaded_uniforms_are_each_names_own_stream(start) -> None:
    """Streams drawn side by side are each name's PCG64 stream (SeedSequence(seed,
    spawn_key = the first 16 bytes of SHA-256(name) as four little-endian words),
    advanced to ``start``), floored at 2**-54 as every uniform is."""
    import hashlib

    from distributions.sampling import uniforms

    names = ["mfu", "goodput", "gpu_price_usd"]
    got = uniforms(names, 100_000, seed=9, start=start, threads=2)
    for name in names:
        digest = hashlib.sha256(name.encode()).digest()[:16]
        key = tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))
        bits = np.random.PCG64(np.random.SeedSequence(9, spawn_key=key))
        bits.advance(start)
        expected = np.maximum(np.random.Generator(bits).random(100_000), 2.0**-54)
        np.testing.assert_array_equal(got[name], expected)
