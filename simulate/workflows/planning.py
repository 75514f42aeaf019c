"""Planning sections of a run: the decision between cost options (``[decision]``) and the
forecast updated from a run in progress (``[progress]``), both from the run's own draws.

The update weights each prior draw by the likelihood of what has been observed
(importance sampling with the prior as proposal; :mod:`simulate.analysis.weighting`):

- progress: each observation (day t, tokens done s, a share or a count) is the model's
  expected progress t / train_days (constant throughput, interruptions included on
  average) times a lognormal error: log s ~ N(log(t / train_days), progress_sd²); a run
  not finished (s < 1) rules out the draws with train_days <= the elapsed days;
- interruptions: k unexpected interruptions in the elapsed wall-clock hours h are
  Poisson(job_interruptions_per_hour · h) (the failure model's own rate, which scales
  with the GPU count; Llama 3 paper, Sec. 3.3.4).

Every per-run cost here (amortized capital + energy, rental, energy) is proportional to
the run's days, so its cost to complete is cost · (1 − elapsed / train_days).
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy import stats

from ..analysis.decision import decision_table
from ..analysis.intervals import uncertain_names
from ..analysis.ranking import input_ranks
from ..analysis.weighting import importance_weights, weighted_percentiles, weighted_probability
from ..engine.memory import run_uniforms
from ..scenario.base import ConfigError
from ..scenario.config import Scenario
from .sections import scenario_specs

__all__ = ["COST_TO_COMPLETE", "decide", "uncertain_inputs", "update_forecast"]

#: Per-run cost nodes proportional to train_days: their cost to complete is the share left.
COST_TO_COMPLETE = ("amortized_cost_usd", "rental_cost_usd", "energy_cost_usd")


def uncertain_inputs(ds: xr.Dataset, scenario: Scenario) -> dict[str, np.ndarray]:
    """The run's draws of the scenario's uncertain inputs and pinned nodes, by name
    (:func:`simulate.analysis.intervals.uncertain_names`, as the sensitivity section)."""
    uncertain = set(uncertain_names(scenario_specs(scenario)))
    return {name: ds[name].values for name in ds.data_vars if name in uncertain}  # run's order


def decide(ds: xr.Dataset, scenario: Scenario) -> xr.Dataset | None:
    """The scenario's ``[decision]`` on the run's draws, with the EVPPI of every drawn input
    (:func:`simulate.analysis.decision.decision_table`, on the inputs' mid-CDF ranks: the
    run's uniforms where kept, no sort), or None without one."""
    if not scenario.decision:
        return None
    costs = {name: ds[name].values for name in scenario.decision}
    values = uncertain_inputs(ds, scenario)
    specs = scenario_specs(scenario)
    ranks = input_ranks({name: specs[name] for name in values}, values, run_uniforms(ds))
    return decision_table(costs, ranks, percentiles=scenario.percentiles)


def _log_likelihood(ds: xr.Dataset, scenario: Scenario) -> np.ndarray:
    progress = scenario.progress
    assert progress is not None
    days = ds["train_days"].values
    ll = np.zeros(days.size)
    shares = []
    for day, done in progress.observations:
        share = done / ds["n_tokens"].values if done > 1 else done
        shares.append(np.max(share))
        with np.errstate(divide="ignore"):
            ll += stats.norm.logpdf(np.log(share) - np.log(day / days), scale=progress.progress_sd)
    if shares and max(shares) < 1:
        ll[days <= progress.elapsed_days] = -np.inf
    if progress.interruptions is not None:
        if "job_interruptions_per_hour" not in ds:
            raise ConfigError(
                f"{scenario.path}: progress.interruptions: the scenario has no failure model "
                "to learn from (give interruptions_per_gpu_hour and restart_hours)"
            )
        rate = ds["job_interruptions_per_hour"].values * progress.elapsed_days * 24
        ll += stats.poisson.logpmf(progress.interruptions, rate)
    return ll


def update_forecast(ds: xr.Dataset, scenario: Scenario, *, min_ess: float = 100.0) -> xr.Dataset:
    """The forecast before and after the scenario's ``[progress]`` observations.

    Along ``stage`` ("before", "after") and ``quantile``: ``train_days``,
    ``remaining_days``, the cost to complete of each per-run cost the run computes, and the
    drawn inputs (what the observations taught); along ``stage`` and ``target``: each risk
    target's probability with its Wilson interval (of the effective sample size after).
    Attrs: ``effective_draws``, ``draws``, ``elapsed_days``, ``start_date``.
    A :class:`~simulate.analysis.weighting.WeightError` (a ``ValueError``) when the
    observations are impossible under the priors or leave fewer than ``min_ess``
    effective draws.
    """
    progress = scenario.progress
    if progress is None:
        raise ConfigError(f"{scenario.path}: progress: the scenario has no [progress] table")
    n = ds.sizes["draw"]
    try:
        after, ess = importance_weights(_log_likelihood(ds, scenario), min_ess=min_ess)
    except ValueError as error:
        raise ConfigError(f"{scenario.path}: progress: {error}") from None
    before = np.full(n, 1.0 / n)
    days = ds["train_days"].values
    elapsed = progress.elapsed_days
    left = np.clip(1 - elapsed / days, 0, None)
    series = {"train_days": days, "remaining_days": np.clip(days - elapsed, 0, None)}
    series |= {f"{c}_to_complete": ds[c].values * left for c in COST_TO_COMPLETE if c in ds}
    series |= uncertain_inputs(ds, scenario)
    q = np.asarray(scenario.percentiles, dtype=np.float64)
    units = {name: ds[name].attrs.get("units", "") for name in ds.data_vars}
    units |= {"remaining_days": units["train_days"]}
    units |= {f"{c}_to_complete": units[c] for c in COST_TO_COMPLETE if c in ds}
    data = {
        name: xr.Variable(
            ("stage", "quantile"),
            [weighted_percentiles(v, w, q) for w in (before, after)],
            {"units": units[name]},
        )
        for name, v in series.items()
    }
    targets = [t for t in scenario.risk_targets if t.node in ds]
    cells = [
        [weighted_probability(t.misses(ds[t.node].values), w, e) for t in targets]
        for w, e in ((before, float(n)), (after, ess))
    ]
    for key, pick in (("probability", None), ("low", 0), ("high", 1)):
        data[f"risk_{key}"] = (
            ("stage", "target"),
            [[c["probability"] if pick is None else c["ci95"][pick] for c in row] for row in cells]
            if targets
            else np.zeros((2, 0)),
        )
    attrs = {"effective_draws": ess, "draws": n, "elapsed_days": elapsed}
    if progress.start_date is not None:
        attrs["start_date"] = progress.start_date.isoformat()
    return xr.Dataset(
        data,
        coords={
            "stage": ["before", "after"],
            "quantile": q / 100,
            "target": [t.key for t in targets],
        },
        attrs=attrs,
    )
