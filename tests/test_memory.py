"""A chunked run's peak memory does not grow with the number of draws.

Peak resident memory (Linux's VmHWM, reset through /proc/self/clear_refs after a
warm-up run, less the resident memory then) of fresh processes running 400,000 and
4,000,000 draws in chunks of 20,000. An in-memory run holds 18 varying nodes of 8 bytes
a draw: 3.6e6 more draws are 518 MB more (measured: > 50 MB at 4e5 draws). What a
chunked run holds beyond a chunk is its histograms, which stop growing once their bins
(a few hundred thousand over the nodes' ranges) are occupied, and the values kept in the
percentiles' bins (≈ 0.6% of the draws over all nodes: 0.2 MB at 4e6); between 4e5 and
4e6 draws the histograms still fill (measured: +13 MB), so the bound is 32 MB, a
sixteenth of what the in-memory run would add. goodput is triangular here, not PERT:
the same chain without its one costly quantile function, to keep the test short.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = """
import json, sys
import simulate
from simulate.model.catalog import CONFIG_DIR
from simulate.engine.chunked import run_chunked
# goodput triangular instead of PERT: the same chain, without the one costly ppf
scenario = simulate.load_scenario(
    CONFIG_DIR / "llama-3.1-405b.toml",
    ["goodput={dist='triangular', low=0.80, mode=0.90, high=0.97}"],
)
mode, draws = sys.argv[1], int(sys.argv[2])
run_chunked(scenario, chunk_draws=20_000, draws=1_000, workers=1)  # warm: imports, caches
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1])
open("/proc/self/clear_refs", "w").write("5")  # peak RSS := current RSS
before = status("VmRSS:")
if mode == "chunked":
    run_chunked(scenario, chunk_draws=20_000, draws=draws, workers=1)
else:
    simulate.build_summary(simulate.run(scenario, draws=draws, threads=1), scenario)
after = status("VmHWM:")
print(json.dumps({"kib": after - before}))
"""


def _growth_mib(mode: str, draws: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, mode, str(draws)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(done.stdout.splitlines()[-1])["kib"] / 1024


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_chunked_memory_does_not_grow_with_draws():
    small, large = _growth_mib("chunked", 400_000), _growth_mib("chunked", 4_000_000)
    in_memory = _growth_mib("memory", 400_000)
    assert in_memory > 50  # the measurement sees an in-memory run's arrays
    assert large - small < 32, (small, large, in_memory)
