"""Nothing non-finite reaches a report; limits are checked before work starts (issue 11).

Each case goes through the CLI: either exit 2 with one line on stderr, no traceback
and no report folder, or exit 0 with a summary.json that a strict JSON parser accepts
(NaN and Infinity are not JSON).
"""

import json
import math
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import simulate
import simulate.engine.limits
from simulate.analysis.sensitivity import rank_correlations
from simulate.cli import main
from simulate.engine.chunked import run_chunked
from simulate.engine.limits import NonFiniteError
from simulate.model.catalog import CONFIG_DIR
from simulate.scenario.config import ConfigError
from tests.conftest import mid_cdf_rho_reference

DEFAULT = str(CONFIG_DIR / "llama-3.1-405b.toml")
ARTICLE = str(CONFIG_DIR / "llama-3.1-405b-article.toml")
SINGLE = str(Path(__file__).parent / "data" / "single_phase.toml")  # plain n_gpus, mfu
DBL_MAX = np.finfo(float).max
RARE_GPUS = 'n_gpus={dist="discrete", values=[512, 1024], weights=[0.9999, 0.0001]}'


def _strict(text: str):
    def refuse(constant: str):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def _refused(capsys, tmp_path: Path, *args: str) -> str:
    """Run the CLI expecting a refusal: exit 2, one line, no report written."""
    out = tmp_path / "report"
    code = main([*args, "--out", str(out)] if args[0] != "validate" else list(args))
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
    return lines[0]


def _report(capsys, tmp_path: Path, *args: str) -> dict:
    """Run the CLI expecting a report: exit 0; return summary.json, strictly parsed."""
    out = tmp_path / "report"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code = main([*args, "--out", str(out), "--quiet"])
    captured = capsys.readouterr()
    assert code == 0, captured
    assert captured.err == ""
    assert [w for w in caught if issubclass(w.category, RuntimeWarning)] == []
    return _strict((out / "summary.json").read_text())


# --- non-finite draws: in memory, chunked, compare ------------------------------------------


OVERFLOW_LINE = (
    r"llama-3.1-405b.toml: node gpu_capex_usd: 2,000 of 2,000 draws are not finite \(inf\) "
    r"\(from n_gpus = 16384, gpu_price_usd = 1e\+305 at draw 0\)"
)


@pytest.mark.parametrize(
    "extra",
    [["--no-plots"], ["--chunk-draws", "500"], ["--chunk-draws", "1"]],
    ids=["memory", "chunked", "one-draw-chunks"],
)
def test_price_that_overflows_is_refused_naming_the_node(capsys, tmp_path, extra):
    # 16,384 x 1e305 = 1.6e309 > DBL_MAX = 1.8e308: every draw of gpu_capex_usd is inf
    assert 16_384 * 1e305 > DBL_MAX
    line = _refused(
        capsys, tmp_path, "run", DEFAULT, "--set", "gpu_price_usd=1e305", "--draws", "2000", *extra
    )
    assert re.search(OVERFLOW_LINE, line), line


@pytest.mark.parametrize(
    "extra", [["--no-plots"], ["--chunk-draws", "1"]], ids=["memory", "chunked"]
)
def test_mfu_that_underflows_the_days_is_refused(capsys, tmp_path, extra):
    # train_days ~ 14 / 1e-300 / 0.9 ~ 1.5e301 is finite; capex ~ 1e9 times it is not
    line = _refused(
        capsys, tmp_path, "run", DEFAULT, "--set", "mfu@main=1e-300", "--draws", "300", *extra
    )
    assert "node amortized_capex_usd: 300 of 300 draws are not finite (inf)" in line
    assert "train_days = " in line and "capex_usd = " in line


def test_run_to_precision_refuses_non_finite_draws(capsys, tmp_path):
    line = _refused(
        capsys, tmp_path, "run", DEFAULT, "--set", "gpu_price_usd=1e305", "--precision", "0.01"
    )
    assert "node gpu_capex_usd: 16,384 of 16,384 draws are not finite (inf)" in line  # batch 1


