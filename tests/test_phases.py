"""Multi-phase runs ([[phases]]): sums by hand, per-phase inputs drawn, ranked and saved,
chunked == in memory, the default scenario's attention FLOPs, and bad phase specs."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest
import xarray as xr

import simulate
from simulate.cli import main
from simulate.engine.chunked import run_chunked
from simulate.model.catalog import CONFIG_DIR
from simulate.report.summary import build_summary
from simulate.scenario.config import ConfigError

DEFAULT = CONFIG_DIR / "llama-3.1-405b.toml"

# Two phases, every value fixed, so each node can be computed by hand below.
TWO_PHASES = """
[scenario]
name = "two-phases"
draws = 3
views = ["tco", "amortized", "rental"]

[inputs]
n_params = 1e9
n_layers = 10
d_model = 1000
gpu_peak_flop_per_s = 1e15
goodput = 0.8
gpu_price_usd = 10000
overhead_capex_ratio = 0.5
gpu_tdp_w = 500
power_overhead_factor = 1.5
electricity_usd_per_kwh = 0.1
rental_usd_per_gpu_hour = 2.0
hardware_life_years = 4
{base}

[[phases]]
name = "short"
{tokens_a}
n_gpus = 100
mfu = 0.5
seq_len = 1000

[[phases]]
name = "long"
{tokens_b}
n_gpus = 200
mfu = 0.4
seq_len = 4000
"""


def _two_phases(tmp_path, *, shares: bool = False, extra: str = "") -> simulate.Scenario:
    text = TWO_PHASES.format(
        base="n_tokens = 3e12" if shares else "",
        tokens_a="token_share = 0.25" if shares else "n_tokens = 0.75e12",
        tokens_b="token_share = 0.75" if shares else "n_tokens = 2.25e12",
    )
    path = tmp_path / "two.toml"
    path.write_text(text + extra)
    return simulate.load_scenario(path)


# By hand (PaLM App. B: FLOP a token = 6N + 12·L·d·T; days = FLOP / (GPUs·peak·MFU·goodput)):
# short: 6e9 + 12·10·1000·1000 = 6.12e9 FLOP/token x 0.75e12 = 4.59e21 FLOP;
#        4.59e21 / (100 · 1e15 · 0.5 · 0.8) = 1.1475e5 s = 1.328125 d
# long:  6e9 + 12·10·1000·4000 = 6.48e9 FLOP/token x 2.25e12 = 1.458e22 FLOP;
#        1.458e22 / (200 · 1e15 · 0.4 · 0.8) = 2.278125e5 s = 2.63671875 d
SHORT_DAYS = 4.59e21 / (100 * 1e15 * 0.5 * 0.8) / 86_400
LONG_DAYS = 1.458e22 / (200 * 1e15 * 0.4 * 0.8) / 86_400


def _check_by_hand(ds: xr.Dataset) -> None:
    def at(name: str) -> float:
        return float(ds[name].values[0])

    assert SHORT_DAYS == pytest.approx(1.328125, rel=1e-15)
    assert LONG_DAYS == pytest.approx(2.63671875, rel=1e-15)
    days = SHORT_DAYS + LONG_DAYS
    gpu_hours = 100 * 24 * SHORT_DAYS + 200 * 24 * LONG_DAYS  # each phase at its own GPUs
    # energy: GPUs · 500 W · 1.5 / 1e6 MW · 24 h a day, per phase
    energy_mwh = (100 * 500 * 1.5 / 1e6 * 24) * SHORT_DAYS + (
        200 * 500 * 1.5 / 1e6 * 24
    ) * LONG_DAYS
    capex = 200 * 10_000 * 1.5  # the cluster bought: the largest phase's 200 GPUs
    expected = {
        "n_tokens": 3e12,
        "train_flop": 4.59e21 + 1.458e22,
        "train_days": days,
        "gpu_hours": gpu_hours,
        "n_gpus": 200.0,
        "energy_mwh": energy_mwh,
        "energy_cost_usd": energy_mwh * 1000 * 0.1,
        "capex_usd": capex,
        "tco_usd": capex + energy_mwh * 1000 * 0.1,
        "amortized_capex_usd": capex * days / (4 * 365.25),
        "rental_cost_usd": gpu_hours * 2.0,
        "train_days@short": SHORT_DAYS,
        "train_days@long": LONG_DAYS,
        "gpu_hours@long": 200 * 24 * LONG_DAYS,
        "train_flop@short": 4.59e21,
    }
    for name, value in expected.items():
        assert at(name) == pytest.approx(value, rel=1e-12), name
    assert at("goodput") == 0.8  # the shared input, drawn once, not recomputed


def test_two_phases_add_up_as_by_hand(tmp_path):
    _check_by_hand(simulate.run(_two_phases(tmp_path)))


def test_token_shares_give_the_same_run(tmp_path):
    _check_by_hand(simulate.run(_two_phases(tmp_path, shares=True)))


def test_summed_nodes_say_how_they_are_made(tmp_path):
    ds = simulate.run(_two_phases(tmp_path))
    assert ds["train_days"].attrs["formula"].startswith("sum over the phases (short, long)")
    assert ds["n_gpus"].attrs["formula"].startswith("largest of n_gpus@<phase>")
    assert "largest configuration" in ds["n_gpus"].attrs["source"]
    assert ds["mfu@long"].attrs["kind"] == "input"
    assert "mfu" not in ds  # every phase gives its own; the run has none


def test_goodput_given_per_phase_gives_the_runs_effective_goodput(tmp_path):
    scenario = _two_phases(tmp_path)
    text = open(scenario.path).read().replace("goodput = 0.8\n", "")
    text = text.replace("mfu = 0.5\n", "mfu = 0.5\ngoodput = 0.5\n")
    text = text.replace("mfu = 0.4\n", "mfu = 0.4\ngoodput = 1.0\n")
    path = tmp_path / "g.toml"
    path.write_text(text)
    ds = simulate.run(simulate.load_scenario(path))
    # compute days: short 4.59e21 / (100e15 · 0.5) s, long 1.458e22 / (200e15 · 0.4) s;
    # train days: short / 0.5 + long / 1.0; the run's goodput = sum compute / sum train
    short, long = 4.59e21 / (100e15 * 0.5) / 86_400, 1.458e22 / (200e15 * 0.4) / 86_400
    assert float(ds["train_days"][0]) == pytest.approx(short / 0.5 + long, rel=1e-12)
    assert float(ds["goodput"][0]) == pytest.approx(
        (short + long) / (short / 0.5 + long), rel=1e-12
    )
    assert ds["goodput"].attrs["formula"].startswith("sum of compute_days / sum of train_days")


def test_set_a_phase_input_from_the_command_line(tmp_path):
    scenario = _two_phases(tmp_path)
    changed = simulate.load_scenario(scenario.path, ["mfu@long=0.2", "n_gpus@short=50"])
    ds = simulate.run(changed)
    # long: 1.458e22 / (200 · 1e15 · 0.2 · 0.8) s; short: 4.59e21 / (50 · 1e15 · 0.5 · 0.8) s
    days = (1.458e22 / (200e15 * 0.2 * 0.8) + 4.59e21 / (50e15 * 0.5 * 0.8)) / 86_400
    assert float(ds["train_days"][0]) == pytest.approx(days, rel=1e-12)


@pytest.fixture(scope="module")
def default_report(tmp_path_factory):
    scenario = simulate.load_scenario(DEFAULT, draws=2_000)
    out = tmp_path_factory.mktemp("report")
    return scenario, simulate.run_report(scenario, out=out, plots=False, save_draws=True), out


def test_per_phase_inputs_are_drawn_ranked_and_saved(default_report):
    scenario, result, out = default_report
    names = ("mfu@ramp", "mfu@main", "mfu@long_context")
    for name, (low, high) in zip(names, [(0.41, 0.45), (0.39, 0.43), (0.36, 0.40)], strict=True):
        x = result.dataset[name].values
        assert x.min() >= low and x.max() <= high and np.ptp(x) > 0, name
    ranked = result.sensitivity["rank_correlation"]["outputs"]["gpu_hours"]["inputs"]
    order = [row["input"] for row in ranked]
    # log gpu_hours = -log goodput - sum_p w_p log mfu_p + const (w_p: phase p's share of the
    # GPU-time): sd of log goodput, uniform 0.90-0.97, = 0.07 / sqrt(12) / 0.935 = 0.0216; of
    # mfu@main, triangular 0.41 +/- 0.02, = 0.02 / sqrt(6) / 0.41 = 0.0199, times w ~ 0.75
    # = 0.0149; the other phases' under 0.004
    assert order[:2] == ["goodput", "mfu@main"]
    assert set(names) <= set(order)
    with xr.open_dataset(out / "draws.nc") as saved:
        for name in names:
            np.testing.assert_array_equal(saved[name].values, result.dataset[name].values)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["variables"]["mfu@long_context"]["kind"] == "input"
    assert "mfu@main" in (out / "report.md").read_text()


def test_phase_inputs_take_correlations(tmp_path):
    extra = '\n[correlations]\npairs = [["mfu@short", "mfu@long", 0.8]]\n'
    path = tmp_path / "c.toml"
    text = TWO_PHASES.format(base="", tokens_a="n_tokens = 0.75e12", tokens_b="n_tokens = 2.25e12")
    text = text.replace("mfu = 0.5", 'mfu = { dist = "uniform", low = 0.4, high = 0.6 }').replace(
        "mfu = 0.4\n", 'mfu = { dist = "uniform", low = 0.3, high = 0.5 }\n'
    )
    path.write_text(text.replace("draws = 3", "draws = 4000") + extra)
    ds = simulate.run(simulate.load_scenario(path))
    from scipy import stats

    rho = stats.spearmanr(ds["mfu@short"].values, ds["mfu@long"].values).statistic
    # Gaussian copula: Spearman = 6/pi · asin(0.8/2) = 0.786; SE ~ 0.6/sqrt(4000) ~ 0.01
    assert rho == pytest.approx(6 / np.pi * np.arcsin(0.4), abs=0.04)


def test_chunked_equals_in_memory_for_a_phased_scenario():
    scenario = simulate.load_scenario(DEFAULT)
    expected = build_summary(simulate.run(scenario, draws=3_000), scenario)
    for chunk in (700, 3_000):
        got = build_summary(run_chunked(scenario, chunk_draws=chunk, draws=3_000), scenario)
        assert list(got["variables"]) == list(expected["variables"])
        for name, variable in expected["variables"].items():
            assert got["variables"][name]["percentiles"] == variable["percentiles"], name


def test_default_counts_attention_in_palm_convention():
    ds = simulate.run(simulate.load_scenario(DEFAULT), draws=2)
    # Llama 3 405B (Table 3): N = 405e9, L = 126, d_model = 16,384; PaLM App. B:
    # FLOP a token = 6N + 12·L·d·T, T = 8,192 in 'main' (11.93T tokens), 131,072 in
    # 'long_context' (0.8T tokens)
    per_token_8k = 6 * 405e9 + 12 * 126 * 16_384 * 8_192  # 2.43e12 + 2.0293e11
    per_token_128k = 6 * 405e9 + 12 * 126 * 16_384 * 131_072  # 2.43e12 + 3.2469e12
    assert float(ds["train_flop@main"][0]) == pytest.approx(per_token_8k * 11.93e12, rel=1e-14)
    assert float(ds["train_flop@long_context"][0]) == pytest.approx(
        per_token_128k * 0.8e12, rel=1e-14
    )
    assert float(ds["n_tokens"][0]) == pytest.approx(15.6e12, rel=1e-14)
    assert float(ds["n_gpus"][0]) == 16_384


def test_default_goodput_is_the_papers_and_the_model_card_sets_no_prior(default_report):
    scenario, result, out = default_report
    goodput = scenario.inputs["goodput"]
    assert goodput.dist.ppf(0.0) == pytest.approx(0.90)  # "higher than 90%" (Sec. 3.3.4)
    assert "model card" not in goodput.source.lower() and "gpu-hours" not in goodput.source.lower()
    (entry,) = result.summary["compare_to"]
    assert entry["informs_prior"] == []
    text = (out / "report.md").read_text()
    published = text[text.index("## Published values") :].splitlines()
    row = next(line for line in published if line.startswith("| gpu_hours |"))
    assert "| no |" in row


BAD = [
    ("unknown", 'name = "a"\nn_tokens = 1e12\nwidth = 3', r"phases\.a\.width: unknown field"),
    (
        "run-level",
        'name = "a"\nn_tokens = 1e12\ngpu_price_usd = 3',
        r"phases\.a\.gpu_price_usd: is the whole run's",
    ),
    (
        "both",
        'name = "a"\nn_tokens = 1e12\ntoken_share = 1.0',
        r"phases\.a: give n_tokens or token_share, not both; "
        r"got n_tokens=1000000000000\.0, token_share=1\.0",
    ),
    ("neither", 'name = "a"', r"phases\.a: needs n_tokens or token_share; got neither"),
    (
        "bad-name",
        'name = "long-context"\nn_tokens = 1e12',
        r"phases\[0\]\.name: must be a letter then up to 39 letters, digits or '_'; "
        r"got 'long-context'",
    ),
    ("at-name", 'name = "a@b"\nn_tokens = 1e12', r"phases\[0\]\.name: must be a letter"),
    (
        "bad-share",
        'name = "a"\ntoken_share = 1.5',
        r"phases\.a\.token_share: must be a number in \(0, 1\]; got 1\.5",
    ),
    ("bad-value", 'name = "a"\nn_tokens = 1e12\nmfu = 1.5', r"phases\.a\.mfu: must be"),
]


@pytest.mark.parametrize(("case", "table", "message"), BAD, ids=[c[0] for c in BAD])
def test_bad_phase_is_one_line_naming_file_field_rule_value(tmp_path, case, table, message):
    path = tmp_path / "bad.toml"
    body = TWO_PHASES.split("[[phases]]")[0].format(base="")
    rest = "\nn_gpus = 8\n" + ("" if "mfu" in table else "mfu = 0.4\n")
    path.write_text(body + "[[phases]]\n" + table + rest)
    with pytest.raises(ConfigError, match=rf"^{path}: {message}"):
        simulate.load_scenario(path)


def _phases(*tables: str) -> str:
    return "".join(
        "\n[[phases]]\n" + textwrap.dedent(t) + "n_gpus = 8\nmfu = 0.4\n" for t in tables
    )


@pytest.mark.parametrize(
    ("base", "tables", "message"),
    [
        (
            "",
            ('name = "a"\nn_tokens = 1e12\n', 'name = "a"\nn_tokens = 1e12\n'),
            r"phases\[1\]\.name: must differ from every other phase's; got 'a' "
            r"\(also phases\[0\]\)",
        ),
        (
            "n_tokens = 1e12",
            ('name = "a"\ntoken_share = 0.5\n', 'name = "b"\ntoken_share = 0.4\n'),
            r"phases\.token_share: must sum to 1; got 0\.9 \(a=0\.5, b=0\.4\)",
        ),
        (
            "n_tokens = 1e12",
            ('name = "a"\ntoken_share = 0.5\n', 'name = "b"\nn_tokens = 1e12\n'),
            r"phases: every phase gives token_share or every phase gives n_tokens",
        ),
        (
            "n_tokens = 1e12",
            ('name = "a"\nn_tokens = 1e12\n',),
            r"inputs\.n_tokens: every phase gives its own n_tokens",
        ),
        (
            "",
            ('name = "a"\ntoken_share = 1.0\n',),
            r"inputs\.n_tokens: the phases give token_share",
        ),
    ],
)
def test_bad_phase_set(tmp_path, base, tables, message):
    path = tmp_path / "bad.toml"
    path.write_text(TWO_PHASES.split("[[phases]]")[0].format(base=base) + _phases(*tables))
    with pytest.raises(ConfigError, match=rf"^{path}: {message}"):
        simulate.load_scenario(path)


def test_missing_input_names_the_phase(tmp_path):
    path = tmp_path / "bad.toml"
    body = TWO_PHASES.split("[[phases]]")[0].format(base="")
    path.write_text(body + '[[phases]]\nname = "a"\nn_tokens = 1e12\nn_gpus = 8\n')
    with pytest.raises(
        ConfigError, match=rf"^{path}: phases\.a: missing mfu \[1\] \(needed for compute_days\)"
    ):
        simulate.load_scenario(path)


def test_set_a_field_of_a_phase_input(tmp_path):
    scenario = simulate.load_scenario(DEFAULT, ["mfu@main.high=0.44", "phases.ramp.mfu.low=0.40"])
    assert scenario.inputs["mfu@main"].dist.ppf(1.0) == pytest.approx(0.44)
    assert scenario.inputs["mfu@ramp"].dist.ppf(0.0) == pytest.approx(0.40)


def test_an_input_every_phase_replaces_is_refused(tmp_path):
    # --set n_gpus=24576 on the default scenario would otherwise change nothing
    with pytest.raises(
        ConfigError,
        match=rf"^{DEFAULT}: inputs\.n_gpus: every phase gives its own \(n_gpus@ramp, n_gpus@main, "
        r"n_gpus@long_context\), so this value would be unused; .*got 24576",
    ):
        simulate.load_scenario(DEFAULT, ["n_gpus=24576"])


def test_a_phase_input_under_inputs_says_where_it_goes(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text(
        open(_two_phases(tmp_path).path)
        .read()
        .replace("n_params = 1e9", '"mfu@long" = 0.3\nn_params = 1e9')
    )
    with pytest.raises(
        ConfigError,
        match=rf"^{path}: inputs\.mfu@long: a phase\'s input is given in its \[\[phases\]\] table "
        r'\(name = "long", mfu = \.\.\.\); got it under \[inputs\]',
    ):
        simulate.load_scenario(path)


def test_set_on_an_unknown_phase(tmp_path):
    scenario = _two_phases(tmp_path)
    with pytest.raises(
        ConfigError, match=r"--set mfu@middle: no phase named 'middle'; phases: short, long"
    ):
        simulate.load_scenario(scenario.path, ["mfu@middle=0.3"])


def test_bad_informs_prior(tmp_path):
    scenario = _two_phases(tmp_path)
    reference = '\n[[scenario.compare_to]]\nnode = "gpu_hours"\nvalue = 1e4\nsource = "x"\n'
    path = tmp_path / "x.toml"
    path.write_text(open(scenario.path).read() + reference + "informs_prior = true\n")
    with pytest.raises(
        ConfigError,
        match=rf"^{path}: scenario.compare_to\[0\]\.informs_prior: must be false or a list of "
        r"the inputs whose priors this figure was used to set .*; got True",
    ):
        simulate.load_scenario(path)
    path.write_text(open(scenario.path).read() + reference + 'informs_prior = ["goodput"]\n')
    assert simulate.load_scenario(path).compare_to[0].informs_prior == ("goodput",)


def test_cli_bad_phase_exits_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    body = TWO_PHASES.split("[[phases]]")[0].format(base="")
    path.write_text(
        body + '[[phases]]\nname = "a"\nn_tokens = 1e12\ntoken_share = 1.0\nn_gpus = 8\nmfu = 0.4\n'
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "phases.a: give n_tokens or token_share, not both" in err
