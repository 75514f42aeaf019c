"""draws.nc: every draw round-trips into an identical Dataset (values bit for bit, attrs)."""

from __future__ import annotations

import io
import os
import signal
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import simulate
import simulate.report.draws as draws_module
from simulate.cli import main
from simulate.engine.memory import run
from simulate.engine.runners import ChunkError
from simulate.model.catalog import CONFIG_DIR
from simulate.report.draws import BROADCAST_ATTR, draws_to_netcdf, load_draws, write_draws
from simulate.report.folder import write_files
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


# --- issue 16: uncompressed chunks at disk speed, constants stored once, --compress ---


def _bits(values):
    return np.ascontiguousarray(values).view(np.uint8).tobytes()


def _synthetic(draws=1_000):
    """Every kind the writer meets: drawn floats with NaN and -0.0, an int64 beyond 32 bits,
    a broadcast constant (stride 0), a constant stored in full, a per-phase name."""
    rng = np.random.default_rng(7)
    drawn = rng.standard_normal(draws)
    drawn[[3, 5]] = [np.nan, -0.0]
    full_constant = np.full(draws, -0.0)
    return xr.Dataset(
        {
            "mfu@main": ("draw", drawn, {"units": "1", "kind": "input", "constant": 0}),
            "n_gpus@ramp": (
                "draw",
                np.broadcast_to(np.float64(8192.0), (draws,)),
                {"units": "1", "constant": 1},
            ),
            "count": ("draw", np.arange(draws, dtype=np.int64) + 2**40, {"units": "1"}),
            "zero": ("draw", full_constant, {"units": "USD"}),
        },
        attrs={"seed": 2**40, "scenario": "synthetic"},
    )


@pytest.mark.parametrize("compress", [False, True])
def test_round_trip_bit_for_bit_both_modes(tmp_path, compress):
    ds = _synthetic()
    path = tmp_path / "draws.nc"
    write_draws(ds, path, compress=compress)
    back = load_draws(path)
    xr.testing.assert_identical(ds, back)
    assert list(back.data_vars) == list(ds.data_vars)
    for name in ds.data_vars:
        assert back[name].dtype == ds[name].dtype
        assert _bits(back[name].values) == _bits(ds[name].values), name  # NaN and -0.0 too
    assert back["n_gpus@ramp"].values.strides == (0,)  # a broadcast view again, as the engine's


@pytest.mark.parametrize("compress", [False, True])
def test_default_scenario_round_trips_with_phases_and_constants(tmp_path, compress):
    ds = run(load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=2_000))
    path = tmp_path / "draws.nc"
    write_draws(ds, path, compress=compress)
    back = load_draws(path)
    xr.testing.assert_identical(ds, back)
    for name in ("mfu@main", "n_gpus@main", "n_gpus", "train_days", "train_days@long_context"):
        assert _bits(back[name].values) == _bits(ds[name].values), name
        assert back[name].attrs == ds[name].attrs


@pytest.mark.parametrize("compress", [False, True])
def test_plain_open_dataset_reads_units_attrs_and_constants_once(tmp_path, compress):
    ds = run(load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=1_000))
    path = tmp_path / "draws.nc"
    write_draws(ds, path, compress=compress)
    with xr.open_dataset(path) as plain:  # no engine named: whatever xarray picks
        assert plain["train_days"].attrs["units"] == "d"
        np.testing.assert_array_equal(plain["mfu@main"].values, ds["mfu@main"].values)
        assert plain["mfu@main"].attrs == ds["mfu@main"].attrs
        # a constant: one value, its attrs, and how many draws it stands for
        assert plain["n_gpus"].dims == () and plain["n_gpus"].values == ds["n_gpus"].values[0]
        assert plain["n_gpus"].attrs == {**ds["n_gpus"].attrs, BROADCAST_ATTR: 1_000}
        assert plain.attrs == ds.attrs


