"""Cost views (amortized, rental, CO2), views in scenarios, published values, the article."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
from scipy import stats

from distributions import LogNormal
from simulate import (
    ConfigError,
    build_summary,
    load_scenario,
    run,
    scenario_from_dict,
    write_report,
)
from simulate.model.chain import NODES, evaluate
from simulate.report.markdown import render_markdown
from simulate.report.views import percentile_rank

ARTICLE = "configs/llama-3.1-405b-article.toml"
DEFAULT = "configs/llama-3.1-405b.toml"

# A small scenario with every tco input fixed (no accelerator, so no catalog values).
BASE = {
    "scenario": {"name": "views", "draws": 200, "seed": 1},
    "inputs": {
        "n_params": 1e9,
        "n_tokens": 1e12,
        "n_gpus": 100,
        "gpu_peak_flop_per_s": 1e15,
        "mfu": 0.5,
        "gpu_price_usd": 20_000,
        "overhead_capex_ratio": 0.5,
        "gpu_tdp_w": 500,
        "power_overhead_factor": 1.5,
        "electricity_usd_per_kwh": 0.1,
    },
}


def scenario(**changes):
    raw = copy.deepcopy(BASE)
    for table, values in changes.items():
        raw.setdefault(table, {}).update(values)
    return scenario_from_dict(raw, file="t.toml")


# --- node rules, each checked against the rule written out by hand -------------------------


def test_amortized_capex_charges_the_run_its_share_of_the_hardware_life():
    # 960e6 USD x 54 d / (3 a x 365.25 d/a) = 47,310,061.6 USD
    values = evaluate(
        {"capex_usd": 960e6, "train_days": 54.0, "hardware_life_years": 3.0, "energy_cost_usd": 2e6}
    )
    assert values["amortized_capex_usd"] == pytest.approx(960e6 * 54 / (3 * 365.25), rel=1e-12)
    assert values["amortized_capex_usd"] == pytest.approx(47_310_061.6, abs=0.1)
    assert values["amortized_cost_usd"] == pytest.approx(47_310_061.6 + 2e6, abs=0.1)
    assert values["energy_share_of_amortized"] == pytest.approx(2e6 / 49_310_061.6, rel=1e-9)


def test_rental_cost_is_gpu_hours_times_price():
    values = evaluate({"gpu_hours": 30.84e6, "rental_usd_per_gpu_hour": 2.0})
    assert values["rental_cost_usd"] == pytest.approx(61.68e6, rel=1e-12)


def test_co2_is_energy_times_grid_intensity():
    # LLaMA-65B, Table 15 of the LLaMA paper: 449 MWh at 0.385 kgCO2e/kWh = 173 tCO2e
    values = evaluate({"energy_mwh": 449.0, "grid_kgco2_per_kwh": 0.385})
    assert values["co2_t"] == pytest.approx(172.865, rel=1e-12)
    assert round(values["co2_t"]) == 173


def test_defaults_of_life_and_grid_are_the_cited_figures():
    # Epoch's code today (cost_analysis_standalone.py) amortizes at 0.14 OOM/yr x ln 10 per
    # year: a life of 1 / (0.14 ln 10) = 3.10 years; its old 3-year constant is gone.
    assert 1 / (0.14 * math.log(10)) == pytest.approx(3.10, abs=0.005)
    assert NODES["hardware_life_years"].default == 3.0
    assert "cost_analysis_standalone.py" in NODES["hardware_life_years"].source
    assert "1.56" not in NODES["pue"].source and "1.25" in NODES["pue"].source
    assert NODES["grid_kgco2_per_kwh"].default == 0.385


# --- the article's reproduction is unchanged ----------------------------------------------


def test_article_reproduction_unchanged_and_gains_amortized_and_co2():
    sc = load_scenario(ARTICLE)
    ds = run(sc)
    assert float(ds["capex_usd"][0]) == pytest.approx(960e6, rel=1e-12)
    assert float(ds["energy_mwh"][0]) == pytest.approx(29_030.4, rel=1e-12)
    assert float(ds["energy_cost_usd"][0]) == pytest.approx(2_409_523.2, rel=1e-12)
    assert float(ds["energy_share_of_tco"][0]) == pytest.approx(2_409_523.2 / 962_409_523.2)
    assert float(ds["train_flop"][0]) == pytest.approx(6 * 405e9 * 15e12, rel=1e-12)
    assert float(ds["attention_flop_per_token"][0]) == 0.0
    assert "goodput" not in ds  # train_days is pinned, so goodput is cut
    assert sc.views == ("tco", "amortized", "co2")  # no accelerator, so no rental price
    # against capital amortized over 54 days of a 3-year life, energy is ~4.8% (Epoch: 2-6%)
    assert float(ds["energy_share_of_amortized"][0]) == pytest.approx(
        2_409_523.2 / (960e6 * 54 / (3 * 365.25) + 2_409_523.2), rel=1e-12
    )


# --- views: which sinks a scenario must compute --------------------------------------------


def test_default_views_are_tco_and_those_whose_inputs_are_known():
    assert scenario().views == ("tco", "amortized", "co2")
    assert load_scenario(DEFAULT).views == ("tco", "amortized", "rental", "co2")


def test_missing_rental_price_fails_only_when_rental_is_asked():
    assert scenario(scenario={"views": ["tco"]}).views == ("tco",)
    with pytest.raises(
        ConfigError, match=r"t.toml: inputs: missing rental_usd_per_gpu_hour .*needed for rental"
    ):
        scenario(scenario={"views": ["rental"]})


def test_rental_only_scenario_needs_no_price_or_power():
    raw = copy.deepcopy(BASE)
    for name in ("gpu_price_usd", "overhead_capex_ratio", "gpu_tdp_w", "power_overhead_factor"):
        del raw["inputs"][name]
    del raw["inputs"]["electricity_usd_per_kwh"]
    raw["scenario"]["views"] = ["rental"]
    raw["inputs"]["rental_usd_per_gpu_hour"] = 2.0
    ds = run(scenario_from_dict(raw, file="t.toml"))
    assert "tco_usd" not in ds
    assert float(ds["rental_cost_usd"][0]) == pytest.approx(float(ds["gpu_hours"][0]) * 2.0)


def test_without_views_missing_tco_inputs_still_fail():
    raw = copy.deepcopy(BASE)
    del raw["inputs"]["gpu_price_usd"]
    with pytest.raises(ConfigError, match=r"missing gpu_price_usd \[USD\] \(needed for"):
        scenario_from_dict(raw, file="t.toml")


def test_unknown_view_is_refused():
    with pytest.raises(
        ConfigError, match=r"t.toml: scenario.views: unknown view 'cloud'; known: tco, amortized"
    ):
        scenario(scenario={"views": ["tco", "cloud"]})


def test_views_must_be_a_list_of_strings():
    with pytest.raises(ConfigError, match=r"t.toml: scenario.views: must be a list of strings"):
        scenario(scenario={"views": "tco"})


# --- the catalog's rental ranges ------------------------------------------------------------


def test_catalog_rental_range_becomes_a_lognormal_with_p5_and_p95():
    sc = load_scenario(DEFAULT, ["rental=on-demand"])
    spec = sc.inputs["rental_usd_per_gpu_hour"]
    assert spec.origin == "catalog"
    assert spec.dist == LogNormal.from_interval(1.99, 12.29)
    assert spec.dist.to_scipy().ppf([0.05, 0.95]) == pytest.approx([1.99, 12.29], rel=1e-12)
    assert "Lambda" in spec.source and "2025-03" in spec.source


def test_the_default_rents_at_committed_use_prices():
    # a 16K-GPU multi-month reservation: the committed-use range (Oblivus 3-yr 2.59 to GCP
    # 1-yr 7.67 $/GPU·h), not the on-demand list prices
    spec = load_scenario(DEFAULT).inputs["rental_usd_per_gpu_hour"]
    assert spec.dist == LogNormal.from_interval(2.59, 7.67)


# --- published values and their percentile rank ---------------------------------------------


def test_percentile_rank_counts_ties_half():
    assert percentile_rank(np.array([1.0, 2.0, 3.0, 4.0]), 2.5) == 50.0
    assert percentile_rank(np.array([5.0, 5.0]), 5.0) == 50.0
    assert percentile_rank(np.array([1.0, 2.0]), 0.0) == 0.0


def test_percentile_rank_matches_the_cdf_within_monte_carlo_error():
    draws = stats.norm.rvs(size=40_000, random_state=np.random.default_rng(3))
    # SE of an empirical CDF at 0.8413: sqrt(p (1 - p) / n) = 0.18 percent points; 4 SE
    se = 100 * math.sqrt(0.8413 * 0.1587 / 40_000)
    assert percentile_rank(draws, 1.0) == pytest.approx(100 * stats.norm.cdf(1.0), abs=4 * se)


def test_default_scenario_places_metas_gpu_hours(tmp_path):
    sc = load_scenario(DEFAULT, draws=4_000)
    ds = run(sc)
    summary = build_summary(ds, sc)
    (entry,) = summary["compare_to"]
    values = ds["gpu_hours"].values
    assert entry["node"] == "gpu_hours" and entry["value"] == 30.84e6
    assert entry["percentile_rank"] == pytest.approx(100 * np.mean(values < 30.84e6))
    assert entry["covered"] == bool(
        np.quantile(values, 0.05) <= 30.84e6 <= np.quantile(values, 0.95)
    )
    assert set(summary["views"]) == {"tco", "amortized", "rental", "co2"}
    assert summary["views"]["amortized"]["total"] == "amortized_cost_usd"
    text = render_markdown(summary)
    assert "## Cost views" in text and "## Published values" in text
    assert f"{entry['percentile_rank']:.1f}" in text
    out, _ = write_report(summary, tmp_path / "r")
    assert json.loads((out / "summary.json").read_text())["compare_to"][0]["node"] == "gpu_hours"


def test_compare_to_needs_a_known_node():
    with pytest.raises(
        ConfigError, match=r"t.toml: scenario.compare_to\[0\].node: must name a node .*got 'gpuh'"
    ):
        scenario(scenario={"compare_to": [{"node": "gpuh", "value": 1.0, "source": "x"}]})


def test_compare_to_needs_a_number():
    with pytest.raises(
        ConfigError, match=r"scenario.compare_to\[0\].value: must be a finite number; got '3'"
    ):
        scenario(scenario={"compare_to": [{"node": "gpu_hours", "value": "3", "source": "x"}]})


def test_compare_to_needs_a_source():
    with pytest.raises(
        ConfigError, match=r"scenario.compare_to\[0\].source: must be a non-empty string"
    ):
        scenario(scenario={"compare_to": [{"node": "gpu_hours", "value": 3.0}]})


def test_compare_to_refuses_unknown_fields():
    with pytest.raises(ConfigError, match=r"scenario.compare_to\[0\].units: unknown field"):
        scenario(
            scenario={
                "compare_to": [{"node": "gpu_hours", "value": 3.0, "source": "x", "units": "h"}]
            }
        )


def test_compare_to_must_be_tables():
    with pytest.raises(ConfigError, match=r"scenario.compare_to: must be a list of tables"):
        scenario(scenario={"compare_to": {"node": "gpu_hours"}})
