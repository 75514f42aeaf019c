"""One Spearman estimator on every path, right for inputs with atoms.

Every path (in memory, chunks, dask) computes the estimator of issue 16 (docs/sensitivity.md): the
Pearson correlation of each input's population mid-CDF rank ``p = (F(x⁻) + F(x)) / 2``
and the output's sample mid-ECDF rank. Their reference is that expression on the same
draws, written here: ``np.corrcoef(p, scipy.stats.rankdata(y))`` with ``p`` the uniform
the input came from where it is continuous (``F(F⁻¹(u)) = u``; the run keeps them,
``run_uniforms``), else the mid-CDF computed below from the distribution's definition
with scipy. Tolerance: the run's stated ``rank_error_bound`` (derived in
``simulate.engine.chunked._rank_correlation``: each output rank read from a histogram is
within its bin's share of the sample mid-ECDF, which turns rho by at most ``arcsin(m / s)``;
the inputs' ranks are exact), and the issue's 0.005; in memory, up to rounding (1e-9).
For the issue's binary ``n_gpus`` the estimator equals ``scipy.stats.spearmanr`` (ranks of a
binary input are affine in its indicator), so its -0.866 is checked as well.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import distributions as d
import simulate
from simulate.engine.chunked import run_chunked
from simulate.engine.memory import run_uniforms
from simulate.workflows.sections import rank_run, sensitivity_section

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


def uncertain(sc):
    return [n for n, spec in sc.inputs.items() if not spec.dist.is_fixed]


def discrete_mid_cdf(values, weights):
    """``F(x) - P(X = x) / 2`` of the discrete distribution on ``values`` (scipy's
    ``rv_discrete`` on their indices; the weights normalised)."""
    values = np.asarray(values, dtype=float)
    dist = stats.rv_discrete(values=(np.arange(values.size), np.divide(weights, sum(weights))))

    def mid(x):
        index = np.searchsorted(values, x)
        return dist.cdf(index) - dist.pmf(index) / 2

    return mid


def mixture_mid_cdf(x):
    """0.3 at 0.40 plus 0.7 uniform on [0.38, 0.43] (CASES["mixture_fixed"]): the
    uniform's cdf, plus the atom whole above 0.40 and half at it."""
    return 0.7 * stats.uniform(0.38, 0.05).cdf(x) + 0.3 * ((x > 0.4) + 0.5 * (x == 0.4))


#: inputs with atoms (the others are continuous)
MID_CDFS = {
    "n_gpus": discrete_mid_cdf([8192, 16384], [0.5, 0.5]),
    "rare_outcome": discrete_mid_cdf([16384, 24576], [0.99, 0.01]),
    "truncated_discrete": discrete_mid_cdf([8192, 12288, 16384], [0.1, 0.2, 0.3]),
    "goodput": discrete_mid_cdf([0.85, 0.90, 0.93], [1, 2, 1]),  # 0.90 listed twice
    "mfu": mixture_mid_cdf,
}


def estimator_rhos(ds, names, mid_cdfs):
    """The issue-16 estimator on ``ds``'s draws: corr(p, rankdata(y)) (``mid_cdfs``: the
    inputs with atoms, name -> mid-CDF; the others' p is the uniform they came from)."""
    u = run_uniforms(ds)
    p = {name: mid_cdfs[name](ds[name].values) if name in mid_cdfs else u[name] for name in names}
    return {
        output: {
            name: np.corrcoef(p[name], stats.rankdata(ds[output].values))[0, 1] for name in names
        }
        for output in OUTPUTS
    }


def check_chunked(run, reference):
    assert 0 < run.rank_error_bound < 0.005
    for output, rhos in reference.items():
        for name, rho in rhos.items():
            got = run.rank_correlation[output][name]
            assert abs(got - rho) <= run.rank_error_bound, (output, name, got, rho)


# --- the case: n_gpus 8192 or 16384, seed 4, 200,000 draws ---------------------


@pytest.fixture(scope="module")
def two_gpu_counts(tmp_path_factory):
    sc = scenario(tmp_path_factory.mktemp("gpus"), n_gpus=TWO_GPU_COUNTS)
    ds = simulate.run(sc, draws=200_000, seed=4)
    names = uncertain(sc)
    return sc, ds, scipy_rhos(ds, names), estimator_rhos(ds, names, {"n_gpus": MID_CDFS["n_gpus"]})


def test_discrete_input_in_memory_is_scipys(two_gpu_counts):
    sc, ds, scipy_reference, reference = two_gpu_counts
    assert scipy_reference["train_days"]["n_gpus"] == pytest.approx(-0.866, abs=0.001)
    ours = rank_run(ds, sc)
    section = sensitivity_section(ds, sc)["rank_correlation"]["outputs"]
    for output, rhos in reference.items():
        rows = {row["input"]: row["spearman"]["value"] for row in section[output]["inputs"]}
        for name, rho in rhos.items():
            assert ours[output][name] == pytest.approx(rho, abs=1e-9), (output, name)
            assert rows[name] == pytest.approx(rho, abs=1e-9), (output, name)


def test_discrete_input_in_chunks_is_the_estimator(two_gpu_counts):
    # the old pass 2 ranked n_gpus by its uniform: -0.749 against scipy's -0.866. A
    # binary input's ranks, mid-CDF or average, are affine in its indicator, and a
    # correlation ignores affine maps: here the estimator is scipy's, up to rounding
    sc, _, scipy_reference, reference = two_gpu_counts
    assert reference["train_days"]["n_gpus"] == pytest.approx(
        scipy_reference["train_days"]["n_gpus"], abs=1e-9
    )
    run = run_chunked(sc, chunk_draws=50_000, draws=200_000, seed=4)
    check_chunked(run, reference)


def test_discrete_input_on_dask_is_the_estimator(two_gpu_counts):
    distributed = pytest.importorskip("dask.distributed")
    sc, _, _, reference = two_gpu_counts
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
    # the chunked summary.json's ranks are the estimator's too
    import json

    from simulate.cli import main

    sc, _, _, reference = two_gpu_counts
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
def test_every_path_gives_its_estimator(case, tmp_path):
    if case == "correlated_discrete":
        sc = scenario(tmp_path, CORRELATED, n_gpus=TWO_GPU_COUNTS)
        mid_cdfs = {"n_gpus": MID_CDFS["n_gpus"]}
    else:
        sc = scenario(tmp_path, **CASES[case])
        mid_cdfs = {n: MID_CDFS[case if n == "n_gpus" else n] for n in CASES[case]}
    ds = simulate.run(sc, draws=DRAWS, seed=11)
    reference = estimator_rhos(ds, uncertain(sc), mid_cdfs)
    ours = rank_run(ds, sc)
    for output, rhos in reference.items():
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
