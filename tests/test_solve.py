"""Goal seek (``python -m simulate solve``, :func:`simulate.solve`): the answer equals a
brute-force loop of ``--set`` runs at the same seed; common random numbers make the
statistic monotone; whole inputs and steps are respected; bad input is one line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import simulate
from simulate import cli
from simulate.analysis.goal_seek import GoalError, parse_target
from simulate.analysis.risk import RiskTarget
from simulate.model.catalog import CONFIG_DIR
from simulate.scenario.config import ConfigError, load_scenario, scenario_from_dict

DENSE = str(CONFIG_DIR / "dense-1t-h100.toml")
DRAWS = 4000  # the brute-force loop runs ~90 scenarios; the equality is exact at any count
TARGET = "P(train_days <= 90) >= 0.9"


def _main(capsys, *argv):
    try:
        code = cli.main(list(argv))
    except SystemExit as exit_info:  # argparse's refusal of a malformed option
        code = exit_info.code
    out, err = capsys.readouterr()
    return code, out, err


def _p_on_time(n_gpus: int, *, draws: int = DRAWS) -> float:
    """P(train_days <= 90) of a plain run with ``--set n_gpus=N`` at the scenario's seed."""
    scenario = load_scenario(DENSE, [f"n_gpus={n_gpus}"], draws=draws)
    days = simulate.run(scenario, keep_uniforms=False)["train_days"].values
    return float(np.count_nonzero(days <= 90) / days.size)


def test_dense_1t_question_equals_a_brute_force_loop(capsys, tmp_path):
    """The issue's question, one command: the fewest GPUs (multiples of 1,024) that finish
    within 90 days with 90% confidence, against a loop over GPU counts with --set runs."""
    out = tmp_path / "solve"
    code, printed, err = _main(
        capsys, "solve", DENSE, "--vary", "n_gpus", "--target", TARGET, "--step", "1024",
        "--draws", str(DRAWS), "--out", str(out), "--no-plots",
    )  # fmt: skip
    assert code == 0, err
    answer = json.loads((out / "solve.json").read_text())
    assert answer["status"] == "found"
    # brute force: every multiple of 1,024 from 16 x 1,024 to 96 x 1,024 (the answer lies
    # well inside: 90 days need about 46k H100 at 38-43% MFU), the smallest that meets it
    loop = {g: _p_on_time(g) for g in range(16 * 1024, 97 * 1024, 1024)}
    assert loop[16 * 1024] < 0.9 and loop[96 * 1024] >= 0.9
    brute = min(g for g, p in loop.items() if p >= 0.9)
    assert answer["answer"] == brute and isinstance(answer["answer"], int)  # whole stays whole
    assert answer["answer_statistic"]["value"] == loop[brute]  # the same draws: exactly equal
    assert answer["neighbour"] == brute - 1024 and loop[brute - 1024] < 0.9
    low, high = answer["answer_statistic"]["ci95"]
    assert low < loop[brute] < high
    assert f"n_gpus = {brute:,} is the smallest value" in printed
    assert answer["chain_evaluations"] <= 20
    assert (out / "report.md").read_text().startswith("# Goal seek: dense-1t-h100")
    page = (out / "report.html").read_text()  # the same sections as one offline page
    assert '<section id="answer"><h2>Answer</h2>' in page and f"{brute:,}" in page
    assert "<script src" not in page and "http" not in page.split("<footer>")[0]


def test_whole_input_without_step_matches_set_runs():
    """Step 1 (the default for a count): the answer meets the target, one GPU fewer does not."""
    scenario = load_scenario(DENSE, draws=DRAWS)
    result = simulate.solve(scenario, "n_gpus", TARGET)
    answer = int(result.attrs["answer"])
    assert result.attrs["status"] == "found"
    assert _p_on_time(answer) >= 0.9 > _p_on_time(answer - 1)
    values = result["n_gpus"].values
    assert np.all(values == np.round(values))  # whole numbers only
    assert result.attrs["chain_evaluations"] <= 22  # log2 of the default range's width + 2


