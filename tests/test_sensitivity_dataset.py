"""A sensitivity analysis as an xarray Dataset (dims output, input): the same numbers as
the section, in labelled form; checked against scipy's spearmanr on the run's draws."""

from __future__ import annotations

import numpy as np
from scipy import stats

import simulate
from simulate.analysis.sensitivity import as_dataset
from simulate.model.catalog import CONFIG_DIR
from simulate.workflows.sections import sensitivity_section


def test_rank_correlations_as_a_dataset_are_scipys_spearman():
    scenario = simulate.load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=4000)
    ds = simulate.run(scenario)
    ranks = as_dataset(sensitivity_section(ds, scenario)["rank_correlation"])
    assert set(ranks.dims) == {"output", "input"}
    for output in ("train_days", "tco_usd"):
        for name in ranks["input"].values:
            rho = stats.spearmanr(ds[str(name)].values, ds[output].values).statistic
            got = float(ranks["spearman"].sel(output=output, input=name))
            assert got == np.float64(rho) or abs(got - rho) < 1e-12, (output, name)
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
