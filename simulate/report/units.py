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

__all__ = ["Scale", "format_number", "format_quantity", "overrides_text", "scale_for"]


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


def format_percent(p: float, *, decimals: int = 2) -> str:
    """A probability as a percentage: ``0.5024 -> "50.24%"``."""
    return f"{100 * p:.{decimals}f}%"


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
