"""No input is sorted (issue 16, item 1): the KS distances, medians, bins and deciles of the
risk drivers and the EVPPI groups come from each input's mid-CDF rank; the numbers are
the references' (scipy's ks_2samp, numpy's median and quantile), bit for bit, with ties
(atoms) and without."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from distributions import Uniform
from simulate.analysis import ranking
from simulate.analysis.intervals import quantile_intervals
from simulate.analysis.risk import RiskTarget, proportion_interval
from simulate.analysis.risk_drivers import _ks_2samp, risk_drivers
from simulate.analysis.sensitivity import analyze
from simulate.analysis.summary import summarize
from simulate.report import plots

RNG_SEED = 16


def _columns() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(RNG_SEED)
    smooth = rng.lognormal(size=30_000)
    return {
        "smooth": smooth,  # no ties
        "atoms": np.round(rng.random(30_000) * 7),  # eight atoms: long tied blocks
        "few_ties": np.round(smooth, 3),  # some ties
    }


def _mid_ecdf(x: np.ndarray) -> np.ndarray:
    """A rank in [0, 1] that keeps x's order and ties: (rankdata(x) - 1/2) / n (scipy)."""
    return (stats.rankdata(x) - 0.5) / x.size


@pytest.mark.parametrize("name", ["smooth", "atoms", "few_ties"])
@pytest.mark.parametrize("cut", [0.3, 0.5, 0.97])  # 0.97: under 10,000 misses, scipy's exact p
def test_ks_without_a_sort_is_scipys_ks_2samp(name, cut):
    # KS is invariant under an increasing map that keeps ties, so the distance of the ranks
    # is that of the values; both are scipy's floats exactly
    x = _columns()[name]
    rng = np.random.default_rng(RNG_SEED + 1)
    miss = (x / x.max() + 0.3 * rng.random(x.size)) > np.quantile(x / x.max(), cut)
    r = _mid_ecdf(x)
    on_ranks, on_values = stats.ks_2samp(r[miss], r[~miss]), stats.ks_2samp(x[miss], x[~miss])
    got = _ks_2samp(r, miss)
    assert got == (float(on_ranks.statistic), float(on_ranks.pvalue))
    assert got == (float(on_values.statistic), float(on_values.pvalue))


def test_ks_without_a_sort_when_the_input_does_not_matter():
    # no dependence: the largest gap is small and many bins could hold it; still exact
    rng = np.random.default_rng(RNG_SEED + 2)
    u, miss = rng.random(200_000), rng.random(200_000) < 0.2
    reference = stats.ks_2samp(u[miss], u[~miss])
    assert _ks_2samp(u, miss) == (float(reference.statistic), float(reference.pvalue))


def test_risk_drivers_from_ranks_are_the_references_numbers():
    # ranks given: the population mid-CDF of each input (here Uniform(0, 1) inputs: the
    # value itself); bins and deciles are ranges of it, KS and medians are scipy's/numpy's
    rng = np.random.default_rng(RNG_SEED)
    n = 40_000
    columns = {"a": rng.random(n), "b": rng.random(n)}
    y = columns["a"] + 0.3 * columns["b"]
    target = RiskTarget("y", float(np.quantile(y, 0.7)))
    miss = target.misses(y)
    result = risk_drivers(columns | {"y": y}, list(columns), [target], ranks=columns)
    for row in result["outputs"][target.key]["inputs"]:
        x = columns[row["input"]]
        ks = stats.ks_2samp(x[miss], x[~miss])
        assert (row["ks_distance"], row["ks_p_value"]) == (ks.statistic, ks.pvalue)
        assert row["median_among_misses"] == float(np.median(x[miss]))
        assert row["median_among_hits"] == float(np.median(x[~miss]))
        bottom, top = miss[x < 0.1], miss[x > 0.9]
        assert row["p_miss_bottom_decile"] == proportion_interval(int(bottom.sum()), bottom.size)
        assert row["p_miss_top_decile"] == proportion_interval(int(top.sum()), top.size)


def test_analyze_sorts_only_the_outputs(monkeypatch):
    # y = x1 + 2 x2 on uniform inputs: the rank correlations and the risk drivers sort
    # nothing of length n but the output (one argsort)
    n = 20_000
    rng = np.random.default_rng(RNG_SEED)
    draws = {"x1": rng.random(n), "x2": rng.random(n)}
    draws["y"] = draws["x1"] + 2 * draws["x2"]
    specs = {"x1": Uniform(0, 1), "x2": Uniform(0, 1)}
    sorted_sizes = []
    argsort, sort = np.argsort, np.sort

    def counting(a, *args, **kwargs):
        sorted_sizes.append(np.size(a))
        return argsort(a, *args, **kwargs)

    def counting_sort(a, *args, **kwargs):
        sorted_sizes.append(np.size(a))
        return sort(a, *args, **kwargs)

    monkeypatch.setattr(ranking.np, "argsort", counting)
    monkeypatch.setattr(ranking.np, "sort", counting_sort)

    def model(v):
        return {"y": np.asarray(v["x1"]) + 2 * np.asarray(v["x2"])}

    analyze(model, specs, draws, outputs=["y"], targets=[RiskTarget("y", 1.5)])
    assert sorted_sizes.count(n) == 1


@pytest.mark.parametrize("name", ["smooth", "atoms", "few_ties"])
def test_percentiles_by_partition_are_np_quantile(name):
    x = _columns()[name]
    p = np.array([0.025, 0.05, 0.5, 0.95, 0.975])
    estimate, low, high = quantile_intervals(x, p, partition=True)
    assert np.array_equal(estimate, np.quantile(x, p))
    assert np.array_equal(
        summarize({name: x}, percentiles=100 * p)["percentile"].values[0], np.quantile(x, p)
    )
    ordered = np.sort(x)
    # bounds are order statistics of the sample (indices from the binomial, intervals.py)
    assert np.isin(low, ordered).all() and np.isin(high, ordered).all()


def test_distribution_bars_are_numpys_histogram_of_every_draw():
    # the bars: counts of np.histogram over the "auto" edges (searched edge by edge),
    # as a density (count / (n * width))
    x = _columns()["smooth"]
    axes = plots.plot_distribution(x, name="x", units="d").axes[0]
    edges = np.histogram_bin_edges(x, bins="auto")
    if len(edges) > plots.MAX_BINS + 1:
        edges = np.linspace(edges[0], edges[-1], plots.MAX_BINS + 1)
    counts, _ = np.histogram(x, bins=edges)
    heights = np.array([p.get_height() for p in axes.patches])
    assert heights == pytest.approx(counts / (x.size * np.diff(edges)), rel=1e-12)