def test_layout_uncompressed_by_default_zlib_with_compress(tmp_path):
    h5py = pytest.importorskip("h5py")
    ds = _synthetic(draws=2**20 + 1)  # one draw more than a chunk's most
    for compress in (False, True):
        path = tmp_path / f"draws-{compress}.nc"
        write_draws(ds, path, compress=compress)
        with h5py.File(path, "r") as f:
            data = f["mfu@main"]
            # the draws split evenly: ceil((2**20 + 1) / 2) = 524,289 per chunk, no padding
            assert data.chunks == (524_289,)
            assert data.compression == ("gzip" if compress else None)
            assert data.shuffle is compress
            assert f["n_gpus@ramp"].shape == ()  # the constant stored once
    assert (tmp_path / "draws-False.nc").stat().st_size < ds.nbytes  # constants not stored


def test_reserved_attribute_refused():
    ds = _synthetic()
    ds["mfu@main"].attrs[BROADCAST_ATTR] = 3
    with pytest.raises(ValueError, match=r"^draws.nc: variable mfu@main: attribute "):
        write_draws(ds, io.BytesIO())


def _earlier_report(tmp_path):
    scenario = load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=300)
    out = tmp_path / "r"
    simulate.run_report(scenario, out=out, plots=False, save_draws=True)
    return scenario, out, {p.name: p.read_bytes() for p in out.iterdir()}


def _unchanged(tmp_path, out, before):
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["r"]  # no staging folder, nothing aside


def test_failed_draws_write_leaves_no_half_file_and_keeps_the_earlier_report(tmp_path, monkeypatch):
    scenario, out, before = _earlier_report(tmp_path)

    def half_then_fail(ds, path, *, compress=False):
        Path(path).write_bytes(b"\x89HDF\r\n\x1a\n half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(draws_module, "write_draws", half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        simulate.run_report(scenario, out=out, plots=False, save_draws=True, force=True)
    _unchanged(tmp_path, out, before)


def test_refused_draws_write_leaves_the_earlier_report(tmp_path):
    _, out, before = _earlier_report(tmp_path)
    bad = _synthetic()
    bad["mfu@main"].attrs[BROADCAST_ATTR] = 1
    with pytest.raises(ValueError, match=BROADCAST_ATTR):
        write_files({"summary.json": "{}\n", "draws.nc": partial(write_draws, bad)}, out)
    _unchanged(tmp_path, out, before)


def test_signal_during_draws_write_removes_staging_and_keeps_the_earlier_report(
    tmp_path, monkeypatch
):
    scenario, out, before = _earlier_report(tmp_path)

    def half_then_sigterm(ds, path, *, compress=False):
        Path(path).write_bytes(b"half")
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(draws_module, "write_draws", half_then_sigterm)
    with pytest.raises(SystemExit):
        simulate.run_report(scenario, out=out, plots=False, save_draws=True)
    _unchanged(tmp_path, out, before)


def test_compress_flag_end_to_end(tmp_path, capsys):
    h5py = pytest.importorskip("h5py")
    config = str(CONFIG_DIR / "llama-3.1-405b.toml")
    out = tmp_path / "r"
    args = ["run", config, "--draws", "500", "--out", str(out), "--no-plots", "--quiet"]
    assert main([*args, "--save-draws", "--compress"]) == 0
    with h5py.File(out / "draws.nc", "r") as f:
        assert f["train_days"].compression == "gzip" and f["train_days"].shuffle
    xr.testing.assert_identical(load_draws(out / "draws.nc"), run(load_scenario(config, draws=500)))
    assert main([*args, "--force", "--save-draws"]) == 0
    with h5py.File(out / "draws.nc", "r") as f:
        assert f["train_days"].compression is None
    capsys.readouterr()
    assert main([*args, "--force", "--compress"]) == 2
    assert capsys.readouterr().err == (
        "error: --compress: needs --save-draws (it compresses draws.nc)\n"
    )


def test_run_report_compress_needs_save_draws(tmp_path):
    scenario = load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=100)
    with pytest.raises(ChunkError, match=r"^compress: needs save_draws"):
        simulate.run_report(scenario, out=tmp_path / "r", compress=True)
    assert not (tmp_path / "r").exists()
