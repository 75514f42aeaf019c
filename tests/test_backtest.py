"""Backtest against published runs: reading, prediction, percentile ranks, coverage, CLI."""

from __future__ import annotations

import csv
import json
import math
import re

import pytest

from simulate.cli import main
from simulate.scenario.config import ConfigError, load_scenario
from simulate.scenario.priors import DEFAULT_PRIORS, load_priors
from simulate.workflows.backtest import (
    DEFAULT_RUNS,
    backtest,
    calibration_curve,
    coverage,
    read_runs,
)
from tests.conftest import MINIMAL

COLUMNS = [
    "model", "params", "tokens", "reported_flop", "hardware", "hw_count", "days", "gpu_hours",
    "mfu", "cost_usd", "energy_mwh", "source", "notes",
]  # fmt: skip

H100_BF16 = 989.4e12
TPU_V4_BF16 = 275e12
# Run A: 6 x 1e9 x 1e12 = 6e21 FLOP on H100; reported GPU-hours are those at an MFU of 0.3.
FLOP_A = 6 * 1e9 * 1e12
HOURS_A = FLOP_A / (H100_BF16 * 3_600 * 0.3)
# Run B: reported 1e21 FLOP on TPU v4, 100 chips; its days are those at an MFU of 0.1.
FLOP_B = 1e21
DAYS_B = FLOP_B / (TPU_V4_BF16 * 3_600 * 0.1) / 100 / 24

PRIORS = """
[backtest]
draws = 20_000
seed = 5
percentiles = [5, 50, 95]

[priors.mfu]
dist = "uniform"
low = 0.2
high = 0.6
source = "test"

[priors.goodput]
value = 1

[hardware]
"NVIDIA H100 80GB" = "H100-SXM"
"Google TPU v4" = "TPU-v4"
"""


