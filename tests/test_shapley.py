"""Shapley effects against closed forms for linear Gaussian models.

Reference (independent of the estimator, numpy linear algebra only): for Y = βᵀX with
X ~ N(0, Σ), E[Y | X_T] is linear, E[Y | X_T] = (Σβ)_Tᵀ Σ_TT⁻¹ X_T, so
Var(E[Y | X_T]) = (Σβ)_Tᵀ Σ_TT⁻¹ (Σβ)_T. The Shapley effect of j is the average over
all d! orders of Var(E[Y | X_{P∪j}]) − Var(E[Y | X_P]), P the inputs before j (Owen
2014; Song, Nelson & Staum 2016 show the closed value function and E[Var(Y | X_-J)] give
the same effects; Owen & Prieur 2017, Iooss & Prieur 2019 §3 for the Gaussian case).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from distributions import Correlations, Normal, Uniform
from distributions.dependence import spearman_from_pearson
from simulate.analysis.copula import copula_matrix
from simulate.analysis.shapley import shapley_effects


def explained(beta: np.ndarray, sigma: np.ndarray, subset: list[int]) -> float:
    """Var(E[Y | X_subset]) for Y = βᵀX, X ~ N(0, Σ)."""
    if not subset:
        return 0.0
    c = (sigma @ beta)[subset]
    return float(c @ np.linalg.solve(sigma[np.ix_(subset, subset)], c))


def reference_shapley(beta: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Normalised Shapley effects by the average over all d! orders (numpy only)."""
    d = beta.size
    total = np.zeros(d)
    for order in itertools.permutations(range(d)):
        before: list[int] = []
        for j in order:
            total[j] += explained(beta, sigma, [*before, j]) - explained(beta, sigma, before)
            before.append(j)
    effects = total / math.factorial(d)
    return effects / float(beta @ sigma @ beta)


def linear(beta: dict[str, float]):
    def model(x):
        return {"y": sum(b * np.asarray(x[name]) for name, b in beta.items())}

    return model


def copula(pearson: dict[tuple[str, str], float]) -> Correlations:
    """The copula with these normal-scores (Pearson) correlations, stated as Spearman."""
    return Correlations.from_pairs(
        {pair: float(spearman_from_pearson(r)) for pair, r in pearson.items()}
    )


def effects(result, output="y"):
    return {row["input"]: row["shapley"] for row in result["outputs"][output]["inputs"]}


def check_within(result, expected: dict[str, float], *, width: float) -> None:
    got = effects(result)
    for name, value in expected.items():
        cell = got[name]
        assert cell["low"] <= value <= cell["high"], (name, value, cell)
        assert cell["high"] - cell["low"] < width, (name, cell)


def test_reference_matches_hand_closed_form() -> None:
    # Y = X1 + X2 + X3, unit variances, corr(X2, X3) = ρ: Var(Y) = 3 + 2ρ.
    # X1 is independent of the rest: Sh1 = 1. X2 and X3 are exchangeable and share the
    # rest, Sh2 = Sh3 = (2 + 2ρ)/2 = 1 + ρ (Iooss & Prieur 2019, §3.1).
    rho = 0.6
    sigma = np.array([[1, 0, 0], [0, 1, rho], [0, rho, 1]])
    expected = np.array([1, 1 + rho, 1 + rho]) / (3 + 2 * rho)
    np.testing.assert_allclose(reference_shapley(np.ones(3), sigma), expected, rtol=1e-12)


@pytest.mark.parametrize("rho", [0.6, -0.5, 0.95])
def test_three_inputs_one_correlated_pair(rho: float) -> None:
    specs = {name: Normal(0.0, 1.0) for name in ("x1", "x2", "x3")}
    result = shapley_effects(
        linear({"x1": 1, "x2": 1, "x3": 1}),
        specs,
        outputs=["y"],
        correlations=copula({("x2", "x3"): rho}),
        confidence=0.99,
        seed=7,
    )
    expected = {
        "x1": 1 / (3 + 2 * rho),
        "x2": (1 + rho) / (3 + 2 * rho),
        "x3": (1 + rho) / (3 + 2 * rho),
    }
    check_within(result, expected, width=0.06)
    variance = result["outputs"]["y"]["variance"]
    assert variance["low"] <= 3 + 2 * rho <= variance["high"]


def test_general_linear_gaussian_against_permutation_reference() -> None:
    names = ["a", "b", "c", "d"]
    beta = np.array([1.0, 2.0, -1.0, 0.5])
    sd = np.array([1.0, 0.5, 2.0, 1.5])
    pearson = {("a", "b"): 0.7, ("b", "c"): -0.3, ("a", "d"): 0.4}
    correlations = copula(pearson)
    r = np.eye(4)
    for (p, q), value in pearson.items():
        i, j = names.index(p), names.index(q)
        r[i, j] = r[j, i] = value
    np.testing.assert_allclose(copula_matrix(names, correlations), r, atol=1e-12)
    sigma = r * np.outer(sd, sd)
    expected = dict(zip(names, reference_shapley(beta, sigma), strict=True))
    specs = {name: Normal(0.0, s) for name, s in zip(names, sd, strict=True)}
    result = shapley_effects(
        linear(dict(zip(names, beta, strict=True))),
        specs,
        outputs=["y"],
        correlations=correlations,
        confidence=0.99,
        seed=11,
    )
    check_within(result, expected, width=0.08)


