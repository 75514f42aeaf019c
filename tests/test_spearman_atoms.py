"""One Spearman estimator on every path, right for inputs with atoms.

Every reference is ``scipy.stats.spearmanr`` of the draws ``simulate.run`` makes for the
same scenario and seed (the sample statistic; ties take their average rank), never a
sibling function of ours. Tolerances:

* in memory (the sensitivity section, ``rank_run``): the estimator of issue 16 §1, each
  input's mid-CDF rank against the output's mid-ECDF, checked against ``np.corrcoef`` of
  scipy's cdf of the input's draws and ``rankdata`` of the output's, up to rounding (1e-9);
  with the sample statistic the issue's -0.866 agrees within its Monte Carlo error;
* in chunks and on dask: within the run's stated ``rank_error_bound`` (derived in
  ``simulate.engine.chunked._rank_correlation``: each rank read from a histogram is within
  its bin's share of the sample mid-ECDF, which turns rho by at most ``arcsin(m / s)``
  per column), and within the issue's 0.005.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import distributions as d
import simulate
from simulate.engine.chunked import run_chunked
from simulate.workflows.sections import rank_run, sensitivity_section
from tests.conftest import mid_cdf_rho_reference

BASE = (Path(__file__).parent / "data" / "single_phase.toml").read_text()  # plain mfu, n_gpus
OUTPUTS = ("train_days", "tco_usd")
TWO_GPU_COUNTS = '{ dist = "discrete", values = [8192, 16384], weights = [0.5, 0.5] }'


def scenario(tmp_path, extra: str = "", **inputs: str):
    """The default scenario with ``inputs`` (inline TOML tables) in place of its own."""
    text = BASE
    for name, table in inputs.items():
        text = re.sub(rf"(?m)^{name} = .*\n", "", text)
        text = re.sub(rf"(?ms)^\[inputs\.{name}\]\n.*?\n\n", "", text)
        text = text.replace("[inputs]\n", f"[inputs]\n{name} = {table}\n", 1)
    path = tmp_path / "scenario.toml"
    path.write_text(text + extra)
    return simulate.load_scenario(path)


def scipy_rhos(ds, names):
    return {
        output: {
            name: stats.spearmanr(ds[name].values, ds[output].values).statistic for name in names
        }
        for output in OUTPUTS
    }


def estimator_rhos(ds, sc, names):
    """The in-memory estimator's reference: mid-CDF of each input (scipy's cdf) against the
    output's rankdata, np.corrcoef (tests/conftest.py)."""
    return {
        output: {
            name: mid_cdf_rho_reference(sc.inputs[name].dist, ds[name].values, ds[output].values)
            for name in names
        }
        for output in OUTPUTS
    }


def uncertain(sc):
    return [n for n, spec in sc.inputs.items() if not spec.dist.is_fixed]


def check_chunked(run, reference):
    assert run.rank_error_bound < 0.005
    for output, rhos in reference.items():
        for name, rho in rhos.items():
            got = run.rank_correlation[output][name]
            assert abs(got - rho) <= run.rank_error_bound, (output, name, got, rho)


# --- the case: n_gpus 8192 or 16384, seed 4, 200,000 draws ---------------------


@pytest.fixture(scope="module")
def two_gpu_counts(tmp_path_factory):
    sc = scenario(tmp_path_factory.mktemp("gpus"), n_gpus=TWO_GPU_COUNTS)
    ds = simulate.run(sc, draws=200_000, seed=4)
    return sc, ds, scipy_rhos(ds, uncertain(sc))


def test_discrete_input_in_memory_is_scipys(two_gpu_counts):
    sc, ds, reference = two_gpu_counts
    assert reference["train_days"]["n_gpus"] == pytest.approx(-0.866, abs=0.001)
    ours = rank_run(ds, sc)
    section = sensitivity_section(ds, sc)["rank_correlation"]["outputs"]
    for output, rhos in estimator_rhos(ds, sc, uncertain(sc)).items():
        rows = {row["input"]: row["spearman"]["value"] for row in section[output]["inputs"]}
        for name, rho in rhos.items():
            assert ours[output][name] == pytest.approx(rho, abs=1e-9), (output, name)
            assert rows[name] == pytest.approx(rho, abs=1e-9), (output, name)


def test_discrete_input_in_chunks_is_scipys(two_gpu_counts):
    # the old pass 2 ranked n_gpus by its uniform: -0.749 against scipy's -0.866
    sc, _, reference = two_gpu_counts
    run = run_chunked(sc, chunk_draws=50_000, draws=200_000, seed=4)
    check_chunked(run, reference)


def test_discrete_input_on_dask_is_scipys(two_gpu_counts):
    distributed = pytest.importorskip("dask.distributed")
    sc, _, reference = two_gpu_counts
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        run = run_chunked(
            sc,
            chunk_draws=50_000,
            draws=200_000,
            seed=4,
            backend="dask",
            scheduler=cluster.scheduler_address,
        )
    assert run.workers == 2
    check_chunked(run, reference)


def test_discrete_input_from_the_cli(two_gpu_counts, tmp_path):
    # the chunked summary.json's ranks are scipy's too
    import json

    from simulate.cli import main

    sc, _, reference = two_gpu_counts
    out = tmp_path / "report"
    argv = [str(sc.path), "--seed", "4", "--draws", "200000", "--chunk-draws", "50000"]
    assert main(["run", *argv, "--no-plots", "--quiet", "--out", str(out)]) == 0
    chunked = json.loads((out / "summary.json").read_text())["chunked"]
    got = chunked["rank_correlation"]["train_days"]["n_gpus"]
    assert abs(got - reference["train_days"]["n_gpus"]) <= chunked["rank_error_bound"] < 0.005


