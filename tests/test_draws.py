"""draws.nc: every draw round-trips into an identical Dataset (values bit for bit, attrs)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from simulate.engine.memory import run
from simulate.model.catalog import CONFIG_DIR
from simulate.report.draws import draws_to_netcdf, load_draws
from simulate.scenario.config import load_scenario


def _round_trip(ds, tmp_path):
    path = tmp_path / "draws.nc"
    path.write_bytes(draws_to_netcdf(ds))
    return load_draws(path)


def test_draws_round_trip_identical(tmp_path):
    ds = run(load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=1_000))
    back = _round_trip(ds, tmp_path)
    xr.testing.assert_identical(ds, back)
    for name in ds.data_vars:
        assert back[name].dtype == ds[name].dtype
        np.testing.assert_array_equal(back[name].values, ds[name].values)
    assert back["n_gpus"].attrs["constant"] == 1  # the engine's int attrs survive
    assert back.attrs["seed"] == 2024


def test_seed_beyond_32_bits_round_trips(tmp_path):
    # NetCDF-3 (scipy's engine) cannot store a 64-bit integer attribute; NetCDF-4 can.
    ds = run(load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=100, seed=2**40))
    back = _round_trip(ds, tmp_path)
    xr.testing.assert_identical(ds, back)
    assert int(back.attrs["seed"]) == 2**40


def test_scenario_with_every_value_fixed_round_trips(tmp_path):
    ds = run(load_scenario(CONFIG_DIR / "llama-3.1-405b-article.toml", draws=10))
    xr.testing.assert_identical(ds, _round_trip(ds, tmp_path))
