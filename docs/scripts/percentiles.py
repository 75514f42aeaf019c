"""P5/P50/P95 of the default scenario's days, GPU-hours and per-run costs (before/after tables).

python docs/scripts/percentiles.py [CONFIG] [--set NAME=VALUE ...]
"""

from __future__ import annotations

import sys

import numpy as np

import simulate

NODES = ("train_days", "gpu_hours", "amortized_cost_usd", "rental_cost_usd", "tco_usd")


def main(argv: list[str]) -> None:
    config = argv[0] if argv and not argv[0].startswith("--") else "configs/llama-3.1-405b.toml"
    sets = [argv[i + 1] for i, a in enumerate(argv) if a == "--set"]
    ds = simulate.run(simulate.load_scenario(config, sets), threads=1, keep_uniforms=False)
    for name in NODES:
        if name in ds:
            p5, p50, p95 = np.percentile(ds[name].values, [5, 50, 95])
            print(f"{name:20s} {p5:12.4g} {p50:12.4g} {p95:12.4g}")


if __name__ == "__main__":
    main(sys.argv[1:])