def test_random_permutations_beyond_the_exact_limit() -> None:
    names = ["a", "b", "c"]
    rho = 0.6
    result = shapley_effects(
        linear({"a": 1, "b": 1, "c": 1}),
        {name: Normal(0.0, 1.0) for name in names},
        outputs=["y"],
        correlations=copula({("b", "c"): rho}),
        exact_max_inputs=2,
        n_permutations=200,
        seed=5,
    )
    assert result["algorithm"].startswith("random permutations")
    expected = {"a": 1 / (3 + 2 * rho), "b": (1 + rho) / (3 + 2 * rho)}
    got = effects(result)
    for name, value in expected.items():
        # bootstrap misses the orders' randomness: compare with 4 bootstrap SEs + 0.03
        assert abs(got[name]["value"] - value) < 4 * got[name]["standard_error"] + 0.03


def test_independent_additive_equals_first_order_sobol() -> None:
    # Y = 3 U1 + U2 − 2 U3, U ~ Uniform(0, 1) independent: Sh_j = S_j = β_j² (1/12) / Var(Y)
    beta = {"u1": 3.0, "u2": 1.0, "u3": -2.0}
    total = sum(b**2 for b in beta.values()) / 12
    result = shapley_effects(
        linear(beta),
        {name: Uniform(0.0, 1.0) for name in beta},
        outputs=["y"],
        confidence=0.99,
        seed=1,
    )
    assert result["dependence"] == "independent inputs"
    check_within(result, {name: b**2 / 12 / total for name, b in beta.items()}, width=0.05)


def test_independent_interaction_is_shared_in_halves() -> None:
    # Y = X1 + X2 + X1·X2, X ~ N(0, 1) independent: Var(Y) = 3, S1 = S2 = 1/3, S12 = 1/3;
    # Shapley = first order + half the interaction = 1/2 each, plus an idle input at 0.
    specs = {name: Normal(0.0, 1.0) for name in ("x1", "x2", "idle")}

    def model(x):
        return {"y": x["x1"] + x["x2"] + x["x1"] * x["x2"] + 0 * x["idle"]}

    result = shapley_effects(model, specs, outputs=["y"], confidence=0.99, seed=2)
    check_within(result, {"x1": 0.5, "x2": 0.5, "idle": 0.0}, width=0.1)


def test_effects_sum_to_one_and_to_the_variance() -> None:
    specs = {name: Normal(1.0, 0.3) for name in ("p", "q", "r")}

    def model(x):
        return {"y": x["p"] * np.exp(x["q"]) + x["r"] ** 2, "z": x["p"] - x["r"]}

    result = shapley_effects(
        model, specs, outputs=["y", "z"], correlations=copula({("p", "r"): 0.5}), seed=4
    )
    for out in ("y", "z"):
        cell = result["outputs"][out]
        shares = sum(row["shapley"]["value"] for row in cell["inputs"])
        parts = sum(row["shapley_variance"]["value"] for row in cell["inputs"])
        assert shares == pytest.approx(1.0, abs=1e-12)
        assert parts == pytest.approx(cell["variance"]["value"], rel=1e-12)


def test_fixed_specs_are_passed_not_ranked() -> None:
    from distributions import Fixed

    specs = {"x": Normal(0.0, 1.0), "k": Fixed(2.0)}
    result = shapley_effects(
        lambda x: {"y": x["k"] * x["x"]}, specs, outputs=["y"], n_outer=64, seed=0
    )
    (row,) = result["outputs"]["y"]["inputs"]
    assert row["input"] == "x" and row["shapley"]["value"] == pytest.approx(1.0)
    assert (
        result["outputs"]["y"]["variance"]["low"] <= 4 <= result["outputs"]["y"]["variance"]["high"]
    )


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("n_inner", 1, r"n_inner a whole number >= 2; got 1"),
        ("n_outer", 2.5, r"n_outer a whole number >= 2; got 2.5"),
        ("n_permutations", 0, r"n_permutations a whole number >= 1; got 0"),
    ],
)
def test_bad_sample_sizes_are_refused(option: str, value, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        shapley_effects(linear({"x": 1}), {"x": Normal(0, 1)}, outputs=["y"], **{option: value})


def test_correlations_on_unknown_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match=r"correlations name w, which are not uncertain inputs"):
        copula_matrix(["x", "y"], copula({("x", "w"): 0.5}))
