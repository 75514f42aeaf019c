"""Input files are read bounded and regular-file-only; malformed ones give one line, exit 2.

Scenario files and empirical CSVs: no devices, FIFOs or folders, at most 64 MiB, UTF-8
text (a byte-order mark is dropped), errors that name lines and never the file's
content. Also: ragged correlation matrices, nesting limits, slow scipy families.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import simulate
from distributions import Correlations, DistributionError, Empirical, Normal, as_correlations, parse
from distributions.files import MAX_INPUT_BYTES, read_regular_file
from distributions.mixture import MAX_NESTING, Mixture
from distributions.scipy_bridge import ScipyFamily, seconds_per_draw
from simulate.cli import main
from simulate.scenario.config import ConfigError
from tests.conftest import MINIMAL

#: Inputs of MINIMAL without mfu, which each test gives.
BASE = MINIMAL.replace('mfu = { dist = "pert", low = 0.3, mode = 0.4, high = 0.5 }\n', "")


def _scenario(tmp_path: Path, mfu: str, *, extra: str = "", name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = BASE.replace("[inputs]\n", f"[inputs]\nmfu = {mfu}\n") + extra
    path.write_text(text, encoding="utf-8")
    return path


def _empirical(tmp_path: Path, file: str, column: str = '"mfu"') -> Path:
    return _scenario(tmp_path, f'{{ dist = "empirical", file = {file}, column = {column} }}')


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m simulate ARGS`` in tmp_path; a hang fails the test after 30 s."""
    return subprocess.run(
        [sys.executable, "-m", "simulate", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _one_line_exit_2(done: subprocess.CompletedProcess, pattern: str) -> str:
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr
    assert re.search(pattern, done.stderr), done.stderr
    return done.stderr


# --- empirical CSV files -----------------------------------------------------------------


def test_dev_zero_is_refused_quickly(tmp_path):
    path = _empirical(tmp_path, '"/dev/zero"')
    start = time.monotonic()
    done = _cli(tmp_path, "validate", str(path))
    assert time.monotonic() - start < 30
    _one_line_exit_2(
        done,
        r"s\.toml: inputs\.mfu: empirical cannot read /dev/zero: is a character device; "
        r"only regular files are read",
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_csv_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.csv")
    path = _empirical(tmp_path, '"pipe.csv"')
    _one_line_exit_2(
        _cli(tmp_path, "validate", str(path)),
        r"inputs\.mfu: empirical cannot read .*pipe\.csv: is a FIFO \(named pipe\); "
        r"only regular files are read",
    )


def test_folder_as_csv_is_refused(tmp_path):
    (tmp_path / "data").mkdir()
    with pytest.raises(DistributionError, match=r"data: is a folder; only regular files are read"):
        Empirical.from_csv(tmp_path / "data", "mfu")


def test_binary_csv_is_refused_and_not_echoed(tmp_path):
    (tmp_path / "bin.csv").write_bytes(b"mfu\n0.4\n\x00\x01secret\n")
    path = _empirical(tmp_path, '"bin.csv"')
    err = _one_line_exit_2(
        _cli(tmp_path, "validate", str(path)),
        r"empirical cannot read .*bin\.csv: is binary, not text \(a NUL byte on line 3\)",
    )
    assert "secret" not in err


def test_invalid_utf8_csv_is_refused(tmp_path):
    (tmp_path / "latin.csv").write_bytes(b"mfu\n0.4\n0.5\xe9\n")
    with pytest.raises(
        DistributionError,
        match=r"latin\.csv: is not UTF-8 text \(an invalid byte on line 3\)",
    ):
        Empirical.from_csv(tmp_path / "latin.csv", "mfu")


@pytest.mark.parametrize(
    ("file", "column", "message"),
    [
        ("5", '"mfu"', r"inputs\.mfu: empirical needs file to be a string; got 5"),
        ('"x.csv"', "[1]", r"inputs\.mfu: empirical needs column to be a string; got \[1\]"),
        ("{ a = 1 }", '"mfu"', r"inputs\.mfu: empirical needs file to be a string; got \{'a': 1\}"),
    ],
)
def test_file_and_column_must_be_strings(tmp_path, capsys, file, column, message):
    path = _empirical(tmp_path, file, column)
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    with pytest.raises(ConfigError, match=message):
        simulate.load_scenario(path)


def test_python_api_path_and_column_types(tmp_path):
    with pytest.raises(DistributionError, match=r"empirical needs file to be a path .*; got 5"):
        Empirical.from_csv(5, "mfu")
    (tmp_path / "x.csv").write_text("mfu\n0.4\n0.5\n", encoding="utf-8")
    with pytest.raises(DistributionError, match=r"empirical needs column to be .*; got None"):
        Empirical.from_csv(tmp_path / "x.csv", None)


def test_missing_column_names_the_line_not_the_content(tmp_path):
    (tmp_path / "secret.csv").write_text("s3cr3t:xyzzy\nx\n", encoding="utf-8")
    path = _empirical(tmp_path, '"secret.csv"')
    err = _one_line_exit_2(
        _cli(tmp_path, "validate", str(path)),
        r"empirical needs column 'mfu' in .*secret\.csv; its header \(line 1\) has 1 columns "
        r"and none of that name",
    )
    assert "s3cr3t" not in err and "xyzzy" not in err


def test_bad_cell_names_line_and_column_not_the_content(tmp_path):
    (tmp_path / "x.csv").write_text("run,mfu\na,0.4\nb,top-secret\n", encoding="utf-8")
    with pytest.raises(DistributionError) as caught:
        parse({"dist": "empirical", "file": "x.csv", "column": "mfu"}, base_dir=tmp_path)
    message = str(caught.value)
    assert "top-secret" not in message
    assert "empirical needs numbers in column 'mfu' of" in message
    assert message.endswith("line 3 holds something else there")


def test_malformed_csv_is_one_line(tmp_path):
    # a field over csv's field size limit (131,072 characters) is a csv.Error
    (tmp_path / "x.csv").write_text("mfu\n0.4\n" + "9" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(DistributionError, match=r"x\.csv: not valid CSV on line 3"):
        Empirical.from_csv(tmp_path / "x.csv", "mfu")


def test_csv_over_the_size_cap_is_refused(tmp_path):
    big = tmp_path / "big.csv"
    with big.open("wb") as handle:  # sparse: no disk used
        handle.write(b"mfu\n0.4\n0.5\n")
        handle.truncate(MAX_INPUT_BYTES + 1)
    with pytest.raises(
        DistributionError,
        match=r"big\.csv: is 67,108,865 bytes; the limit is 67,108,864 bytes \(64 MiB\)",
    ):
        Empirical.from_csv(big, "mfu")


def test_read_regular_file_reads_at_most_the_cap(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"a" * 101)
    with pytest.raises(DistributionError, match=r"is 101 bytes; the limit is 100 bytes"):
        read_regular_file(path, limit_bytes=100)
    assert read_regular_file(path, limit_bytes=101) == b"a" * 101


def test_csv_with_byte_order_mark(tmp_path):
    (tmp_path / "x.csv").write_bytes(b"\xef\xbb\xbfmfu\n0.25\n0.5\n")
    assert Empirical.from_csv(tmp_path / "x.csv", "mfu").values == (0.25, 0.5)


def test_relative_csv_is_read_from_the_scenario_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mfu.csv").write_text("mfu\n0.3\n0.4\n0.5\n", encoding="utf-8")
    relative = _scenario(
        tmp_path, '{ dist = "empirical", file = "mfu.csv", column = "mfu" }', name="sub/s.toml"
    )
    done = _cli(tmp_path, "validate", "sub/s.toml")  # cwd holds no mfu.csv
    assert done.returncode == 0, done.stderr
    absolute = str(tmp_path / "sub" / "mfu.csv").replace("\\", "/")
    other = _scenario(
        tmp_path,
        f'{{ dist = "empirical", file = "{absolute}", column = "mfu" }}',
        name="elsewhere/s.toml",
    )
    scenario = simulate.load_scenario(other)
    assert scenario.inputs["mfu"].dist.values == (0.3, 0.4, 0.5)
    assert relative.exists()


# --- the scenario file ---------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_scenario_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe.toml")
    _one_line_exit_2(
        _cli(tmp_path, "validate", "pipe.toml"),
        r"^error: pipe\.toml: is a FIFO \(named pipe\); only regular files are read\n$",
    )


def test_device_scenario_is_refused(tmp_path):
    _one_line_exit_2(
        _cli(tmp_path, "run", "/dev/zero", "--out", str(tmp_path / "r")),
        r"^error: /dev/zero: is a character device; only regular files are read\n$",
    )
    assert not (tmp_path / "r").exists()


def test_folder_scenario_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"is a folder; only regular files are read"):
        simulate.load_scenario(tmp_path)


def test_scenario_over_the_size_cap_is_refused(tmp_path):
    big = tmp_path / "big.toml"
    with big.open("wb") as handle:
        handle.truncate(MAX_INPUT_BYTES + 1)
    with pytest.raises(ConfigError, match=r"big\.toml: is 67,108,865 bytes; the limit is"):
        simulate.load_scenario(big)


def test_scenario_with_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    scenario = simulate.load_scenario(path)
    assert scenario.name == "minimal" and scenario.inputs["n_gpus"].dist.value == 512


def test_binary_scenario_is_one_line(tmp_path):
    (tmp_path / "x.toml").write_bytes(b'[scenario]\nname = "a\x00b"\n')
    _one_line_exit_2(
        _cli(tmp_path, "validate", "x.toml"),
        r"^error: x\.toml: is binary, not text \(a NUL byte on line 2\)\n$",
    )


def test_toml_syntax_error_is_one_line_with_the_file(tmp_path):
    (tmp_path / "x.toml").write_text("[scenario]\nname = \n", encoding="utf-8")
    _one_line_exit_2(
        _cli(tmp_path, "validate", "x.toml"),
        r"^error: x\.toml: TOML syntax error: Invalid value \(at line 2, column 8\)\n$",
    )


# --- correlation matrices -----------------------------------------------------------------

CORRELATED = (
    '\ngoodput = { dist = "uniform", low = 0.8, high = 0.95 }\n[correlations]\n'
    'names = ["mfu", "goodput"]\n'
)


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (
            "[[1, 0.5], [0.5]]",
            r"correlations: a correlation matrix needs 2 numbers in each row; got row 2 "
            r"\(goodput\) with 1 entries",
        ),
        ("[[1, 0.5]]", r"a correlation matrix needs one row per name \(2: mfu, goodput\); got 1"),
        (
            '[[1, "x"], [0.5, 1]]',
            r"a correlation matrix needs numbers; got matrix\[mfu, goodput\]='x'",
        ),
        ("[[1, 0.5], 0.5]", r"needs 2 numbers in each row; got row 2 \(goodput\) = 0\.5"),
        ("[[1, [0.5]], [0.5, 1]]", r"needs numbers; got matrix\[mfu, goodput\]=\[0\.5\]"),
    ],
)
def test_malformed_correlation_matrix_is_one_line(tmp_path, matrix, message):
    path = tmp_path / "c.toml"
    path.write_text(
        MINIMAL.replace("\n[risk]", CORRELATED + f"matrix = {matrix}\n\n[risk]"), encoding="utf-8"
    )
    err = _one_line_exit_2(_cli(tmp_path, "validate", "c.toml"), r"^error: c\.toml: correlations: ")
    assert re.search(message, err), err
    with pytest.raises(ConfigError, match=message):
        simulate.load_scenario(path)


def test_ragged_matrix_in_python():
    with pytest.raises(DistributionError, match=r"needs 2 numbers in each row; got row 2"):
        as_correlations({"names": ["a", "b"], "matrix": [[1, 0.5], [0.5]]})
    with pytest.raises(DistributionError, match=r"needs 2 numbers in each row; got row 2"):
        Correlations(("a", "b"), ((1.0, 0.5), (0.5,)))
    with pytest.raises(DistributionError, match=r"needs a list of names; got 'ab'"):
        Correlations.from_matrix("ab", [[1, 0], [0, 1]])
    good = Correlations.from_matrix(["b", "a"], np.array([[1, 0.25], [0.25, 1]]))
    assert good.pairs() == {("a", "b"): 0.25}


# --- nesting -------------------------------------------------------------------------------


def _nested(depth: int) -> dict:
    value: object = {"dist": "uniform", "low": 0.3, "high": 0.5}
    for _ in range(depth):
        value = {"dist": "mixture", "components": [value, 0.4], "weights": [0.5, 0.5]}
    return value  # type: ignore[return-value]


def _inline(depth: int) -> str:
    text = '{ dist = "uniform", low = 0.3, high = 0.5 }'
    for _ in range(depth):
        text = f'{{ dist = "mixture", components = [{text}, 0.4], weights = [0.5, 0.5] }}'
    return text


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 40, 1000])
def test_deep_mixture_in_toml_is_one_line(tmp_path, depth):
    path = _scenario(tmp_path, _inline(depth))
    done = _cli(tmp_path, "validate", str(path))
    _one_line_exit_2(done, r"s\.toml: (inputs\.mfu: distributions nest at most 8|.*nest)")