def write_runs(path, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


ROWS = [
    {"model": "A", "params": 1e9, "tokens": 1e12, "hardware": "NVIDIA H100 80GB (700 W)",
     "gpu_hours": repr(HOURS_A)},
    {"model": "B", "reported_flop": 1e21, "hardware": "Google TPU v4", "hw_count": 100,
     "days": repr(DAYS_B)},
    {"model": "no hardware", "params": 1e9, "tokens": 1e12, "gpu_hours": 10},
    {"model": "unknown hardware", "params": 1e9, "tokens": 1e12, "hardware": "Cerebras CS-2",
     "gpu_hours": 10},
    {"model": "no size", "hardware": "Google TPU v4", "gpu_hours": 10},
    {"model": "nothing reported", "params": 1e9, "tokens": 1e12, "hardware": "Google TPU v4"},
    {"model": "bad number", "params": "abc", "tokens": 1e12, "hardware": "Google TPU v4",
     "gpu_hours": 10},
]  # fmt: skip


@pytest.fixture()
def files(tmp_path):
    priors = tmp_path / "priors.toml"
    priors.write_text(PRIORS)
    return write_runs(tmp_path / "runs.csv", ROWS), priors


def test_unusable_rows_are_listed_with_their_reason(files):
    runs, priors = files
    usable, unusable = read_runs(runs, load_priors(priors))
    assert [r.model for r in usable] == ["A", "B"]
    reasons = {u["model"]: u["reason"] for u in unusable}
    assert reasons == {
        "no hardware": "no hardware named",
        "unknown hardware": (
            f"hardware 'Cerebras CS-2' has no catalog key in [hardware] of {priors}"
        ),
        "no size": "needs params and tokens, or reported_flop",
        "nothing reported": "no gpu_hours, and no days and hw_count to derive them",
        "bad number": "params: not a number: 'abc'",
    }
    assert [u["line"] for u in unusable] == [4, 5, 6, 7, 8]
    a, b = usable
    assert (a.accelerator, a.flop_basis, a.gpu_hours_basis) == ("H100-SXM", "6ND", "reported")
    assert (b.accelerator, b.flop_basis, b.gpu_hours_basis) == (
        "TPU-v4", "reported_flop", "days x hw_count"
    )  # fmt: skip
    assert b.gpu_hours == pytest.approx(DAYS_B * 100 * 24)


def test_percentile_ranks_against_the_closed_form(files):
    # Predicted GPU-hours = F / (peak x m x 3600) with m ~ U(0.2, 0.6), so the rank of a
    # reported value r is P(m > x) = (0.6 - x) / 0.4 with x = F / (peak x 3600 x r).
    # A: x = 0.3 -> 75%, inside [m's P5 0.22, P95 0.58]; B: x = 0.1 -> 100%, outside.
    runs, priors = files
    result = backtest(runs, load_priors(priors))
    a, b = result["runs"]
    se = 100 * math.sqrt(0.75 * 0.25 / 20_000)  # SE of an empirical CDF, percent points
    assert a["gpu_hours"]["percentile_rank"] == pytest.approx(75.0, abs=4 * se)
    assert a["gpu_hours"]["covered"] is True
    # P5 of predicted hours is F / (peak 3600 m_P95) with m_P95 = 0.58; the sample quantile's
    # SE is a few tenths of a percent, far inside 2%.
    assert a["gpu_hours"]["predicted"]["p5"] == pytest.approx(
        FLOP_A / (H100_BF16 * 3_600 * 0.58), rel=0.02
    )
    assert b["gpu_hours"]["percentile_rank"] == 100.0 and b["gpu_hours"]["covered"] is False
    assert b["train_days"]["percentile_rank"] == 100.0 and b["train_days"]["reported"] == DAYS_B
    assert "train_days" not in a  # no accelerator count for A
    assert result["coverage"]["gpu_hours"]["covered"] == 1
    assert result["coverage"]["gpu_hours"]["runs"] == 2
    assert len(result["unusable"]) == 5


def test_coverage_and_its_wilson_interval():
    # 3 of 4 covered; Wilson (1927): centre (k + z^2/2) / (n + z^2),
    # half-width z / (n + z^2) sqrt(k (n - k) / n + z^2 / 4), z = 1.959964
    z, k, n = 1.959963984540054, 3, 4
    centre = (k + z**2 / 2) / (n + z**2)
    half = z / (n + z**2) * math.sqrt(k * (n - k) / n + z**2 / 4)
    entry = coverage([True, False, True, True])
    assert entry["coverage"] == 0.75 and entry["covered"] == 3 and entry["runs"] == 4
    assert entry["ci95"] == pytest.approx([centre - half, centre + half], rel=1e-9)
    assert coverage([])["coverage"] is None


def test_calibration_curve_counts_runs_inside_each_central_interval():
    # rank r lies in the central c% interval when |r - 50| <= c / 2
    curve = calibration_curve([75.0, 100.0, 50.0, 2.0], levels=[10, 50, 90, 96])
    assert [c["observed"] for c in curve] == [0.25, 0.5, 0.5, 0.75]
    assert [c["nominal"] for c in curve] == [0.1, 0.5, 0.9, 0.96]


def test_cli_writes_the_backtest_folder(files, tmp_path, capsys):
    runs, priors = files
    out = tmp_path / "bt"
    assert main(["backtest", str(runs), "--priors", str(priors), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "GPU-hours coverage of the P5-P95 interval: 1 of 2 = 50%" in printed
    assert "not used: line 4 no hardware: no hardware named" in printed
    assert sorted(p.name for p in out.iterdir()) == [
        ".llm-cost-mc-report", "calibration.png", "report.md", "runs.csv", "summary.json"
    ]  # fmt: skip
    assert (out / "calibration.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["coverage"]["gpu_hours"]["coverage"] == 0.5
    report = (out / "report.md").read_text()
    assert "## Rows not used" in report and "Cerebras CS-2" in report


def test_cli_bad_runs_file_is_one_line_and_no_report(files, tmp_path, capsys):
    _, priors = files
    out = tmp_path / "bt"
    code = main(
        ["backtest", str(tmp_path / "none.csv"), "--priors", str(priors), "--out", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "none.csv: no such runs file" in err
    assert not out.exists()


def test_reference_set_is_all_usable_with_the_default_priors():
    result = backtest(DEFAULT_RUNS, load_priors(DEFAULT_PRIORS))
    assert result["unusable"] == []
    assert len(result["runs"]) == 19
    entry = result["coverage"]["gpu_hours"]
    assert entry["covered"] == sum(r["gpu_hours"]["covered"] for r in result["runs"])
    llama = next(r for r in result["runs"] if r["model"] == "Llama 3.1 405B")
    assert llama["gpu_hours"]["covered"]


def test_default_mfu_prior_has_epochs_percentiles():
    # Epoch AI: P5 0.20, median ~0.38, P95 0.58
    dist, _ = load_priors(DEFAULT_PRIORS).inputs["mfu"]
    assert dist.to_scipy().ppf([0.05, 0.5, 0.95]) == pytest.approx([0.20, 0.377, 0.58], abs=1e-3)


# --- errors in the priors file and the runs file, one per message ---------------------------


def priors_error(tmp_path, text, runs=None):
    path = tmp_path / "p.toml"
    path.write_text(text)
    priors = load_priors(path)
    if runs is not None:
        read_runs(runs, priors)


def test_unknown_prior_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"p.toml: priors.mfuu: unknown input or node"):
        priors_error(tmp_path, PRIORS + "\n[priors.mfuu]\nvalue = 0.3\n")


def test_prior_for_a_run_input_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"p.toml: priors.n_gpus: comes from each run"):
        priors_error(tmp_path, PRIORS.replace("[priors.goodput]", "[priors.n_gpus]"))


def test_prior_outside_its_domain_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"p.toml: priors.mfu: must lie in \(0, 1\]"):
        priors_error(tmp_path, PRIORS.replace("high = 0.6", "high = 1.5"))


def test_missing_mfu_prior_is_refused(tmp_path):
    text = PRIORS.replace(
        '[priors.mfu]\ndist = "uniform"\nlow = 0.2\nhigh = 0.6\nsource = "test"\n', ""
    )
    with pytest.raises(ConfigError, match=r"p.toml: priors: missing mfu \[1\]"):
        priors_error(tmp_path, text)


def test_unknown_catalog_key_in_the_mapping_is_refused(tmp_path):
    with pytest.raises(
        ConfigError, match=r"p.toml: hardware.'Google TPU v4': unknown catalog key 'TPU4'"
    ):
        priors_error(tmp_path, PRIORS.replace('= "TPU-v4"', '= "TPU4"'))


def test_unknown_backtest_field_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"p.toml: backtest.drawz: unknown field"):
        priors_error(tmp_path, PRIORS.replace("draws =", "drawz ="))


def test_bad_method_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"p.toml: backtest.method: must be one of"):
        priors_error(tmp_path, PRIORS.replace("seed = 5", 'seed = 5\nmethod = "grid"'))


def test_missing_priors_file_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"nope.toml: no such priors file"):
        load_priors(tmp_path / "nope.toml")


