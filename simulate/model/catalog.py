"""The accelerator catalog (``configs/hardware.toml``): dense peaks, TDP and prices."""

from __future__ import annotations

import math
import statistics
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "CONFIG_DIR",
    "RENTAL_KINDS",
    "Accelerator",
    "PriceRange",
    "listing_spread",
    "load_catalog",
    "price_interval",
]

#: The rental price kinds a scenario chooses between (``[cluster] rental``).
RENTAL_KINDS = ("on-demand", "committed")


@dataclass(frozen=True)
class PriceRange:
    """Dated price listings of one kind: the lowest and highest (or the only one)."""

    usd: tuple[float, ...]
    date: str = ""
    source: str = ""

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> PriceRange:
        return cls(
            usd=tuple(float(x) for x in table.get("usd_per_gpu_hour", ())),
            date=table.get("date", ""),
            source=table.get("source", ""),
        )


#: The repository's ``configs/`` folder (scenarios and the catalog live there).
CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"


@dataclass(frozen=True)
class Accelerator:
    """One catalog entry. Peaks are dense FLOP/s per chip, keyed by precision."""

    key: str
    name: str
    peak_flop_per_s: dict[str, float]
    tdp_w: float | None
    purchase_price_usd: tuple[float, ...]
    purchase_price_date: str
    purchase_price_source: str
    rental: str
    spec_source: str
    notes: str
    memory_gb: Any = None
    #: rental kind ("on-demand", "committed") -> its dated range per accelerator-hour
    rental_ranges: dict[str, PriceRange] = field(default_factory=dict)
    #: the vendor's own dense peaks where they differ from the catalog's (e.g. Gaudi)
    vendor_peak_flop_per_s: dict[str, float] = field(default_factory=dict)
    vendor_peak_source: str = ""

    @classmethod
    def from_table(cls, key: str, table: dict[str, Any]) -> Accelerator:
        return cls(
            key=key,
            name=table["name"],
            peak_flop_per_s={p: float(t) * 1e12 for p, t in table.get("peak_tflops", {}).items()},
            tdp_w=table.get("tdp_w"),
            purchase_price_usd=tuple(float(x) for x in table.get("purchase_price_usd", ())),
            purchase_price_date=table.get("purchase_price_date", ""),
            purchase_price_source=table.get("purchase_price_source", ""),
            rental=table.get("rental", ""),
            spec_source=table.get("spec_source", ""),
            notes=table.get("notes", ""),
            memory_gb=table.get("memory_gb"),
            rental_ranges={
                kind: PriceRange.from_table(table[f"rental_{kind.replace('-', '_')}"])
                for kind in RENTAL_KINDS
                if f"rental_{kind.replace('-', '_')}" in table
            },
            vendor_peak_flop_per_s={
                p: float(t) * 1e12 for p, t in table.get("vendor_peak_tflops", {}).items()
            },
            vendor_peak_source=table.get("vendor_peak_source", ""),
        )


@cache
def load_catalog(path: Path = CONFIG_DIR / "hardware.toml") -> dict[str, Accelerator]:
    """Accelerators by key (e.g. ``"H100-SXM"``), in file order."""
    with open(path, "rb") as handle:
        tables = tomllib.load(handle)["accelerators"]
    return {key: Accelerator.from_table(key, table) for key, table in tables.items()}


def _ranges(catalog: Mapping[str, Accelerator], kind: str) -> list[tuple[float, ...]]:
    if kind == "purchase":
        return [a.purchase_price_usd for a in catalog.values()]
    return [r.usd for a in catalog.values() for r in a.rental_ranges.values()]


def listing_spread(catalog: Mapping[str, Accelerator], kind: str) -> float:
    """The median high/low ratio of the catalog's price ranges with two listings or more,
    ``kind`` "purchase" or "rental" (both rental kinds pooled): how far apart dated
    listings of one accelerator typically lie."""
    ratios = [max(r) / min(r) for r in _ranges(catalog, kind) if len(r) >= 2]
    return statistics.median(ratios)


def price_interval(prices: tuple[float, ...], spread: float) -> tuple[float, float] | None:
    """The P5 and P95 a catalog price range stands for: the lowest and highest listings;
    a single listing x is widened by the stated rule x / sqrt(r) to x * sqrt(r), r the
    catalog's :func:`listing_spread` (one listing is not certainty); none: None."""
    if len(prices) >= 2:
        return min(prices), max(prices)
    if len(prices) == 1:
        half = math.sqrt(spread)
        return prices[0] / half, prices[0] * half
    return None