@pytest.mark.parametrize(
    ("dist", "message"),
    [
        # exp(710) > DBL_MAX: the median itself overflows
        ('{dist="lognormal", mu=710, sigma=1}', "lognormal needs |mu| < 709.783"),
        # exp(700 + 10 z) overflows for z > 0.98: the upper draws are inf
        ('{dist="lognormal", mu=700, sigma=10}', "reaches [9.83718e+267, inf], beyond 64-bit"),
    ],
)
def test_validate_refuses_an_input_whose_draws_overflow(capsys, tmp_path, dist, message):
    assert 700 + 10 * 0.99 > math.log(DBL_MAX) > 709.78
    line = _refused(capsys, tmp_path, "validate", DEFAULT, "--set", f"gpu_price_usd={dist}")
    assert "inputs.gpu_price_usd: " in line and message in line


def test_compare_refuses_non_finite_draws(capsys, tmp_path):
    line = _refused(
        capsys,
        tmp_path,
        "compare",
        DEFAULT,
        ARTICLE,
        "--set",
        "gpu_price_usd=1e305",
        "--draws",
        "2000",
        "--no-plots",
    )
    assert "node gpu_capex_usd: 2,000 of 2,000 draws are not finite (inf)" in line


def test_count_of_overflowing_draws_matches_the_share_of_the_range_and_chunks_agree():
    # gpu_price ~ U(1e300, 1e305): gpu_capex = 16,384 x price overflows when
    # price > DBL_MAX / 16,384, a share p of the range; 2,000 draws -> Binomial(2000, p).
    scenario = simulate.load_scenario(
        DEFAULT, ['gpu_price_usd={dist="uniform", low=1e300, high=1e305}'], draws=2000
    )
    p = (1e305 - DBL_MAX / 16_384) / (1e305 - 1e300)
    with pytest.raises(NonFiniteError, match=r"node gpu_capex_usd: ([\d,]+) of 2,000") as memory:
        simulate.run(scenario)
    count = int(
        memory.value.args[0].split("node gpu_capex_usd: ")[1].split(" of")[0].replace(",", "")
    )
    assert abs(count - 2000 * p) <= 4 * np.sqrt(2000 * p * (1 - p))
    with pytest.raises(NonFiniteError) as chunked:
        run_chunked(scenario, chunk_draws=300, workers=2)
    assert str(chunked.value) == str(memory.value)  # same count, same first draw
    assert isinstance(memory.value, ValueError)


@pytest.mark.parametrize("draws", [1, 3])
def test_one_draw_chunks_write_strict_json(capsys, tmp_path, draws):
    # one draw: no rank correlation is defined (it was NaN in summary.json); null now
    summary = _report(capsys, tmp_path, "run", DEFAULT, "--draws", str(draws), "--chunk-draws", "1")
    assert summary["provenance"]["draws"] == draws
    assert summary["chunked"]["chunks"] == draws
    if draws == 1:
        assert set(summary["chunked"]["rank_correlation"]["tco_usd"].values()) == {None}


def test_compare_of_one_draw_writes_strict_json(capsys, tmp_path):
    summary = _report(capsys, tmp_path, "compare", DEFAULT, ARTICLE, "--draws", "1", "--no-plots")
    assert summary["common"]["draws"] == 1


# --- pins that contradict computed nodes ----------------------------------------------------


def test_pinned_tco_with_its_parts_computed_is_refused_by_validate_and_run(capsys, tmp_path):
    line = _refused(capsys, tmp_path, "validate", DEFAULT, "--set", "tco_usd=1e9")
    assert "inputs.tco_usd: pinned, but capex_usd (computed), energy_cost_usd (computed)" in line
    assert "tco_usd = capex_usd + energy_cost_usd" in line
    line = _refused(capsys, tmp_path, "run", DEFAULT, "--set", "tco_usd=1e9", "--draws", "100")
    assert "inputs.tco_usd: pinned" in line


