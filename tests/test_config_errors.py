"""Every bad input: one message naming file, field, rule and value; the CLI exits 2."""

import pytest

import simulate
from simulate.cli import main
from simulate.scenario.config import ConfigError
from tests.conftest import MINIMAL


def _with(overrides: dict[str, str]) -> str:
    """MINIMAL with some ``key = value`` lines replaced (or appended under [inputs])."""
    lines = MINIMAL.splitlines()
    for key, value in overrides.items():
        for i, line in enumerate(lines):
            if line.startswith(f"{key} ="):
                lines[i] = f"{key} = {value}"
                break
        else:
            lines.insert(lines.index("[inputs]") + 1, f"{key} = {value}")
    return "\n".join(lines)


CASES = [
    (
        "unknown input",
        {"n_experts": "8"},
        r"inputs\.n_experts: unknown input or node; known: n_params",
    ),
    (
        "unknown distribution",
        {"mfu": '{ dist = "weibull", low = 1 }'},
        r"inputs\.mfu: unknown distribution 'weibull'; known: fixed, uniform",
    ),
    (
        "unknown accelerator",
        {"accelerator": '"H1000"'},
        r"cluster\.accelerator: unknown accelerator 'H1000'; known: A100-SXM4-40GB",
    ),
    (
        "missing parameter",
        {"mfu": '{ dist = "uniform", low = 0.3 }'},
        r"inputs\.mfu: uniform needs high; got low",
    ),
    (
        "unknown parameter",
        {"mfu": '{ dist = "uniform", low = 0.3, hgih = 0.4 }'},
        r"inputs\.mfu: uniform has no parameter hgih; it takes low, high",
    ),
    (
        "low >= high",
        {"mfu": '{ dist = "uniform", low = 0.43, high = 0.38 }'},
        r"inputs\.mfu: uniform needs low < high; got low=0\.43, high=0\.38",
    ),
    ("mfu above 1", {"mfu": "1.2"}, r"inputs\.mfu: must be \(0, 1\]; got 1\.2"),
    ("mfu zero", {"mfu": "0"}, r"inputs\.mfu: must be \(0, 1\]; got 0"),
    (
        "mfu range above 1",
        {"mfu": '{ dist = "uniform", low = 0.5, high = 1.5 }'},
        r"inputs\.mfu: must lie in \(0, 1\]; uniform\(low=0\.5, high=1\.5\) reaches \[0\.5, 1\.5\] "
        r"and puts probability 0\.5 outside; use a bounded family or truncate it",
    ),
    ("goodput above 1", {"goodput": "1.5"}, r"inputs\.goodput: must be \(0, 1\]; got 1\.5"),
    (
        "negative count",
        {"n_gpus": "-8"},
        r"inputs\.n_gpus: must be a whole number in \[1, inf\); got -8",
    ),
    (
        "fractional count",
        {"n_gpus": "100.5"},
        r"inputs\.n_gpus: must be a whole number in \[1, inf\); got 100\.5",
    ),
    ("zero price", {"gpu_price_usd": "0"}, r"inputs\.gpu_price_usd: must be \(0, inf\); got 0"),
    (
        "negative price",
        {"electricity_usd_per_kwh": "-0.08"},
        r"inputs\.electricity_usd_per_kwh: must be \(0, inf\); got -0\.08",
    ),
    (
        "non-number",
        {"n_params": '"seven billion"'},
        r"inputs\.n_params: expected a number .*, a 90% interval 'low to high' \(P5 to P95"
        r".*got 'seven billion'",
    ),
    ("boolean", {"n_params": "true"}, r"inputs\.n_params: expected a number.*got True"),
    (
        "infinite",
        {"n_params": "inf"},
        r"inputs\.n_params: fixed needs value to be finite; got value=inf",
    ),
    (
        "bad method",
        {"seed": '1\nmethod = "mcmc"'},
        r"scenario\.method: must be one of random, lhs, sobol; got 'mcmc'",
    ),
    ("bad draws", {"draws": "0"}, r"scenario\.draws: must be a whole number >= 1; got 0"),
    ("bad deadline", {"deadline_days": "-3"}, r"risk\.deadline_days: must be a number > 0; got -3"),
    (
        "bad precision",
        {"accelerator": '"V100-SXM2"'},
        r"cluster\.precision: V100-SXM2 has no dense 'bf16' peak in the catalog; known: fp16",
    ),
]


