"""``rank_run``: the rank correlations of an in-memory run, from the uniforms the run kept
(``engine.run_uniforms``) or, for a Dataset the run did not return, regenerated."""

import gc

import numpy as np

import simulate
from distributions import uniforms
from simulate.analysis.ranking import rank_correlation
from simulate.engine.memory import run_uniforms
from simulate.model.catalog import CONFIG_DIR
from simulate.workflows.sections import rank_run

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


def test_kept_and_regenerated_uniforms_rank_alike(tmp_path):
    for scenario in (SCENARIO, _correlated(tmp_path)):
        ds = simulate.run(scenario, draws=DRAWS)
        kept = rank_run(ds, scenario)
        regenerated = rank_run(ds.copy(), scenario)  # a new Dataset: nothing kept for it
        assert run_uniforms(ds.copy()) is None
        assert kept == regenerated
        y = {o: ds[o].values for o in kept}
        assert kept == rank_correlation(run_uniforms(ds), y)


def test_correlated_inputs_rank_as_correlated(tmp_path):
    # gpu_price_usd and overhead_capex_ratio, Spearman 0.6 in the copula: both raise the
    # capital cost, so with the pair correlated each ranks higher against tco_usd than
    # alone. Regenerating without the copula (the old bug) would lose that.
    plain = rank_run(simulate.run(SCENARIO, draws=DRAWS), SCENARIO)["tco_usd"]
    correlated = _correlated(tmp_path)
    paired = rank_run(simulate.run(correlated, draws=DRAWS), correlated)["tco_usd"]
    assert paired["overhead_capex_ratio"] > plain["overhead_capex_ratio"] + 0.1


def test_chunked_ranks_correlated_inputs_as_the_in_memory_run(tmp_path):
    # pass 2 ranks the inputs by the uniforms the chunk's values came from (copula applied)
    from simulate.engine.chunked import run_chunked

    correlated = _correlated(tmp_path)
    exact = rank_run(simulate.run(correlated, draws=DRAWS), correlated)
    chunked = run_chunked(correlated, chunk_draws=7_000, draws=DRAWS)
    for output, rhos in exact.items():
        for name, rho in rhos.items():
            assert abs(chunked.rank_correlation[output][name] - rho) <= chunked.rank_error_bound