# --- the priors go through the scenario's own validators ------------------------------------


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        # a [backtest] that is not a table was a TypeError traceback
        (("[backtest]\ndraws = 20_000\nseed = 5\npercentiles = [5, 50, 95]\n", "backtest = 5\n"),
         r"p.toml: backtest: must be a table; got 5"),
        # a repeated percentile left one, and the central interval had no width
        (("[5, 50, 95]", "[50, 50]"),
         r"p.toml: backtest.percentiles: must be a list of at least 2 numbers in \(0, 100\); "
         r"got \[50, 50\]"),
        # two percentiles under one report label
        (("[5, 50, 95]", "[5, 5.0000001, 95]"),
         r"p.toml: backtest.percentiles: 5.0 and 5.0000001 both get the label p5"),
        # a number was taken for a precision's name
        (("seed = 5", "seed = 5\nprecisions = [16]"),
         r"p.toml: backtest.precisions: must be a non-empty list of strings; got \[16\]"),
        (("seed = 5", "seed = 5\nprecisions = []"),
         r"p.toml: backtest.precisions: must be a non-empty list of strings; got \[\]"),
        # a number was taken for a source text
        (('source = "test"', "source = 5"), r"p.toml: priors.mfu.source: must be a string; got 5"),
        (("draws = 20_000", "draws = 1"),
         r"p.toml: backtest.draws: must be a whole number >= 2; got 1"),
        (("draws = 20_000", "draws = true"),
         r"p.toml: backtest.draws: must be a whole number >= 2; got True"),
        (("seed = 5", "seed = 2.5"),
         r"p.toml: backtest.seed: must be a whole number >= 0; got 2.5"),
    ],
)  # fmt: skip
def test_priors_field_refusals(tmp_path, edit, message):
    old, new = edit
    assert old in PRIORS
    with pytest.raises(ConfigError, match=message):
        priors_error(tmp_path, PRIORS.replace(old, new))


