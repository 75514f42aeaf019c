"""Issue 11, data loss: a run replaces nothing but a report folder of this tool.

Names are names, not paths; --out and --force never touch a folder that is not a report;
staging folders never outlive their run; concurrent writers never see a raw OS error.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from simulate.cli import main
from simulate.report.folder import write_files
from simulate.report.folders import ReportFolderError, SignalGuard
from simulate.scenario.config import ConfigError, load_scenario
from simulate.workflows.compare import compare_folder_name

REPO = Path(__file__).resolve().parent.parent
MARKER = ".llm-cost-mc-report"
FAST = ("--draws", "200", "--no-plots", "--quiet")
# The rule, written out independently of simulate.scenario.config: a folder name, not a path.
SAFE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")
NAME_ERROR = "scenario.name: must be a folder name: 1 to 100 letters, digits"


def _scenario(minimal: str, name: str) -> str:
    return minimal.replace('name = "minimal"', f"name = {json.dumps(name)}")


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes), to check nothing changed."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _one_line_error(capsys, *fragments: str) -> str:
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("error: ")
    assert "Traceback" not in captured.err
    for fragment in fragments:
        assert fragment in captured.err, captured.err
    return captured.err


@pytest.fixture
def victim(tmp_path):
    """A folder that is not a report: what the old code moved aside or deleted."""
    folder = tmp_path / "victim"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "main.py").write_text("print('precious')\n")
    (folder / "notes.txt").write_text("keep me\n")
    return folder


@pytest.fixture
def minimal_text(write_config):
    """The shared minimal scenario's text (named "minimal")."""
    return write_config().read_text()


# --- names -------------------------------------------------------------------------------

BAD_NAMES = ["../x", "", ".", "..", "a/b", ".hidden", "a\x00b", "a b", "x" * 101]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_name_refused_by_load_validate_and_run(name, minimal_text, write_config, tmp_path,
                                                   monkeypatch, capsys):  # fmt: skip
    path = write_config(_scenario(minimal_text, name))
    with pytest.raises(ConfigError, match=re.escape(f"{path}: {NAME_ERROR}")):
        load_scenario(path)
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["validate", str(path)]) == 2
    _one_line_error(capsys, NAME_ERROR)
    assert main(["run", str(path), *FAST, "--force"]) == 2
    _one_line_error(capsys, NAME_ERROR)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no reports/ made


def test_absolute_name_with_force_leaves_the_folder_alone(minimal_text, write_config, victim,
                                                          monkeypatch, capsys):  # fmt: skip
    """The old code wrote the report to the absolute path and, with --force, deleted it."""
    before = _tree(victim)
    path = write_config(_scenario(minimal_text, str(victim)))
    monkeypatch.chdir(path.parent)
    assert main(["run", str(path), *FAST, "--force"]) == 2
    _one_line_error(capsys, NAME_ERROR, repr(str(victim)))
    assert _tree(victim) == before


@pytest.mark.parametrize("name", ["../x", "", ".", "/tmp/x", "a\x00b"])
def test_bad_name_refused_through_set(name, write_config, tmp_path, monkeypatch, capsys):
    path = write_config()
    monkeypatch.chdir(tmp_path)
    for command in ("validate", "run"):
        assert main([command, str(path), "--set", f"name={name}", *FAST[:2]]) == 2
        _one_line_error(capsys, NAME_ERROR)
    assert not (tmp_path / "reports").exists() and not (tmp_path.parent / "x").exists()


def test_set_name_with_a_slash_from_the_command_line(write_config, tmp_path, monkeypatch, capsys):
    """A real user's shell: ``--set name=../x`` (TOML cannot parse it, so it is a bare word)."""
    path = write_config()
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(path), "--set", "name=../escaped", *FAST]) == 2
    _one_line_error(capsys, NAME_ERROR, "'../escaped'")
    assert not (tmp_path.parent / "escaped").exists()


