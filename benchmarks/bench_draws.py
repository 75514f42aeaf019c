"""draws.nc, the old writer against the new one (issue 16, item 2: at least 300 MB/s).

The default scenario at 1e6 draws, run once; then, side by side in one process, each the
median of ``--repeats`` writes into a fresh folder on the same file system:

- old: the writer before issue 16 (NetCDF-4 bytes in memory, zlib level 1 + shuffle on
  every variable, constants as 1e6 broadcast copies, chunks of 65,536 draws), then the
  bytes written to the file, as the report folder did;
- default: :func:`simulate.report.draws.write_draws` straight into the file (uncompressed
  chunks, constants stored once);
- compress: the same with ``compress=True`` (zlib level 1 + shuffle).

MB/s = size of the file (1e6 bytes) / seconds of the write (no fsync: what a report
costs, the file in the page cache, as for the other report files). Each new file is
checked to read back identical (``xarray.testing.assert_identical``) outside the timing.
Run: PYTHONPATH=. python benchmarks/bench_draws.py [--draws 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import xarray as xr
from render import record

from simulate.engine.memory import run
from simulate.model.catalog import CONFIG_DIR
from simulate.report.draws import ENGINE, load_draws, write_draws
from simulate.scenario.config import load_scenario


def old_writer(ds: xr.Dataset, path: Path) -> None:
    """The writer before issue 16, verbatim (draws_to_netcdf), plus the folder's write."""
    draws = ds.sizes.get("draw", 1)
    encoding = {
        str(name): {
            "zlib": True,
            "complevel": 1,
            "shuffle": True,
            "chunksizes": (max(1, min(draws, 65_536)),),
            "_FillValue": None,
        }
        for name in ds.data_vars
    }
    path.write_bytes(bytes(ds.to_netcdf(engine=ENGINE, encoding=encoding)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    record("draws", "draws.nc (issue 16)")  # its section of RESULTS.md
    scenario = load_scenario(CONFIG_DIR / "llama-3.1-405b.toml", draws=args.draws)
    ds = run(scenario, keep_uniforms=False)
    raw_mb = sum(v.dtype.itemsize * v.size for v in ds.data_vars.values()) / 1e6
    constants = sum(1 for v in ds.data_vars.values() if v.data.strides[:1] == (0,))
    cases: dict[str, Callable[[Path], None]] = {
        "old (zlib 1 + shuffle, in memory)": lambda p: old_writer(ds, p),
        "default (uncompressed)": lambda p: write_draws(ds, p),
        "--compress (zlib 1 + shuffle)": lambda p: write_draws(ds, p, compress=True),
    }
    seconds: dict[str, list[float]] = {name: [] for name in cases}
    sizes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as folder:
        for repeat in range(args.repeats):
            for name, write in cases.items():  # interleaved: load drifts hit every case
                path = Path(folder) / f"draws-{repeat}-{len(seconds[name])}.nc"
                start = time.perf_counter()
                write(path)
                seconds[name].append(time.perf_counter() - start)
                sizes[name] = path.stat().st_size
                if repeat == 0 and not name.startswith("old"):
                    xr.testing.assert_identical(ds, load_draws(path))
                path.unlink()
    print(
        f"- {args.draws:,} draws of configs/llama-3.1-405b.toml: {len(ds.data_vars)} variables "
        f"({constants} constant over the draws), {raw_mb:.0f} MB of values in memory"
    )
    print(
        f"- {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
        f"Python {platform.python_version()}, numpy {np.__version__}, xarray {xr.__version__}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; medians of {args.repeats}"
    )
    print("- new files read back identical to the run (`xarray.testing.assert_identical`)")
    print()
    print("| writer | MB | median s | MB/s | time / old | size / old |")
    print("|---|---:|---:|---:|---:|---:|")
    old = next(iter(cases))
    for name in cases:
        median = statistics.median(seconds[name])
        mb = sizes[name] / 1e6
        print(
            f"| {name} | {mb:.0f} | {median:.2f} | {mb / median:.0f} | "
            f"{median / statistics.median(seconds[old]):.2f} | {sizes[name] / sizes[old]:.2f} |"
        )


if __name__ == "__main__":
    main()
