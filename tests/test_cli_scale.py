"""The run command's --chunk-draws, --backend, --scheduler and --workers."""

import json

import pytest

from simulate.cli import main
from simulate.model.catalog import CONFIG_DIR

CONFIG = str(CONFIG_DIR / "llama-3.1-405b.toml")


def test_chunked_report_matches_in_memory_report(tmp_path):
    common = [CONFIG, "--draws", "20000", "--quiet"]
    assert main(["run", *common, "--out", str(tmp_path / "memory")]) == 0
    assert main(["run", *common, "--out", str(tmp_path / "chunked"), "--chunk-draws", "3000"]) == 0
    memory = json.loads((tmp_path / "memory" / "summary.json").read_text())
    chunked = json.loads((tmp_path / "chunked" / "summary.json").read_text())
    # a chunked run keeps no draws: its ranking is the sketch under "chunked", not the
    # in-memory "sensitivity" section; each sketched rho lies within its stated error bound
    assert chunked.keys() - {"chunked"} == memory.keys() - {"sensitivity"}
    assert chunked["decision"]["status"].startswith("not computed: needs the draws")
    sketch = chunked["chunked"]
    exact = memory["sensitivity"]["rank_correlation"]["outputs"]
    for output, rhos in sketch["rank_correlation"].items():
        rows = {row["input"]: row["spearman"]["value"] for row in exact[output]["inputs"]}
        for name, rho in rhos.items():
            assert abs(rho - rows[name]) <= sketch["rank_error_bound"], (output, name)
    assert chunked["risk"] == memory["risk"]
    for name, variable in memory["variables"].items():
        assert chunked["variables"][name]["percentiles"] == variable["percentiles"]
        assert chunked["variables"][name]["mean"] == pytest.approx(variable["mean"], rel=1e-15)
    assert (tmp_path / "chunked" / "report.md").read_text().startswith("# Training cost")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--scheduler", "tcp://127.0.0.1:1"],
            "--scheduler tcp://127.0.0.1:1: needs --backend dask",
        ),
        (["--workers", "0"], "--workers: needs a whole number >= 1; got 0"),  # at parse time
        (["--chunk-draws", "0"], "--chunk-draws: needs a whole number >= 1; got 0"),
        (
            ["--method", "lhs", "--chunk-draws", "100"],
            "Latin hypercube of 1,000 draws is one design and cannot be made in chunks",
        ),
    ],
)
def test_bad_scale_options_one_line_exit_2(options, message, tmp_path, capsys):
    out = tmp_path / "report"
    try:
        code = main(["run", CONFIG, "--draws", "1000", "--out", str(out), *options])
    except SystemExit as stop:  # argparse's range checks
        code = stop.code
    assert code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error
    assert not out.exists()
