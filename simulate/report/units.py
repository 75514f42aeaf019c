"""Readable quantities: days, millions of dollars, millions of GPU-hours, never raw exponents.

A :class:`Scale` divides a node's values by a power of ten chosen from its units and
magnitude and names the result (``"million USD"``, short ``"M$"``). Plots, the HTML page
and the terminal table share it so that every figure of a report reads the same way.
Pure functions, standard library only (cheap to import).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Scale",
    "estimate_decimals",
    "format_estimate",
    "format_number",
    "format_probability",
    "format_quantity",
    "overrides_text",
    "scale_for",
]


@dataclass(frozen=True)
class Scale:
    """Values are shown divided by ``factor``, labelled ``label`` (axes) or ``short`` (tables)."""

    factor: float
    label: str
    short: str

    def apply(self, value: float | None) -> float | None:
        return None if value is None else value / self.factor


#: Units -> (long name, short name) at factor 1, then the ladder of larger factors.
_NAMES = {
    "d": ("days", "days"),
    "USD": ("USD", "$"),
    "GPU·h": ("GPU-hours", "GPU·h"),
    "MWh": ("MWh", "MWh"),
    "MW": ("MW", "MW"),
    "W": ("W", "W"),
    "FLOP": ("FLOP", "FLOP"),
    "FLOP/s": ("FLOP/s", "FLOP/s"),
    "USD/kWh": ("USD/kWh", "$/kWh"),
    "1": ("", ""),
}
_LADDER = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))
#: Units that read best in scientific notation (3.791e+25 FLOP).
_SCIENTIFIC = ("FLOP", "FLOP/s")
#: Units whose values are shown in millions once they reach a hundred thousand (the
#: planner's unit for budgets and GPU-hours), however much larger they grow.
_MILLIONS = ("USD", "GPU·h")


def scale_for(units: str, values: Iterable[float] = ()) -> Scale:
    """The display scale for ``units`` given typical ``values`` (their largest magnitude).

    Money and GPU-hours read in millions from 0.1 million up ("1,188 M$"); counts of a
    million or more in million / billion / trillion; days, fractions, FLOP (written in
    scientific notation by :func:`format_quantity`) and the other units keep their own.
    """
    long, short = _NAMES.get(units, (units, units))
    magnitude = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    if units in _MILLIONS:
        if magnitude >= 1e5:
            return Scale(1e6, f"million {long}", "M$" if units == "USD" else f"M {short}".strip())
        return Scale(1.0, long, short)
    if units == "1":
        for factor, word in _LADDER:
            if magnitude >= max(factor, 1e6):
                return Scale(factor, word, word)
    return Scale(1.0, long, short)


def format_number(x: float | None, *, digits: int = 4) -> str:
    """``digits`` significant digits, thousands separators, no exponent below 1e15.

    ``1188.4 -> "1,188"``, ``81.27 -> "81.27"``, ``0.04321 -> "0.04321"``; None (a
    figure float64 cannot hold) reads "n/a".
    """
    if x is None:
        return "n/a"
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    if abs(x) >= 1e15 or abs(x) < 1e-4:
        return f"{x:.{digits - 1}e}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    text = f"{x:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


#: Most significant digits an estimate shows, however narrow its interval.
MAX_DIGITS = 6


def estimate_decimals(value: float, low: float | None, high: float | None) -> int | None:
    """Decimal places the interval [low, high] supports for ``value``: the place of the
    first significant digit of the half-width (high − low)/2, plus one (negative: tens,
    hundreds), at most :data:`MAX_DIGITS` significant digits of ``value``. None when the
    interval is unknown (None, ±inf) or empty (an exact value)."""
    if low is None or high is None or not all(map(math.isfinite, (value, low, high))):
        return None
    half = (high - low) / 2
    if not half > 0:
        return None
    decimals = 1 - math.floor(math.log10(half))
    if value != 0:
        decimals = min(decimals, MAX_DIGITS - 1 - math.floor(math.log10(abs(value))))
    return decimals


def _fixed(x: float, decimals: int) -> str:
    """``x`` to ``decimals`` places (negative: rounded to tens, hundreds), with separators;
    never a nonzero ``x`` shown as 0, nor one within (−1, 1) as ±1: more places instead."""
    while decimals < 15 and (
        (x != 0 and round(x, decimals) == 0) or (abs(x) < 1 and abs(round(x, decimals)) >= 1)
    ):
        decimals += 1
    if decimals <= 0:
        return f"{round(x, decimals):,.0f}"
    return f"{x:,.{decimals}f}"


def format_estimate(
    value: float | None,
    low: float | None = None,
    high: float | None = None,
    *,
    interval: bool = True,
) -> str:
    """An estimate to the digits its interval supports (:func:`estimate_decimals`), with
    the interval in brackets unless ``interval=False``: ``0.99977 in [0.99970, 0.99984] ->
    "0.999770 [0.999700, 0.999840]"``, never ``"1 [1, 1]"``; a nonzero bound is never
    shown as 0. Without a usable interval, :func:`format_number`'s four digits."""
    if value is None or not math.isfinite(value):
        return format_number(value)
    decimals = estimate_decimals(value, low, high)
    if decimals is not None and max(abs(value), abs(low), abs(high)) < 1e-4:  # type: ignore[arg-type]
        # all tiny: scientific, to the digits the half-width supports
        digits = max(0, min(MAX_DIGITS - 1, decimals + math.floor(math.log10(abs(value or high)))))
        text = f"{value:.{digits}e}"
        return text + (f" [{low:.{digits}e}, {high:.{digits}e}]" if interval else "")
    if decimals is None:
        text = format_number(value)
        if interval and (low is not None or high is not None):
            low, high = (x if x is not None and math.isfinite(x) else None for x in (low, high))
            text += f" [{format_number(low)}, {format_number(high)}]"
        return text
    text = _fixed(value, decimals)
    if interval:
        text += f" [{_fixed(low, decimals)}, {_fixed(high, decimals)}]"  # type: ignore[arg-type]
    return text


