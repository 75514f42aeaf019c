"""Decisions between options whose costs were drawn together: which is cheaper, by how
much, the expected regret of each choice, and what perfect information would be worth.

For options a with cost draws C_a (the same draws of every input, so the options are
paired) and the choice that minimises expected cost, a* = argmin_a E[C_a]:

- regret of choosing a:  E[C_a − min_b C_b]  (the expected loss against hindsight);
- EVPI = E[C_a*] − E[min_b C_b] = the regret of the best choice (Raiffa & Schlaifer
  1961; the value of knowing every input before choosing);
- EVPPI of input X = E[C_a*] − E_X[min_b E[C_b | X]] (the value of knowing X alone).

EVPPI is estimated from the run's own draws by the given-data method of Strong & Oakley
(2013, Med. Decis. Making 33(6), "An efficient method for computing single-parameter
partial expected value of perfect information"): cut the draws into K groups by X and
replace E[C_b | X] by each group's mean. The groups here are K bins of equal probability
under X's own distribution, by its mid-CDF rank p = (F(x⁻) + F(x)) / 2
(:func:`simulate.analysis.ranking.input_ranks`: the run's uniform where X is continuous),
draw i in bin ⌊K p_i⌋: no sort, and an atom's draws share one bin (Strong & Oakley's
groups are equal-count slices of the sorted draws, which split an atom arbitrarily; both
are partitions by X into K ranges whose width vanishes as K grows). It needs no second
simulation and holds for correlated inputs (each group keeps the other inputs' draws as
they came, i.e. their conditional distribution given X). K = ⌈√n⌉, so the within-group
noise (which biases the estimate up) and the within-group spread of X (which biases it
down) both vanish as n grows; the interval is the groups' spread (the groups are
disjoint sets of independent draws), weighted by their shares of the draws.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr
from scipy import stats

from .intervals import mean_interval
from .risk import proportion_interval

__all__ = ["decision_table", "evppi"]


def _costs(costs: Mapping[str, np.ndarray]) -> tuple[list[str], np.ndarray]:
    """Options and their draws as an (option, draw) array; at least two options, paired."""
    names = list(costs)
    if len(names) < 2:
        raise ValueError(f"options: a decision needs at least two options; got {names}")
    arrays = [np.asarray(costs[n], dtype=np.float64) for n in names]
    size = max(a.size for a in arrays)
    return names, np.stack([np.broadcast_to(a, (size,)) if a.ndim == 0 else a for a in arrays])


def decision_table(
    costs: Mapping[str, np.ndarray],
    ranks: Mapping[str, np.ndarray] | None = None,
    *,
    percentiles: Sequence[float] = (5, 50, 95),
    groups: int | None = None,
) -> xr.Dataset:
    """The decision between the options of ``costs`` (name -> cost draws, the lower the
    better), and the EVPPI of each input in ``ranks`` (name -> the input's mid-CDF ranks
    in the same run, :func:`simulate.analysis.ranking.input_ranks`).

    Variables along ``option``: ``expected_cost``, ``probability_cheapest`` (with its
    Wilson 95% interval), ``expected_regret``; scalars ``evpi`` (with a 95% interval
    from the mean's standard error) and ``best_option``; along ``quantile``, the
    ``saving`` of the best option over the runner-up (the runner-up's cost minus the
    best's, draw by draw); along ``input``, ``evppi`` with ``evppi_low``/``evppi_high``.
    """
    names, c = _costs(costs)
    n = c.shape[1]
    expected = c.mean(axis=1)
    order = np.argsort(expected, kind="stable")
    best, second = int(order[0]), int(order[1])
    cheapest = np.argmin(c, axis=0)
    floor = c.min(axis=0)
    regret = c - floor
    ci = [proportion_interval(int(np.count_nonzero(cheapest == i)), n) for i in range(len(names))]
    evpi = mean_interval(regret[best])  # EVPI: the best choice's expected regret
    low, high = (math.nan if x is None else x for x in (evpi["low"], evpi["high"]))
    q = np.asarray(percentiles, dtype=np.float64) / 100
    ds = xr.Dataset(
        {
            "expected_cost": ("option", expected),
            "probability_cheapest": ("option", [x["probability"] for x in ci]),
            "probability_cheapest_low": ("option", [x["low"] for x in ci]),
            "probability_cheapest_high": ("option", [x["high"] for x in ci]),
            "expected_regret": ("option", regret.mean(axis=1)),
            "saving": ("quantile", np.quantile(c[second] - c[best], q)),
            "evpi": evpi["value"],
            "evpi_low": max(low, 0.0),
            "evpi_high": high,
            "best_option": names[best],
            "runner_up": names[second],
        },
        coords={"option": names, "quantile": q},
        attrs={
            "draws": n,
            "method": "Strong & Oakley 2013 given-data EVPPI, groups: equal-probability "
            "bins of each input's mid-CDF rank",
        },
    )
    if ranks:
        rows = {name: evppi(c, p, groups=groups) for name, p in ranks.items()}
        ds = ds.assign_coords(input=list(rows))
        for j, key in enumerate(("evppi", "evppi_low", "evppi_high")):
            ds[key] = ("input", [rows[name][j] for name in rows])
    return ds


def evppi(
    costs: np.ndarray, p: np.ndarray, *, groups: int | None = None
) -> tuple[float, float, float]:
    """EVPPI of an input for the options' ``costs`` ((option, draw) array), with a 95%
    interval: Strong & Oakley's (2013) given-data estimator (module docstring) on ``groups``
    (default ⌈√n⌉) equal-probability bins of the input's mid-CDF ranks ``p`` (in [0, 1]);
    empty bins are left out."""
    costs = np.asarray(costs, dtype=np.float64)
    n = costs.shape[1]
    k = groups or max(1, math.ceil(math.sqrt(n)))
    group = np.minimum((np.asarray(p, dtype=np.float64).ravel() * k).astype(np.intp), k - 1)
    counts = np.bincount(group, minlength=k)
    held = counts > 0
    sums = np.stack([np.bincount(group, weights=row, minlength=k)[held] for row in costs])
    means = sums / counts[held]  # (option, group): E[C_b | X in group]
    best = int(np.argmin(costs.mean(axis=1)))
    gain = means[best] - means.min(axis=0)  # per group: what knowing X saves there
    weights = counts[held] / n
    value = float(np.sum(weights * gain))
    used = int(held.sum())
    if used < 2:
        return value, math.nan, math.nan
    se = float(np.sqrt(np.sum(weights**2 * (gain - value) ** 2) * used / (used - 1)))
    z = float(stats.norm.ppf(0.975))
    return value, max(value - z * se, 0.0), value + z * se