def test_compare_refuses_a_bad_name(minimal_text, write_config, tmp_path, monkeypatch, capsys):
    good = write_config()
    bad = write_config(_scenario(minimal_text, "../other"), name="bad.toml")
    monkeypatch.chdir(tmp_path)
    assert main(["compare", str(good), str(bad), *FAST]) == 2
    _one_line_error(capsys, f"{bad}: {NAME_ERROR}")
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize("name", ["minimal", "llama-3.1-405b", "A_b.c-1", "x" * 100, "-x"])
def test_good_names_accepted_and_the_report_goes_under_reports(name, minimal_text, write_config,
                                                               tmp_path, monkeypatch):  # fmt: skip
    path = write_config(_scenario(minimal_text, name))
    assert load_scenario(path).name == name
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(path), *FAST]) == 0
    assert (tmp_path / "reports" / name / "summary.json").is_file()


def test_default_name_from_an_awkward_file_name_is_made_safe(minimal_text, write_config):
    text = minimal_text.replace('name = "minimal"\n', "")
    assert load_scenario(write_config(text, name="my run (v2).toml")).name == "my_run__v2_"
    assert load_scenario(write_config(text, name=".hidden.toml")).name == "_hidden"


def test_compare_folder_name_is_always_safe():
    assert compare_folder_name(["a", "b"]) == "compare-a-vs-b"
    long_a = ["x" * 100, "y" * 100, "z" * 100]
    long_b = ["x" * 100, "y" * 100, "w" * 100]
    for names in (long_a, long_b, ["a/b", "../c"], ["", ""]):
        assert SAFE.fullmatch(compare_folder_name(names)), names
    assert compare_folder_name(long_a) != compare_folder_name(long_b)


# --- what --out and --force may touch ----------------------------------------------------


@pytest.mark.parametrize("force", [False, True])
def test_non_report_folder_is_neither_replaced_nor_moved(force, write_config, victim, capsys):
    """``--out project --force`` deleted a source tree; without --force it was moved aside."""
    before = _tree(victim)
    args = ["run", str(write_config()), *FAST, "--out", str(victim)] + ["--force"] * force
    assert main(args) == 2
    _one_line_error(capsys, f"--out {victim}: exists and is not a report of this tool")
    assert _tree(victim) == before
    assert sorted(p.name for p in victim.parent.iterdir()) == ["scenario.toml", "victim"]
    with pytest.raises(ReportFolderError, match="is not a report of this tool"):
        write_files({"a.txt": "x"}, victim, force=force)
    assert _tree(victim) == before


def test_compare_and_backtest_refuse_a_non_report_folder(write_config, victim, capsys):
    before = _tree(victim)
    config = str(write_config())
    assert main(["compare", config, str(REPO / "configs" / "llama-3.1-405b.toml"), *FAST,
                 "--out", str(victim), "--force"]) == 2  # fmt: skip
    _one_line_error(capsys, "is not a report of this tool")
    assert main(["backtest", "--out", str(victim), "--force", "--quiet"]) == 2
    _one_line_error(capsys, "is not a report of this tool")
    assert _tree(victim) == before


@pytest.mark.parametrize(
    ("out", "message", "force"),
    [
        (".", "--out .: is the working folder", ["--force"]),
        ("", "--out : is the working folder", ["--force"]),
        ("./", "--out ./: is the working folder", []),
        ("..", "--out ..: holds the working folder", ["--force"]),
        ("/", "--out /: is the root folder", []),  # never --force on / in a test
    ],
)
def test_out_special_folders_refused(out, message, force, write_config, tmp_path, monkeypatch,
                                     capsys):  # fmt: skip
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("keep")
    monkeypatch.chdir(work)
    assert main(["run", str(write_config()), *FAST, "--out", out, *force]) == 2
    _one_line_error(capsys, message)
    assert (work / "keep.txt").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scenario.toml", "work"]


def test_out_home_refused(write_config, tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    assert main(["run", str(write_config()), *FAST, "--out", str(home), "--force"]) == 2
    _one_line_error(capsys, "is the home folder")
    assert list(home.iterdir()) == []  # not even an empty home is taken


@pytest.mark.parametrize("marker", ["pyproject.toml", ".git"])
def test_out_repository_root_refused(marker, write_config, tmp_path, capsys):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / marker).write_text("x")
    assert main(["run", str(write_config()), *FAST, "--out", str(repo), "--force"]) == 2
    _one_line_error(capsys, f"is a repository root (holds {marker})")
    assert (repo / marker).read_text() == "x"


