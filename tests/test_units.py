"""Readable quantities: days, M$, millions of GPU-hours, no raw exponents."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulate.report.units import format_number, format_quantity, scale_for


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1188.4, "1,188"),
        (81.27, "81.27"),
        (81.2, "81.2"),
        (0.04321, "0.04321"),
        (0, "0"),
        (-2.5, "-2.5"),
        (99_999.6, "100,000"),
        (3.79e25, "3.790e+25"),
    ],
)
def test_format_number(value, text):
    assert format_number(value) == text


@pytest.mark.parametrize(
    ("value", "units", "text"),
    [
        (1.2e9, "USD", "1,200 M$"),
        (2.79e6, "USD", "2.79 M$"),
        (35_000, "USD", "$35,000"),
        (29.38e6, "GPU·h", "29.38 M GPU·h"),
        (74.72, "d", "74.72 days"),
        (16_384, "1", "16,384"),
        (405e9, "1", "405 billion"),
        (3.79e25, "FLOP", "3.790e+25 FLOP"),
        (0.083, "USD/kWh", "0.083 $/kWh"),
    ],
)
def test_format_quantity(value, units, text):
    assert format_quantity(value, units) == text


def test_scale_follows_the_largest_value():
    assert scale_for("USD", [3e4, 2e5]).label == "million USD"
    assert scale_for("USD", [3e4]).label == "USD"
    assert scale_for("d", [1e5]).factor == 1.0


@given(st.floats(min_value=1e-4, max_value=1e15 * 0.999, allow_nan=False))
def test_format_number_is_plain_and_keeps_four_significant_digits(x):
    text = format_number(x)
    assert "e" not in text
    value = float(text.replace(",", ""))
    # rounding to 4 significant digits moves the value by at most half a unit of the 4th
    assert abs(value - x) <= 0.5 * 10 ** (math.floor(math.log10(x)) - 3) * (1 + 1e-9)
