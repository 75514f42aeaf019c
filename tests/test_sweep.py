"""Sweeps (``run --sweep``, :func:`simulate.sweep`): each point equals a run with ``--set``
at the same seed (common random numbers); the report folder holds the table and charts;
a malformed sweep is one line naming --sweep, exit 2."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest

import simulate
from simulate import cli
from simulate.analysis.intervals import quantile_intervals
from simulate.model.catalog import CONFIG_DIR
from simulate.report.planning import sweep_html
from simulate.scenario.config import load_scenario
from simulate.workflows.sweep import sweep_summary

DENSE = str(CONFIG_DIR / "dense-1t-h100.toml")
DRAWS = 3000


def _set_run(*overrides: str):
    return simulate.run(load_scenario(DENSE, list(overrides), draws=DRAWS), keep_uniforms=False)


def test_each_point_equals_a_set_run():
    """Percentiles (numpy's linear rule on the --set run's draws) and P(miss) (its count)
    equal the sweep's at every point, to the last bit of the percentile's arithmetic."""
    scenario = load_scenario(DENSE, draws=DRAWS)
    table = simulate.sweep(scenario, ["n_gpus=32768:65536:16384"])
    assert list(table["n_gpus"].values) == [32768, 49152, 65536]
    for g in (32768, 49152, 65536):
        run = _set_run(f"n_gpus={g}")
        for output in ("train_days", "tco_usd"):
            expected = np.percentile(run[output].values, [5, 50, 95])
            got = table["percentile"].sel(n_gpus=g, output=output).values
            np.testing.assert_allclose(got, expected, rtol=1e-13)
        miss = np.count_nonzero(run["train_days"].values > 90) / DRAWS
        assert table["probability"].sel(n_gpus=g, risk="train_days_over_deadline") == miss
    # common random numbers: more GPUs, never a higher chance of missing the deadline
    p = table["probability"].sel(risk="train_days_over_deadline").values
    assert np.all(np.diff(p) <= 0)


def test_two_way_table_and_an_uncertain_input():
    """mfu is drawn in the scenario; swept, it is fixed at each value as --set fixes it."""
    scenario = load_scenario(DENSE, draws=DRAWS)
    table = simulate.sweep(scenario, ["n_gpus=40960,57344", "mfu=0.35:0.45:0.05"])
    assert table["percentile"].dims == ("n_gpus", "mfu", "output", "quantile")
    assert list(table["mfu"].values) == [0.35, 0.4, 0.45]
    assert table.attrs["chain_evaluations"] == 6
    run = _set_run("n_gpus=40960", "mfu=0.4")
    expected = np.percentile(run["train_days"].values, [5, 50, 95])
    got = table["percentile"].sel(n_gpus=40960, mfu=0.4, output="train_days").values
    np.testing.assert_allclose(got, expected, rtol=1e-13)


def test_reusing_the_runs_draws_gives_the_same_table():
    scenario = load_scenario(DENSE, draws=DRAWS)
    ds = simulate.run(scenario)
    again = simulate.sweep(scenario, ["n_gpus=40960,49152"], ds=ds)
    fresh = simulate.sweep(scenario, ["n_gpus=40960,49152"])
    np.testing.assert_array_equal(again["percentile"].values, fresh["percentile"].values)
    np.testing.assert_array_equal(again["probability"].values, fresh["probability"].values)


def test_partition_gives_the_sorts_order_statistics():
    x = np.random.default_rng(3).lognormal(size=(2, 10_001))
    p = [0.05, 0.5, 0.95]
    by_sort = quantile_intervals(x, p)
    by_partition = quantile_intervals(x, p, partition=True)
    for a, b in zip(by_sort, by_partition, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(by_partition[0], np.quantile(x, p, axis=1).T, rtol=1e-14)


def test_run_sweep_writes_table_csv_markdown_and_charts(capsys, tmp_path):
    out = tmp_path / "r"
    argv = ["run", DENSE, "--draws", "2000", "--sweep", "n_gpus=32768:65536:16384",
            "--out", str(out), "--quiet"]  # fmt: skip
    assert cli.main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    sweep = summary["sweep"]
    assert sweep["inputs"] == {"n_gpus": [32768, 49152, 65536]}
    assert [row["n_gpus"] for row in sweep["rows"]] == [32768, 49152, 65536]
    rows = list(csv.DictReader((out / "sweep.csv").open()))
    assert len(rows) == 3
    assert float(rows[1]["train_days_p50"]) == sweep["rows"][1]["train_days"]["p50"]
    text = (out / "report.md").read_text()
    assert "## Sweep" in text and "| 49,152 |" in text
    for name in ("sweep_train_days.png", "sweep_tco_usd.png", "sweep_risk.png"):
        assert (out / name).read_bytes().startswith(b"\x89PNG")
    fragment = sweep_html(sweep, {"sweep_risk.png": (out / "sweep_risk.png").read_bytes()})
    assert '<section id="sweep"><h2>Sweep</h2>' in (out / "report.html").read_text()
    assert fragment.count("<tr>") == 1 + 3 and "data:image/png;base64," in fragment


def test_sweep_summary_is_json_clean():
    table = simulate.sweep(load_scenario(DENSE, draws=200), {"n_gpus": [8192, 16384]})
    json.dumps(sweep_summary(table), allow_nan=False)


@pytest.mark.parametrize(
    ("sweeps", "match"),
    [
        (["n_gpus"], "--sweep: needs NAME=LOW:HIGH:STEP or NAME=V1,V2"),
        (["n_gpu=1:2:1"], "--sweep: 'n_gpu' is not a node of the chain"),
        (["train_days=1:2:1"], "--sweep: train_days is not an input of this scenario"),
        (["n_gpus=8:1:1"], "--sweep: needs LOW <= HIGH"),
        (["n_gpus=1:8:0"], "--sweep: STEP must be > 0"),
        (["n_gpus=1:8"], "--sweep: needs LOW:HIGH:STEP, three numbers"),
        (["n_gpus=a,b"], "--sweep: needs numbers"),
        (["n_gpus=1024,1024"], "--sweep: a value appears twice"),
        (["n_gpus=1.5,2"], "--sweep: n_gpus is a whole number; got 1.5"),
        (["n_gpus=0:8:4"], r"--sweep: n_gpus must be a whole number in \[1, inf\); got 0"),
        (["mfu=0.5:1.5:0.5"], r"--sweep: mfu must be in \(0, 1\]; got 1.5"),
        (["n_gpus=1:1e9:1"], "--sweep: 1,000,000,000 points; at most 1,024"),
        (["n_gpus=1,2", "n_gpus=3,4"], "--sweep: the same input twice"),
        (["n_gpus=1,2", "mfu=0.3,0.4", "pue=1.1,1.2"], "--sweep: one or two inputs"),
    ],
)
def test_malformed_sweep_is_one_line_exit_2(capsys, tmp_path, sweeps, match):
    out = tmp_path / "never"
    argv = ["run", DENSE, "--draws", "200", "--out", str(out), "--no-plots"]
    for item in sweeps:
        argv += ["--sweep", item]
    code = cli.main(argv)
    printed, err = capsys.readouterr()
    assert code == 2 and printed == ""
    assert err.count("\n") == 1 and re.search(match, err), err
    assert not out.exists()


def test_sweep_cannot_go_with_chunks(capsys, tmp_path):
    argv = ["run", DENSE, "--sweep", "n_gpus=1,2", "--chunk-draws", "100", "--draws", "200",
            "--out", str(tmp_path / "x")]  # fmt: skip
    assert cli.main(argv) == 2
    assert "--sweep: cannot go with --chunk-draws" in capsys.readouterr().err


def test_a_run_in_phases_sweeps_and_solves_like_set_runs():
    """The default scenario runs in three [[phases]]: each point must sum the phases as a
    --set run does (the sweep crashed with KeyError 'train_days', and solve refused
    amortized_cost_usd as "not computed", before the common draws knew of phases)."""
    default = str(CONFIG_DIR / "llama-3.1-405b.toml")
    scenario = load_scenario(default, draws=2000)
    table = simulate.sweep(scenario, ["gpu_price_usd=20000,40000"])
    for price in (20000, 40000):
        run = simulate.run(load_scenario(default, [f"gpu_price_usd={price}"], draws=2000))
        for output in ("train_days", "tco_usd"):
            expected = np.percentile(run[output].values, [5, 50, 95])
            got = table["percentile"].sel(gpu_price_usd=price, output=output).values
            np.testing.assert_allclose(got, expected, rtol=1e-13)
    result = simulate.solve(
        scenario, "gpu_price_usd", "P50(amortized_cost_usd) <= 80000000", value_range=(1e4, 6e4)
    )
    answer = result.attrs["answer"]
    run = simulate.run(load_scenario(default, [f"gpu_price_usd={answer!r}"], draws=2000))
    assert np.percentile(run["amortized_cost_usd"].values, 50) <= 80e6


def test_a_phase_input_sweeps_and_solves_like_set_runs(capsys, tmp_path):
    """One phase's input (``n_gpus@main``, as ``--set n_gpus@main=N`` names it) can be
    swept and solved for: each point equals the --set run, the other phases keep their
    draws (it was refused as "not a node of the chain")."""
    default = str(CONFIG_DIR / "llama-3.1-405b.toml")
    scenario = load_scenario(default, draws=2000)
    table = simulate.sweep(scenario, ["n_gpus@main=12288,16384"])
    assert list(table["n_gpus@main"].values) == [12288, 16384]
    assert table["n_gpus@main"].attrs["units"] == "1"  # n_gpus is a count (chain.NODES)
    for g in (12288, 16384):
        run = simulate.run(load_scenario(default, [f"n_gpus@main={g}"], draws=2000))
        expected = np.percentile(run["train_days"].values, [5, 50, 95])
        got = table["percentile"].sel({"n_gpus@main": g, "output": "train_days"}).values
        np.testing.assert_allclose(got, expected, rtol=1e-13)
    result = simulate.solve(scenario, "n_gpus@main", "P(train_days <= 100) >= 0.95", step=1024)
    answer = result.attrs["answer"]
    on_time = simulate.run(load_scenario(default, [f"n_gpus@main={answer}"], draws=2000))
    fewer = simulate.run(load_scenario(default, [f"n_gpus@main={answer - 1024}"], draws=2000))
    assert np.mean(on_time["train_days"].values <= 100) >= 0.95
    assert np.mean(fewer["train_days"].values <= 100) < 0.95
    argv = ["run", default, "--draws", "2000", "--no-plots", "--quiet",
            "--sweep", "mfu@long_context=0.3,0.4", "--out", str(tmp_path / "r")]  # fmt: skip
    code = cli.main(argv)
    assert code == 0, capsys.readouterr().err
    assert "mfu@long_context" in (tmp_path / "r" / "sweep.csv").read_text().splitlines()[0]


def test_an_unknown_phase_is_named(capsys, tmp_path):
    default = str(CONFIG_DIR / "llama-3.1-405b.toml")
    argv = ["run", default, "--draws", "500", "--no-plots", "--sweep", "n_gpus@nope=1024,2048",
            "--out", str(tmp_path / "x")]  # fmt: skip
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "--sweep: n_gpus@nope is not an input of this scenario (no phase 'nope'; " in err
    assert "phases: ramp, main, long_context)" in err and "Traceback" not in err
