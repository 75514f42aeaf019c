"""Percentiles with order-statistic intervals: one vectorized sort vs scipy.stats.quantile_test.

25 variables x 3 percentiles at 1e6 draws (the issue's target: well under a second).
Run: PYTHONPATH=. python benchmarks/bench_percentile_intervals.py
"""

from __future__ import annotations

import time

import numpy as np
from scipy import stats

from simulate.analysis.intervals import quantile_intervals

P = (0.05, 0.5, 0.95)


def with_scipy(values: np.ndarray) -> list[tuple[float, float]]:
    out = []
    for row in values:
        for p in P:
            ci = stats.quantile_test(row, q=0.0, p=p).confidence_interval(0.95)
            out.append((ci.low, ci.high))
    return out


def main() -> None:
    values = np.random.default_rng(0).lognormal(size=(25, 1_000_000))
    quantile_intervals(values[:, :1000], P)  # warm up
    start = time.perf_counter()
    _, low, high = quantile_intervals(values, P)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    reference = with_scipy(values[:2])
    theirs = (time.perf_counter() - start) * 25 / 2
    assert np.allclose(np.column_stack([low[:2].ravel(), high[:2].ravel()]), reference)
    print(f"quantile_intervals, 25 x 3 at 1e6 draws: {ours:.2f} s")
    print(f"scipy.stats.quantile_test, same (extrapolated from 2 variables): {theirs:.2f} s")


if __name__ == "__main__":
    main()
