"""Scenario-file table forms of the new families, read with tomllib as the loader will."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from distributions import (
    PERT,
    Discrete,
    Empirical,
    Fixed,
    Gamma,
    LogNormal,
    Metalog,
    Mixture,
    Normal,
    ScipyFamily,
    Truncated,
    Uniform,
    as_correlations,
    parse,
    sample,
)

SCENARIO = """
[inputs]
n_gpus = { dist = "discrete", values = [8192, 16384], weights = [0.25, 0.75] }
mfu_history = { dist = "empirical", values = [0.38, 0.41, 0.43] }
mfu_from_file = { dist = "empirical", file = "runs.csv", column = "mfu" }
goodput = { dist = "gamma", a = 30, scale = 0.03 }
goodput_p = { dist = "gamma", p10 = 0.8, p90 = 0.95 }
price = { dist = "metalog", p10 = 25000, p50 = 30000, p90 = 40000, low = 0 }
weibull = { dist = "scipy.weibull_min", c = 1.5, scale = 2 }
weibull_p = { dist = "scipy.weibull_min", c = 1.5, p10 = 1, p90 = 4 }
normal_p = { dist = "normal", p2.5 = 1, "p97.5" = 3 }
pert_p = { dist = "pert", p10 = 2, mode = 5, p90 = 7 }
interval80 = { dist = "lognormal", interval = "5 to 10", credibility = 0.8 }
interval_default = { interval = [5, 10] }
cut = { dist = "normal", mean = 0.4, sd = 0.1, truncate = [0, 1] }
cut_open = { dist = "lognormal", mu = 0, sigma = 1, truncate = [0.5, inf] }

[inputs.delivery_delay_days]
dist = "mixture"
weights = [0.7, 0.3]
components = [0, { dist = "uniform", low = 30, high = 90 }]
source = "70% the plan holds, 30% a slipped delivery"
"""


@pytest.fixture(scope="module")
def specs(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("scenario")
    (folder / "runs.csv").write_text("run,mfu\na,0.38\nb,0.41\n\nc,0.43\n", encoding="utf-8")
    inputs = tomllib.loads(SCENARIO)["inputs"]
    return {name: parse(value, base_dir=folder) for name, value in inputs.items()}


def test_table_forms_build_the_right_specs(specs) -> None:
    assert specs["n_gpus"] == Discrete(values=(8192, 16384), weights=(0.25, 0.75))
    assert specs["mfu_history"] == Empirical(values=(0.38, 0.41, 0.43))
    assert specs["mfu_from_file"] == Empirical(values=(0.38, 0.41, 0.43))
    assert specs["goodput"] == Gamma(a=30, scale=0.03)
    assert isinstance(specs["goodput_p"], Gamma)
    assert isinstance(specs["price"], Metalog) and specs["price"].kind == "lower"
    assert specs["weibull"] == ScipyFamily("weibull_min", {"c": 1.5, "scale": 2})
    assert isinstance(specs["pert_p"], PERT)
    assert isinstance(specs["interval_default"], LogNormal)
    assert isinstance(specs["cut"], Truncated) and specs["cut"].base == Normal(mean=0.4, sd=0.1)
    assert specs["cut_open"].support() == (0.5, math.inf)
    mixture = specs["delivery_delay_days"]
    assert mixture == Mixture(
        components=(Fixed(value=0), Uniform(low=30, high=90)), weights=(0.7, 0.3)
    )


def test_percentile_forms_hold(specs) -> None:
    checks = {
        "goodput_p": {0.1: 0.8, 0.9: 0.95},
        "price": {0.1: 25000, 0.5: 30000, 0.9: 40000},
        "weibull_p": {0.1: 1, 0.9: 4},
        "normal_p": {0.025: 1, 0.975: 3},  # the unquoted p2.5 (a dotted TOML key) included
        "pert_p": {0.1: 2, 0.9: 7},
        "interval80": {0.1: 5, 0.9: 10},
        "interval_default": {0.05: 5, 0.95: 10},
    }
    for name, percentiles in checks.items():
        u = np.array(list(percentiles))
        np.testing.assert_allclose(
            specs[name].ppf(u), list(percentiles.values()), rtol=1e-9, err_msg=name
        )


def test_every_form_samples(specs) -> None:
    draws = sample(specs, 256, method="lhs", seed=1)
    for name, values in draws.items():
        low, high = specs[name].support()
        assert np.all((values >= low) & (values <= high)), name


def test_empirical_file_relative_to_base_dir(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").write_text("mfu\n0.3\n0.4\n", encoding="utf-8")
    spec = parse({"dist": "empirical", "file": "data/x.csv", "column": "mfu"}, base_dir=tmp_path)
    assert spec.values == (0.3, 0.4)
    absolute = parse(
        {"dist": "empirical", "file": str(tmp_path / "data" / "x.csv"), "column": "mfu"},
        base_dir="/nonexistent",
    )
    assert absolute == spec


def test_nested_mixture_components_parse_recursively() -> None:
    spec = parse(
        {
            "dist": "mixture",
            "weights": [0.5, 0.5],
            "components": [
                "5 to 10",
                {
                    "dist": "mixture",
                    "weights": [0.5, 0.5],
                    "components": [1, {"dist": "normal", "p10": 2, "p90": 3}],
                },
            ],
        }
    )
    assert isinstance(spec.components[1], Mixture)
    assert spec.expected() == pytest.approx(
        0.5 * LogNormal.from_interval(5, 10).expected() + 0.25 * 1 + 0.25 * 2.5
    )


def test_correlations_table_forms() -> None:
    pairs = tomllib.loads('[correlations]\npairs = [["mfu", "goodput", 0.6]]\n')["correlations"]
    matrix = tomllib.loads(
        '[correlations]\nnames = ["mfu", "goodput"]\nmatrix = [[1, 0.6], [0.6, 1]]\n'
    )["correlations"]
    assert as_correlations(pairs) == as_correlations(matrix)
    assert as_correlations(pairs).pairs() == {("goodput", "mfu"): 0.6}
