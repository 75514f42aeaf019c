"""The workflow functions write what the CLI writes: a notebook gets the same report folder."""

from __future__ import annotations

import json

import pytest

import simulate
from simulate.cli import main
from simulate.engine.runners import ChunkError
from simulate.workflows.compare import load_compared
from tests.conftest import MINIMAL


@pytest.mark.parametrize("chunked", [False, True])
def test_run_report_writes_what_the_cli_writes(write_config, tmp_path, chunked):
    config = str(write_config())
    scale = ["--chunk-draws", "500"] if chunked else []
    cli_out, api_out = tmp_path / "cli", tmp_path / "api"
    assert main(["run", config, "--out", str(cli_out), "--no-plots", "--quiet", *scale]) == 0
    scenario = simulate.load_scenario(config)
    result = simulate.run_report(
        scenario, out=api_out, plots=False, chunk_draws=500 if chunked else None
    )
    assert result.out_dir == api_out and result.kept is None
    assert (result.dataset is None) == chunked
    for name in ("summary.json", "report.md", "percentiles.csv", "report.html"):
        assert (api_out / name).read_bytes() == (cli_out / name).read_bytes(), name
    assert json.loads((api_out / "summary.json").read_text()) == result.summary


def test_compare_report_writes_what_the_cli_writes(write_config, tmp_path):
    a = write_config()
    b = write_config(MINIMAL.replace('name = "minimal"', 'name = "other"'), name="other.toml")
    cli_out, api_out = tmp_path / "cli", tmp_path / "api"
    assert main(["compare", str(a), str(b), "--out", str(cli_out), "--no-plots", "--quiet"]) == 0
    scenarios = load_compared([str(a), str(b)])
    result = simulate.compare_report(scenarios, out=api_out, plots=False)
    assert set(result.datasets) == {"minimal", "other"} and result.out_dir == api_out
    for name in ("summary.json", "report.md", "report.html"):
        assert (api_out / name).read_bytes() == (cli_out / name).read_bytes(), name


def test_library_errors_name_parameters_and_the_cli_its_flags(write_config, tmp_path, capsys):
    scenario = simulate.load_scenario(write_config())
    with pytest.raises(ChunkError, match=r"^chunk_draws: cannot go with save_draws"):
        simulate.run_report(scenario, out=tmp_path / "x", chunk_draws=100, save_draws=True)
    config = str(write_config())
    out = tmp_path / "y"
    assert main(["run", config, "--out", str(out), "--chunk-draws", "100", "--save-draws"]) == 2
    assert "error: --chunk-draws: cannot go with --save-draws" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "x").exists()