def test_deep_mixture_in_python_is_one_error():
    with pytest.raises(DistributionError, match=r"distributions nest at most 8 levels deep"):
        parse(_nested(1000))
    with pytest.raises(ConfigError, match=r"<scenario>: tables and arrays nest at most"):
        simulate.scenario_from_dict({"inputs": {"mfu": _nested(1000)}})
    spec: object = Normal(0, 1)
    with pytest.raises(DistributionError, match=r"mixtures nest at most 8 levels deep.*got 9"):
        for _ in range(1000):
            spec = Mixture(components=(spec, Normal(0, 1)), weights=(0.5, 0.5))


def test_mixture_at_the_nesting_limit_works():
    spec = parse(_nested(MAX_NESTING))
    assert spec.nesting == MAX_NESTING
    # F at 0.4 (the atom): the uniform part puts 0.5 below it, the atom 0.4 takes the rest,
    # halved at each level: F(0.4) = 1 - 0.5**(depth) * 0.5 (uniform mass above 0.4)
    depth = MAX_NESTING
    expected = 1 - 0.5**depth * stats.uniform(0.3, 0.2).sf(0.4)
    assert float(spec.cdf(0.4)) == pytest.approx(expected, rel=1e-12)


# --- slow scipy families -------------------------------------------------------------------

