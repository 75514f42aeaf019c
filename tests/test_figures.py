"""The report's figure set and the strongest driver (largest |Spearman|)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy.stats import spearmanr

from simulate.catalog import CONFIG_DIR
from simulate.config import load_scenario
from simulate.engine import run
from simulate.figures import caption, compare_figures, report_figures, strongest_driver


def _variable(values, kind, constant=0):
    return xr.Variable(("draw",), values, {"kind": kind, "constant": constant, "units": "1"})


def test_strongest_driver_is_the_monotone_input():
    rng = np.random.default_rng(5)
    x1, x2 = rng.random(500), rng.random(500)
    ds = xr.Dataset(
        {
            "x1": _variable(x1, "input"),
            "x2": _variable(x2, "input"),
            "fixed": _variable(np.full(500, 2.0), "input", constant=1),
            "y": _variable(np.exp(-3 * x1) + 0.01 * x2, "node"),
        }
    )
    name, rho = strongest_driver(ds, "y")
    assert rho == pytest.approx(spearmanr(x1, ds["y"].values).statistic, rel=1e-12)
    # y is nearly a decreasing function of x1 alone: rank correlation close to -1
    assert name == "x1" and rho < -0.99
    ds["z"] = _variable(np.exp(x2), "node")
    assert strongest_driver(ds, "z") == ("x2", pytest.approx(1.0))  # exactly monotone


def test_report_figures_names_and_png_bytes():
    ds = run(load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=1_000))
    rows = [{"input": "mfu", "low": 70.0, "high": 80.0, "base": 75.0}]
    images = report_figures(ds, tornado={"train_days": rows})
    assert list(images) == [
        "train_days_distribution.png",
        "train_days_exceedance.png",
        "tco_usd_distribution.png",
        "tco_usd_exceedance.png",
        "train_days_driver.png",
        "train_days_tornado.png",
        "tco_usd_driver.png",
    ]
    assert all(png.startswith(b"\x89PNG") for png in images.values())
    assert caption("train_days_distribution.png").endswith("deadline marked")


def test_fixed_scenario_has_no_plots_but_compares():
    ds = run(load_scenario(CONFIG_DIR / "llama-3.1-405b-article.toml", draws=50))
    assert report_figures(ds) == {}  # every output is constant: nothing to plot
    images = compare_figures({"article": ds, "again": ds})
    assert set(images) == {"train_days_compare.png", "tco_usd_compare.png"}
