"""Every draw of a run as NetCDF (``draws.nc``), for notebooks: ``xr.open_dataset(path)``.

NetCDF-4 through ``h5netcdf`` (HDF5), not the NetCDF-3 format of scipy's engine: NetCDF-3
has no 64-bit integers, so a seed of 2**31 or more cannot be stored (checked: xarray
refuses to cast it).

- Each variable over the draws is stored in chunks of at most 2**20 draws (8 MB of
  float64), the draws split evenly so that no chunk is padded; uncompressed by default
  (written at disk speed), zlib level 1 with byte shuffle with ``compress``
  (benchmarks/bench_draws.py gives both speeds and sizes).
- A variable constant over the draws (the engine's broadcast views, stride 0) is stored
  once, as a 0-d variable with the attribute ``broadcast_draws`` = the number of draws:
  plain ``xarray.open_dataset`` shows its value, units and attrs; :func:`load_draws`
  restores the draw dimension (again a broadcast view).

:func:`load_draws` gives back a Dataset identical to the run's
(``xarray.testing.assert_identical``): same values bit for bit, same attrs.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import xarray as xr

__all__ = ["BROADCAST_ATTR", "ENGINE", "draws_to_netcdf", "load_draws", "write_draws"]

ENGINE = "h5netcdf"
#: Most draws in one HDF5 chunk (2**20 float64 = 8 MB: few chunks, each one write).
MAX_CHUNK_DRAWS = 2**20
#: Attribute of a variable constant over the draws, stored once: the number of draws.
BROADCAST_ATTR = "broadcast_draws"
DRAW = "draw"


def _constant_over_draws(var: xr.Variable) -> bool:
    """Whether ``var`` is a broadcast view over the draws (stride 0 on its first axis)."""
    data = var.data
    return (
        isinstance(data, np.ndarray)
        and var.ndim >= 1
        and var.dims[0] == DRAW
        and var.shape[0] > 1
        and data.strides[0] == 0
    )


def _chunk_draws(draws: int) -> int:
    """Draws per chunk: the draws split evenly into chunks of at most MAX_CHUNK_DRAWS."""
    return math.ceil(draws / math.ceil(draws / MAX_CHUNK_DRAWS))


def write_draws(ds: xr.Dataset, target: str | Path | BinaryIO, *, compress: bool = False) -> None:
    """Write ``ds`` as NetCDF-4 to ``target`` (a path or a binary file); see the module."""
    variables: dict[Any, xr.Variable] = {}
    encoding: dict[Any, dict[str, Any]] = {}
    for name, array in ds.data_vars.items():
        var = array.variable
        if BROADCAST_ATTR in var.attrs:
            raise ValueError(f"draws.nc: variable {name}: attribute {BROADCAST_ATTR} is reserved")
        enc: dict[str, Any] = {"_FillValue": None}
        if _constant_over_draws(var):
            var = xr.Variable(
                var.dims[1:], var.data[0], {**var.attrs, BROADCAST_ATTR: np.int64(var.shape[0])}
            )
        elif DRAW in var.dims and var.size:
            axis = var.dims.index(DRAW)
            chunks = list(var.shape)
            chunks[axis] = _chunk_draws(var.shape[axis])
            enc["chunksizes"] = tuple(chunks)
            if compress:
                enc |= {"zlib": True, "complevel": 1, "shuffle": True}
        variables[name] = var
        encoding[name] = enc
    out = xr.Dataset(variables, coords=ds.coords, attrs=ds.attrs)
    out.to_netcdf(target, engine=ENGINE, encoding=encoding)


def draws_to_netcdf(ds: xr.Dataset, *, compress: bool = False) -> bytes:
    """The Dataset as NetCDF-4 bytes in memory (:func:`write_draws` into a buffer)."""
    buffer = io.BytesIO()
    write_draws(ds, buffer, compress=compress)
    return buffer.getvalue()


def load_draws(path: str | Path) -> xr.Dataset:
    """Read ``draws.nc`` fully into memory (the file is closed on return), the variables
    stored once restored to the draw dimension."""
    ds = xr.load_dataset(path, engine=ENGINE)
    restored = {}
    for name, array in ds.data_vars.items():
        if BROADCAST_ATTR in array.attrs:
            attrs = dict(array.attrs)
            draws = int(attrs.pop(BROADCAST_ATTR))
            data = np.broadcast_to(array.values, (draws, *array.shape))
            restored[name] = xr.Variable((DRAW, *array.dims), data, attrs)
    return ds.assign(restored) if restored else ds
