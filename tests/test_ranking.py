"""``rank_run``: the rank correlations of an in-memory run (each input's mid-CDF rank
against the output's mid-ECDF, checked against scipy's cdf and rankdata of the draws); the
uniforms the run keeps (``engine.run_uniforms``) are the run's own."""

import gc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import simulate
from distributions import uniforms
from simulate.engine.memory import run_uniforms
from simulate.model.catalog import CONFIG_DIR
from simulate.workflows.sections import rank_run
from tests.conftest import mid_cdf_rho_reference

SCENARIO = simulate.load_scenario(CONFIG_DIR / "llama-3.1-405b.toml")
CORRELATED_TOML = """
[correlations]
pairs = [["gpu_price_usd", "overhead_capex_ratio", 0.6]]
"""
DRAWS = 20_000


def test_kept_uniforms_are_the_runs_own():
    ds = simulate.run(SCENARIO, draws=DRAWS, threads=2)
    kept = run_uniforms(ds)
    names = [n for n, spec in SCENARIO.inputs.items() if not spec.dist.is_fixed]
    assert sorted(kept) == sorted(names)
    fresh = uniforms(names, DRAWS, seed=SCENARIO.seed)
    for name in names:
        np.testing.assert_array_equal(kept[name], fresh[name])
        # and each input is its uniform through the input's quantile function
        dist = SCENARIO.inputs[name].dist
        np.testing.assert_array_equal(ds[name].values, dist.ppf(kept[name]))


def test_uniforms_go_with_the_run():
    ds = simulate.run(SCENARIO, draws=1_000)
    key = id(ds)
    del ds
    gc.collect()
    assert key not in simulate.engine.memory._UNIFORMS
    assert run_uniforms(simulate.run(SCENARIO, draws=1_000, keep_uniforms=False)) is None


def _correlated(tmp_path):
    config = tmp_path / "correlated.toml"
    config.write_text((CONFIG_DIR / "llama-3.1-405b.toml").read_text() + CORRELATED_TOML)
    return simulate.load_scenario(config)


def test_rank_run_is_the_mid_cdf_estimator_on_the_draws(tmp_path):
    # reference: np.corrcoef(scipy cdf of the input's draws, rankdata of the output's); the
    # run's kept uniforms and the cdf of its values differ by rounding only (1e-9); the
    # sample Spearman (scipy's spearmanr) estimates the same rho_S: its distance is the
    # Monte Carlo error, at most (1 - rho^2)/sqrt(n) times a small factor (5 here)
    for scenario in (SCENARIO, _correlated(tmp_path)):
        ds = simulate.run(scenario, draws=DRAWS)
        ours = rank_run(ds, scenario)
        again = rank_run(ds.copy(), scenario)  # nothing kept: ranks from the cdf
        for output, rhos in ours.items():
            for name, rho in rhos.items():
                dist = scenario.inputs[name].dist
                x, y = ds[name].values, ds[output].values
                reference = mid_cdf_rho_reference(dist, x, y)
                assert rho == pytest.approx(reference, abs=1e-9), (output, name)
                assert again[output][name] == pytest.approx(reference, abs=1e-9)
                sample = stats.spearmanr(x, y).statistic
                assert abs(rho - sample) <= 5 * (1 - rho**2) / np.sqrt(DRAWS) + 1e-9


def test_rank_run_sorts_only_the_outputs(monkeypatch):
    # issue 16 §1: the inputs are ranked by their uniforms, never sorted
    from simulate.analysis import ranking

    ds = simulate.run(SCENARIO, draws=DRAWS)
    sizes = []
    argsort = np.argsort

    def counting(a, *args, **kwargs):
        sizes.append(np.size(a))
        return argsort(a, *args, **kwargs)

    monkeypatch.setattr(ranking.np, "argsort", counting)
    ours = rank_run(ds, SCENARIO)
    assert sizes.count(DRAWS) == len(ours) == 2