def test_step_is_respected_and_statistic_is_monotone_under_crn():
    scenario = load_scenario(DENSE, draws=DRAWS)
    result = simulate.solve(scenario, "n_gpus", TARGET, step=1024, value_range=(8192, 131072))
    values = result["n_gpus"].values
    assert np.all(values % 1024 == 0)
    assert result.attrs["answer"] % 1024 == 0
    # common random numbers: each draw's train_days falls as n_gpus rises, so the share on
    # time never falls; the values tried, in order, meet the target from one point on
    stat = result["statistic"].values
    assert np.all(np.diff(stat) >= 0)
    met = result["met"].values
    assert not met[0] and met[-1] and np.all(np.diff(met.astype(int)) >= 0)


def test_monotone_on_a_grid_of_set_runs():
    """The same monotonicity from independent --set runs at one seed (common random
    numbers across runs): strictly needed for bisection to find the brute-force answer."""
    shares = [_p_on_time(g, draws=2000) for g in range(40 * 1024, 52 * 1024, 512)]
    assert all(a <= b for a, b in zip(shares, shares[1:], strict=False))


FAILURES = {
    "scenario": {"name": "failures", "draws": 3000, "seed": 11},
    "cluster": {"accelerator": "H100-SXM", "precision": "bf16"},
    "inputs": {
        "n_params": 1e12,
        "n_tokens": 20e12,
        "n_gpus": 32768,
        "mfu": {"dist": "uniform", "low": 0.38, "high": 0.43},
        "interruptions_per_gpu_hour": {"dist": "lognormal", "p5": 1.2e-5, "p95": 3.2e-5},
        "restart_hours": {"dist": "uniform", "low": 0.1, "high": 0.4},
        "checkpoint_interval_hours": 0.5,
        "checkpoint_write_hours": 0.01,  # 2% of a 0.5 h interval
        "overhead_capex_ratio": 1.0,
        "server_power_ratio": 1.82,
        "average_power_fraction": 0.75,
        "pue": 1.1,
        "electricity_usd_per_kwh": 0.08,
    },
}


def _p90_days(n_gpus: float) -> float:
    scenario = scenario_from_dict(FAILURES, overrides=[f"n_gpus={n_gpus}"])
    return float(np.percentile(simulate.run(scenario)["train_days"].values, 90))


def test_nodes_that_depend_on_the_varied_input_are_recomputed():
    """The job's interruption rate scales with the GPUs (rate x n_gpus): holding the base
    run's rate would give another answer. The answer's P90 meets 200 days with --set runs
    (numpy's percentile on their draws), and one GPU fewer does not."""
    scenario = scenario_from_dict(FAILURES)
    # (Daly's failure model: past ~65k GPUs more GPUs lose more to failures than they add,
    # so P90(train_days) has a minimum near 150 days; 200 is met from ~27k GPUs on)
    result = simulate.solve(scenario, "n_gpus", "P90(train_days) <= 200")
    answer = int(result.attrs["answer"])
    assert result.attrs["side"] == "smallest"
    assert result.attrs["answer_statistic"] == pytest.approx(_p90_days(answer), rel=1e-12)
    assert _p90_days(answer) <= 200 < _p90_days(answer - 1)


def test_a_target_met_only_inside_the_range_is_found():
    """Neither end of [2,048, 524,288] meets P90 <= 200 (too slow with few GPUs, too many
    failures with many): the scan inside finds the window and the answer is its low edge."""
    scenario = scenario_from_dict(FAILURES)
    result = simulate.solve(
        scenario, "n_gpus", "P90(train_days) <= 200", value_range=(2048, 524288)
    )
    assert result.attrs["status"] == "found"
    answer = int(result.attrs["answer"])
    assert _p90_days(2048) > 200 and _p90_days(524288) > 200
    assert _p90_days(answer) <= 200 < _p90_days(answer - 1)
    unreachable = simulate.solve(scenario, "n_gpus", "P90(train_days) <= 95")
    assert unreachable.attrs["status"] == "unreachable"
    assert "values between them tried too" in unreachable.attrs["statement"]


