"""Fitting from percentiles: round trips over a grid, and published conventions."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from distributions import (
    PERT,
    Beta,
    Gamma,
    LogNormal,
    LogUniform,
    Metalog,
    Normal,
    ScipyFamily,
    Triangular,
    Uniform,
    fit_percentiles,
    from_interval,
    parse,
)

PERCENT_PAIRS = [(5, 95), (10, 90), (2.5, 97.5), (25, 75), (1, 50), (50, 99), (20, 30)]
VALUE_PAIRS = [(0.38, 0.43), (2.0, 7.0), (1e3, 5e4)]


def _round_trip(spec, percentiles: dict[float, float], rtol: float = 1e-9) -> None:
    probabilities = np.array(sorted(percentiles)) / 100
    expected = [percentiles[p] for p in sorted(percentiles)]
    np.testing.assert_allclose(spec.ppf(probabilities), expected, rtol=rtol)
    np.testing.assert_allclose(spec.to_scipy().ppf(probabilities), expected, rtol=rtol)


GRID = list(itertools.product(PERCENT_PAIRS, VALUE_PAIRS))
BETA_GRID = list(itertools.product(PERCENT_PAIRS, [(0.2, 0.5), (0.01, 0.02), (0.9, 0.99)]))


@pytest.mark.parametrize(("percents", "values"), GRID)
@pytest.mark.parametrize("family", [Normal, LogNormal, Uniform, LogUniform, Gamma])
def test_two_parameter_round_trip(family, percents, values) -> None:
    percentiles = dict(zip(percents, values, strict=True))
    _round_trip(family.from_percentiles(percentiles), percentiles)


@pytest.mark.parametrize(("percents", "values"), BETA_GRID)
def test_beta_round_trip(percents, values) -> None:
    percentiles = dict(zip(percents, values, strict=True))
    _round_trip(Beta.from_percentiles(percentiles), percentiles)


def test_beta_on_its_own_bounds() -> None:
    spec = Beta.from_percentiles({"p10": 0.35, "p90": 0.42}, low=0.3, high=0.5)
    assert (spec.low, spec.high) == (0.3, 0.5)
    _round_trip(spec, {10: 0.35, 90: 0.42})


@pytest.mark.parametrize("family", [PERT, Triangular])
@pytest.mark.parametrize(
    ("low", "mode", "high"), [(2, 5, 7), (2, 2.5, 7), (2, 6.5, 7), (0.38, 0.4, 0.43), (-5, 0, 100)]
)
@pytest.mark.parametrize("percents", [(10, 90), (5, 95), (2.5, 97.5), (20, 80)])
def test_mode_family_round_trip(family, low, mode, high, percents) -> None:
    percentiles = dict(zip(percents, (low, high), strict=True))
    spec = family.from_percentiles(percentiles, mode=mode)
    assert spec.mode == mode
    assert spec.low < low and spec.high > high
    _round_trip(spec, percentiles)


@pytest.mark.parametrize("percents", [(10, 50, 90), (5, 25, 50, 75, 95), (1, 10, 90, 99)])
@pytest.mark.parametrize("bounds", [{}, {"low": 0.0}, {"high": 100.0}, {"low": 0.0, "high": 100.0}])
def test_metalog_round_trip(percents, bounds) -> None:
    values = {5: 6.0, 10: 8.0, 25: 11.0, 50: 15.0, 75: 20.0, 90: 26.0, 95: 30.0, 1: 4.0, 99: 40.0}
    percentiles = {p: values[p] for p in percents}
    _round_trip(Metalog.from_percentiles(percentiles, **bounds), percentiles)


@pytest.mark.parametrize(
    "shapes", [("weibull_min", {"c": 1.5}), ("t", {"df": 4}), ("gumbel_r", {})]
)
def test_scipy_family_round_trip(shapes) -> None:
    family, known = shapes
    percentiles = {10: 1.0, 90: 4.0}
    spec = ScipyFamily.from_percentiles(percentiles, family=family, **known)
    _round_trip(spec, percentiles)


@settings(max_examples=50, deadline=None)
@given(
    p1=st.floats(0.5, 49), gap=st.floats(1, 49), x1=st.floats(-1e4, 1e4), width=st.floats(1e-3, 1e4)
)
def test_normal_round_trip_any_percentiles(p1, gap, x1, width) -> None:
    percentiles = {p1: x1, p1 + gap: x1 + width}
    spec = Normal.from_percentiles(percentiles)
    probabilities = np.array([p1, p1 + gap]) / 100
    np.testing.assert_allclose(
        spec.ppf(probabilities), [x1, x1 + width], rtol=1e-9, atol=1e-9 * width
    )


def test_squiggle_five_to_ten() -> None:
    """Squiggle's ``5 to 10`` is lognormal(mu=1.956012, sigma=0.210702).

    Derivation: 5 and 10 are the 5th and 95th percentiles, so mu = (ln 5 + ln 10)/2
    = 1.9560115 and sigma = (ln 10 − ln 5)/(2·1.6448536) = 0.2107018.
    """
    for spec in (
        parse("5 to 10"),
        from_interval(LogNormal, 5, 10),
        LogNormal.from_percentiles({5: 5, 95: 10}),
        parse({"interval": "5 to 10"}),
    ):
        assert spec.mu == pytest.approx(1.956012, abs=1e-6)
        assert spec.sigma == pytest.approx(0.210702, abs=1e-6)


def test_probabilit_pert_alt_form() -> None:
    """probabilit's PERT(2, 5, 7) at P10/P90 is Beta(3.507416, 2.492584, loc=-1.294743,
    scale=10.041802): the bounds that put p10 at 2 and p90 at 7 with mode 5."""
    for spec in (
        PERT.from_percentiles({10: 2, 90: 7}, mode=5),
        parse({"dist": "pert", "p10": 2, "mode": 5, "p90": 7}),
    ):
        frozen = spec.to_scipy()
        a, b = frozen.args
        assert a == pytest.approx(3.507416, abs=1e-6)
        assert b == pytest.approx(2.492584, abs=1e-6)
        assert frozen.kwds["loc"] == pytest.approx(-1.294743, abs=1e-6)
        assert frozen.kwds["scale"] == pytest.approx(10.041802, abs=1e-6)


@pytest.mark.parametrize("credibility", [0.5, 0.8, 0.9, 0.95, 0.99])
def test_interval_with_credibility(credibility) -> None:
    tail = (1 - credibility) / 2
    for spec in (
        from_interval(Normal, 3, 9, credibility=credibility),
        parse({"dist": "normal", "interval": [3, 9], "credibility": credibility}),
        parse({"dist": "normal", "interval": "3 to 9", "credibility": credibility}),
    ):
        np.testing.assert_allclose(spec.ppf(np.array([tail, 1 - tail])), [3, 9], rtol=1e-12)


def test_gamma_fit_matches_closed_form_shape() -> None:
    # With p50 and a known shape a = 1 (exponential), p90/p50 = ln 10 / ln 2.
    spec = Gamma.from_percentiles({50: math.log(2), 90: math.log(10)})
    assert spec.a == pytest.approx(1, rel=1e-9)
    assert spec.scale == pytest.approx(1, rel=1e-9)


def test_fit_percentiles_by_function() -> None:
    spec = fit_percentiles(Normal, {"p2.5": -1.959963984540054, "p97.5": 1.959963984540054})
    assert spec.mean == pytest.approx(0, abs=1e-12)
    assert spec.sd == pytest.approx(1, rel=1e-12)
    assert stats.norm.ppf(0.975) == pytest.approx(1.959963984540054)
