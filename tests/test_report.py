"""The report folder: contents, schema, and that nothing earlier is ever lost."""

import csv
import json
import subprocess
import sys

import pytest

import simulate
from simulate.cli import main
from simulate.report.folder import write_report
from simulate.report.summary import build_summary
from tests.conftest import CONFIGS, REPO


@pytest.fixture
def summary(write_config):
    scenario = simulate.load_scenario(write_config(), ["percentiles=[2.5, 50, 97.5]"])
    return build_summary(simulate.run(scenario), scenario)


def test_summary_schema(summary):
    assert summary["percentiles"] == ["p2.5", "p50", "p97.5"]
    days = summary["variables"]["train_days"]
    assert days["units"] == "d" and days["kind"] == "node" and days["formula"]
    assert set(days["percentiles"]) == {"p2.5", "p50", "p97.5"}
    assert days["percentiles"]["p2.5"] < days["percentiles"]["p50"] < days["percentiles"]["p97.5"]
    assert summary["variables"]["mfu"]["kind"] == "input"
    prov = summary["provenance"]
    assert {"config_hash", "seed", "method", "draws", "version"} <= set(prov)
    deadline = summary["risk"]["train_days_over_deadline"]
    low, high = deadline["ci95"]
    assert low <= deadline["probability"] <= high
    assert deadline["probability"] == deadline["draws_missing"] / deadline["draws"]


def test_wilson_interval_against_closed_form(summary):
    # Wilson (1927): (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), z = 1.959964
    entry = summary["risk"]["tco_usd_over_budget"]
    n, p, z = entry["draws"], entry["probability"], 1.959963984540054
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    assert entry["ci95"] == pytest.approx([centre - half, centre + half], rel=1e-9)


def test_files_written(summary, tmp_path):
    out, kept = write_report(summary, tmp_path / "r")
    assert kept is None
    names = sorted(p.name for p in out.iterdir())
    assert names == [".llm-cost-mc-report", "percentiles.csv", "report.md", "summary.json"]
    assert json.loads((out / "summary.json").read_text()) == summary
    rows = list(csv.DictReader((out / "percentiles.csv").open()))
    assert [r["name"] for r in rows] == list(summary["variables"])
    assert float(rows[0]["p50"]) == summary["variables"][rows[0]["name"]]["percentiles"]["p50"]
    text = (out / "report.md").read_text()
    for section in (
        "## Answer",
        "## Risk",
        "## Inputs",
        "## Outputs",
        "## Method",
        "## Provenance",
    ):
        assert section in text


def test_earlier_report_kept_aside_or_replaced_with_force(summary, tmp_path):
    out = tmp_path / "r"
    write_report(summary, out)
    (out / "mine.txt").write_text("keep me")
    _, kept = write_report(summary, out)
    assert kept is not None and (kept / "mine.txt").read_text() == "keep me"
    assert not (out / "mine.txt").exists()
    _, kept_again = write_report(summary, out, force=True)
    assert kept_again is None and (out / "summary.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_failed_write_leaves_nothing_half_written(summary, tmp_path):
    out = tmp_path / "r"
    write_report(summary, out)
    before = (out / "summary.json").read_text()
    bad = {**summary, "variables": {"x": {"not": "a variable"}}}  # render_markdown fails
    with pytest.raises(KeyError):
        write_report(bad, out, force=True)
    assert (out / "summary.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r", "scenario.toml"]


def test_cli_run_with_options(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        [
            "run",
            str(CONFIGS / "llama-3.1-405b.toml"),
            "--draws",
            "4096",
            "--seed",
            "7",
            "--method",
            "sobol",
            "--out",
            str(out),
            "--set",
            "n_gpus@main=24576",
            "--set",
            "mfu@main=0.35 to 0.45",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "train_days" in printed and str(out) in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["provenance"]["draws"] == 4096 and summary["provenance"]["method"] == "sobol"
    assert summary["variables"]["n_gpus"]["mean"] == 24576  # the cluster: the largest phase's
    assert summary["variables"]["mfu@main"]["distribution"].startswith("beta(")  # in (0, 1]


def test_cli_quiet_prints_nothing(tmp_path, capsys):
    assert (
        main(
            [
                "run",
                str(CONFIGS / "llama-3.1-405b-article.toml"),
                "--quiet",
                "--out",
                str(tmp_path / "a"),
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == ""


def test_default_scenario_as_a_user_runs_it(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "simulate", "--draws", "2000"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "reports/llama-3.1-405b/summary.json").read_text())
    assert summary["provenance"]["scenario"] == "llama-3.1-405b"
    assert any("1,979" in note for note in summary["notes"])
