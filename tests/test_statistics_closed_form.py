"""compute_days against its closed form when only MFU ~ U(a, b) varies.

T = K / M with M ~ U(a, b) and K = ideal_days. P(T <= t) = P(M >= K/t) = (b - K/t)/(b - a),
so the q-quantile is t_q = K / (b - q(b - a)), and the density is f(t) = K / ((b - a) t^2).
The sample q-quantile of n draws has standard error sqrt(q(1-q)/n) / f(t_q) (asymptotic
normality of sample quantiles; David & Nagaraja, Order Statistics, 2003, Sec. 10.2). LHS and
Sobol designs only shrink that error, so 4 standard errors bounds all three methods.
"""

import math

import numpy as np
import pytest

import simulate

A, B = 0.38, 0.43
DRAWS = 100_000


@pytest.mark.parametrize("method", ["random", "lhs", "sobol"])
def test_compute_days_quantiles_match_closed_form(write_config, method):
    path = write_config()
    scenario = simulate.load_scenario(
        path, [f'mfu={{dist="uniform", low={A}, high={B}}}'], draws=DRAWS, method=method
    )
    ds = simulate.run(scenario)
    k = float(ds["ideal_days"].values[0])
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        expected = k / (B - q * (B - A))
        density = k / ((B - A) * expected**2)
        standard_error = math.sqrt(q * (1 - q) / DRAWS) / density
        got = float(np.quantile(ds["compute_days"].values, q))
        assert abs(got - expected) < 4 * standard_error, (q, got, expected, standard_error)


def test_mean_of_compute_days_matches_closed_form(write_config):
    # E[K/M] = K ln(b/a) / (b - a); Var[K/M] = K^2/(ab) - E^2. SE of the mean = sd / sqrt(n).
    scenario = simulate.load_scenario(
        write_config(), [f'mfu={{dist="uniform", low={A}, high={B}}}'], draws=DRAWS
    )
    ds = simulate.run(scenario)
    k = float(ds["ideal_days"].values[0])
    mean = k * math.log(B / A) / (B - A)
    sd = math.sqrt(k**2 / (A * B) - mean**2)
    assert abs(float(ds["compute_days"].mean()) - mean) < 4 * sd / math.sqrt(DRAWS)
