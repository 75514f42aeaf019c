"""Same scenario and seed: bit-identical; adding an input leaves the others' draws alone."""

import numpy as np
import pytest
import xarray as xr

import distributions as d
import simulate


@pytest.mark.parametrize("method", d.METHODS)
def test_same_seed_bit_identical(write_config, method):
    path = write_config()
    first = simulate.run(simulate.load_scenario(path, method=method))
    second = simulate.run(simulate.load_scenario(path, method=method))
    xr.testing.assert_identical(first, second)


def test_different_seed_differs(write_config):
    path = write_config()
    a = simulate.run(simulate.load_scenario(path, seed=1))
    b = simulate.run(simulate.load_scenario(path, seed=2))
    assert not np.array_equal(a["mfu"].values, b["mfu"].values)


def test_adding_an_input_leaves_other_draws_unchanged(write_config):
    path = write_config()
    before = simulate.run(simulate.load_scenario(path))
    after = simulate.run(
        simulate.load_scenario(path, ['goodput={dist="uniform", low=0.85, high=0.95}'])
    )
    np.testing.assert_array_equal(before["mfu"].values, after["mfu"].values)
    assert not np.array_equal(before["train_days"].values, after["train_days"].values)


def test_streams_are_addressable_by_draw_index():
    whole = d.uniforms(["mfu", "goodput"], 1_000, seed=5)
    tail = d.uniforms(["mfu", "goodput"], 400, seed=5, start=600)
    for name in whole:
        np.testing.assert_array_equal(whole[name][600:], tail[name])


def test_provenance_attrs(write_config):
    ds = simulate.run(simulate.load_scenario(write_config(), draws=100, seed=9, method="lhs"))
    assert ds.attrs["seed"] == 9 and ds.attrs["method"] == "lhs" and ds.attrs["draws"] == 100
    assert len(ds.attrs["config_hash"]) == 64 and ds.attrs["version"]
    assert ds["train_days"].attrs["units"] == "d" and ds["train_days"].attrs["source"]
    assert ds.sizes == {"draw": 100}