def test_continuous_input_by_brent():
    """mfu is continuous: Brent's method to 1e-6 of the range, then the meeting side. P90 of
    days falls as MFU rises; the answer meets P90 <= 90 in a --set run, a hair lower does not."""
    scenario = load_scenario(DENSE, draws=DRAWS)
    result = simulate.solve(scenario, "mfu", "P90(train_days) <= 90", value_range=(0.2, 0.8))
    answer = result.attrs["answer"]
    tol = 1e-6 * (0.8 - 0.2)

    def p90(mfu: float) -> float:
        run = simulate.run(load_scenario(DENSE, [f"mfu={mfu!r}"], draws=DRAWS))
        return float(np.percentile(run["train_days"].values, 90))

    assert p90(answer) <= 90 < p90(answer - 4 * tol)
    assert result.attrs["chain_evaluations"] <= 20


def test_largest_value_and_risk_key_target():
    """More tokens miss the deadline more often: the answer is the largest n_tokens."""
    scenario = load_scenario(DENSE, draws=DRAWS)
    result = simulate.solve(scenario, "n_tokens", "P(train_days_over_deadline) <= 10%", step=1e11)
    assert result.attrs["side"] == "largest"
    answer = result.attrs["answer"]
    for tokens, ok in ((answer, True), (answer + 1e11, False)):
        run = simulate.run(load_scenario(DENSE, [f"n_tokens={tokens!r}"], draws=DRAWS))
        miss = np.count_nonzero(run["train_days"].values > 90) / DRAWS
        assert bool(miss <= 0.1) is ok


def test_met_throughout_and_flat_statistic():
    scenario = load_scenario(DENSE, draws=1000)
    flat = simulate.solve(scenario, "rental_usd_per_gpu_hour", "P90(train_days) <= 200")
    assert flat.attrs["status"] == "met_throughout" and np.isnan(flat.attrs["answer"])
    assert "does not move it" in flat.attrs["statement"]
    wide = simulate.solve(scenario, "n_gpus", "P90(train_days) <= 90", value_range=(65536, 131072))
    assert wide.attrs["status"] == "met_throughout" and wide.attrs["answer"] == 65536
    assert "the change lies beyond 65,536" in wide.attrs["statement"]


def test_target_forms():
    nodes = ("train_days", "tco_usd")
    deadline = RiskTarget("train_days", 90.0, "above", "deadline")
    t = parse_target("P(train_days ≤ 90) ≥ 90%", nodes)
    assert (t.statistic.kind, t.statistic.op, t.statistic.threshold, t.op, t.level) == (
        "probability", "<=", 90.0, ">=", 0.9,
    )  # fmt: skip
    t = parse_target("P97.5(tco_usd) < 1.2e9", nodes)
    assert (t.statistic.kind, t.statistic.percent, t.op, t.level) == (
        "percentile",
        97.5,
        "<",
        1.2e9,
    )
    t = parse_target("P(train_days_over_deadline) <= 0.1", nodes, [deadline])
    assert t.statistic.kind == "risk" and t.statistic.risk == deadline
    assert parse_target("mean(tco_usd) <= 1_000_000", nodes).level == 1e6
    assert parse_target("P(train_days > 90) < 0.1", nodes).met(0.0999)
    assert not parse_target("P(train_days > 90) < 0.1", nodes).met(0.1)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("train_days <= 90", "'train_days' is not a statistic"),
        ("P(train_days <= 90)", "needs a statistic compared with a number"),
        ("P(train_dayz <= 90) >= 0.9", "'train_dayz' is not a node this scenario computes"),
        ("P(late) <= 0.1", r"P\(late\) names no risk target"),
        ("P0(train_days) <= 9", "a percentile must lie strictly between 0 and 100"),
        ("P(train_days <= 90) >= 1.5", r"a probability's level must lie in \[0, 1\]"),
        ("", "needs a statistic compared with a number"),
    ],
)
def test_bad_targets(text, match):
    with pytest.raises(GoalError, match=match):
        parse_target(text, ("train_days", "tco_usd"))


