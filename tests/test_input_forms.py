"""Input forms people type (issue 15, items 6 and 8): percentages, currency, thousands
separators, k/M/B/T suffixes, "a to b" inside a node's domain, "m ± s"; `show`'s
percentiles; `sensitivity --analysis`; numbers as specs; the matplotlib backend.

Every expected distribution is built here with scipy.stats from its closed-form
parameters, never from a sibling function of ours.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import tomllib

import numpy as np
import pytest
from scipy import stats

from distributions import (
    Beta,
    DistributionError,
    Fixed,
    LogNormal,
    Normal,
    ScipyFamily,
    Truncated,
    TruncatedNormal,
    Uniform,
    parse,
    reachable_range,
    sample,
)
from simulate.analysis import sensitivity
from simulate.analysis.shapley import shapley_effects
from simulate.cli import main
from simulate.scenario.config import load_scenario
from tests.conftest import mid_cdf_rho_reference

Z95 = stats.norm.ppf(0.95)  # 1.6448536269514722
FRACTION = (0.0, 1.0)  # mfu, goodput: (0, 1]
POSITIVE = (0.0, math.inf)
AT_LEAST_ONE = (1.0, math.inf)  # pue: [1, inf)
P5_P95 = np.array([0.05, 0.95])


# --- amounts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("40%", 0.40),
        ("2.5%", 0.025),
        ("$25,000", 25_000.0),
        ("25,000", 25_000.0),
        ("1,234,567.5", 1_234_567.5),
        ("25k", 25_000.0),
        ("25K", 25_000.0),
        ("2.5M", 2.5e6),
        ("2B", 2e9),
        ("405B", 405e9),
        ("15.6T", 15.6e12),
        ("$1.5M", 1.5e6),
        ("-$5", -5.0),
        ("0.4", 0.4),
        ("16_384", 16_384.0),
    ],
)
def test_amounts_are_fixed_values(text, value):
    assert parse(text) == Fixed(value=value)
    assert parse(text, bounds=POSITIVE) == Fixed(value=value)  # an amount ignores bounds
    toml = tomllib.loads(f'x = "{text}"')["x"]  # as a scenario file gives it
    assert parse(toml) == Fixed(value=value)


def test_suffixes_give_the_nearest_double_to_the_decimal_written():
    # 4.1 * 1e9 and 0.7 * 0.01 are each one rounding away from the decimal's double
    assert parse("4.1B").value == 4.1e9 != 4.1 * 1e9
    assert parse("0.7%").value == 0.007 != 0.7 * 0.01


# --- ranges: "a to b" is P5 to P95 -----------------------------------------------------


def test_range_without_bounds_is_squiggle_lognormal():
    spec = parse("$25,000 to $40,000")
    # mu = (ln a + ln b)/2, sigma = (ln b - ln a)/(2 z95)
    sigma = math.log(40_000 / 25_000) / (2 * Z95)
    reference = stats.lognorm(s=sigma, scale=math.sqrt(25_000 * 40_000))
    assert isinstance(spec, LogNormal)
    assert spec.sigma == pytest.approx(sigma, rel=1e-12)
    assert spec.mu == pytest.approx(math.log(math.sqrt(25_000 * 40_000)), rel=1e-12)
    np.testing.assert_allclose(spec.ppf(P5_P95), reference.ppf(P5_P95), rtol=1e-12)
    np.testing.assert_allclose(reference.ppf(P5_P95), [25_000, 40_000], rtol=1e-12)


@pytest.mark.parametrize("text", ["2B to 3B", "2,000,000,000 to 3,000,000,000", "2e9 to 3e9"])
def test_range_with_suffixes_on_a_positive_node(text):
    spec = parse(text, bounds=POSITIVE)  # (0, inf): the lognormal already fits
    reference = stats.lognorm(s=math.log(1.5) / (2 * Z95), scale=math.sqrt(6e18))
    assert isinstance(spec, LogNormal)
    np.testing.assert_allclose(spec.ppf(P5_P95), reference.ppf(P5_P95), rtol=1e-12)
    np.testing.assert_allclose(spec.ppf(P5_P95), [2e9, 3e9], rtol=1e-12)


@pytest.mark.parametrize("text", ["35% to 45%", "0.35 to 0.45"])
def test_range_on_a_fraction_is_a_beta_on_the_domain(text):
    spec = parse(text, bounds=FRACTION)
    assert isinstance(spec, Beta) and (spec.low, spec.high) == (0.0, 1.0)
    reference = stats.beta(spec.a, spec.b)  # scipy's beta with the fitted shapes
    np.testing.assert_allclose(reference.ppf(P5_P95), [0.35, 0.45], atol=1e-9)
    np.testing.assert_allclose(spec.ppf(P5_P95), [0.35, 0.45], atol=1e-9)
    # The fit is scipy's: the same shapes solve F(0.35) = 0.05, F(0.45) = 0.95 from afar.
    assert stats.beta.cdf(0.35, spec.a, spec.b) == pytest.approx(0.05, abs=1e-8)
    assert stats.beta.cdf(0.45, spec.a, spec.b) == pytest.approx(0.95, abs=1e-8)
    # Support is the domain: every reachable draw is a fraction (the lognormal "0.35 to
    # 0.45" reached 0.68 at the sampler's extreme uniform; no beta draw can pass 1).
    low, high = reachable_range(spec)
    assert 0 < low and high < 1


def test_range_above_one_is_a_shifted_lognormal():
    spec = parse("1.1 to 1.4", bounds=AT_LEAST_ONE)
    # 1 + lognormal with P5 = 0.1 and P95 = 0.4: s = ln 4 / (2 z95), scale = sqrt(0.04)
    reference = stats.lognorm(s=math.log(4) / (2 * Z95), loc=1.0, scale=0.2)
    assert isinstance(spec, ScipyFamily) and spec.family == "lognorm"
    np.testing.assert_allclose(spec.ppf(P5_P95), reference.ppf(P5_P95), rtol=1e-12)
    np.testing.assert_allclose(spec.ppf(P5_P95), [1.1, 1.4], rtol=1e-12)
    assert reachable_range(spec)[0] >= 1.0


def test_interval_table_without_dist_follows_the_domain():
    spec = parse({"interval": "35% to 45%"}, bounds=FRACTION)
    assert isinstance(spec, Beta)
    np.testing.assert_allclose(stats.beta(spec.a, spec.b).ppf(P5_P95), [0.35, 0.45], atol=1e-9)
    assert parse({"interval": ["35%", "45%"]}, bounds=FRACTION) == spec
    eighty = parse({"interval": "35% to 45%", "credibility": 0.8}, bounds=FRACTION)
    np.testing.assert_allclose(
        stats.beta(eighty.a, eighty.b).ppf([0.1, 0.9]), [0.35, 0.45], atol=1e-9
    )
    # An explicit family is kept as written.
    assert isinstance(
        parse({"dist": "lognormal", "interval": "0.35 to 0.45"}, bounds=FRACTION), LogNormal
    )


# --- "m ± s" ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["0.40 ± 0.03", "0.40 +- 0.03", "0.40+-0.03", "40% ± 3%"])
def test_plus_minus_is_a_normal(text):
    spec = parse(text)
    assert spec == Normal(mean=0.40, sd=0.03)
    np.testing.assert_allclose(spec.ppf(P5_P95), stats.norm(0.40, 0.03).ppf(P5_P95), rtol=1e-12)


@pytest.mark.parametrize(("mean", "sd"), [(0.40, 0.03), (0.9, 0.1)])
def test_plus_minus_on_a_fraction_is_a_truncated_normal(mean, sd):
    spec = parse(f"{mean} ± {sd}", bounds=FRACTION)
    assert spec == TruncatedNormal(mean=mean, sd=sd, low=0.0, high=1.0)
    reference = stats.truncnorm(-mean / sd, (1 - mean) / sd, loc=mean, scale=sd)
    u = np.array([0.01, 0.05, 0.5, 0.95, 0.99])
    np.testing.assert_allclose(spec.ppf(u), reference.ppf(u), rtol=1e-12)
    assert reachable_range(spec)[1] <= 1.0


def test_plus_minus_on_a_positive_node_is_truncated_at_zero():
    spec = parse("$30,000 ± $3,000", bounds=POSITIVE)
    assert isinstance(spec, Truncated) and spec.base == Normal(mean=30_000, sd=3_000)
    reference = stats.truncnorm(-10.0, math.inf, loc=30_000, scale=3_000)
    np.testing.assert_allclose(spec.ppf(P5_P95), reference.ppf(P5_P95), rtol=1e-12)


# --- bad forms --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "bounds", "message"),
    [
        ("35% to", None, r"expected a number .*; got '35% to'"),
        ("$-5", None, r"got '\$-5'"),
        ("2X", None, r"got '2X'"),
        ("1e3k", None, r"got '1e3k'"),
        ("1,00", None, r"got '1,00'"),
        ("0.4 ± -0.1", None, r"'mean ± sd' needs sd > 0; got sd=-0.1"),
        ("1.5 ± 0.1", FRACTION, r"needs the mean inside \[0, 1\]; got mean=1.5"),
        ("35% to 0.45", None, r"write both numbers as percentages or neither"),
        ("45% to 35%", None, r"'low to high' needs low < high"),
        ("0.9 to 1.2", AT_LEAST_ONE, r"an interval above 1 needs values > 1; got 0.9, 1.2"),
        ("2B to 3B", FRACTION, r"beta needs percentiles inside \(low, high\)"),
    ],
)
def test_bad_forms_are_refused(text, bounds, message):
    with pytest.raises(DistributionError, match=message):
        parse(text, bounds=bounds)


CONFIG = "configs/llama-3.1-405b.toml"
#: The default before [[phases]] (a plain mfu to --set).
SINGLE = "tests/data/single_phase.toml"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("mfu=35% to", r"inputs\.mfu: expected a number .*got '35% to'"),
        ("gpu_price_usd=$-5", r"inputs\.gpu_price_usd: expected a number .*got '\$-5'"),
        ("n_gpus=2X", r"inputs\.n_gpus: expected a number .*got '2X'"),
        ("mfu=0.4 ± -0.1", r"inputs\.mfu: 'mean ± sd' needs sd > 0; got sd=-0.1"),
        ("mfu=150%", r"inputs\.mfu: must be \(0, 1\]; got 1\.5"),
        ("pue=0.9 to 1.2", r"inputs\.pue: an interval above 1 needs values > 1"),
    ],
)
def test_bad_forms_exit_2_with_one_line(override, message, capsys):
    from conftest import REPO

    assert main(["validate", str(REPO / CONFIG), "--set", override]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert re.search(message, err), err


def test_bad_form_in_a_file_names_the_field(write_config, capsys):
    from conftest import MINIMAL

    path = write_config(MINIMAL.replace("n_gpus = 512", 'n_gpus = "512X"'))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.search(r"scenario\.toml: inputs\.n_gpus: .*'512X'", err)


# --- scenario files and --set ------------------------------------------------------------


def test_forms_in_a_scenario_file(write_config):
    from conftest import MINIMAL

    text = (
        MINIMAL.replace("n_params = 7e9", 'n_params = "7B"')
        .replace("n_tokens = 1e12", 'n_tokens = "1T"')
        .replace("n_gpus = 512", 'n_gpus = "512"')
        .replace('mfu = { dist = "pert", low = 0.3, mode = 0.4, high = 0.5 }', 'mfu = "35% to 45%"')
        .replace("gpu_price_usd = 30000", 'gpu_price_usd = "$25,000 to $40,000"')
        .replace("overhead_capex_ratio = 0.5", 'overhead_capex_ratio = "50%"')
        + '\n[inputs.goodput]\nvalue = "0.95 ± 0.02"\nsource = "typed"\n'
    )
    inputs = load_scenario(write_config(text)).inputs
    assert inputs["n_params"].dist == Fixed(7e9)
    assert inputs["n_tokens"].dist == Fixed(1e12)
    assert inputs["n_gpus"].dist == Fixed(512.0)
    assert inputs["overhead_capex_ratio"].dist == Fixed(0.5)
    assert isinstance(inputs["mfu"].dist, Beta)
    assert isinstance(inputs["gpu_price_usd"].dist, LogNormal)
    assert inputs["goodput"].dist == TruncatedNormal(mean=0.95, sd=0.02, low=0.0, high=1.0)
    assert inputs["goodput"].source == "typed"


def test_set_percent_range_end_to_end(tmp_path, capsys):
    from conftest import REPO

    out = tmp_path / "r"
    args = ["run", str(REPO / SINGLE), "--draws", "4000", "--seed", "3", "--quiet"]
    code = main([*args, "--no-plots", "--out", str(out), "--set", "mfu=35% to 45%"])
    assert code == 0, capsys.readouterr().err
    mfu = json.loads((out / "summary.json").read_text())["variables"]["mfu"]
    assert mfu["distribution"].startswith("beta(") and "90% in 0.35 to 0.45" in mfu["distribution"]
    a, b = (float(x) for x in re.findall(r"[ab]=([\d.]+)", mfu["distribution"])[:2])
    reference = stats.beta(a, b)
    # The sample mean of 4,000 draws lies within 4 standard errors of the beta's mean.
    assert abs(mfu["mean"] - reference.mean()) < 4 * reference.std() / math.sqrt(4000)


# --- show: P1/P50/P99 from the quantile function -------------------------------------------


def _row(text: str, name: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(name + " "))
    return re.split(r"\s{2,}", line)


def test_show_prints_exact_percentiles(capsys):
    from conftest import REPO

    sets = ["--set", "mfu=35% to 45%", "--set", "goodput=0.9 ± 0.05", "--set", "pue=1.1 to 1.4"]
    assert main(["show", str(REPO / SINGLE), *sets]) == 0
    text = capsys.readouterr().out
    header = _row(text, "input")
    at = header.index("P1")
    assert header[at : at + 3] == ["P1", "P50", "P99"]
    u = [0.01, 0.5, 0.99]
    references = {
        "goodput": stats.truncnorm(-0.9 / 0.05, 0.1 / 0.05, loc=0.9, scale=0.05),
        "pue": stats.lognorm(s=math.log(4) / (2 * Z95), loc=1.0, scale=0.2),
    }
    row = _row(text, "mfu")
    a, b = (float(x) for x in re.findall(r"[ab]=([\d.]+)", row[2])[:2])
    references["mfu"] = stats.beta(a, b)
    for name, reference in references.items():
        row = _row(text, name)
        printed = [float(cell.replace(",", "")) for cell in row[at : at + 3]]
        # printed with 4 significant digits: within half a unit of the 4th digit
        np.testing.assert_allclose(printed, reference.ppf(u), rtol=5e-4, err_msg=name)
    assert _row(text, "n_params")[at : at + 3] == ["-", "-", "-"]  # a constant
    assert "P1, P50, P99: " in text.splitlines()[-1]


# --- sensitivity --analysis, --method the sampling design -----------------------------------


def test_sensitivity_analysis_flag_and_method_as_sampling(write_config, tmp_path, capsys):
    out = tmp_path / "s"
    args = ["sensitivity", str(write_config()), "--analysis", "shapley", "--method", "lhs"]
    assert main([*args, "--draws", "1000", "--out", str(out), "--quiet", "--no-plots"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["provenance"]["method"] == "lhs"
    assert "shapley" in summary["sensitivity"]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--method", "shapley"], r"--method is the sampling design .*--analysis shapley"),
        (["--method", "rank"], r"--method is the sampling design .*--analysis rank"),
        (["--method", "sobol"], r"--method is now the sampling design.*--analysis sobol"),
        (["--sampling", "lhs"], r"unrecognized arguments: --sampling lhs"),
        (["--analysis", "lhs"], r"argument --analysis: invalid choice: 'lhs'"),
    ],
)
def test_sensitivity_old_flags_get_one_line(flags, message, write_config, tmp_path, capsys):
    out = tmp_path / "never"
    try:  # argparse exits on a bad flag; a refused combination returns
        code = main(["sensitivity", str(write_config()), *flags, "--out", str(out)])
    except SystemExit as stop:
        code = stop.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.search(message, err), err
    assert not out.exists()


def test_sensitivity_sobol_draws_with_sobol_analysis(write_config, tmp_path):
    out = tmp_path / "s"
    args = ["sensitivity", str(write_config()), "--method", "sobol", "--analysis", "sobol"]
    assert main([*args, "--draws", "1024", "--sobol-draws", "256", "--out", str(out),
                 "--quiet", "--no-plots"]) == 0  # fmt: skip
    summary = json.loads((out / "summary.json").read_text())
    assert summary["provenance"]["method"] == "sobol" and "sobol" in summary["sensitivity"]


# --- numbers wherever specs are taken -------------------------------------------------------

SPECS = {"a": Uniform(low=1.0, high=2.0), "b": 3.0, "c": Uniform(low=0.0, high=1.0)}


def _model(x):
    return {"y": x["a"] * x["b"] + x["c"]}


def test_sample_takes_numbers():
    draws = sample({"a": Uniform(low=1.0, high=2.0), "b": 3, "c": np.float64(0.5)}, 10, seed=1)
    assert set(draws) == {"a"}  # constants are fixed: not drawn


def test_sensitivity_functions_take_numbers():
    draws = sample(SPECS, 2000, seed=1)
    draws["y"] = 3.0 * draws["a"] + draws["c"]
    ranked = sensitivity.rank_correlations(draws, SPECS, outputs=["y"])
    rows = {row["input"]: row for row in ranked["outputs"]["y"]["inputs"]}
    assert set(rows) == {"a", "c"}  # the constant b is never ranked
    rho = mid_cdf_rho_reference(SPECS["a"], draws["a"], draws["y"])  # tests/conftest.py
    assert rows["a"]["spearman"]["value"] == pytest.approx(rho, abs=1e-9)
    # tornado: y = 3a + c, a from P10 = 1.1 to P90 = 1.9: swing 3 * 0.8 = 2.4
    swing = sensitivity.tornado(_model, SPECS, outputs=["y"])["outputs"]["y"]["inputs"][0]
    assert swing["input"] == "a" and swing["swing"] == pytest.approx(2.4, rel=1e-12)
    # Shapley effect of a: Var(3a) / Var(3a + c) = (9/12) / (10/12) = 0.9, in its interval
    effects = shapley_effects(_model, SPECS, outputs=["y"], seed=1)["outputs"]["y"]["inputs"]
    share = next(row for row in effects if row["input"] == "a")["shapley"]
    assert share["low"] <= 0.9 <= share["high"]
    indices = sensitivity.sobol(_model, SPECS, outputs=["y"], n=256, seed=1)
    assert {row["input"] for row in indices["outputs"]["y"]["inputs"]} == {"a", "c"}
    assert "tornado" in sensitivity.analyze(_model, SPECS, draws, outputs=["y"])


@pytest.mark.parametrize("bad", [True, "3", None])
def test_specs_refuse_what_is_not_a_number(bad):
    with pytest.raises(DistributionError, match=r"rank_correlations needs specs of "
                       r"distributions or numbers .*got b="):  # fmt: skip
        sensitivity.rank_correlations({"a": np.arange(10.0)}, {**SPECS, "b": bad}, outputs=[])


# --- no module switches the matplotlib backend ---------------------------------------------


def test_no_module_calls_matplotlib_use():
    from conftest import REPO

    pattern = re.compile(r"\b(matplotlib|mpl)\.use\(|switch_backend|rcParams\[.backend.\]")
    for folder in ("simulate", "distributions"):
        for path in (REPO / folder).rglob("*.py"):
            assert not pattern.search(path.read_text(encoding="utf-8")), path


@pytest.mark.slow  # a subprocess running a whole report with its plots: about 12 s
def test_a_whole_report_leaves_the_user_backend(tmp_path):
    from conftest import REPO

    code = (
        "import matplotlib; matplotlib.use('svg')\n"
        "import simulate\n"
        "from simulate.cli import main\n"
        f"assert main(['run', {str(REPO / CONFIG)!r}, '--draws', '2000', '--quiet', "
        f"'--out', {str(tmp_path / 'r')!r}]) == 0\n"
        "print(matplotlib.get_backend())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "svg"
    assert any((tmp_path / "r").glob("*.png"))  # the plots were drawn
