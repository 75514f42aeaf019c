"""Catalog: FP8 peaks, precision against explicit peaks, rental kinds, single listings."""

from __future__ import annotations

import math
import statistics
import tomllib

import pytest

from distributions import Fixed, LogNormal
from simulate import ConfigError, scenario_from_dict

with open("configs/hardware.toml", "rb") as handle:
    TOML = tomllib.load(handle)["accelerators"]

BASE = {
    "scenario": {"name": "catalog", "draws": 200, "seed": 1, "views": ["rental"]},
    "inputs": {"n_params": 1e9, "n_tokens": 1e12, "n_gpus": 100, "mfu": 0.4},
}


def scenario(cluster, inputs=None):
    raw = {
        "scenario": dict(BASE["scenario"]),
        "cluster": cluster,
        "inputs": {**BASE["inputs"], **(inputs or {})},
    }
    return scenario_from_dict(raw, file="t.toml")


@pytest.mark.parametrize("key", ["H800-SXM", "H200-SXM"])
def test_fp8_peak_of_h800_and_h200_is_half_nvidias_sparse_figure(key):
    # NVIDIA datasheets: 3,958 TFLOP/s FP8 with 2:4 sparsity; dense is half = 1,979.
    sc = scenario({"accelerator": key, "precision": "fp8"})
    assert sc.inputs["gpu_peak_flop_per_s"].dist == Fixed(1978.9e12)
    assert "dense fp8" in sc.inputs["gpu_peak_flop_per_s"].source


def test_a_precision_without_a_catalog_peak_is_refused_unless_the_peak_is_given():
    with pytest.raises(
        ConfigError, match=r"t.toml: cluster.precision: A100-SXM4-80GB has no dense 'fp8' peak"
    ):
        scenario({"accelerator": "A100-SXM4-80GB", "precision": "fp8"})
    sc = scenario(
        {"accelerator": "A100-SXM4-80GB", "precision": "fp8"}, {"gpu_peak_flop_per_s": 6e14}
    )
    spec = sc.inputs["gpu_peak_flop_per_s"]
    assert (spec.dist, spec.origin) == (Fixed(6e14), "scenario")


def test_an_explicit_peak_wins_over_the_catalogs():
    sc = scenario({"accelerator": "H100-SXM", "precision": "bf16"}, {"gpu_peak_flop_per_s": 8e14})
    spec = sc.inputs["gpu_peak_flop_per_s"]
    assert (spec.dist, spec.origin) == (Fixed(8e14), "scenario")


def test_rental_is_a_choice_between_on_demand_and_committed_ranges():
    on_demand = scenario({"accelerator": "H100-SXM"}).inputs["rental_usd_per_gpu_hour"]
    assert on_demand.dist == LogNormal.from_interval(1.99, 12.29)
    assert "on-demand" in on_demand.source
    committed = scenario({"accelerator": "H100-SXM", "rental": "committed"}).inputs[
        "rental_usd_per_gpu_hour"
    ]
    # Epoch's Hardware prices.csv: Oblivus 3-yr 2.59 (2024-02) to GCP 1-yr 7.67 (2025-03)
    assert committed.dist == LogNormal.from_interval(2.59, 7.67)
    assert "committed" in committed.source and "GCP 1-yr, 2025-03" in committed.source
    for entry in TOML.values():  # every range is dated and sourced
        for kind in ("rental_on_demand", "rental_committed"):
            if kind in entry:
                assert entry[kind]["date"] and entry[kind]["source"]


def test_an_unknown_rental_kind_is_refused():
    with pytest.raises(
        ConfigError,
        match=r"t.toml: cluster.rental: must be one of on-demand, committed; got 'reserved'",
    ):
        scenario({"accelerator": "H100-SXM", "rental": "reserved"})


def test_no_committed_range_leaves_rental_to_the_scenario():
    with pytest.raises(ConfigError, match=r"t.toml: inputs: missing rental_usd_per_gpu_hour"):
        scenario({"accelerator": "H200-SXM", "rental": "committed"})


def test_a_single_listing_is_widened_by_the_catalogs_median_spread():
    # B200's one purchase listing (47,409 USD) becomes a lognormal with it as median and
    # P95/P5 = r, the median high/low ratio of the catalog's purchase ranges with two
    # listings or more, computed here from the TOML.
    r = statistics.median(
        max(e["purchase_price_usd"]) / min(e["purchase_price_usd"])
        for e in TOML.values()
        if len(e.get("purchase_price_usd", [])) >= 2
    )
    (price,) = TOML["B200"]["purchase_price_usd"]
    sc = scenario({"accelerator": "B200"}, {})
    raw = {
        "scenario": {"name": "b", "draws": 200, "seed": 1, "views": ["tco"]},
        "cluster": {"accelerator": "B200"},
        "inputs": {
            **BASE["inputs"], "overhead_capex_ratio": 0.5, "power_overhead_factor": 1.2,
            "electricity_usd_per_kwh": 0.08,
        },
    }  # fmt: skip
    spec = scenario_from_dict(raw, file="t.toml").inputs["gpu_price_usd"]
    assert spec.dist == LogNormal.from_interval(price / math.sqrt(r), price * math.sqrt(r))
    assert spec.dist.to_scipy().median() == pytest.approx(price, rel=1e-12)
    assert "one listing" in spec.source
    assert sc.inputs["rental_usd_per_gpu_hour"].dist == LogNormal.from_interval(3.75, 14.24)


def test_gaudi_vendor_peaks_sit_beside_epochs():
    assert TOML["Gaudi-2"]["vendor_peak_tflops"] == {"bf16": 432, "fp8": 865}
    assert TOML["Gaudi-3"]["vendor_peak_tflops"] == {"bf16": 1835, "fp8": 1835}
    assert TOML["Gaudi-3"]["peak_tflops"] == {"bf16": 1678, "fp8": 1678}  # Epoch's
    assert "Intel" in TOML["Gaudi-3"]["vendor_peak_source"]
