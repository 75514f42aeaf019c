"""Distributions keep scipy.stats' contract (issue 12, point 6), checked against scipy itself
and closed forms: ppf/cdf/sf domain handling, rvs, moments, interval, to_scipy(), seeds,
and no import circle inside distributions/."""

import ast
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize, stats

from distributions import (
    PERT,
    Beta,
    Discrete,
    DistributionError,
    Empirical,
    Fixed,
    Gamma,
    LogNormal,
    LogUniform,
    Metalog,
    Mixture,
    Normal,
    ScipyFamily,
    Triangular,
    Truncated,
    TruncatedNormal,
    Uniform,
    uniforms,
)

PACKAGE = Path(__file__).resolve().parent.parent / "distributions"


def _mixture_reference():
    """0.4 N(0, 1) + 0.6 N(3, 0.5²), through scipy's norm."""

    class Ref:
        def cdf(self, x):
            return 0.4 * stats.norm.cdf(x) + 0.6 * stats.norm.cdf(x, 3, 0.5)

        def sf(self, x):
            return 0.4 * stats.norm.sf(x) + 0.6 * stats.norm.sf(x, 3, 0.5)

        def mean(self):
            return 0.6 * 3

        def std(self):
            return math.sqrt(0.4 * 1 + 0.6 * (0.25 + 9) - 1.8**2)

        def ppf(self, q):
            def root(p):
                return optimize.brentq(lambda x: self.cdf(x) - p, -10, 10, xtol=1e-14)

            return np.array([root(p) for p in q])

        def median(self):
            return float(self.ppf([0.5])[0])

    return Ref()


def _truncated_gamma_reference():
    """Gamma(2, scale 1) conditioned on [1, 3], from scipy's gamma."""
    g = stats.gamma(2)
    lo, hi = g.cdf(1), g.cdf(3)

    class Ref:
        def cdf(self, x):
            return np.clip((g.cdf(x) - lo) / (hi - lo), 0, 1)

        def sf(self, x):
            return 1 - self.cdf(x)

        def ppf(self, q):
            return g.ppf(lo + np.asarray(q) * (hi - lo))

        def mean(self):
            return g.expect(lb=1, ub=3, conditional=True)

        def std(self):
            m = self.mean()
            return math.sqrt(g.expect(lambda x: (x - m) ** 2, lb=1, ub=3, conditional=True))

        def median(self):
            return float(self.ppf(0.5))

    return Ref()


def _logistic_metalog():
    """A 2-term unbounded metalog is the logistic (Keelin 2016, §3): through 3 of its quantiles."""
    ref = stats.logistic(loc=1, scale=2)
    pairs = tuple((p, float(ref.ppf(p))) for p in (0.1, 0.5, 0.9))
    return Metalog(quantiles=pairs, terms=2)


# (spec, independent reference, points x to check cdf at)
CASES = {
    "fixed": (Fixed(5), stats.rv_discrete(values=([5.0], [1.0])), [4.0, 5.0, 6.0]),
    "uniform": (Uniform(2, 5), stats.uniform(2, 3), [1.0, 2.5, 4.0, 6.0]),
    "loguniform": (LogUniform(1, 100), stats.loguniform(1, 100), [2.0, 10.0, 50.0]),
    "triangular": (Triangular(1, 2, 5), stats.triang(0.25, loc=1, scale=4), [1.5, 2.0, 4.0]),
    "pert": (PERT(1, 2, 5), stats.beta(2, 4, loc=1, scale=4), [1.5, 2.0, 4.0]),
    "normal": (Normal(3, 2), stats.norm(3, 2), [0.0, 3.0, 5.0]),
    "truncnormal": (TruncatedNormal(0, 1, -1, 2), stats.truncnorm(-1, 2), [-0.5, 0.0, 1.5]),
    "lognormal": (LogNormal(0.5, 0.4), stats.lognorm(0.4, scale=math.exp(0.5)), [1.0, 2.0, 3.0]),
    "beta": (Beta(2, 3, 1, 4), stats.beta(2, 3, loc=1, scale=3), [1.5, 2.0, 3.5]),
    "gamma": (Gamma(2, 1.5, 1), stats.gamma(2, loc=1, scale=1.5), [1.5, 3.0, 8.0]),
    "scipy": (
        ScipyFamily("weibull_min", {"c": 1.5, "scale": 2}),
        stats.weibull_min(1.5, scale=2),
        [0.5, 1.0, 3.0],
    ),
    "discrete": (
        Discrete(values=(1, 2, 4), weights=(0.2, 0.5, 0.3)),
        stats.rv_discrete(values=([1, 2, 4], [0.2, 0.5, 0.3])),
        [0.5, 1.0, 2.5, 4.0],
    ),
    "empirical": (
        Empirical(values=(1, 2, 2, 3, 7)),
        stats.rv_discrete(values=([1, 2, 3, 7], [0.2, 0.4, 0.2, 0.2])),
        [1.0, 2.0, 5.0],
    ),
    "mixture": (
        Mixture(components=(Normal(0, 1), Normal(3, 0.5)), weights=(0.4, 0.6)),
        _mixture_reference(),
        [-1.0, 1.0, 3.0],
    ),
    "truncated": (Truncated(Gamma(2, 1), low=1, high=3), _truncated_gamma_reference(), [1.5, 2.5]),
    "metalog": (_logistic_metalog(), stats.logistic(loc=1, scale=2), [-2.0, 1.0, 4.0]),
}
QS = np.array([0.05, 0.3, 0.5, 0.8, 0.95])


