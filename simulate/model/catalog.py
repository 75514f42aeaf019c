"""The accelerator catalog (``configs/hardware.toml``): dense peaks, TDP and prices."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["CONFIG_DIR", "Accelerator", "load_catalog"]

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
    rental_usd_per_gpu_hour: tuple[float, ...] = ()
    rental_price_date: str = ""
    rental_price_source: str = ""

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
            rental_usd_per_gpu_hour=tuple(
                float(x) for x in table.get("rental_usd_per_gpu_hour", ())
            ),
            rental_price_date=table.get("rental_price_date", ""),
            rental_price_source=table.get("rental_price_source", ""),
        )


@cache
def load_catalog(path: Path = CONFIG_DIR / "hardware.toml") -> dict[str, Accelerator]:
    """Accelerators by key (e.g. ``"H100-SXM"``), in file order."""
    with open(path, "rb") as handle:
        tables = tomllib.load(handle)["accelerators"]
    return {key: Accelerator.from_table(key, table) for key, table in tables.items()}
