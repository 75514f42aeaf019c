"""Decisions and the value of information against closed forms.

Two options, A with cost 100 + 3·X1 + 4·X2 (X standard normal) and B with a fixed cost
101. Then D = C_A − C_B ~ N(μ = −1, σ = 5), A is the better choice on average, and

- P(A cheaper) = Φ(−μ/σ) = Φ(0.2);
- EVPI = E[max(D, 0)] = σ·φ(μ/σ) + μ·Φ(μ/σ)   (the normal loss function);
- EVPPI(X_i) = the same with σ replaced by the sd of E[D | X_i]: |3| for X1, |4| for X2
  (independent inputs), |3 + 4ρ| for X1 when corr(X1, X2) = ρ (E[X2 | X1] = ρ·X1);
- regret(B) − regret(A) = E[C_B] − E[C_A] = 1.

EVPPI is given each input's mid-CDF rank p = Φ(x) here (scipy's normal cdf): its groups
are bins of equal probability of p.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from simulate.analysis.decision import decision_table, evppi

N = 400_000
MU = -1.0


def normal_loss(mu: float, sigma: float) -> float:
    """E[max(Y, 0)] for Y ~ N(mu, sigma²)."""
    return sigma * stats.norm.pdf(mu / sigma) + mu * stats.norm.cdf(mu / sigma)


def _draws(rho: float = 0.0, seed: int = 1):
    rng = np.random.default_rng(seed)
    x1 = rng.standard_normal(N)
    x2 = rho * x1 + math.sqrt(1 - rho**2) * rng.standard_normal(N)
    return x1, x2, {"A": 100 + 3 * x1 + 4 * x2, "B": np.full(N, 101.0)}


def test_decision_matches_the_normal_closed_forms():
    x1, x2, costs = _draws()
    ds = decision_table(costs, {"x1": stats.norm.cdf(x1), "x2": stats.norm.cdf(x2)})
    d = costs["A"] - costs["B"]
    assert ds["best_option"].item() == "A"
    # P(A cheaper): a proportion of N draws, SE = sqrt(p(1-p)/N).
    p = stats.norm.cdf(0.2)
    assert abs(ds["probability_cheapest"].sel(option="A").item() - p) < 4 * math.sqrt(
        p * (1 - p) / N
    )
    # EVPI: a mean of N draws of max(D, 0) (A is the choice), SE from those draws.
    evpi = normal_loss(MU, 5.0)
    assert abs(ds["evpi"].item() - evpi) < 4 * np.maximum(d, 0).std() / math.sqrt(N)
    # regrets differ by exactly the difference of the sample means (here E[C_B]-E[C_A]).
    regret = ds["expected_regret"]
    assert regret.sel(option="B").item() - regret.sel(option="A").item() == pytest.approx(
        101.0 - costs["A"].mean(), rel=1e-9
    )
    # EVPPI per input: the group estimator averages K = ceil(sqrt(N)) group values of
    # max(E[D | X], 0); its SE is the sd of max(mu + b·X, 0) over sqrt(K).
    k = math.ceil(math.sqrt(N))
    for name, x, b in (("x1", x1, 3.0), ("x2", x2, 4.0)):
        truth = normal_loss(MU, b)
        se = np.maximum(MU + b * x, 0).std() / math.sqrt(k)
        got = ds["evppi"].sel(input=name).item()
        assert abs(got - truth) < 4 * se, (name, got, truth, se)
        assert ds["evppi_low"].sel(input=name) < truth < ds["evppi_high"].sel(input=name)


def test_evppi_under_correlated_inputs_uses_the_conditional_mean():
    rho = 0.5
    x1, _, costs = _draws(rho, seed=2)
    value, _, _ = evppi(np.stack([costs["A"], costs["B"]]), stats.norm.cdf(x1))
    b = 3 + 4 * rho  # E[D | X1] = -1 + (3 + 4 rho) X1
    k = math.ceil(math.sqrt(N))
    se = np.maximum(MU + b * x1, 0).std() / math.sqrt(k)
    assert abs(value - normal_loss(MU, b)) < 4 * se


def test_an_input_that_does_not_matter_is_worth_nothing():
    x1, x2, costs = _draws(seed=3)
    noise = np.random.default_rng(9).standard_normal(N)
    value, low, _ = evppi(np.stack([costs["A"], costs["B"]]), stats.norm.cdf(noise))
    # Noise groups: the only value is the upward bias of max over noisy group means,
    # at most E[max(e, 0)] with e ~ N(0, 5/sqrt(N/K)) ~ 0.10; far below EVPPI(x1) = 0.76.
    assert value < 5 / math.sqrt(N / math.ceil(math.sqrt(N))) * stats.norm.pdf(0) + 0.01
    assert low == 0.0 or low < 0.05


def test_evppi_of_an_input_with_atoms_groups_each_atom_whole():
    # X in {0, 1} with probability 1/2 each (mid-CDF ranks 1/4 and 3/4); C_A = 100 + 10 X +
    # e (e ~ N(0, 5^2)), C_B = 104: E[C_A] = 105, so B is the choice, and
    # EVPPI(X) = 104 - (min(100, 104) + min(110, 104)) / 2 = 2. Each atom is one group
    # (whole): the estimate is w0 (104 - m0), w0 the share of X = 0 (sd sqrt(1/4 / N)) and
    # m0 the mean of C_A there (sd 5 / sqrt(N / 2)), so its sd is about
    # 4 sqrt(1/4 / N) + 5 / sqrt(N / 2) / 2.
    rng = np.random.default_rng(5)
    x = (rng.random(N) < 0.5).astype(float)
    costs = np.stack([100 + 10 * x + 5 * rng.standard_normal(N), np.full(N, 104.0)])
    p = np.where(x == 0, 0.25, 0.75)
    value, low, high = evppi(costs, p)
    sd = 4 * math.sqrt(0.25 / N) + 5 / math.sqrt(N / 2) / 2
    assert abs(value - 2.0) < 4 * sd
    assert low < 2.0 < high
    # by hand: the two groups are the atoms, weights their shares
    zero = x == 0
    by_hand = 104 - (zero.mean() * min(costs[0][zero].mean(), 104) + (~zero).mean() * 104)
    assert value == pytest.approx(by_hand, rel=1e-12)


def test_saving_is_the_runner_up_minus_the_best_draw_by_draw():
    _, _, costs = _draws(seed=4)
    ds = decision_table(costs, percentiles=(5, 50, 95))
    expected = np.quantile(costs["B"] - costs["A"], [0.05, 0.5, 0.95])
    np.testing.assert_array_equal(ds["saving"].values, expected)


def test_one_option_is_not_a_decision():
    with pytest.raises(ValueError, match="at least two options"):
        decision_table({"A": np.zeros(3)})