@pytest.mark.parametrize("case", CASES)
def test_ours_equal_the_reference(case):
    spec, ref, xs = CASES[case]
    assert spec.expected() == pytest.approx(ref.mean(), rel=1e-7, abs=1e-9)
    assert spec.std() == pytest.approx(ref.std(), rel=1e-6, abs=1e-9)
    assert spec.median() == pytest.approx(float(ref.median()), rel=1e-9)
    np.testing.assert_allclose(spec.cdf(np.array(xs)), ref.cdf(np.array(xs)), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(spec.sf(np.array(xs)), ref.sf(np.array(xs)), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(spec.ppf(QS), ref.ppf(QS), rtol=1e-9)


@pytest.mark.parametrize("case", CASES)
def test_to_scipy_equals_the_reference(case):
    spec, ref, xs = CASES[case]
    theirs = spec.to_scipy()
    assert float(theirs.mean()) == pytest.approx(ref.mean(), rel=1e-7, abs=1e-9)
    assert float(theirs.std()) == pytest.approx(ref.std(), rel=1e-6, abs=1e-9)
    assert float(theirs.median()) == pytest.approx(float(ref.median()), rel=1e-9)
    np.testing.assert_allclose(theirs.cdf(np.array(xs)), ref.cdf(np.array(xs)), rtol=1e-9)
    np.testing.assert_allclose(theirs.ppf(QS), ref.ppf(QS), rtol=1e-9)
    draws = theirs.rvs(size=4000, random_state=np.random.default_rng(1))
    assert stats.kstest(draws, ref.cdf).pvalue > 1e-4 or spec.is_discrete


def test_closed_forms():
    assert Uniform(2, 5).mean() == pytest.approx(3.5)
    assert Uniform(2, 5).var() == pytest.approx(9 / 12)
    assert PERT(1, 2, 5).mean() == pytest.approx((1 + 4 * 2 + 5) / 6)
    assert LogNormal(0.5, 0.4).mean() == pytest.approx(math.exp(0.5 + 0.4**2 / 2))
    d = Discrete(values=(1, 2, 4), weights=(0.2, 0.5, 0.3))
    assert d.mean() == pytest.approx(0.2 + 1.0 + 1.2)
    assert Fixed(5).mean() == 5 and Fixed(5).std() == 0
    assert Fixed(5).to_scipy().mean() == 5 and Fixed(5).to_scipy().std() == 0
    m = Mixture(components=(Fixed(1), Uniform(0, 2)), weights=(0.3, 0.7))
    assert m.mean() == pytest.approx(1.0)
    assert m.var() == pytest.approx(0.7 * (4 / 12))
    assert float(m.to_scipy().mean()) == pytest.approx(1.0)
    assert float(m.to_scipy().var()) == pytest.approx(0.7 * (4 / 12))


def test_an_all_discrete_mixture_is_an_rv_discrete():
    m = Mixture(components=(Fixed(1), Discrete(values=(2, 3))), weights=(0.5, 0.5))
    theirs = m.to_scipy()
    assert isinstance(theirs, stats.rv_discrete)
    ref = stats.rv_discrete(values=([1, 2, 3], [0.5, 0.25, 0.25]))
    assert float(theirs.mean()) == pytest.approx(ref.mean())
    np.testing.assert_allclose(theirs.cdf([1, 2, 2.5, 3]), ref.cdf([1, 2, 2.5, 3]))
    np.testing.assert_allclose(theirs.ppf(QS), ref.ppf(QS))


@pytest.mark.parametrize("case", CASES)
def test_ppf_is_nan_outside_zero_one(case):
    spec, ref, _ = CASES[case]
    q = np.array([-0.5, 1.5, np.nan, -np.inf, np.inf])
    assert np.all(np.isnan(spec.ppf(q)))
    assert np.isnan(spec.ppf(1.5))
    low, high = spec.support()
    np.testing.assert_array_equal(spec.ppf(np.array([0.0, 1.0])), [low, high])


def test_uniform_ppf_like_scipy():
    q = np.array([-0.1, 0.0, 0.25, 1.0, 1.5, np.nan])
    np.testing.assert_array_equal(Uniform(0, 1).ppf(q), stats.uniform(0, 1).ppf(q))
    assert np.isnan(Uniform(0, 1).ppf(1.5))


@pytest.mark.parametrize("case", CASES)
def test_scalars_give_scalars_and_nan_gives_nan(case):
    spec, _, xs = CASES[case]
    for value in (spec.ppf(0.5), spec.cdf(xs[0]), spec.sf(xs[0])):
        assert np.ndim(value) == 0 and isinstance(value, float | np.floating)
    assert spec.ppf(np.array([[0.2, 0.7]])).shape == (1, 2)
    assert np.isnan(spec.cdf(np.nan)) and np.isnan(spec.sf(np.nan))
    np.testing.assert_array_equal(np.isnan(spec.cdf(np.array([np.nan, xs[0]]))), [True, False])


@pytest.mark.parametrize("case", ["uniform", "normal", "gamma", "discrete", "mixture"])
def test_interval_is_scipys(case):
    spec, ref, _ = CASES[case]
    for confidence in (0.0, 0.5, 0.9, 1.0):
        expected = stats.norm(3, 2).interval(confidence) if case == "normal" else None
        low, high = spec.interval(confidence)
        if expected is not None:
            np.testing.assert_allclose([low, high], expected, rtol=1e-12)
        ref_low = ref.ppf(np.array([(1 - confidence) / 2]))[0] if confidence < 1 else None
        if ref_low is not None and confidence > 0:
            assert low == pytest.approx(ref_low, rel=1e-9)


@pytest.mark.parametrize("confidence", [-0.1, 1.5, math.nan])
def test_interval_refuses_confidence_outside_zero_one(confidence):
    with pytest.raises(DistributionError, match="confidence"):
        Normal(0, 1).interval(confidence)


def test_rvs_is_the_inverse_transform_of_the_generators_uniforms():
    u = np.random.default_rng(7).random(5)
    np.testing.assert_allclose(Uniform(2, 5).rvs(size=5, rng=7), 2 + 3 * u, rtol=1e-15)
    np.testing.assert_allclose(Normal(3, 2).rvs(size=5, rng=7), stats.norm(3, 2).ppf(u))
    seq = np.random.SeedSequence(7)
    np.testing.assert_allclose(Normal(3, 2).rvs(5, rng=seq), stats.norm(3, 2).ppf(u))
    generator = np.random.default_rng(7)
    np.testing.assert_allclose(Normal(3, 2).rvs(5, rng=generator), stats.norm(3, 2).ppf(u))
    assert np.ndim(Normal(0, 1).rvs(rng=1)) == 0
    assert Normal(0, 1).rvs(size=(2, 3), rng=1).shape == (2, 3)


def test_rvs_follows_the_distribution():
    draws = Gamma(2, 1.5, 1).rvs(size=20_000, rng=3)
    assert stats.kstest(draws, stats.gamma(2, loc=1, scale=1.5).cdf).pvalue > 1e-3


@pytest.mark.parametrize("rng", [1.5, "7", -1, True, np.random.RandomState(1), [1, 2]])
def test_rvs_refuses_other_seeds(rng):
    with pytest.raises(DistributionError, match="rng"):
        Normal(0, 1).rvs(3, rng=rng)


def test_uniforms_take_a_seed_sequence_with_the_int_seeds_draws():
    by_int = uniforms(["a", "b"], 100, seed=4, start=10)
    by_sequence = uniforms(["a", "b"], 100, seed=np.random.SeedSequence(4), start=10)
    for name in by_int:
        np.testing.assert_array_equal(by_int[name], by_sequence[name])
    child = np.random.SeedSequence(4).spawn(1)[0]
    first = uniforms(["a"], 50, seed=child)["a"]
    np.testing.assert_array_equal(first, uniforms(["a"], 50, seed=child)["a"])
    assert not np.array_equal(first, by_int["a"][:50])
    lhs = uniforms(["a", "b"], 64, method="lhs", seed=np.random.SeedSequence(4))
    np.testing.assert_array_equal(lhs["a"], uniforms(["a", "b"], 64, method="lhs", seed=4)["a"])


def test_uniforms_refuse_a_generator_naming_seed():
    with pytest.raises(
        DistributionError,
        match=r"seed needs an int >= 0 or a numpy SeedSequence, not a Generator: draws are "
        r"addressed by index .*got seed=Generator\(PCG64\)",
    ):
        uniforms(["a"], 10, seed=np.random.default_rng(1))


@pytest.mark.parametrize("seed", [1.5, "4", -1, True, None])
def test_uniforms_refuse_other_seeds(seed):
    with pytest.raises(DistributionError, match=r"seed needs an int >= 0 .*got seed="):
        uniforms(["a"], 10, seed=seed)


def _sibling_imports() -> dict[str, set[str]]:
    graph = {}
    for path in PACKAGE.glob("*.py"):
        if path.name == "__init__.py":
            continue
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):  # function-level imports too
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                targets.add(node.module.split(".")[0])
        graph[path.stem] = targets
    return graph


def test_no_import_circle_among_distributions_modules():
    graph = _sibling_imports()
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in graph.get(module, ()):
            assert state.get(target) != 1, " -> ".join([*trail, module, target])
            if target not in state:
                visit(target, [*trail, module])
        state[module] = 2

    for module in graph:
        if module not in state:
            visit(module, [])
    assert "elicitation" not in graph["base"] and "elicitation" not in graph["families"]


def test_from_percentiles_still_on_every_family():
    fitted = Normal.from_percentiles({10: 1.0, 90: 3.0})
    np.testing.assert_allclose(stats.norm(fitted.mean, fitted.sd).ppf([0.1, 0.9]), [1, 3])