SLOW = '{ dist = "scipy.studentized_range", k = 3, df = 10, loc = 0.3, scale = 0.001 }'


def test_slow_scipy_family_is_warned_about(tmp_path):
    # studentized_range's ppf inverts a numerically integrated cdf: ~60 ms a draw
    path = _scenario(tmp_path, SLOW)
    done = _cli(tmp_path, "validate", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(
        f"warning: {path}: inputs.mfu: scipy.studentized_range(df=10, k=3, loc=0.3, scale=0.001) "
        "takes about "
    )
    assert "2,000 draws would take about" in done.stderr and done.stderr.count("\n") == 1


def test_quiet_run_prints_no_warning(tmp_path, capsys, monkeypatch):
    import simulate.scenario.inputs

    monkeypatch.setattr(simulate.scenario.inputs, "SLOW_RUN_S", 0.0)  # every scipy input "slow"
    path = _scenario(tmp_path, '{ dist = "scipy.beta", a = 2, b = 3, loc = 0.3, scale = 0.2 }')
    args = ["run", str(path), "--draws", "200", "--no-plots", "--out"]
    assert main([*args, str(tmp_path / "quiet"), "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert main([*args, str(tmp_path / "loud")]) == 0
    assert "warning: " in capsys.readouterr().err


def test_fast_scipy_family_is_not_warned_about(tmp_path):
    path = _scenario(tmp_path, '{ dist = "scipy.beta", a = 2, b = 3, loc = 0.3, scale = 0.2 }')
    assert simulate.load_scenario(path).warnings == ()


def test_seconds_per_draw_is_bounded_and_measures():
    slow = ScipyFamily("studentized_range", {"k": 3, "df": 10})
    start = time.perf_counter()
    per_draw_s, timed = seconds_per_draw(slow, budget_s=0.25)
    assert time.perf_counter() - start < 5
    assert 1 <= timed < 64 and per_draw_s > 1e-3
    fast_s, fast_timed = seconds_per_draw(ScipyFamily("weibull_min", {"c": 1.5}))
    assert fast_timed == 64 and fast_s < 1e-3


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_swapped_in_after_the_check_does_not_block(tmp_path, monkeypatch):
    import stat

    import distributions.files

    os.mkfifo(tmp_path / "pipe.csv")
    regular = os.stat_result((stat.S_IFREG | 0o644, 0, 0, 1, 0, 0, 10, 0, 0, 0))
    monkeypatch.setattr(distributions.files.os, "stat", lambda path: regular)  # stale check
    start = time.monotonic()
    with pytest.raises(DistributionError, match=r"pipe\.csv: is a FIFO \(named pipe\)"):
        read_regular_file(tmp_path / "pipe.csv")
    assert time.monotonic() - start < 5
