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


@pytest.fixture(scope="module")
def reference_result():
    return backtest(DEFAULT_RUNS, load_priors(DEFAULT_PRIORS))


def test_reference_set_is_all_usable_with_the_default_priors(reference_result):
    result = reference_result
    assert result["unusable"] == []
    assert len(result["runs"]) == 18  # 19 rows less Llama 3.3 70B (3.1 70B's pre-training)
    entry = result["coverage"]["gpu_hours"]
    assert entry["covered"] == sum(r["gpu_hours"]["covered"] for r in result["runs"])
    llama = next(r for r in result["runs"] if r["model"] == "Llama 3.1 405B")
    assert llama["gpu_hours"]["covered"]


def reference_rows(name="training_runs.csv"):
    with open(DEFAULT_RUNS.parent / name, newline="") as handle:
        return list(csv.DictReader(handle))


def test_default_mfu_prior_is_the_method_of_moments_fit_of_the_published_values():
    # Beta by moments: k = m(1 - m)/v - 1, a = m k, b = (1 - m) k, m and v (ddof=1) from
    # the table's MFU cells (a range "0.38-0.43" counts as its midpoint).
    cells = [r["value"] for r in reference_rows("published_utilization.csv")
             if r["quantity"] == "mfu"]  # fmt: skip
    x = [sum(map(float, c.split("-"))) / 2 if "-" in c else float(c) for c in cells]
    n = len(x)
    m = sum(x) / n
    v = sum((xi - m) ** 2 for xi in x) / (n - 1)
    k = m * (1 - m) / v - 1
    dist, source = load_priors(DEFAULT_PRIORS).for_run()["mfu"]
    assert (dist.a, dist.b) == pytest.approx((m * k, (1 - m) * k), rel=1e-12)
    assert f"from {n} published values" in source


def test_palm_chip_hours_are_those_of_appendix_b():
    # PaLM App. B: 6,144 TPU v4 chips for 1,200 h, then 3,072 chips for 336 h. The old row
    # took 6,144 chips x 64 days x 24 h = 9,437,184 (12.3% too high).
    chip_hours = 6_144 * 1_200 + 3_072 * 336
    assert chip_hours == 8_404_992
    (row,) = [r for r in reference_rows() if r["model"] == "PaLM 540B"]
    assert float(row["gpu_hours"]) == chip_hours
    usable, _ = read_runs(DEFAULT_RUNS, load_priors(DEFAULT_PRIORS))
    (palm,) = [r for r in usable if r.model == "PaLM 540B"]
    assert (palm.gpu_hours, palm.gpu_hours_basis) == (chip_hours, "reported")


def test_no_pre_training_is_counted_twice():
    # Llama 3.3 70B is Llama 3.1 70B's pre-training post-trained again (same 7.0M GPU-hours):
    # one row per pre-training, identified by parameters, tokens, hardware and GPU-hours.
    rows = reference_rows()
    keys = [(r["params"], r["tokens"], r["hardware"], r["gpu_hours"]) for r in rows]
    assert len(set(keys)) == len(keys)
    assert "Llama 3.3 70B" not in {r["model"] for r in rows}
    assert "Llama 3.1 70B" in {r["model"] for r in rows}


def test_llama_4_is_predicted_at_the_fp8_peak():
    rows = {r["model"]: r for r in reference_rows()}
    assert rows["Llama 4 Scout"]["precision"] == rows["Llama 4 Maverick"]["precision"] == "fp8"
    assert {r["precision"] for r in rows.values()} <= {"bf16", "fp16", "fp8"}
    usable, _ = read_runs(DEFAULT_RUNS, load_priors(DEFAULT_PRIORS))
    scout = next(r for r in usable if r.model == "Llama 4 Scout")
    assert (scout.precision, scout.peak_flop_per_s) == ("fp8", 1978.9e12)


