"""The failure model (issue 13, item 5): Daly's (2006) exact goodput, his optimum checkpoint
interval, planned stops, checked against Daly's published figures, a numerical minimum of
his wall time and a discrete-event simulation of failures and restarts written here.

Daly 2006, "A higher order estimate of the optimum checkpoint interval for restart dumps",
FGCS 22(3) 303-312. The job computes T_s hours in segments of τ compute + δ checkpoint
write; failures are exponential with mean time M between them and may strike during a
write or a restart; each failure loses the segment in progress and costs a restart R:

    T_w = M · e^(R/M) · (e^((τ + δ)/M) − 1) · T_s / τ,        goodput = T_s / T_w.

Before: goodput = (1 − c) / (1 + λ (R + τ/2)), with the overhead c and the interval given
apart, first order in λ: 0.4, 4.3 and 7.7 goodput points too high at 16K, 65K and 100K GPUs.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from simulate import ConfigError, load_scenario, run, scenario_from_dict
from simulate.cli import main
from simulate.model.chain import evaluate
from tests.test_power_failures_flop import BASE as CHAIN_BASE

# Llama 3 paper, Sec. 3.3.4: 419 unexpected interruptions in 54 days on 16,384 H100.
LLAMA3_RATE = 419 / (54 * 24 * 16_384)  # per GPU-hour = 1.973e-5
RESTART_H = 10 / 60  # 10 min to detect and restart
PERIOD_H = 15 / 60  # a checkpoint every 15 min of running: τ + δ
WRITE_H = 0.01 * PERIOD_H  # the write is 1% of it (9 s): the old rule's c = 0.01
COMPUTE_H = PERIOD_H - WRITE_H  # τ = 14.85 min of compute between checkpoints
SIZES = (16_384, 65_536, 100_000)


def daly_wall_over_solve(mtbf_h, restart_h, tau_h, write_h):
    """Daly's T_w / T_s, written out in plain math (not the chain's form)."""
    segment = math.exp((tau_h + write_h) / mtbf_h) - 1
    return mtbf_h * math.exp(restart_h / mtbf_h) * segment / tau_h


def old_rule(lam, restart_h, interval_h, overhead):
    """The replaced first-order rule, as it stood in chain.py."""
    return (1 - overhead) / (1 + lam * (restart_h + interval_h / 2))


def chain(n_gpus=1, rate=LLAMA3_RATE, **given):
    values = {
        "interruptions_per_gpu_hour": rate,
        "n_gpus": n_gpus,
        "restart_hours": RESTART_H,
        "checkpoint_write_hours": WRITE_H,
        "planned_interruptions_per_day": 0.0,
        "planned_downtime_hours": 0.0,
    }
    values.update(given)
    return evaluate(values)


# --- Daly's closed form and published figures ----------------------------------------------


@pytest.mark.parametrize("n_gpus", SIZES)
def test_goodput_is_dalys_closed_form(n_gpus):
    mtbf = 1 / (LLAMA3_RATE * n_gpus)
    values = chain(n_gpus, checkpoint_interval_hours=COMPUTE_H)
    expected = 1 / daly_wall_over_solve(mtbf, RESTART_H, COMPUTE_H, WRITE_H)
    assert values["failure_goodput"] == pytest.approx(expected, rel=1e-12)
    assert values["goodput"] == values["failure_goodput"]  # no planned stops


def test_no_failures_leave_only_the_write():
    # M -> inf: T_w / T_s -> (τ + δ) / τ, so goodput = τ / (τ + δ) = 0.99 exactly
    values = chain(rate=0.0, checkpoint_interval_hours=COMPUTE_H)
    assert values["goodput"] == pytest.approx(0.99, rel=1e-15)


# Daly 2006, Figs. 3-5 (Ts = 500 h, R = 10 min, δ = 5 min): "The new model predicts
# τopt = 117 min" at M = 24 h, 57 min at M = 6 h, 9.1 min at M = 15 min.
DALY_FIGURES = [(24.0, 117, 0), (6.0, 57, 0), (0.25, 9.1, 1)]


@pytest.mark.parametrize(("mtbf_h", "published_min", "digits"), DALY_FIGURES)
def test_optimum_interval_reproduces_dalys_published_figures(mtbf_h, published_min, digits):
    tau_h = chain(rate=1 / mtbf_h, checkpoint_write_hours=5 / 60)["checkpoint_interval_hours"]
    assert round(tau_h * 60, digits) == published_min


@pytest.mark.parametrize(
    ("mtbf_h", "write_h", "tau_rel", "wall_rel"),
    [
        # Daly's Figs. 3-5: δ / M = 0.0035, 0.014, 0.33
        (24.0, 5 / 60, 1e-4, 1e-9),
        (6.0, 5 / 60, 1e-4, 1e-9),
        (0.25, 5 / 60, 5e-3, 1e-5),
        # the LLM cases: 9 s writes, M = 3.1 h, 46 min, 30 min (16K, 65K, 100K GPUs)
        (1 / (LLAMA3_RATE * 16_384), WRITE_H, 1e-4, 1e-9),
        (1 / (LLAMA3_RATE * 65_536), WRITE_H, 1e-4, 1e-9),
        (1 / (LLAMA3_RATE * 100_000), WRITE_H, 1e-4, 1e-9),
        # near the end of the series' range (δ < 2M): δ / M = 1.9
        (1.0, 1.9, 0.06, 2e-3),
    ],
)
def test_optimum_interval_against_a_numerical_minimum(mtbf_h, write_h, tau_rel, wall_rel):
    # Daly's τ_opt is a perturbation series in sqrt(δ / 2M), truncated after three terms:
    # its error grows with δ / M. T_w is flat at its minimum, so the wall time lost by
    # using it is second order in that error.
    tau_h = chain(rate=1 / mtbf_h, checkpoint_write_hours=write_h)["checkpoint_interval_hours"]
    best = minimize_scalar(
        lambda t: daly_wall_over_solve(mtbf_h, RESTART_H, t, write_h),
        bounds=(1e-9, 50 * mtbf_h),
        method="bounded",
        options={"xatol": 1e-12},
    )
    assert tau_h == pytest.approx(best.x, rel=tau_rel)
    wall = daly_wall_over_solve(mtbf_h, RESTART_H, tau_h, write_h)
    assert best.fun * (1 - 1e-12) <= wall <= best.fun * (1 + wall_rel)  # 1e-12: rounding


def test_optimum_interval_tends_to_youngs_and_caps_at_the_mtbf():
    # Young 1974: τ_opt ~ sqrt(2 δ M) as δ / M -> 0
    tau_h = chain(rate=1e-6, checkpoint_write_hours=1e-3)["checkpoint_interval_hours"]
    assert tau_h == pytest.approx(math.sqrt(2 * 1e-3 * 1e6), rel=1e-4)
    # Daly: τ_opt = M once δ >= 2M
    assert chain(rate=1.0, checkpoint_write_hours=2.0)["checkpoint_interval_hours"] == 1.0
    assert chain(rate=1.0, checkpoint_write_hours=5.0)["checkpoint_interval_hours"] == 1.0


def test_the_old_rule_was_off_by_the_issues_points():
    # Issue 13: +0.4, +4.3 and +7.7 points at 16K, 65K and 100K GPUs against Daly, with a
    # 15 min checkpoint period of which 1% is the write (old c = 0.01, old interval 15 min)
    for n_gpus, points in zip(SIZES, (0.4, 4.3, 7.7), strict=True):
        lam = LLAMA3_RATE * n_gpus
        old = old_rule(lam, RESTART_H, PERIOD_H, 0.01)
        new = chain(n_gpus, checkpoint_interval_hours=COMPUTE_H)["goodput"]
        assert round(100 * (old - new), 1) == points


# --- a discrete-event simulation of failures and restarts ----------------------------------


def simulate_wall_hours(rate_per_h, restart_h, tau_h, write_h, segments, jobs, rng):
    """Wall hours of ``jobs`` independent jobs of ``segments`` segments (τ compute + δ
    write each), event by event, vectorized over jobs.

    Each job carries its own failure clock (exponential gaps at ``rate_per_h``), which
    runs through computing, writing and restarting alike. The next event of a job is its
    next failure or the end of its current phase, whichever comes first: a failure
    throws away the segment in progress (work since the last completed checkpoint) and
    starts a restart of R hours, which a failure restarts; a segment that ends completes
    its checkpoint.
    """
    t = np.zeros(jobs)
    done = np.zeros(jobs, dtype=np.int64)
    restarting = np.zeros(jobs, dtype=bool)
    phase_end = np.full(jobs, tau_h + write_h)
    next_failure = rng.exponential(1 / rate_per_h, jobs)
    active = np.arange(jobs)
    while active.size:
        fails = next_failure[active] < phase_end[active]
        hit = active[fails]
        t[hit] = next_failure[hit]
        next_failure[hit] = t[hit] + rng.exponential(1 / rate_per_h, hit.size)
        restarting[hit] = True
        phase_end[hit] = t[hit] + restart_h
        ends = active[~fails]
        t[ends] = phase_end[ends]
        done[ends[~restarting[ends]]] += 1
        restarting[ends] = False
        phase_end[ends] = t[ends] + tau_h + write_h
        active = active[done[active] < segments]
    return t


SEGMENTS = 400  # 99 h of compute per job
JOBS = 10_000
Z = 3.0  # agreement within 3 Monte Carlo standard errors


@pytest.fixture(scope="module")
def des():
    """Per cluster size: (goodput estimate, its standard error), one seed per size."""
    out = {}
    for n_gpus, stream in zip(SIZES, np.random.SeedSequence(2006).spawn(3), strict=True):
        wall = simulate_wall_hours(
            LLAMA3_RATE * n_gpus,
            RESTART_H,
            COMPUTE_H,
            WRITE_H,
            SEGMENTS,
            JOBS,
            np.random.default_rng(stream),
        )
        # goodput = T_s / E[T_w]; delta method: se(g) = g · sd(T_w) / (sqrt(n) · mean(T_w))
        g = SEGMENTS * COMPUTE_H / wall.mean()
        out[n_gpus] = (g, g * wall.std(ddof=1) / (math.sqrt(JOBS) * wall.mean()))
    return out


@pytest.mark.parametrize("n_gpus", SIZES)
def test_goodput_agrees_with_the_simulation(des, n_gpus):
    # n = 10,000 jobs x 400 segments, seed 2006: se = 0.00015, 0.00021, 0.00020 (0.02 points
    # of goodput); Daly minus the simulation = +2.2, +0.5, +0.5 se (100,000 jobs at 16K: +0.4)
    g, se = des[n_gpus]
    assert se < 3e-4
    ours = chain(n_gpus, checkpoint_interval_hours=COMPUTE_H)["goodput"]
    assert abs(ours - g) < Z * se


@pytest.mark.parametrize(("n_gpus", "points"), list(zip(SIZES, (0.4, 4.3, 7.7), strict=True)))
def test_the_old_rule_is_outside_the_simulations_error(des, n_gpus, points):
    # the fault: first order in λ, the old rule drifts optimistic as the cluster grows
    g, se = des[n_gpus]
    old = old_rule(LLAMA3_RATE * n_gpus, RESTART_H, PERIOD_H, 0.01)
    assert old - g > Z * se
    assert abs(100 * (old - g) - points) < 0.05 + 100 * Z * se


# --- planned stops and the scenario --------------------------------------------------------

BASE = {  # tests/test_power_failures_flop.py's scenario, with the failure inputs
    "scenario": {**CHAIN_BASE["scenario"], "draws": 50},
    "inputs": {
        **CHAIN_BASE["inputs"],
        "interruptions_per_gpu_hour": LLAMA3_RATE,
        "restart_hours": RESTART_H,
        "checkpoint_write_hours": WRITE_H,
    },
}


def scenario(**inputs):
    raw = copy.deepcopy(BASE)
    raw["inputs"].update(inputs)
    return scenario_from_dict(raw, file="t.toml")


def test_planned_stops_add_their_downtime_to_the_wall_time():
    # Llama 3: 47 planned stops in 54 days = 0.870 a day; say 30 min each. For W hours of
    # training the job stands still 0.870 x 0.5 / 24 W = 0.0181 W more:
    # goodput = failure_goodput / 1.0181.
    ds = run(scenario(planned_interruptions_per_day=47 / 54, planned_downtime_hours=0.5))
    ratio = 47 / 54 * 0.5 / 24
    assert float(ds["planned_downtime_ratio"][0]) == pytest.approx(ratio, rel=1e-12)
    assert float(ds["goodput"][0]) == pytest.approx(
        float(ds["failure_goodput"][0]) / (1 + ratio), rel=1e-12
    )
    train_h = float(ds["compute_days"][0]) * 24 / float(ds["failure_goodput"][0])
    assert float(ds["train_days"][0]) * 24 == pytest.approx(train_h * (1 + ratio), rel=1e-12)


def test_interval_is_dalys_optimum_unless_given():
    sc = scenario()
    assert "checkpoint_interval_hours" not in sc.inputs
    assert sc.inputs["planned_interruptions_per_day"].origin == "default"
    ds = run(sc)
    mtbf = 1 / (LLAMA3_RATE * 16_384)
    x = WRITE_H / (2 * mtbf)  # Daly: sqrt(2δM)(1 + sqrt(x)/3 + x/9) − δ
    tau = math.sqrt(2 * WRITE_H * mtbf) * (1 + math.sqrt(x) / 3 + x / 9) - WRITE_H
    assert float(ds["checkpoint_interval_hours"][0]) == pytest.approx(tau, rel=1e-12)
    # given, the interval is the scenario's, not refused as a contradicting pin
    ds = run(scenario(checkpoint_interval_hours=COMPUTE_H))
    assert float(ds["checkpoint_interval_hours"][0]) == COMPUTE_H
    assert float(ds["goodput"][0]) == pytest.approx(
        1 / daly_wall_over_solve(mtbf, RESTART_H, COMPUTE_H, WRITE_H), rel=1e-12
    )


def test_goodput_may_still_be_pinned():
    raw = copy.deepcopy(BASE)
    for name in ("interruptions_per_gpu_hour", "restart_hours", "checkpoint_write_hours"):
        del raw["inputs"][name]
    raw["inputs"]["goodput"] = {"dist": "pert", "low": 0.85, "mode": 0.9, "high": 0.95}
    ds = run(scenario_from_dict(raw, file="t.toml"))
    assert ds["goodput"].attrs["kind"] == "pinned" and "failure_goodput" not in ds
    assert float(ds["train_days"][0]) == float(ds["compute_days"][0] / ds["goodput"][0])


def test_removed_checkpoint_overhead_names_its_replacement(tmp_path, capsys):
    message = (
        r"t.toml: inputs.checkpoint_overhead: removed: the checkpoint overhead is now computed "
        r"as checkpoint_write_hours / checkpoint_interval_hours; give checkpoint_write_hours"
    )
    with pytest.raises(ConfigError, match=message):
        scenario(checkpoint_overhead=0.01)
    with pytest.raises(ConfigError, match=r"inputs.checkpoint_overhead: removed: .*"):
        load_scenario("configs/llama-3.1-405b-article.toml", ["checkpoint_overhead=0.01"])
    path = tmp_path / "t.toml"
    path.write_text(
        '[scenario]\nname = "t"\n[inputs]\nn_params = 1e9\ncheckpoint_overhead = 0.01\n',
        encoding="utf-8",
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "inputs.checkpoint_overhead: removed" in err[0]


def test_planned_downtime_alone_asks_for_the_failure_inputs():
    raw = copy.deepcopy(BASE)
    for name in ("interruptions_per_gpu_hour", "restart_hours", "checkpoint_write_hours"):
        del raw["inputs"][name]
    raw["inputs"]["planned_downtime_hours"] = 0.5
    with pytest.raises(
        ConfigError, match=r"missing checkpoint_write_hours \[h\] \(needed for failure_goodput\)"
    ):
        scenario_from_dict(raw, file="t.toml")
