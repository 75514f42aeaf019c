"""The report's figure set and the strongest driver (largest |Spearman|)."""

from __future__ import annotations

import pytest

from simulate.analysis.risk import RiskTarget
from simulate.engine.memory import run
from simulate.model.catalog import CONFIG_DIR
from simulate.report.figures import _sensitivity_rows, caption, compare_figures, report_figures
from simulate.scenario.config import load_scenario
from simulate.workflows.sections import sensitivity_section
from tests.conftest import mid_cdf_rho_reference


def test_report_figures_names_and_png_bytes():
    scenario = load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=1_000)
    ds = run(scenario)
    section = sensitivity_section(ds, scenario)
    images = report_figures(ds, sensitivity=section)
    assert list(images) == [
        "train_days_distribution.png",
        "train_days_exceedance.png",
        "tco_usd_distribution.png",
        "tco_usd_exceedance.png",
        "train_days_driver.png",
        "train_days_rank_correlations.png",
        "train_days_tornado.png",
        "tco_usd_driver.png",
        "tco_usd_rank_correlations.png",
        "tco_usd_tornado.png",
    ]
    assert all(png.startswith(b"\x89PNG") for png in images.values())
    deadline = RiskTarget("train_days", 90.0, label="deadline")
    assert caption("train_days_distribution.png", [deadline]).endswith("deadline marked")
    assert caption("train_days_distribution.png").endswith("the threshold marked")
    assert set(report_figures(ds)) == {
        name for name in images if "distribution" in name or "exceedance" in name
    }


def test_strongest_driver_comes_from_the_ranking():
    scenario = load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=2_000)
    ds = run(scenario)
    section = sensitivity_section(ds, scenario)
    tornado, correlations = _sensitivity_rows(section, "tco_usd")
    best = max(correlations, key=lambda row: abs(row["spearman"]))
    # tco_usd = n_gpus · price · (1 + overhead) + energy: the price has the widest spread
    assert best["input"] == "gpu_price_usd"
    dist = scenario.inputs["gpu_price_usd"].dist
    assert best["spearman"] == pytest.approx(
        mid_cdf_rho_reference(dist, ds["gpu_price_usd"].values, ds["tco_usd"].values), abs=1e-9
    )
    # each chart shows only the inputs that matter: a tornado swing (exact, no sampling),
    # a Spearman interval that excludes 0 (sampled, so the two sets may differ)
    swings = section["tornado"]["outputs"]["tco_usd"]["inputs"]
    assert {row["input"] for row in tornado} == {r["input"] for r in swings if r["swing"] > 0}
    ranks = section["rank_correlation"]["outputs"]["tco_usd"]["inputs"]
    assert {row["input"] for row in correlations} == {
        r["input"] for r in ranks if r["spearman"]["low"] > 0 or r["spearman"]["high"] < 0
    }
    assert len(tornado) < len(swings)  # the default scenario has inputs with no tco swing


def test_fixed_scenario_has_no_plots_but_compares():
    ds = run(load_scenario(CONFIG_DIR / "llama-3.1-405b-article.toml", draws=50))
    assert report_figures(ds) == {}  # every output is constant: nothing to plot
    images = compare_figures({"article": ds, "again": ds}, {})
    assert set(images) == {"train_days_compare.png", "tco_usd_compare.png"}
