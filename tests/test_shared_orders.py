"""One sort per drawn input serves every analysis (issue 16, item 1): the order, ranks,
KS distances, medians, EVPPI groups and percentiles computed from it are the very numbers
of the references (scipy's rankdata and ks_2samp, numpy's stable argsort, median and
quantile), bit for bit, with ties (atoms) and without."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from distributions import Uniform
from simulate.analysis import ranking
from simulate.analysis.decision import decision_table
from simulate.analysis.intervals import quantile_intervals
from simulate.analysis.ranking import average_ranks, draw_order, draw_orders
from simulate.analysis.risk import RiskTarget
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


@pytest.mark.parametrize("name", ["smooth", "atoms", "few_ties"])
def test_draw_order_is_numpys_stable_argsort_and_ranks_are_scipys(name):
    x = _columns()[name]
    order = draw_order(x)
    assert np.array_equal(order, np.argsort(x, kind="stable"))
    assert np.array_equal(average_ranks(x, order), stats.rankdata(x))
    assert np.array_equal(average_ranks(x), stats.rankdata(x))
    assert np.array_equal(draw_orders({name: x})[name], order)


@pytest.mark.parametrize("name", ["smooth", "atoms", "few_ties"])
@pytest.mark.parametrize("cut", [0.3, 0.97])  # 0.97: under 10,000 misses, scipy's exact p
def test_ks_from_one_sort_is_scipys_ks_2samp(name, cut):
    x = _columns()[name]
    rng = np.random.default_rng(RNG_SEED + 1)
    miss = (x / x.max() + 0.3 * rng.random(x.size)) > np.quantile(x / x.max(), cut)
    order = draw_order(x)
    ordered, miss_ordered = x[order], miss[order]
    ends = np.append(np.flatnonzero(ordered[1:] != ordered[:-1]), x.size - 1)
    reference = stats.ks_2samp(x[miss], x[~miss])
    assert _ks_2samp(ordered, miss_ordered, ends) == (
        float(reference.statistic),
        float(reference.pvalue),
    )


def test_risk_drivers_from_given_orders_are_the_references_numbers():
    columns = _columns()
    y = columns["smooth"] * (1 + columns["atoms"]) + columns["few_ties"]
    draws = columns | {"y": y}
    target = RiskTarget("y", float(np.quantile(y, 0.7)))
    miss = target.misses(y)
    result = risk_drivers(draws, list(columns), [target], orders=draw_orders(columns))
    for row in result["outputs"][target.key]["inputs"]:
        x = columns[row["input"]]
        ks = stats.ks_2samp(x[miss], x[~miss])
        assert row["ks_distance"] == float(ks.statistic)
        assert row["ks_p_value"] == float(ks.pvalue)
        assert row["median_among_misses"] == float(np.median(x[miss]))
        assert row["median_among_hits"] == float(np.median(x[~miss]))
    assert result == risk_drivers(draws, list(columns), [target])


def test_analyze_with_every_input_order_given_sorts_only_the_outputs(monkeypatch):
    # y = x1 + 2 x2 on uniform inputs; with both inputs' orders given, the rank
    # correlations and the risk drivers sort nothing but the output (one argsort of n)
    n = 20_000
    rng = np.random.default_rng(RNG_SEED)
    draws = {"x1": rng.random(n), "x2": rng.random(n)}
    draws["y"] = draws["x1"] + 2 * draws["x2"]
    specs = {"x1": Uniform(0, 1), "x2": Uniform(0, 1)}
    orders = draw_orders({k: draws[k] for k in specs})
    sorted_sizes = []
    argsort = np.argsort

    def counting(a, *args, **kwargs):
        sorted_sizes.append(np.size(a))
        return argsort(a, *args, **kwargs)

    monkeypatch.setattr(ranking.np, "argsort", counting)

    def model(v):
        return {"y": np.asarray(v["x1"]) + 2 * np.asarray(v["x2"])}

    section = analyze(
        model, specs, draws, outputs=["y"], targets=[RiskTarget("y", 1.5)], orders=orders
    )
    assert sorted_sizes.count(n) == 1
    monkeypatch.setattr(ranking.np, "argsort", argsort)
    assert section == analyze(model, specs, draws, outputs=["y"], targets=[RiskTarget("y", 1.5)])


def test_evppi_from_given_orders_equals_the_stable_sort_grouping():
    # the EVPPI groups are the stable order's; an input with atoms must keep the tie order
    columns = _columns()
    costs = {"a": columns["smooth"], "b": 1.6 + 0.1 * columns["atoms"]}
    inputs = {"atoms": columns["atoms"], "few_ties": columns["few_ties"]}
    given = decision_table(costs, inputs, orders=draw_orders(inputs))
    assert given.equals(decision_table(costs, inputs))
    # the estimator by hand with numpy's stable argsort, k = ceil(sqrt(n)) equal groups
    c = np.stack([costs["a"], costs["b"]])
    order = np.argsort(inputs["atoms"], kind="stable")
    k = 174  # ceil(sqrt(30,000)) groups, k + 1 bounds
    bounds = np.linspace(0, c.shape[1], k + 1).astype(np.int64)
    means = np.add.reduceat(c[:, order], bounds[:-1], axis=1) / np.diff(bounds)
    best = int(np.argmin(c.mean(axis=1)))
    value = float(np.sum(np.diff(bounds) / c.shape[1] * (means[best] - means.min(axis=0))))
    assert float(given["evppi"].sel(input="atoms")) == value


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