def test_a_runs_precision_sets_its_peak_and_an_unknown_one_is_named(tmp_path):
    # Run A at fp8: predicted GPU-hours halve against the BF16 peak (1978.9 = 2 x 989.4
    # TFLOP/s), so the reported figure (made at BF16 and MFU 0.3) reads as MFU x = 0.15 at
    # the FP8 peak: rank P(m > 0.15) = 1 under U(0.2, 0.6). V100 has no fp8.
    priors = tmp_path / "priors.toml"
    priors.write_text(PRIORS + '"NVIDIA V100" = "V100-SXM2"\n')
    fields = [*COLUMNS, "precision"]
    runs = tmp_path / "runs.csv"
    with open(runs, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerow({**ROWS[0], "precision": "fp8"})
        writer.writerow({**ROWS[0], "model": "V", "hardware": "NVIDIA V100", "precision": "fp8"})
    usable, unusable = read_runs(runs, load_priors(priors))
    assert usable[0].peak_flop_per_s == 1978.9e12
    assert unusable == [
        {"model": "V", "line": 3, "reason": "catalog entry V100-SXM2 has no dense fp8 peak"}
    ]
    result = backtest(runs, load_priors(priors))
    assert result["runs"][0]["gpu_hours"]["percentile_rank"] == 100.0


def _with_values(tmp_path, edit):
    """The default priors over a copy of the values table, with ``edit`` applied to rows."""
    rows = reference_rows("published_utilization.csv")
    for row in rows:
        edit(row)
    (tmp_path / "reference").mkdir(exist_ok=True)
    with open(tmp_path / "reference" / "published_utilization.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    path = tmp_path / "priors.toml"
    path.write_text(DEFAULT_PRIORS.read_text())
    return load_priors(path)


def test_leave_one_out_prior_does_not_see_the_held_out_runs_value(tmp_path):
    """Perturbing Llama 3.1 405B's own MFU (0.38-0.43 -> 0.9) and goodput (0.90 -> 0.99)
    leaves its own priors and prediction unchanged, and moves every other run's."""
    held_out = "Llama 3.1 405B"

    def perturb(row):
        if row["run"] == held_out:
            row["value"] = "0.9" if row["quantity"] == "mfu" else "0.99"

    base, perturbed = load_priors(DEFAULT_PRIORS), _with_values(tmp_path, perturb)
    for name in ("mfu", "goodput"):
        own_before = base.for_run(exclude_run=held_out)[name][0]
        own_after = perturbed.for_run(exclude_run=held_out)[name][0]
        assert own_after == own_before
        other_before = base.for_run(exclude_run="GPT-3 175B")[name][0]
        assert perturbed.for_run(exclude_run="GPT-3 175B")[name][0] != other_before
    subset = tmp_path / "runs.csv"
    rows = [r for r in reference_rows() if r["model"] in (held_out, "GPT-3 175B")]
    with open(subset, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    before = {r["model"]: r["gpu_hours"] for r in backtest(subset, base)["runs"]}
    after = {r["model"]: r["gpu_hours"] for r in backtest(subset, perturbed)["runs"]}
    assert after[held_out] == before[held_out]
    assert after["GPT-3 175B"]["predicted"] != before["GPT-3 175B"]["predicted"]


def test_date_split_uses_only_values_published_before_the_cut(tmp_path, reference_result):
    """A value published after 2024-01-01 (MegaScale, Llama 3.1, Llama 4) changes no
    prediction of the split; the split tests exactly the runs published on or after it."""

    def perturb(row):
        if row["published"] >= "2024-01-01":
            row["value"] = "0.95"

    perturbed = _with_values(tmp_path, perturb)
    cut = reference_result["date_split"]
    assert cut["split_date"] == "2024-01-01"
    later = [r["model"] for r in reference_rows() if r["published"] >= "2024-01-01"]
    assert cut["runs"] == later and len(later) == 8
    mine = backtest(DEFAULT_RUNS, perturbed)["date_split"]
    assert [r["gpu_hours"] for r in mine["predictions"]] == [
        r["gpu_hours"] for r in cut["predictions"]
    ]


def test_ks_p_value_and_mean_pit_of_the_reference_backtest(reference_result):
    from scipy import stats

    for block, entries in (
        (reference_result["leave_one_out"], reference_result["runs"]),
        (reference_result["date_split"], reference_result["date_split"]["predictions"]),
    ):
        pit = [e["gpu_hours"]["percentile_rank"] / 100 for e in entries]
        assert block["pit"]["ks"]["p_value"] == stats.kstest(pit, "uniform").pvalue
        n = len(pit)
        mean = sum(pit) / n
        sd = math.sqrt(sum((u - mean) ** 2 for u in pit) / (n - 1))
        half = 1.959963984540054 * sd / math.sqrt(n)
        got = block["pit"]["mean"]
        assert (got["value"], got["low"], got["high"]) == pytest.approx(
            (mean, mean - half, mean + half), rel=1e-12
        )
        assert sum(block["pit"]["histogram"]) == n
        k = sum(e["gpu_hours"]["covered"] for e in entries)
        assert block["coverage"]["covered"] == k and block["coverage"]["runs"] == n


def test_interval_score_against_hand_arithmetic():
    from simulate.analysis.scoring import interval_score

    # Gneiting & Raftery (2007) eq. 43, l = 1, u = 3, alpha = 0.1 (2 / alpha = 20):
    # inside x = 2: width 2; below x = 0.5: 2 + 20 x 0.5 = 12; above x = 4: 2 + 20 x 1 = 22.
    assert interval_score(1, 3, [2, 0.5, 4], 0.1).tolist() == [2.0, 12.0, 22.0]


def test_verdict_says_the_reference_backtest_under_predicts(reference_result):
    loo = reference_result["leave_one_out"]
    assert loo["pit"]["mean"]["low"] > 0.5  # ranks lean high
    assert loo["misses_below"] == 0 and loo["misses_above"] == 18 - loo["coverage"]["covered"]
    assert loo["verdict"].startswith("The model under-predicts GPU-hours: ranks lean high")


NO_MFU = PRIORS.replace(
    '[priors.mfu]\ndist = "uniform"\nlow = 0.2\nhigh = 0.6\nsource = "test"\n', ""
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (PRIORS.replace("[hardware]", '[fit]\nmfu = "beta"\n\n[hardware]'),
         r"p.toml: fit.mfu: also given under \[priors\]; give it once"),
        (NO_MFU.replace("[hardware]", '[fit]\nmfu = "normal"\n\n[hardware]'),
         r"p.toml: fit.mfu: must be one of beta, pert; got 'normal'"),
        (NO_MFU.replace("[hardware]", '[fit]\nmfu = "beta"\n\n[hardware]'),
         r"p.toml: backtest.values: must name the published values file"),
        (NO_MFU.replace("seed = 5", 'seed = 5\nvalues = "v.csv"').replace(
            "[hardware]", '[fit]\nmfu = "beta"\n\n[hardware]'),
         r"v.csv: no such values file"),
        (PRIORS.replace("seed = 5", 'seed = 5\nsplit_date = "2024"'),
         r"p.toml: backtest.split_date: must be a date \(2024-01-01\); got '2024'"),
    ],
)  # fmt: skip
def test_fit_refusals(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        priors_error(tmp_path, text)


def test_a_fit_with_too_few_values_is_refused(tmp_path):
    (tmp_path / "v.csv").write_text(
        "quantity,value,model,run,published,source\nmfu,0.4,A,,2020-01-01,paper A\n"
    )
    text = NO_MFU.replace("seed = 5", 'seed = 5\nvalues = "v.csv"').replace(
        "[hardware]", '[fit]\nmfu = "beta"\n\n[hardware]'
    )
    with pytest.raises(ConfigError, match=r"v.csv: fit.mfu: needs at least 2 distinct values"):
        priors_error(tmp_path, text)


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
