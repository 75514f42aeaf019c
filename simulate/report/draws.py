"""Every draw of a run as NetCDF (``draws.nc``), for notebooks: ``xr.load_dataset(path)``.

NetCDF-4 through ``h5netcdf`` (HDF5), not the NetCDF-3 format of scipy's engine: NetCDF-3
has no 64-bit integers, so a seed of 2**31 or more cannot be stored (checked: xarray
refuses to cast it). Variables are compressed losslessly (zlib level 1 with byte
shuffle), which shrinks the constants (stored by the engine as broadcast views) to
almost nothing. Reading back gives a Dataset identical to the run's
(``xarray.testing.assert_identical``): same values bit for bit, same attrs.
"""

from __future__ import annotations

from pathlib import Path

import xarray as xr

__all__ = ["ENGINE", "draws_to_netcdf", "load_draws"]

ENGINE = "h5netcdf"
_CHUNK_DRAWS = 65_536


def draws_to_netcdf(ds: xr.Dataset) -> bytes:
    """The Dataset serialized as NetCDF-4 bytes (in memory; the report writes them)."""
    draws = ds.sizes.get("draw", 1)
    encoding = {
        str(name): {
            "zlib": True,
            "complevel": 1,
            "shuffle": True,
            "chunksizes": (max(1, min(draws, _CHUNK_DRAWS)),),
            "_FillValue": None,
        }
        for name in ds.data_vars
    }
    return bytes(ds.to_netcdf(engine=ENGINE, encoding=encoding))


def load_draws(path: str | Path) -> xr.Dataset:
    """Read ``draws.nc`` fully into memory (the file is closed on return)."""
    return xr.load_dataset(path, engine=ENGINE)
