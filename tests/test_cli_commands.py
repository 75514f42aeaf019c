"""The CLI's commands: happy paths and error paths (exit 0 and 2), help, --quiet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr

import distributions
from simulate import cli
from simulate.engine.memory import run
from simulate.model.catalog import CONFIG_DIR, load_catalog
from simulate.report.draws import load_draws
from simulate.scenario.config import load_scenario

REPO = Path(__file__).resolve().parent.parent
DEFAULT = str(CONFIG_DIR / "llama-3.1-405b.toml")
ARTICLE = str(CONFIG_DIR / "llama-3.1-405b-article.toml")


def _main(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_methods_match_the_sampler():
    assert cli.METHODS == distributions.METHODS


def test_every_option_of_every_command_has_an_example():
    parser = cli._parser()
    (subparsers,) = [a for a in parser._actions if a.dest == "command"]
    assert set(subparsers.choices) == set(cli.COMMANDS)
    for name, sub in subparsers.choices.items():
        assert "examples:" in sub.epilog, name
        for action in sub._actions:
            if action.dest == "help":
                continue
            assert "e.g." in action.help or "default:" in action.help, (name, action.dest)


@pytest.mark.parametrize("argv", [["--help"], *[[c, "--help"] for c in cli.COMMANDS]])
def test_help_exits_zero(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 0
    assert "examples:" in capsys.readouterr().out


def test_validate_ok(capsys):
    code, out, err = _main(capsys, "validate", DEFAULT)
    scenario = load_scenario(DEFAULT)
    assert code == 0 and err == ""
    assert out.startswith(f"ok: {DEFAULT}: scenario 'llama-3.1-405b', ")
    uncertain = sum(not spec.dist.is_fixed for spec in scenario.inputs.values())
    assert f"{len(scenario.inputs)} inputs resolved ({uncertain} uncertain)" in out


def test_validate_bad_value_is_one_line_exit_2(capsys):
    code, out, err = _main(capsys, "validate", DEFAULT, "--set", "mfu=1.5")
    assert code == 2 and out == ""
    assert err == f"error: {DEFAULT}: inputs.mfu: must be (0, 1]; got 1.5\n"


def test_validate_missing_file(capsys, tmp_path):
    code, _, err = _main(capsys, "validate", str(tmp_path / "nope.toml"))
    assert code == 2 and err.endswith("nope.toml: no such scenario file\n")


def test_unknown_option_is_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["validate", DEFAULT, "--bogus"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_catalog_lists_every_accelerator_with_peaks_tdp_prices_sources(capsys):
    code, out, _ = _main(capsys, "catalog")
    assert code == 0
    for key, entry in load_catalog().items():
        assert key in out and entry.name in out
    h100 = next(line for line in out.splitlines() if line.startswith("H100-SXM "))
    assert "bf16 989.4" in h100 and "700" in h100 and "28,750 to 46,875" in h100
    assert "H100-SXM: specs: NVIDIA figures as tabulated on glennklockwood.com" in out


def test_show_prints_resolved_inputs_with_sources(capsys):
    code, out, _ = _main(
        capsys, "show", DEFAULT, "--set", "accelerator=B200", "--set", "rental=on-demand"
    )  # (the catalog has no committed-use rental range for the B200)
    assert code == 0
    assert "cluster: B200, bf16" in out
    tdp = next(line for line in out.splitlines() if line.startswith("gpu_tdp_w"))
    assert "1000" in tdp and "catalog" in tdp
    mfu = next(line for line in out.splitlines() if line.startswith("mfu@main "))
    assert "triangular(low=0.39, mode=0.41, high=0.43)" in mfu and "Llama 3 paper, Table 4" in mfu
    assert "phases: ramp, main, long_context" in out
    assert "flop_per_param_token" in out and "default" in out


def test_show_unknown_accelerator_exit_2(capsys):
    code, out, err = _main(capsys, "show", DEFAULT, "--set", "accelerator=Z9")
    assert code == 2 and out == ""
    assert "cluster.accelerator: unknown accelerator 'Z9'" in err


def test_run_writes_plots_html_draws_and_prints_the_table(capsys, tmp_path):
    out_dir = tmp_path / "r"
    code, out, err = _main(
        capsys, "run", DEFAULT, "--draws", "500", "--out", str(out_dir), "--save-draws"
    )
    assert code == 0 and err == ""
    names = {p.name for p in out_dir.iterdir()}
    assert {"summary.json", "report.md", "percentiles.csv", "report.html", "draws.nc"} <= names
    assert {"train_days_distribution.png", "tco_usd_exceedance.png"} <= names
    html = (out_dir / "report.html").read_text()
    assert html.count("data:image/png;base64,") == sum(n.endswith(".png") for n in names)
    expected = run(load_scenario(DEFAULT, draws=500))
    xr.testing.assert_identical(load_draws(out_dir / "draws.nc"), expected)
    lines = out.splitlines()
    assert lines[0] == "llama-3.1-405b: 500 draws, method random, seed 2024"
    assert lines[1].split() == ["quantity", "unit", "P5", "P50", "P95", "mean", "what"]
    # the answer leads: per-run costs (amortized, rental), then the article's TCO, then time
    assert [line.split()[0] for line in lines[2:7]] == [
        "amortized_cost_usd",
        "rental_cost_usd",
        "tco_usd",
        "train_days",
        "gpu_hours",
    ]
    assert lines[2].split()[:2] == ["amortized_cost_usd", "M$"]
    assert any(line.split()[:3] == ["gpu_hours", "M", "GPU·h"] for line in lines)
    assert any(line.split()[:2] == ["tco_usd", "M$"] for line in lines)
    assert any(line.startswith("P(amortized_cost_usd > budget 80 M$): ") for line in lines)
    assert lines[-1] == f"report: {out_dir}"


def test_run_quiet_prints_nothing(capsys, tmp_path):
    code, out, err = _main(
        capsys, ARTICLE, "--draws", "20", "--out", str(tmp_path / "q"), "--quiet", "--no-plots"
    )
    assert (code, out, err) == (0, "", "")
    assert (tmp_path / "q" / "report.html").exists()


def test_run_bad_scenario_touches_no_report(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[inputs.mfu]\ndist = "uniform"\nlow = 0.43\nhigh = 0.38\n')
    code, out, err = _main(capsys, "run", str(bad), "--out", str(tmp_path / "r"))
    assert code == 2 and out == ""
    assert err == f"error: {bad}: inputs.mfu: uniform needs low < high; got low=0.43, high=0.38\n"
    assert not (tmp_path / "r").exists()


def test_run_out_is_a_file_exit_2(capsys, tmp_path):
    target = tmp_path / "file"
    target.write_text("keep")
    code, _, err = _main(capsys, ARTICLE, "--out", str(target), "--no-plots")
    assert code == 2 and err == f"error: --out {target}: exists and is not a folder\n"
    assert target.read_text() == "keep"


def test_compare_writes_side_by_side_report(capsys, tmp_path):
    out_dir = tmp_path / "cmp"
    code, out, err = _main(
        capsys, "compare", DEFAULT, ARTICLE, "--draws", "400", "--out", str(out_dir)
    )
    assert code == 0 and err == ""
    names = {p.name for p in out_dir.iterdir()}
    assert names == {
        ".llm-cost-mc-report",
        "summary.json",
        "report.md",
        "report.html",
        "train_days_compare.png",
        "tco_usd_compare.png",
    }
    summary = json.loads((out_dir / "summary.json").read_text())
    assert list(summary["scenarios"]) == ["llama-3.1-405b", "llama-3.1-405b-article"]
    assert summary["common"] == {"seed": 2024, "draws": 400, "method": "random"}
    header = out.splitlines()[1].split()
    assert header == ["quantity", "unit", "llama-3.1-405b", "llama-3.1-405b-article"]
    assert "train_days P50" in out and out.splitlines()[-1] == f"report: {out_dir}"


def test_compare_default_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, _ = _main(capsys, "compare", DEFAULT, ARTICLE, "--draws", "50", "--no-plots")
    assert code == 0
    assert (tmp_path / "reports" / "compare-llama-3.1-405b-vs-llama-3.1-405b-article").is_dir()


def test_compare_needs_two_files(capsys, tmp_path):
    code, out, err = _main(capsys, "compare", DEFAULT, "--out", str(tmp_path / "c"))
    assert code == 2 and out == ""
    assert err == (
        "error: compare: needs two or more scenarios (files, or [variants.NAME] in one file); "
        "got 1\n"
    )
    assert not (tmp_path / "c").exists()


def test_compare_same_scenario_twice_exit_2(capsys, tmp_path):
    code, _, err = _main(capsys, "compare", DEFAULT, DEFAULT, "--out", str(tmp_path / "c"))
    assert code == 2
    assert "scenario.name: compared scenarios need distinct names" in err
    assert not (tmp_path / "c").exists()


def _subprocess(*argv, cwd=REPO):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def test_subprocess_validate_and_error():
    done = _subprocess("-m", "simulate", "validate", "configs/llama-3.1-405b.toml")
    assert done.returncode == 0 and done.stdout.startswith("ok: configs/llama-3.1-405b.toml")
    failed = _subprocess("-m", "simulate", "run", "configs/none.toml")
    assert failed.returncode == 2 and failed.stdout == ""
    assert failed.stderr == "error: configs/none.toml: no such scenario file\n"


def test_subprocess_quiet_run_prints_nothing(tmp_path):
    done = _subprocess(
        "-m",
        "simulate",
        ARTICLE,
        "--draws",
        "10",
        "--no-plots",
        "--quiet",
        "--out",
        str(tmp_path / "r"),
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
