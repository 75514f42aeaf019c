"""Where one chunk of a chunked (or dask) run spends its time: pass 1 and pass 2 of one
1e6-draw chunk of the benchmark job, single-threaded, then a profile of both.

    PYTHONPATH=. python benchmarks/profile_chunk.py [CHUNK_DRAWS]

Not a test: numbers depend on the machine (docs/performance.md).
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time
from pathlib import Path

import simulate
from simulate.engine import chunked

JOB = Path(__file__).resolve().parent / "job.toml"


def main(chunk_draws: int = 1_000_000) -> None:
    scenario = simulate.load_scenario(JOB)
    plan = chunked.make_plan(scenario, draws=4 * chunk_draws, chunk_draws=chunk_draws)
    chunks = plan.chunks()
    first = chunked.first_pass(plan, chunks[0])
    for chunk in chunks[1:]:
        first = first.merge(chunked.first_pass(plan, chunk))
    where = chunked.targets(plan, first)
    start = time.perf_counter()
    chunked.first_pass(plan, chunks[1])
    one = time.perf_counter() - start
    start = time.perf_counter()
    chunked.second_pass(plan, where, chunks[1])
    two = time.perf_counter() - start
    print(f"pass 1 {one:.3f} s, pass 2 {two:.3f} s per chunk of {chunk_draws:,} draws")
    profile = cProfile.Profile()
    profile.enable()
    chunked.first_pass(plan, chunks[1])
    chunked.second_pass(plan, where, chunks[1])
    profile.disable()
    pstats.Stats(profile).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000)