def test_correlated_inputs_rank_as_correlated(tmp_path):
    # gpu_price_usd and overhead_capex_ratio, Spearman 0.6 in the copula: both raise the
    # capital cost, so with the pair correlated each ranks higher against tco_usd than
    # alone. Regenerating without the copula (the old bug) would lose that.
    plain = rank_run(simulate.run(SCENARIO, draws=DRAWS), SCENARIO)["tco_usd"]
    correlated = _correlated(tmp_path)
    paired = rank_run(simulate.run(correlated, draws=DRAWS), correlated)["tco_usd"]
    assert paired["overhead_capex_ratio"] > plain["overhead_capex_ratio"] + 0.1


def test_chunked_ranks_correlated_inputs_as_the_estimator(tmp_path):
    # pass 2 ranks each input by the uniform its value came from (copula applied); the
    # reference is the issue-16 estimator on the in-memory draws, same seed, written
    # here: corr(u, rankdata(y)), u the run's own uniforms (every input is continuous)
    from simulate.engine.chunked import run_chunked

    correlated = _correlated(tmp_path)
    ds = simulate.run(correlated, draws=DRAWS)
    u = run_uniforms(ds)
    chunked = run_chunked(correlated, chunk_draws=7_000, draws=DRAWS)
    names = [n for n, spec in correlated.inputs.items() if not spec.dist.is_fixed]
    for output in ("train_days", "tco_usd"):
        g = stats.rankdata(ds[output].values)
        for name in names:
            rho = np.corrcoef(u[name], g)[0, 1]
            assert abs(chunked.rank_correlation[output][name] - rho) <= chunked.rank_error_bound


# --- sort_order: the one sort of an output --------------------------------------------

_SPECIAL = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, 5e-324, -5e-324, 1.7976931348623157e308]


def _check_sort_order(x: np.ndarray) -> None:
    """``sort_order`` sorts (numpy's sort is the reference) and ``sample_ranks`` is
    ``(rankdata − 1/2) / n`` (scipy's, ties averaged), exactly."""
    from simulate.analysis.ranking import sample_ranks, sort_order

    order = sort_order(x)
    assert np.array_equal(np.sort(order), np.arange(x.size))
    assert np.array_equal(x[order], np.sort(x))
    expected = (stats.rankdata(x) - 0.5) / x.size
    assert np.array_equal(sample_ranks(x), expected)


@pytest.mark.parametrize(
    "case",
    ["lognormal", "signs and zeros", "ulps apart", "atoms", "atom among near values"],
)
def test_sort_order_sorts_as_numpy_and_ranks_as_scipy(case):
    # 2**16 + 3 draws: the packed path (and b = 17 index bits, past a power of two)
    rng = np.random.default_rng(11)
    n = 2**16 + 3
    x = {
        "lognormal": rng.lognormal(size=n),
        "signs and zeros": np.where(
            rng.random(n) < 0.3, rng.choice(_SPECIAL, n), rng.normal(size=n)
        ),
        # 5,000 values within 5,000 ulps of 1: words share their high bits, keys differ
        "ulps apart": 1.0 + rng.integers(0, 5_000, n) * np.finfo(float).eps,
        "atoms": rng.choice([3.0, -1.0, 7.5], n),
        "atom among near values": np.where(rng.random(n) < 0.5, 2.0, rng.normal(2.0, 1e-12, n)),
    }[case]
    _check_sort_order(x)


def test_sort_order_falls_back_to_argsort_with_nan():
    from simulate.analysis.ranking import sort_order

    x = np.random.default_rng(2).normal(size=2**16 + 1)
    x[::7] = np.nan
    assert np.array_equal(sort_order(x), np.argsort(x))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(_SPECIAL),
            st.floats(allow_nan=False),
            st.floats(min_value=0.999999, max_value=1.000001),
        ),
        min_size=2,
        max_size=300,
    )
)
def test_sort_order_on_any_doubles(values):
    """Any doubles (signed zeros, infinities, subnormals, near neighbours), with the
    packed path forced at every size."""
    import simulate.analysis.ranking as ranking

    packed, ranking._PACKED_SORT_DRAWS = ranking._PACKED_SORT_DRAWS, 2
    try:
        _check_sort_order(np.array(values, dtype=float))
    finally:
        ranking._PACKED_SORT_DRAWS = packed
