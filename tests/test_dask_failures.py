"""dask failures are one line on stderr, exit 2, within a stated time, with no process
left behind: malformed, unreachable, non-dask and silent scheduler addresses, a
scheduler without workers, and a cluster that loses its last worker during a run.

Every address is on 127.0.0.1 (256.1.1.1 is refused before any traffic). Real
``dask scheduler`` and ``dask worker`` processes are started on free ports and killed
at teardown. The CLI runs in a subprocess of its own session, with the timeouts
shortened, so that a hang is a failed test and any process it leaves is found.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("dask.distributed")
psutil = pytest.importorskip("psutil")

import simulate  # noqa: E402
import simulate.engine.dask_runner as sd  # noqa: E402
from simulate.cli import main  # noqa: E402
from simulate.engine.chunked import run_chunked  # noqa: E402
from simulate.engine.runners import ChunkError  # noqa: E402
from simulate.model.catalog import CONFIG_DIR  # noqa: E402

SCENARIO = CONFIG_DIR / "llama-3.1-405b.toml"
ARGS = ["run", str(SCENARIO), "--chunk-draws", "100000", "--draws", "200000"]
ARGS += ["--backend", "dask", "--quiet"]
#: Shortened timeouts (seconds) for the CLI subprocesses.
CONNECT_S = 2
WORKER_WAIT_S = 1
#: Seconds a CLI subprocess may take beyond its timeouts (start-up: imports, scenario).
STARTUP_S = 25


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _session(pid: int, grace_s: float = 5.0) -> list[psutil.Process]:
    """The processes still alive in the session led by ``pid`` after ``grace_s``
    (multiprocessing's resource tracker exits a moment after its parent)."""
    deadline = time.monotonic() + grace_s
    while True:
        alive = []
        for process in psutil.process_iter():
            try:
                if os.getsid(process.pid) == pid and process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(process)
            except (OSError, psutil.Error):
                continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def _cli(args: list[str], out: Path) -> subprocess.Popen:
    """``python -m simulate ARGS --out OUT`` with the short timeouts, in a session of
    its own (so that any process it leaves behind can be found)."""
    code = (
        "import sys, simulate.engine.dask_runner as d; "
        f"d.CONNECT_TIMEOUT_S = {CONNECT_S}; d.WORKER_WAIT_S = {WORKER_WAIT_S}; "
        "from simulate.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    argv = [sys.executable, "-c", code, *args, "--out", str(out)]
    return subprocess.Popen(argv, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _finish(cli: subprocess.Popen, limit_s: float) -> str:
    """``cli``'s stderr once it exits; fails if it runs past ``limit_s`` or leaves a
    process behind."""
    try:
        _, err = cli.communicate(timeout=limit_s)
    except subprocess.TimeoutExpired:
        os.killpg(cli.pid, signal.SIGKILL)
        cli.communicate()
        pytest.fail(f"{cli.args} ran past {limit_s} s")
    left = _session(cli.pid)
    for orphan in left:
        orphan.kill()
    assert not left, f"processes left behind: {[p.cmdline() for p in left]}"
    return err


def _children() -> set[int]:
    """This process's descendants, but multiprocessing's resource tracker (one for the
    life of the process, started by the first local cluster)."""
    pids = set()
    for child in psutil.Process().children(recursive=True):
        try:
            if "multiprocessing.resource_tracker" not in " ".join(child.cmdline()):
                pids.add(child.pid)
        except psutil.Error:
            continue
    return pids


def _main_within(argv: list[str], limit_s: float, monkeypatch) -> tuple[int, float]:
    """``main(argv)`` in this process with the short timeouts, on a thread: its exit
    status and seconds; fails if it runs past ``limit_s`` (the thread is then left
    hanging) or starts a process that outlives it."""
    monkeypatch.setattr(sd, "CONNECT_TIMEOUT_S", CONNECT_S)
    monkeypatch.setattr(sd, "WORKER_WAIT_S", WORKER_WAIT_S)
    before = _children()
    result: list[int] = []
    start = time.monotonic()
    thread = threading.Thread(target=lambda: result.append(main(argv)), daemon=True)
    thread.start()
    thread.join(limit_s)
    elapsed = time.monotonic() - start
    assert not thread.is_alive(), f"{argv} ran past {limit_s} s"
    assert _children() <= before, "a process outlived the run"
    return result[0], elapsed


def _one_error_line(err: str) -> str:
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    return err.rstrip("\n")


def _wait_listening(port: int, process: subprocess.Popen, limit_s: float = 60) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"nothing listens on 127.0.0.1:{port} after {limit_s} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _dask(*args: str) -> subprocess.Popen:
    """``dask scheduler|worker ARGS``; they can import this module (for ``_Sleeper``)."""
    command = [sys.executable, "-m", "distributed.cli.dask_" + args[0], *args[1:]]
    here = str(Path(__file__).resolve().parent)
    path = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    return subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "PYTHONPATH": path},
    )


@pytest.fixture
def scheduler_process():
    """A real ``dask scheduler`` on 127.0.0.1, without workers: (address, process)."""
    port = _free_port()
    process = _dask("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")
    try:
        _wait_listening(port, process)
        yield f"tcp://127.0.0.1:{port}", process
    finally:
        _stop(process)


@pytest.fixture
def scheduler(scheduler_process):
    """The address of a real ``dask scheduler`` on 127.0.0.1, without workers."""
    return scheduler_process[0]


def _worker(address: str) -> subprocess.Popen:
    return _dask("worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard")


def _joined(address: str, worker: subprocess.Popen, limit_s: float = 60) -> None:
    """Waits until the cluster at ``address`` has a worker."""
    with distributed.Client(address, timeout=30) as client:
        deadline = time.monotonic() + limit_s
        while not client.scheduler_info()["workers"]:
            assert worker.poll() is None, "the worker exited"
            assert time.monotonic() < deadline, "the worker did not join"
            time.sleep(0.2)


def _running(client) -> bool:
    """Whether a task is running on a worker of ``client``'s cluster."""
    return any(client.processing().values())


# -- malformed addresses: refused before any traffic, in the library and the CLI --------

MALFORMED = [
    ("foo", "--scheduler foo: no port number; expected tcp://HOST:PORT"),
    ("", "--scheduler '': empty address; expected tcp://HOST:PORT"),
    ("tls://127.0.0.1:1", "--scheduler tls://127.0.0.1:1: tls:// needs dask's TLS settings"),
    ("inproc://x", "--scheduler inproc://x: inproc:// is not supported (tcp:// or tls://"),
    ("tcp://256.1.1.1:1", "--scheduler tcp://256.1.1.1:1: 256.1.1.1 is not an IPv4 address"),
    ("tcp://127.0.0.1:99999", "--scheduler tcp://127.0.0.1:99999: port must be from 1 to"),
    ("tcp://:8786", "--scheduler tcp://:8786: no host; expected tcp://HOST:PORT"),
]


@pytest.mark.parametrize(("address", "message"), MALFORMED)
def test_malformed_address_one_line_exit_2(address, message, tmp_path, capsys):
    out = tmp_path / "report"
    start = time.monotonic()
    assert main([*ARGS, "--scheduler", address, "--out", str(out)]) == 2
    assert time.monotonic() - start < 30  # no connection tried: the scenario's load only
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith(f"error: {message}"), line
    assert not out.exists()


@pytest.mark.parametrize(("address", "message"), MALFORMED)
def test_library_error_names_the_parameter(address, message):
    scenario = simulate.load_scenario(SCENARIO)
    reason = message.split(": ", 1)[1]
    with pytest.raises(sd.SchedulerError, match=rf"^scheduler {address!r}: ") as caught:
        run_chunked(scenario, chunk_draws=1000, draws=2000, backend="dask", scheduler=address)
    assert str(caught.value).startswith(f"scheduler {address!r}: {reason}")
    assert isinstance(caught.value, ChunkError) and isinstance(caught.value, ValueError)


# -- addresses that answer wrongly or not at all: bounded by CONNECT_TIMEOUT_S ---------


@pytest.mark.slow
def test_unreachable_address_fails_within_the_connect_timeout(tmp_path, capsys, monkeypatch):
    port = _free_port()  # closed again: connections are refused
    address = f"tcp://127.0.0.1:{port}"
    out = tmp_path / "r"
    rc, elapsed = _main_within([*ARGS, "--scheduler", address, "--out", str(out)], 30, monkeypatch)
    assert rc == 2
    line = _one_error_line(capsys.readouterr().err)
    expected = f"error: --scheduler {address}: cannot connect (Timed out trying to connect to"
    assert line.startswith(expected), line
    assert CONNECT_S <= elapsed < CONNECT_S + STARTUP_S  # retried while refused, as documented
    assert not out.exists()


@pytest.mark.slow
def test_silent_server_fails_within_the_connect_timeout(tmp_path, capsys, monkeypatch):
    """A server that accepts the connection (the kernel does, from the backlog) and
    never answers: failed after CONNECT_TIMEOUT_S (it used to hang for ever)."""
    out = tmp_path / "r"
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        argv = [*ARGS, "--scheduler", address, "--out", str(out)]
        rc, elapsed = _main_within(argv, 30, monkeypatch)
    assert rc == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line == (
        f"error: --scheduler {address}: cannot connect "
        f"(no answer from a dask scheduler within {CONNECT_S} s)"
    )
    assert CONNECT_S <= elapsed < CONNECT_S + STARTUP_S
    assert not out.exists()


@pytest.mark.slow
def test_http_server_fails_within_the_connect_timeout(tmp_path, capsys, monkeypatch):
    """An HTTP server (not dask): failed after CONNECT_TIMEOUT_S (it used to hang)."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    out = tmp_path / "r"
    try:
        _wait_listening(port, server)
        address = f"tcp://127.0.0.1:{port}"
        argv = [*ARGS, "--scheduler", address, "--out", str(out)]
        rc, elapsed = _main_within(argv, 30, monkeypatch)
    finally:
        _stop(server)
    assert rc == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith(f"error: --scheduler {address}: cannot connect ("), line
    assert elapsed < CONNECT_S + STARTUP_S
    assert not out.exists()


@pytest.mark.slow
def test_worker_address_is_not_a_scheduler(scheduler):
    worker = _worker(scheduler)
    try:
        _joined(scheduler, worker)
        with distributed.Client(scheduler, timeout=30) as client:
            (address,) = client.scheduler_info()["workers"]
        with pytest.raises(sd.SchedulerError, match="the server there is a dask Worker, not a"):
            sd.probe(address, timeout_s=CONNECT_S)
    finally:
        _stop(worker)


# -- clusters without workers ---------------------------------------------------------


@pytest.mark.slow
def test_scheduler_without_workers_says_so(scheduler, tmp_path, capsys, monkeypatch):
    """It used to fail as "cannot write the report" (an OSError subclass escaped)."""
    out = tmp_path / "r"
    argv = [*ARGS, "--scheduler", scheduler, "--out", str(out)]
    rc, elapsed = _main_within(argv, 30, monkeypatch)
    assert rc == 2
    line = _one_error_line(capsys.readouterr().err)
    expected = f"error: --scheduler {scheduler}: the cluster has no workers (waited"
    assert line == f"{expected} {WORKER_WAIT_S} s)"
    assert WORKER_WAIT_S <= elapsed < CONNECT_S + WORKER_WAIT_S + STARTUP_S
    assert not out.exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("lost", "reason"),
    [
        (
            "worker",
            f"the cluster has lost its last worker (none for {WORKER_WAIT_S} s); "
            "the run is abandoned",
        ),
        ("scheduler", "the run failed: the connection to the scheduler was lost"),
    ],
)
def test_losing_the_cluster_mid_run_fails_in_one_line(lost, reason, scheduler_process, tmp_path):
    """The last worker, or the scheduler, killed during a run: one line, exit 2, in
    seconds (it used to be a traceback, or "cannot write the report")."""
    scheduler, process = scheduler_process
    worker = _worker(scheduler)
    _joined(scheduler, worker)
    out = tmp_path / "r"
    args = ["run", str(SCENARIO), "--chunk-draws", "200000", "--draws", "100000000"]
    cli = _cli([*args, "--backend", "dask", "--quiet", "--scheduler", scheduler], out)
    try:
        with distributed.Client(scheduler, timeout=30) as client:
            deadline = time.monotonic() + 60
            while not _running(client):
                assert time.monotonic() < deadline, "the run did not start"
                assert cli.poll() is None, cli.stderr.read()
                time.sleep(0.1)
        _stop(worker if lost == "worker" else process)
        killed = time.monotonic()
        err = _finish(cli, CONNECT_S + WORKER_WAIT_S + 30)
        after_s = time.monotonic() - killed
    finally:
        _stop(worker)
        _stop(cli)
    assert cli.returncode == 2
    line = _one_error_line(err)
    assert line == f"error: --scheduler {scheduler}: {reason}"
    assert after_s < CONNECT_S + WORKER_WAIT_S + 30
    assert not out.exists()


class _Sleeper:
    """A chunk summary that takes ``seconds`` to make."""

    def __init__(self, seconds: float) -> None:
        time.sleep(seconds)

    def merge(self, other: _Sleeper) -> _Sleeper:
        return self


@pytest.mark.slow
def test_tasks_without_workers_fail_after_the_worker_wait(scheduler, monkeypatch):
    """Tasks that need no scattered data stay pending when the last worker goes:
    the runner gives up after WORKER_WAIT_S instead of waiting for ever."""
    monkeypatch.setattr(sd, "WORKER_WAIT_S", WORKER_WAIT_S)
    monkeypatch.setattr(sd, "POLL_S", 0.2)
    worker = _worker(scheduler)
    try:
        _joined(scheduler, worker)
        with sd.dask_runner(scheduler=scheduler) as runner:

            def kill_when_running() -> None:
                while not _running(runner.client):
                    time.sleep(0.1)
                _stop(worker)

            killer = threading.Thread(target=kill_when_running, daemon=True)
            killer.start()
            start = time.monotonic()
            message = (
                f"^scheduler {scheduler!r}: the cluster has lost its last worker "
                rf"\(none for {WORKER_WAIT_S} s\); the run is abandoned$"
            )
            with pytest.raises(sd.SchedulerError, match=message):
                runner.map_reduce(_Sleeper, [2.0] * 8)
            assert time.monotonic() - start < 2.0 + WORKER_WAIT_S + 20
    finally:
        _stop(worker)


# -- local clusters: closed on the way out --------------------------------------------


@pytest.mark.slow
def test_local_cluster_closed_when_the_run_fails():
    """The local cluster's processes end with the ``with`` block, also on an error."""
    before = _children()
    with pytest.raises(ChunkError, match="^a failure inside the run$"):
        with sd.dask_runner(workers=1) as runner:
            assert runner.workers == 1
            assert _children() - before, "no local worker process started"
            raise ChunkError("a failure inside the run")
    deadline = time.monotonic() + 5
    while _children() - before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _children() - before


def test_help_states_the_timeouts():
    import simulate.cli as cli

    assert cli.SCHEDULER_CONNECT_S == sd.CONNECT_TIMEOUT_S
    assert cli.SCHEDULER_WORKER_WAIT_S == sd.WORKER_WAIT_S
    text = " ".join(
        cli._parser()._subparsers._group_actions[0].choices["run"].format_help().split()
    )
    assert f"after {sd.CONNECT_TIMEOUT_S} s without its answer" in text
    assert f"after {sd.WORKER_WAIT_S} s without a worker" in text