@pytest.mark.parametrize(("case", "overrides", "message"), CASES, ids=[c[0] for c in CASES])
def test_error_message(write_config, case, overrides, message):
    path = write_config(_with(overrides))
    with pytest.raises(ConfigError, match=message) as error:
        simulate.load_scenario(path)
    assert str(error.value).startswith(f"{path}: ")
    assert "\n" not in str(error.value)


def test_missing_input(write_config):
    text = "\n".join(line for line in MINIMAL.splitlines() if not line.startswith("mfu"))
    with pytest.raises(ConfigError, match=r"inputs: missing mfu \[1\] \(needed for compute_days\)"):
        simulate.load_scenario(write_config(text))


def test_unknown_table_and_field(write_config):
    with pytest.raises(ConfigError, match=r"\[input\]: unknown table; known: scenario, cluster"):
        simulate.load_scenario(write_config("[input]\nmfu = 0.4\n"))
    with pytest.raises(ConfigError, match=r"scenario\.draw: unknown field; known: name, draws"):
        simulate.load_scenario(write_config("[scenario]\ndraw = 10\n"))


def test_toml_syntax_error_names_the_line(write_config):
    path = write_config(MINIMAL.replace("n_gpus = 512", "n_gpus = = 512"))
    with pytest.raises(
        ConfigError, match=r"TOML syntax error: Invalid value \(at line 13, column 10\)"
    ):
        simulate.load_scenario(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.toml: no such scenario file"):
        simulate.load_scenario(tmp_path / "nope.toml")


def test_bad_set_override(write_config):
    with pytest.raises(ConfigError, match=r"--set 'mfu': needs NAME=VALUE"):
        simulate.load_scenario(write_config(), ["mfu"])
    with pytest.raises(ConfigError, match=r"--set mfuu: unknown name; give an input"):
        simulate.load_scenario(write_config(), ["mfuu=0.4"])


def test_cli_prints_one_line_exits_2_and_touches_no_report(write_config, tmp_path, capsys):
    out = tmp_path / "report"
    out.mkdir()
    (out / "summary.json").write_text("earlier")
    path = write_config(_with({"mfu": "1.2"}))
    assert main(["run", str(path), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "inputs.mfu: must be (0, 1]; got 1.2" in captured.err
    assert "Traceback" not in captured.err
    assert (out / "summary.json").read_text() == "earlier"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report", "scenario.toml"]


def test_cli_unknown_option_exits_2(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", "--draws", "many"])
    assert stop.value.code == 2
    assert "argument --draws: needs a whole number >= 1; got 'many'" in capsys.readouterr().err


@pytest.mark.parametrize("key", ["accelerator", "precision"])
def test_cluster_names_must_be_text(write_config, key):
    """Found by the fuzz test: --set accelerator=[] reached a dict lookup (unhashable)."""
    with pytest.raises(ConfigError, match=rf"cluster.{key}: must be a catalog name; got \[\]"):
        simulate.load_scenario(write_config(), [f"{key}=[]"])


def test_a_scenario_table_that_is_not_a_table_with_seed_given(write_config):
    """Found by the fuzz test: ``scenario = 5`` with --seed wrote into the number."""
    path = write_config("scenario = 5\n[inputs]\nn_gpus = 512\n")
    with pytest.raises(ConfigError, match=r"scenario: must be a table; got 5"):
        simulate.load_scenario(path, seed=0)