def format_percent(p: float, *, decimals: int = 2) -> str:
    """A probability as a percentage: ``0.5024 -> "50.24%"``."""
    return f"{100 * p:.{decimals}f}%"


def _outward_percent(fraction: float, *, up: bool) -> str:
    """A one-sided bound in percent at one significant digit, rounded away from the
    estimate (up for an upper bound), so that it never reads 0% or 100%."""
    x = 100 * (1 - fraction if not up else fraction)  # the distance from 0%
    exponent = math.floor(math.log10(x))
    rounded = math.ceil(x / 10**exponent) * 10**exponent
    decimals = max(0, -exponent)
    if up:
        return f"< {rounded:.{decimals}f}%"
    return f"> {100 - rounded:.{decimals}f}%"


def format_probability(count: int, draws: int, low: float, high: float) -> str:
    """A share of draws with its 95% interval (``low``, ``high``: e.g. Wilson's), in words.

    ``50.24% (95% CI 49.93% to 50.55%; 50,240 of 100,000 draws)``: as many decimals as show
    the interval's width and each bound's distance from 0% and 100% to two significant
    digits, bounds rounded outward. None or all of the draws give the one-sided bound at
    one significant digit, rounded outward: ``0 of 100,000 draws; < 0.004%`` (never 0%).
    """
    if count == 0:
        return f"0 of {draws:,} draws; {_outward_percent(high, up=True)}"
    if count == draws:
        return f"{draws:,} of {draws:,} draws; {_outward_percent(low, up=False)}"
    low_pct, high_pct = 100 * low, 100 * high
    gaps = [x for x in (low_pct, high_pct - low_pct, 100 - high_pct) if x > 0]
    decimals = min(15, max(0, 1 - math.floor(math.log10(min(gaps))))) if gaps else 2
    scale = 10**decimals
    below = math.floor(low_pct * scale) / scale
    above = math.ceil(high_pct * scale) / scale
    return (
        f"{100 * count / draws:.{decimals}f}% (95% CI {below:.{decimals}f}% to "
        f"{above:.{decimals}f}%; {count:,} of {draws:,} draws)"
    )


def format_quantity(x: float, units: str, *, scale: Scale | None = None, digits: int = 4) -> str:
    """A value with its unit on a readable scale: ``1.188e9 USD -> "1,188 M$"``."""
    if units in _SCIENTIFIC and scale is None and math.isfinite(x) and abs(x) >= 1e6:
        return f"{x:.{digits - 1}e} {units}"
    scale = scale_for(units, [x]) if scale is None else scale
    number = format_number(scale.apply(x), digits=digits)
    if scale.short == "$":
        return f"${number}"
    return f"{number} {scale.short}".strip()


def risk_event(entry: Mapping[str, Any], threshold: str) -> str:
    """The event a risk entry counts, e.g. ``P(train_days > deadline 90 d)``, with the
    threshold already formatted by the caller (plain text, Markdown or HTML)."""
    symbol = ">" if entry["direction"] == "above" else "<"
    return f"P({entry['node']} {symbol} {entry['label']} {threshold})"


def overrides_text(summary: Mapping[str, Any], *, code: str = "") -> str:
    """A run's ``--set`` overrides in one line (``mfu=0.4, accelerator=B200``; ``code``
    quotes each, e.g. a backtick for Markdown), '' when none."""
    return ", ".join(f"{code}{o['field']}={o['value']}{code}" for o in summary.get("overrides", []))