def _refused(capsys, tmp_path, *argv, config=DENSE):
    out = tmp_path / "never"
    code, printed, err = _main(capsys, "solve", config, *argv, "--draws", "500", "--out", str(out))
    assert code == 2 and printed == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert not out.exists()  # nothing written
    return err


G = ["--vary", "n_gpus", "--target", TARGET]


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--vary", "n_gpus", "--target", "train_days <= 90"], "--target: 'train_days' is not a"),
        (["--vary", "n_gpu", "--target", TARGET], "--vary: 'n_gpu' is not a node of the chain"),
        (["--vary", "train_days", "--target", TARGET], "--vary: train_days is not an input"),
        (["--vary", "n_layers", "--target", TARGET], "--vary: n_layers is not an input"),
        ([*G, "--range", "64:8"], "--range: needs LOW < HIGH; got 64:8"),
        ([*G, "--range", "0:8"], r"--range: n_gpus must be a whole number in \[1, inf\); got 0"),
        ([*G, "--step", "0.5"], "--step: n_gpus is a whole number, so is its step; got 0.5"),
        ([*G, "--range", "1:2:3"], "argument --range: needs LOW:HIGH"),
        ([*G, "--step", "-4"], "argument --step: needs a number > 0"),
        ([*G, "--range", "1100:1500", "--step", "1024"], "--step: no multiple of 1024 lies in"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, tmp_path, argv, match):
    err = _refused(capsys, tmp_path, *argv)
    import re

    assert re.search(match, err), err


def test_range_without_a_solution_is_one_line_exit_2(capsys, tmp_path):
    """No value in the range reaches the target: a plain statement naming --range, exit 2,
    nothing written (the Python API returns it as status "unreachable")."""
    err = _refused(capsys, tmp_path, "--vary", "n_gpus", "--target", TARGET, "--range", "1024:8192")
    assert "--range: no value of n_gpus in [1,024, 8,192] reaches P(train_days <= 90) >= 0.9" in err
    result = simulate.solve(
        load_scenario(DENSE, draws=500), "n_gpus", TARGET, value_range=(1024, 8192)
    )
    assert result.attrs["status"] == "unreachable" and np.isnan(result.attrs["answer"])


def test_correlated_input_cannot_be_varied(tmp_path):
    text = Path(DENSE).read_text() + '\n[correlations]\npairs = [["mfu", "goodput", 0.5]]\n'
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="vary: mfu is correlated with other inputs"):
        simulate.solve(load_scenario(path, draws=200), "mfu", "P90(train_days) <= 90")


def test_report_keeps_an_earlier_one(capsys, tmp_path):
    out = tmp_path / "s"
    argv = ["solve", DENSE, "--vary", "n_gpus", "--target", TARGET, "--step", "4096",
            "--draws", "500", "--out", str(out), "--quiet"]  # fmt: skip
    assert cli.main(argv) == 0 and cli.main(argv) == 0
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("s.")]
    assert len(kept) == 1 and (kept[0] / "solve.json").exists()
    assert (out / "solve.png").read_bytes().startswith(b"\x89PNG")


def test_refused_solve_leaves_an_earlier_report_alone(capsys, tmp_path):
    out = tmp_path / "s"
    ok = ["solve", DENSE, "--vary", "n_gpus", "--target", TARGET, "--step", "4096",
          "--draws", "500", "--out", str(out), "--quiet"]  # fmt: skip
    assert cli.main(ok) == 0
    before = (out / "solve.json").read_bytes()
    assert cli.main([*ok, "--range", "4096:8192", "--force"]) == 2
    assert "--range: no value of n_gpus" in capsys.readouterr().err
    assert (out / "solve.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]