# --- ties, rare outcomes, continuous and correlated inputs, in memory and in chunks -----

CASES = {
    # a fixed component inside the uniform's range: ties at 0.40 among continuous draws
    "mixture_fixed": {
        "mfu": '{ dist = "mixture", weights = [0.3, 0.7], components = [0.40, '
        '{ dist = "uniform", low = 0.38, high = 0.43 }] }'
    },
    # repeated values: 0.90 twice in the list, so it carries twice the weight
    "empirical_repeats": {"goodput": '{ dist = "empirical", values = [0.85, 0.90, 0.90, 0.93] }'},
    # one outcome in a hundred
    "rare_outcome": {
        "n_gpus": '{ dist = "discrete", values = [16384, 24576], weights = [0.99, 0.01] }'
    },
    # a truncated discrete: the kept values reweighted
    "truncated_discrete": {
        "n_gpus": '{ dist = "discrete", values = [8192, 12288, 16384, 24576], '
        "weights = [0.1, 0.2, 0.3, 0.4], truncate = [8000, 20000] }"
    },
    "continuous": {},
}
CORRELATED = """
[correlations]
pairs = [["n_gpus", "gpu_price_usd", -0.5], ["mfu", "goodput", 0.6]]
"""
DRAWS = 60_000


@pytest.mark.parametrize("case", [*CASES, "correlated_discrete"])
def test_every_path_gives_scipys_spearman(case, tmp_path):
    if case == "correlated_discrete":
        sc = scenario(tmp_path, CORRELATED, n_gpus=TWO_GPU_COUNTS)
    else:
        sc = scenario(tmp_path, **CASES[case])
    ds = simulate.run(sc, draws=DRAWS, seed=11)
    reference = scipy_rhos(ds, uncertain(sc))
    ours = rank_run(ds, sc)
    for output, rhos in estimator_rhos(ds, sc, uncertain(sc)).items():
        for name, rho in rhos.items():
            assert ours[output][name] == pytest.approx(rho, abs=1e-9), (case, output, name)
    for chunk_draws in (7_000, 25_000):
        check_chunked(run_chunked(sc, chunk_draws=chunk_draws, draws=DRAWS, seed=11), reference)


def test_correlated_discrete_input_keeps_its_correlation(tmp_path):
    # the copula's Spearman -0.5 between n_gpus and gpu_price_usd shows in the draws, and
    # the chunked path ranks the discrete input as scipy does (the ranks carry the copula)
    sc = scenario(tmp_path, CORRELATED, n_gpus=TWO_GPU_COUNTS)
    ds = simulate.run(sc, draws=DRAWS, seed=11)
    pair = stats.spearmanr(ds["n_gpus"].values, ds["gpu_price_usd"].values).statistic
    # a binary input's Spearman with a continuous one is at most sqrt(3)/2 of the copula's
    # (its ranks take two values): -0.5 * sqrt(3)/2 = -0.433, standard error ~ 1/sqrt(n)
    assert pair == pytest.approx(-0.5 * np.sqrt(3) / 2, abs=5 / np.sqrt(DRAWS))


# --- the mid-CDF rank ------------------------------------------------------------------


@pytest.mark.parametrize(
    "dist",
    [
        d.Discrete(values=(8192, 16384), weights=(0.5, 0.5)),
        d.Discrete(values=(1, 2, 3), weights=(0.2, 0.3, 0.5)),
        d.Empirical(values=(0.85, 0.90, 0.90, 0.93)),
        d.Mixture(components=(d.Fixed(0.4), d.Uniform(0.38, 0.43)), weights=(0.3, 0.7)),
        d.Uniform(2, 5),
        d.LogNormal(mu=0, sigma=1),
        d.truncate(d.Normal(0, 1), 0, np.inf),
        d.truncate(d.Discrete(values=(1, 2, 3, 4), weights=(0.1, 0.2, 0.3, 0.4)), 1.5, 3.5),
    ],
    ids=repr,
)
def test_mid_cdf_is_what_scipys_average_ranks_converge_to(dist):
    # rankdata(x) / n - 1 / (2n) = (F_n(x-) + F_n(x)) / 2; by the DKW inequality
    # P(sup |F_n - F| > eps) <= 2 exp(-2 n eps^2), 2e-9 at n = 2e5, eps = 0.01
    n = 200_000
    x = dist.ppf(np.random.default_rng(7).random(n))
    sample = stats.rankdata(x) / n - 0.5 / n
    assert np.max(np.abs(d.mid_cdf(dist, x) - sample)) < 0.01


def test_mid_cdf_closed_forms():
    three = d.Discrete(values=(1, 2, 3), weights=(0.2, 0.3, 0.5))
    np.testing.assert_allclose(d.mid_cdf(three, [1, 2, 3, 2.5, 0, 9]), [0.1, 0.35, 0.75, 0.5, 0, 1])
    mixture = d.Mixture(components=(d.Fixed(5.0), d.Uniform(0, 10)), weights=(0.3, 0.7))
    # F(5-) = 0.35, F(5) = 0.65: the atom's mid-rank is 0.5; off the atom, F itself
    np.testing.assert_allclose(d.mid_cdf(mixture, [5.0, 2.0, 8.0]), [0.5, 0.14, 0.86])
    np.testing.assert_allclose(d.mid_cdf(d.Uniform(0, 4), [1.0, 3.0]), [0.25, 0.75])
    assert d.mid_cdf(d.Fixed(3.0), 3.0) == 0.5