def test_reports_folder_itself_refused(write_config, tmp_path, monkeypatch, capsys):
    """``name = ""`` used to target reports/ itself, and --force deleted every report in it."""
    monkeypatch.chdir(tmp_path)
    config = str(write_config())
    assert main(["run", config, *FAST]) == 0
    assert main(["run", config, *FAST, "--set", "name=other"]) == 0
    before = _tree(tmp_path / "reports")
    assert main(["run", config, *FAST, "--out", "reports", "--force"]) == 2
    _one_line_error(capsys, "--out reports: holds other reports")
    assert _tree(tmp_path / "reports") == before


def test_empty_folder_may_be_used(write_config, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert main(["run", str(write_config()), *FAST, "--out", str(out)]) == 0
    assert (out / MARKER).is_file() and (out / "summary.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "scenario.toml"]


def test_marker_names_the_tool_and_schema(write_config, tmp_path):
    out = tmp_path / "r"
    assert main(["run", str(write_config()), *FAST, "--out", str(out)]) == 0
    marker = json.loads((out / MARKER).read_text())
    summary = json.loads((out / "summary.json").read_text())
    assert marker == {"tool": "llm-cost-mc", "schema_version": summary["schema_version"]}


def _legacy_report(folder: Path) -> None:
    """A report as versions before the marker wrote it."""
    folder.mkdir()
    (folder / "summary.json").write_text('{"schema_version": 1}\n')
    (folder / "report.md").write_text("# old\n")
    (folder / "percentiles.csv").write_text("name\n")
    (folder / "tco_usd_exceedance.png").write_bytes(b"\x89PNG")


def test_report_of_an_older_version_is_kept_aside_or_replaced(write_config, tmp_path):
    out = tmp_path / "r"
    _legacy_report(out)
    old = _tree(out)
    config = str(write_config())
    assert main(["run", config, *FAST, "--out", str(out)]) == 0
    (kept,) = [p for p in tmp_path.iterdir() if p.name.startswith("r.")]
    assert _tree(kept) == old and (out / MARKER).is_file()
    _legacy_report(tmp_path / "s")
    assert main(["run", config, *FAST, "--out", str(tmp_path / "s"), "--force"]) == 0
    assert (tmp_path / "s" / MARKER).is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".", "s."))]


def test_older_report_lookalike_with_other_files_refused(write_config, tmp_path, capsys):
    out = tmp_path / "r"
    _legacy_report(out)
    (out / "thesis.tex").write_text("mine")
    before = _tree(out)
    assert main(["run", str(write_config()), *FAST, "--out", str(out), "--force"]) == 2
    _one_line_error(capsys, "is not a report of this tool")
    assert _tree(out) == before


@pytest.mark.parametrize("force", [False, True])
def test_symlink_out_refused(force, write_config, tmp_path, capsys):
    """``--out LINK --force`` wrote the report and exited 1."""
    config = str(write_config())
    real = tmp_path / "real"
    assert main(["run", config, *FAST, "--out", str(real)]) == 0
    before = _tree(real)
    link = tmp_path / "link"
    link.symlink_to(real)
    args = ["run", config, *FAST, "--out", str(link)] + ["--force"] * force
    assert main(args) == 2
    _one_line_error(capsys, f"--out {link}: is a symbolic link")
    assert link.is_symlink() and _tree(real) == before
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    assert main(["run", config, *FAST, "--out", str(dangling)] + ["--force"] * force) == 2
    _one_line_error(capsys, "is a symbolic link")
    assert not (tmp_path / "nowhere").exists()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["dangling", "link", "real", "scenario.toml"]


def test_nul_in_out_refused(tmp_path):
    with pytest.raises(ReportFolderError, match="NUL"):
        write_files({"a.txt": "x"}, tmp_path / "a\x00b")
    assert list(tmp_path.iterdir()) == []