def test_pinned_capex_beside_its_given_ratio_is_refused():
    with pytest.raises(
        ConfigError,
        match=r"inputs\.capex_usd: pinned, but gpu_capex_usd \(computed\), "
        r"inputs\.overhead_capex_ratio \(scenario\) are in the run too",
    ):
        simulate.load_scenario(DEFAULT, ["capex_usd=1e9"])


def test_pins_that_cut_their_upstream_are_still_accepted():
    # the article pins train_days; mfu and goodput are not given, so nothing contradicts it
    scenario = simulate.load_scenario(ARTICLE, ["train_flop=3.8e25"], draws=10)
    assert scenario.inputs["train_days"].origin == "scenario"


# --- sensitivity --output -------------------------------------------------------------------


def test_sensitivity_output_that_is_not_a_node_is_refused(capsys, tmp_path):
    line = _refused(
        capsys, tmp_path, "sensitivity", DEFAULT, "--output", "nosuch", "--draws", "100"
    )
    assert "--output nosuch: unknown node; known: n_params," in line


def test_sensitivity_output_that_the_scenario_cuts_is_refused(capsys, tmp_path):
    # the article pins train_days and gives no mfu: compute_days is never computed
    line = _refused(capsys, tmp_path, "sensitivity", ARTICLE, "--output", "compute_days")
    assert "--output compute_days: not computed by this scenario" in line


# --- draw counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("draws", [1, 2, 5, 6, 59])
def test_small_runs_work(capsys, tmp_path, draws):
    summary = _report(capsys, tmp_path, "run", DEFAULT, "--draws", str(draws), "--no-plots")
    assert summary["provenance"]["draws"] == draws
    assert summary["variables"]["tco_usd"]["percentiles"]["p50"] > 0
    groups = min(20, draws // 3)
    if groups < 2:
        assert "sensitivity" not in summary
    else:
        rank = summary["sensitivity"]["rank_correlation"]
        assert rank["interval"] == f"grouped jackknife, {groups} groups"


def test_small_run_with_plots_and_sensitivity_command(capsys, tmp_path):
    summary = _report(capsys, tmp_path / "a", "run", DEFAULT, "--draws", "2")
    assert summary["variables"]["tco_usd"]["mean_standard_error"] is not None
    summary = _report(capsys, tmp_path / "b", "sensitivity", DEFAULT, "--draws", "7", "--no-plots")
    assert summary["sensitivity"]["rank_correlation"]["n_draws"] == 7


def test_draws_too_many_for_memory_are_refused_with_the_chunk_hint(capsys, tmp_path):
    line = _refused(capsys, tmp_path, "run", DEFAULT, "--draws", str(10**12))
    assert "1,000,000,000,000 draws need about" in line
    assert "--chunk-draws" in line


def test_memory_estimate_against_a_small_machine(capsys, tmp_path, monkeypatch):
    # 10,000 draws of the default scenario: at least its 10 uniforms and 10 inputs, 8 bytes each
    scenario = simulate.load_scenario(DEFAULT, draws=10_000)
    assert simulate.engine.limits.memory_estimate_bytes(scenario, 10_000) >= 8 * 10_000 * 20
    monkeypatch.setattr(simulate.engine.limits, "available_memory_bytes", lambda: 1_000_000)
    line = _refused(capsys, tmp_path, "run", DEFAULT, "--draws", "10000", "--no-plots")
    assert "more than the 0.0 GiB available; run them in chunks" in line
    line = _refused(capsys, tmp_path, "compare", DEFAULT, ARTICLE, "--draws", "10000")
    assert "of 2 scenarios need about" in line and "draw fewer" in line
    line = _refused(capsys, tmp_path, "run", DEFAULT, "--draws", "20000", "--chunk-draws", "10000")
    assert "use smaller chunks" in line
    summary = _report(capsys, tmp_path, "run", DEFAULT, "--draws", "20000", "--chunk-draws", "100")
    assert summary["chunked"]["chunks"] == 200


# --- zero-spread samples --------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "sensitivity"])
def test_input_without_spread_in_its_sample_gets_null_statistics(capsys, tmp_path, command):
    # P(no draw of 1,000 is 1,024) = 0.9999^1000 = 0.905; seed 2024 draws none
    summary = _report(capsys, tmp_path, command, SINGLE, "--set", RARE_GPUS, "--draws", "1000")
    gpus = summary["variables"]["n_gpus"]
    assert gpus["percentiles"]["p5"] == gpus["percentiles"]["p95"] == 512
    section = summary["sensitivity"]
    for output, entry in section["rank_correlation"]["outputs"].items():
        row = next(r for r in entry["inputs"] if r["input"] == "n_gpus")
        assert row["note"] == "no spread in this sample", output
        assert row["spearman"]["value"] is None and row["prcc"]["value"] is None
        assert entry["inputs"][-1] is row  # undefined last
    assert section["log_variance"]["no_spread"] == ["n_gpus"]


def test_rank_correlations_of_a_flat_input_are_null_and_the_others_unchanged():
    from distributions import Uniform

    rng = np.random.default_rng(1)
    x = rng.uniform(size=500)
    specs = {"x": Uniform(low=0.0, high=1.0), "flat": Uniform(low=0.0, high=1.0)}
    draws = {"x": x, "flat": np.full(500, 0.5), "y": x**3}
    result = rank_correlations(draws, specs, outputs=["y"])["outputs"]["y"]["inputs"]
    rho = mid_cdf_rho_reference(specs["x"], x, x**3)  # tests/conftest.py
    assert result[0]["input"] == "x" and result[0]["spearman"]["value"] == pytest.approx(rho)
    assert result[1]["input"] == "flat" and result[1]["spearman"]["value"] is None


# --- percentile labels ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percentiles", "message"),
    [
        ("[50, 50.0000001]", "50.0 and 50.0000001 both get the label p50"),
        ("[99.99999999]", "99.99999999 is labelled p100"),
        ("[0.000000000001, 50]", None),
        ("[100]", "must be a list of numbers in (0, 100); got [100]"),
        ("[0]", "must be a list of numbers in (0, 100); got [0]"),
    ],
)
def test_percentile_labels_must_be_distinct_and_inside(capsys, tmp_path, percentiles, message):
    args = ("validate", DEFAULT, "--set", f"percentiles={percentiles}")
    if message is None:  # p1e-12: a distinct label, not p0
        assert main(list(args)) == 0
        return
    assert message in _refused(capsys, tmp_path, *args)


