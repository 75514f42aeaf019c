"""Every numeric command-line option is range-checked at parse time: one line, exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from simulate.cli import main

WHOLE_1 = "needs a whole number >= 1"
POWER_2 = r"needs a power of 2 >= 2 \(e\.g\. 8192\)"
CASES = [
    (["run", "--draws", "0"], "--draws", WHOLE_1, "0"),
    (["run", "--draws", "-3"], "--draws", WHOLE_1, "-3"),
    (["validate", "x.toml", "--draws", "2.5"], "--draws", WHOLE_1, "'2.5'"),
    (["run", "--seed", "-1"], "--seed", "needs a whole number >= 0", "-1"),
    (["run", "--max-draws", "0"], "--max-draws", WHOLE_1, "0"),
    (["run", "--max-draws", "-7"], "--max-draws", WHOLE_1, "-7"),
    (["run", "--chunk-draws", "0"], "--chunk-draws", WHOLE_1, "0"),
    (["run", "--workers", "0"], "--workers", WHOLE_1, "0"),
    (["run", "--workers", "two"], "--workers", WHOLE_1, "'two'"),
    (["run", "--precision", "0"], "--precision", r"needs a number in \(0, 1\)", "0"),
    (["run", "--precision", "1"], "--precision", r"needs a number in \(0, 1\)", "1"),
    (["run", "--precision", "-0.1"], "--precision", r"needs a number in \(0, 1\)", "-0.1"),
    (["run", "--precision", "nan"], "--precision", r"needs a number in \(0, 1\)", "nan"),
    (
        ["sensitivity", "--sobol-draws", "0"],
        "--sobol-draws",
        POWER_2,
        "'0'",
    ),
    (
        ["sensitivity", "--sobol-draws", "-5"],
        "--sobol-draws",
        POWER_2,
        "'-5'",
    ),
    (
        ["sensitivity", "--sobol-draws", "1"],
        "--sobol-draws",
        POWER_2,
        "'1'",
    ),
    (
        ["sensitivity", "--sobol-draws", "3000"],
        "--sobol-draws",
        POWER_2,
        "'3000'",
    ),
    (["compare", "a.toml", "b.toml", "--seed", "-2"], "--seed", "needs a whole number >= 0", "-2"),
]


@pytest.mark.parametrize(("argv", "flag", "rule", "got"), CASES)
def test_out_of_range_option_is_one_line_exit_2(capsys, tmp_path, argv, flag, rule, got):
    with pytest.raises(SystemExit) as caught:
        main([*argv, "--out", str(tmp_path / "r")] if argv[0] == "run" else argv)
    assert caught.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    import re

    assert re.fullmatch(
        rf"error: python -m simulate {argv[0]}: argument {flag}: {rule}; got {re.escape(got)}",
        lines[0],
    ), lines[0]
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["sensitivity", "--sobol-draws", "0"],
        ["sensitivity", "--sobol-draws", "-5"],
        ["run", "--max-draws", "0", "--precision", "0.01"],
    ],
)
def test_subprocess_no_traceback(tmp_path, argv):
    done = subprocess.run(
        [sys.executable, "-m", "simulate", *argv, "--out", str(tmp_path / "r")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert not (tmp_path / "r").exists()


def test_in_range_values_are_accepted(capsys):
    from simulate.cli import _parser

    args = _parser().parse_args(
        [
            "run",
            "--draws",
            "1",
            "--seed",
            "0",
            "--max-draws",
            "1",
            "--chunk-draws",
            "1",
            "--workers",
            "1",
            "--precision",
            "0.5",
        ]
    )
    assert (args.draws, args.seed, args.max_draws, args.chunk_draws, args.workers) == (
        1,
        0,
        1,
        1,
        1,
    )
    assert args.precision == 0.5
    sens = _parser().parse_args(["sensitivity", "--sobol-draws", "2"])
    assert sens.sobol_draws == 2
