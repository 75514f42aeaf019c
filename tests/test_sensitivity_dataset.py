"""A sensitivity analysis as an xarray Dataset (dims output, input): the same numbers as
the section, in labelled form; checked against the estimator's reference on the run's
draws (scipy's cdf of each input against rankdata of the output, tests/conftest.py)."""

from __future__ import annotations

import simulate
from simulate.analysis.sensitivity import as_dataset
from simulate.model.catalog import CONFIG_DIR
from simulate.workflows.sections import sensitivity_section
from tests.conftest import mid_cdf_rho_reference


def test_rank_correlations_as_a_dataset_are_the_estimators_rho():
    scenario = simulate.load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=4000)
    ds = simulate.run(scenario)
    ranks = as_dataset(sensitivity_section(ds, scenario)["rank_correlation"])
    assert set(ranks.dims) == {"output", "input"}
    for output in ("train_days", "tco_usd"):
        for name in ranks["input"].values:
            dist = scenario.inputs[str(name)].dist
            rho = mid_cdf_rho_reference(dist, ds[str(name)].values, ds[output].values)
            got = float(ranks["spearman"].sel(output=output, input=name))
            assert abs(got - rho) < 1e-9, (output, name)
    low, value, high = (ranks[k] for k in ("spearman_low", "spearman", "spearman_high"))
    assert bool(((low <= value) & (value <= high)).all())
    table = ranks.to_dataframe()
    assert len(table) == ranks.sizes["output"] * ranks.sizes["input"]
    assert "spearman_standard_error" in table.columns


def test_tornado_numbers_keep_their_names():
    scenario = simulate.load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=500)
    section = sensitivity_section(simulate.run(scenario), scenario)
    tornado = as_dataset(section["tornado"])
    row = section["tornado"]["outputs"]["train_days"]["inputs"][0]
    assert float(tornado["swing"].sel(output="train_days", input=row["input"])) == row["swing"]