# --- no RuntimeWarning on stderr under --quiet ----------------------------------------------


def test_quiet_runs_print_nothing(tmp_path):
    cases = (["--draws", "2"], ["--set", RARE_GPUS, "--draws", "1000", "--no-plots"])
    for i, args in enumerate(cases):
        done = subprocess.run(
            [sys.executable, "-m", "simulate", "run", SINGLE, *args, "--quiet", "--out", f"r{i}"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert (done.returncode, done.stderr, done.stdout) == (0, "", "")
        _strict((tmp_path / f"r{i}" / "summary.json").read_text())


def test_backtest_run_that_overflows_is_refused(capsys, tmp_path):
    # 6 x 1.75e300 x 3e300 FLOP overflows: the predicted GPU-hours are inf, not JSON
    runs = CONFIG_DIR / "reference" / "training_runs.csv"
    header, first = runs.read_text().splitlines()[:2]
    assert first.startswith("GPT-3 175B,1.75e+11,3e+11,3.14e+23,")
    huge = first.replace("1.75e+11,3e+11,3.14e+23", "1.75e+300,3e+300,3.14e+300", 1)
    csv_dir = tmp_path.parent / f"{tmp_path.name}-csv"
    csv_dir.mkdir()
    (csv_dir / "runs.csv").write_text(f"{header}\n{huge}\n")
    line = _refused(capsys, tmp_path, "backtest", str(csv_dir / "runs.csv"))
    assert "runs.csv: GPT-3 175B: predicted gpu_hours: 20,000 of 20,000 draws are not" in line


def test_one_draw_of_a_correlated_scenario_reports_no_achieved_correlation(write_config, tmp_path):
    """Found by the fuzz test: with one draw the achieved Spearman is undefined (NaN); the
    report says n/a (null in summary.json) instead of failing to write NaN."""
    from tests.conftest import MINIMAL

    text = MINIMAL + '\n[correlations]\npairs = [["mfu", "gpu_price_usd", 0.5]]\n'
    text = text.replace("gpu_price_usd = 30000", 'gpu_price_usd = "24000 to 37500"')
    out = tmp_path / "r"
    assert main(["run", str(write_config(text)), "--draws", "1", "--out", str(out), "--quiet"]) == 0
    summary = _strict((out / "summary.json").read_text())
    assert [row["achieved"] for row in summary["correlations"]] == [None]
    assert "| n/a |" in (out / "report.md").read_text()


@pytest.mark.parametrize("scale", [[], ["--chunk-draws", "1"]])
def test_draws_whose_squares_overflow_report_no_spread_figure(write_config, tmp_path, scale):
    """Found by the fuzz test: MFU 1e-300 makes finite draws near 1e300 whose squares
    overflow float64, so the standard deviation is not representable: it reads null (n/a),
    in memory and in chunks, and summary.json stays valid JSON."""
    out = tmp_path / "r"
    args = ["run", str(write_config()), "--set", "mfu=1e-300", "--draws", "2", *scale]
    assert main([*args, "--out", str(out), "--quiet"]) == 0
    summary = _strict((out / "summary.json").read_text())
    days = summary["variables"]["train_days"]
    assert days["mean"] > 1e299 and days["percentiles"]["p50"] > 1e299
    assert any(v["std"] is None for v in summary["variables"].values())


def test_a_log_variance_fit_that_seven_draws_cannot_identify_is_null(write_config, tmp_path):
    """Found by the fuzz test: 7 draws, 3 uncertain inputs: a jackknife replicate's normal
    equations are singular; its cells become null instead of a LinAlgError."""
    from tests.conftest import MINIMAL

    text = MINIMAL.replace(
        "gpu_price_usd = 30000", 'gpu_price_usd = { dist = "uniform", low = 24000, high = 37500 }'
    ).replace(
        "overhead_capex_ratio = 0.5",
        'overhead_capex_ratio = { dist = "triangular", low = 0.4, mode = 0.5, high = 0.625 }',
    )
    out = tmp_path / "r"
    assert main(["run", str(write_config(text)), "--draws", "7", "--out", str(out), "--quiet"]) == 0
    _strict((out / "summary.json").read_text())


def test_validate_refuses_what_run_would_refuse_for_memory(capsys, tmp_path):
    """validate's "ok" means the run will not fail on its input: too many draws for memory
    are refused there too, and --chunk-draws validates the chunked run instead."""
    line = _refused(capsys, tmp_path, "validate", DEFAULT, "--draws", str(10**12))
    assert "1,000,000,000,000 draws need about" in line and "--chunk-draws" in line
    assert main(["validate", DEFAULT, "--draws", str(10**12), "--chunk-draws", "100000"]) == 0
    assert capsys.readouterr().out.startswith("ok: ")
    chunks = ["--chunk-draws", str(10**12)]
    line = _refused(capsys, tmp_path, "validate", DEFAULT, "--draws", str(10**12), *chunks)
    assert "in 2 chunks" in line or "chunks of" in line


def test_draws_have_a_stated_maximum(capsys, tmp_path):
    line = _refused(capsys, tmp_path, "validate", DEFAULT, "--set", "draws=1e308")
    assert line.endswith("scenario.draws: must be at most 1e+12; got 1e+308")


def test_validate_refuses_a_chain_that_overflows(capsys, tmp_path):
    """Found by the fuzz test: every input finite, their product not (1e305 USD/kWh):
    validate pushes the run's first draws through the chain and refuses as run would."""
    line = _refused(capsys, tmp_path, "validate", DEFAULT, "--set", "electricity_usd_per_kwh=1e305")
    assert "node energy_cost_usd: " in line and "are not finite (inf)" in line