def test_out_under_a_file_is_one_line(write_config, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "sub"
    assert main(["run", str(write_config()), *FAST, "--out", str(out)]) == 2
    _one_line_error(capsys, "a folder on its path is a file")


# --- staging folders ---------------------------------------------------------------------


def _python(code: str, cwd: Path, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _staging(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "staging" in p.name or ".tmp-" in p.name)


def test_staging_left_by_a_killed_run_is_removed_by_the_next(tmp_path):
    """SIGKILL cannot be caught: its staging folder stays, and the next write removes it."""
    killed = _python(
        """
        import os, signal
        import simulate.report.folder as report
        report.move_into_place = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
        report.write_files({"a.txt": "x"}, "r")
        """,
        tmp_path,
    )
    killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL
    (leftover,) = _staging(tmp_path)
    assert leftover.startswith(".r.llm-cost-mc-staging-")
    write_files({"a.txt": "y"}, tmp_path / "r")
    assert _staging(tmp_path) == [] and (tmp_path / "r" / "a.txt").read_text() == "y"


def test_staging_of_a_live_run_is_left_alone(tmp_path):
    """A leftover-looking folder whose process still runs is another writer's: kept."""
    alive = _python("import sys; sys.stdin.read()", tmp_path, stdin=subprocess.PIPE)
    try:
        from simulate.report.folders import staging_prefix

        mine = staging_prefix(tmp_path / "r")
        other = re.sub(r"-\d+-$", f"-{alive.pid}-", mine) + "abc"
        (tmp_path / other).mkdir()
        (tmp_path / (other + ".old0")).mkdir()
        write_files({"a.txt": "x"}, tmp_path / "r")
        assert _staging(tmp_path) == sorted([other, other + ".old0"])
    finally:
        alive.communicate(input="", timeout=30)
    write_files({"a.txt": "x"}, tmp_path / "r", force=True)  # that process is gone now
    assert _staging(tmp_path) == []


def test_failed_final_rename_leaves_no_staging(tmp_path, monkeypatch):
    out = tmp_path / "r"
    write_files({"a.txt": "one"}, out)
    real_rename = os.rename
    failures = []

    def failing(source, target):
        if not failures and "staging" in os.fspath(source) and Path(target) == out:
            failures.append(source)
            raise PermissionError(13, "Permission denied", os.fspath(target))
        real_rename(source, target)

    monkeypatch.setattr(os, "rename", failing)
    with pytest.raises(PermissionError):
        write_files({"a.txt": "two"}, out, force=True)
    monkeypatch.undo()
    assert _staging(tmp_path) == []
    assert (out / "a.txt").read_text() == "one"  # the earlier report is back in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"] and len(failures) == 1


def _staged_writer(tmp_path: Path, sigint: str) -> subprocess.Popen:
    """A child writing report ``r`` in ``tmp_path`` that stops, staged, for 60 s before
    moving it into place (SIGINT there: ``sigint``, a ``signal`` handler's name; Ctrl-C
    raises KeyboardInterrupt, exit 130); returned once it has staged."""
    (tmp_path / "r").mkdir()
    writer = _python(
        f"""
        import signal, sys, time
        signal.signal(signal.SIGINT, signal.{sigint})
        import simulate.report.folder as report
        def slow(*args, **kwargs):
            print("staged", flush=True)
            time.sleep(60)
        report.move_into_place = slow
        try:
            report.write_files({{"a.txt": "new"}}, "r", force=True)
        except KeyboardInterrupt:
            sys.exit(130)
        """,
        tmp_path,
    )
    assert writer.stdout.readline() == "staged\n"
    assert len(_staging(tmp_path)) == 1
    return writer


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_during_a_write_removes_the_staging_folder(signum, code, tmp_path):
    # Ctrl-C as in a terminal: a child inherits SIGINT ignored when the tests run as a
    # background job (bash ignores SIGINT for '&' commands without job control), and the
    # guard rightly leaves an ignored signal ignored (the next test)
    writer = _staged_writer(tmp_path, "default_int_handler")
    writer.send_signal(signum)
    _, err = writer.communicate(timeout=60)
    assert writer.returncode == code, err
    assert _staging(tmp_path) == [] and list((tmp_path / "r").iterdir()) == []


def test_an_ignored_sigint_stays_ignored_during_a_write(tmp_path):
    """Under nohup or as a background job SIGINT is ignored: the write goes on through
    it (the guard installs no handler for an ignored signal); SIGTERM still cleans up."""
    writer = _staged_writer(tmp_path, "SIG_IGN")
    writer.send_signal(signal.SIGINT)
    with pytest.raises(subprocess.TimeoutExpired):
        writer.wait(timeout=1.0)  # still writing: the ignored signal did nothing
    writer.send_signal(signal.SIGTERM)
    _, err = writer.communicate(timeout=60)
    assert writer.returncode == 143, err
    assert _staging(tmp_path) == [] and list((tmp_path / "r").iterdir()) == []


def test_signal_over_the_renames_is_deferred_until_they_are_done():
    done, earlier = [], signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as raised, SignalGuard() as guard, guard.hold():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)  # the handler has run by now, and only noted the signal
        done.append(True)
    assert raised.value.code == 143 and done == [True]
    assert signal.getsignal(signal.SIGTERM) == earlier  # the earlier handler is back


# --- concurrent writers ------------------------------------------------------------------


def test_concurrent_writers_of_one_new_out_all_succeed(tmp_path):
    """Each writer stages, waits for the others, then all rename onto one new folder at once.

    The old code failed all but one with "Directory not empty"; now each writer keeps the
    earlier one's report aside, so every report survives and exactly one holds the name.
    """
    writers = 3
    procs = [
        _python(
            f"""
            import os, time
            from pathlib import Path
            import simulate.report.folder as report
            real = report.move_into_place
            def racing(*args, **kwargs):
                Path("ready-{i}").touch()
                while not Path("go").exists():
                    time.sleep(0.001)
                return real(*args, **kwargs)
            report.move_into_place = racing
            out, kept = report.write_files({{"who.txt": "{i}"}}, "out")
            print(out, kept)
            """,
            tmp_path,
        )
        for i in range(writers)
    ]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready-{i}").exists() for i in range(writers)):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
        time.sleep(0.01)
    (tmp_path / "go").touch()
    results = [p.communicate(timeout=120) for p in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0 and err == ""
    folders = [p for p in tmp_path.iterdir() if p.name == "out" or p.name.startswith("out.")]
    assert len(folders) == writers
    owners = sorted((p / "who.txt").read_text() for p in folders)
    assert owners == [str(i) for i in range(writers)]
    assert all((p / MARKER).is_file() for p in folders)
    assert _staging(tmp_path) == []


def test_concurrent_cli_runs_of_one_new_out(write_config, tmp_path):
    """Two whole ``run`` commands to one new --out: both exit 0, no OS error printed."""
    config = str(write_config())
    env = dict(os.environ, PYTHONPATH=str(REPO))
    argv = [sys.executable, "-m", "simulate", "run", config, *FAST, "--out", "out"]
    procs = [
        subprocess.Popen(argv, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    errors = [p.communicate(timeout=180)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0] and errors == ["", ""]
    assert (tmp_path / "out" / MARKER).is_file()
    assert _staging(tmp_path) == []


def test_concurrent_writer_threads_of_one_new_out(tmp_path, monkeypatch):
    """The same race between threads of one process (no signal handlers off the main thread)."""
    import threading

    import simulate.report.folder as report

    writers = 4
    barrier = threading.Barrier(writers)
    real = report.move_into_place

    def racing(*args, **kwargs):
        barrier.wait(timeout=60)
        return real(*args, **kwargs)

    monkeypatch.setattr(report, "move_into_place", racing)
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            report.write_files({"who.txt": str(i)}, tmp_path / "out")
        except BaseException as error:  # noqa: BLE001 (collected, asserted below)
            errors.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    folders = [p for p in tmp_path.iterdir() if p.name == "out" or p.name.startswith("out.")]
    assert sorted((p / "who.txt").read_text() for p in folders) == [str(i) for i in range(writers)]
    assert _staging(tmp_path) == []
