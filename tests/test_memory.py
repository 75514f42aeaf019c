"""A chunked run's peak memory does not grow with the number of draws.

Peak resident memory (Linux's VmHWM, reset through /proc/self/clear_refs after a
warm-up run, less the resident memory then) of fresh processes running 40,000 and 400,000 draws
in chunks of 10,000: the in-memory run would hold 18 varying nodes of 8 bytes per draw
(≈ 52 MB more for the larger run); the chunked run may grow by what does grow with the
draws — histograms (at most a few thousand occupied bins per node) and the values kept
in the percentiles' bins (≈ 1% of 400,000 draws per node) — a few MB.
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
from simulate.catalog import CONFIG_DIR
from simulate.chunked import run_chunked
scenario = simulate.load_scenario(CONFIG_DIR / "llama-3.1-405b.toml")
mode, draws = sys.argv[1], int(sys.argv[2])
run_chunked(scenario, chunk_draws=10_000, draws=1_000, workers=1)  # warm: imports, caches
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1])
open("/proc/self/clear_refs", "w").write("5")  # peak RSS := current RSS
before = status("VmRSS:")
if mode == "chunked":
    run_chunked(scenario, chunk_draws=10_000, draws=draws, workers=1)
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
    small, large = _growth_mib("chunked", 40_000), _growth_mib("chunked", 400_000)
    in_memory = _growth_mib("memory", 400_000)
    assert in_memory > 50  # the measurement sees an in-memory run's arrays
    assert large - small < 8, (small, large, in_memory)