def test_priors_too_deep_for_the_parser_is_refused(tmp_path):
    """Nesting past the parser's recursion limit was a RecursionError traceback."""
    deep = "[" * 5000 + "]" * 5000
    with pytest.raises(ConfigError, match=r"p.toml: TOML nests too deep for the parser"):
        priors_error(tmp_path, PRIORS.replace("seed = 5", f"seed = {deep}"))


def test_priors_take_whole_floats_as_the_scenario_does(tmp_path):
    """``draws = 2e4`` is 20,000 draws in a scenario; the priors file agrees."""
    path = tmp_path / "p.toml"
    path.write_text(PRIORS.replace("draws = 20_000", "draws = 2e4"))
    priors = load_priors(path)
    assert priors.draws == 20_000 and isinstance(priors.draws, int)
    assert priors.percentiles == (5.0, 50.0, 95.0) and priors.precisions == ("bf16", "fp16")


@pytest.mark.parametrize(
    ("field", "value"),
    [("seed", "-1"), ("method", '"grid"'), ("percentiles", "[5, 5.0000001, 95]")],
)
def test_priors_and_scenario_word_a_refusal_alike(tmp_path, field, value):
    """One rule, one message: the same bad value in [scenario] and in [backtest] is refused
    with the same words, only the file and the table differ."""
    scenario = tmp_path / "s.toml"
    text = MINIMAL.replace("seed = 1", 'seed = 1\npercentiles = [5, 50, 95]\nmethod = "random"')
    scenario.write_text(re.sub(rf"(?m)^{field} = .*$", f"{field} = {value}", text, count=1))
    priors = tmp_path / "p.toml"
    text = PRIORS.replace("seed = 5", 'seed = 5\nmethod = "random"')
    priors.write_text(re.sub(rf"(?m)^{field} = .*$", f"{field} = {value}", text, count=1))
    with pytest.raises(ConfigError) as from_scenario:
        load_scenario(scenario)
    with pytest.raises(ConfigError) as from_priors:
        load_priors(priors)
    expected = str(from_scenario.value).replace(f"{scenario}: scenario.", f"{priors}: backtest.")
    assert str(from_priors.value) == expected
    assert f"backtest.{field}: " in expected


def test_runs_file_without_a_column_is_refused(tmp_path):
    runs = tmp_path / "r.csv"
    runs.write_text("model,params\nX,1e9\n")
    with pytest.raises(ConfigError, match=r"r.csv: missing column 'tokens'"):
        priors_error(tmp_path, PRIORS, runs=runs)


def test_empty_runs_file_is_refused(tmp_path):
    runs = tmp_path / "r.csv"
    runs.write_text(",".join(COLUMNS) + "\n")
    with pytest.raises(ConfigError, match=r"r.csv: no runs"):
        priors_error(tmp_path, PRIORS, runs=runs)
