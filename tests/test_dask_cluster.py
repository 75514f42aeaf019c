"""A real dask cluster: a ``dask scheduler`` and two ``dask worker`` processes on
localhost ports (not an in-process LocalCluster), driven through ``--scheduler``.

- The summary equals the local chunked run's, bit for bit, but for the fields that say how
  it ran (``chunked.backend``, ``chunked.workers``).
- A worker killed (SIGKILL) in the middle of the run: its tasks are pure functions of
  their chunk indices and the plan is scattered to every worker, so dask recomputes them
  on the other worker, and the percentiles and counts are bit-identical.
- No process is left behind by the CLI (it runs in a session of its own).
"""

from __future__ import annotations

import json
import time

import pytest

from tests.test_dask_failures import (
    SCENARIO,
    _cli,
    _finish,
    _joined,
    _stop,
    _worker,
    distributed,
    scheduler_process,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.slow

DRAWS, CHUNK = 1_600_000, 50_000
RUN = ["run", str(SCENARIO), "--draws", str(DRAWS), "--chunk-draws", str(CHUNK), "--quiet"]


def _summary(folder):
    summary = json.loads((folder / "summary.json").read_text())
    how = summary.pop("chunked")
    for key in ("backend", "workers"):
        how.pop(key)
    return summary | {"chunked": how}


@pytest.fixture
def two_workers(scheduler_process):  # noqa: F811 (the imported fixture)
    """A scheduler with two single-threaded worker processes: (address, [workers])."""
    address, _ = scheduler_process
    workers = [_worker(address), _worker(address)]
    try:
        for w in workers:
            _joined(address, w)
        with distributed.Client(address, timeout=30) as client:
            deadline = time.monotonic() + 60
            while len(client.scheduler_info()["workers"]) < 2:
                assert time.monotonic() < deadline, "the second worker did not join"
                time.sleep(0.2)
        yield address, workers
    finally:
        for w in workers:
            _stop(w)


@pytest.fixture(scope="module")
def local_summary(tmp_path_factory):
    """The same run on local threads (no dask)."""
    out = tmp_path_factory.mktemp("local") / "report"
    cli = _cli(RUN, out)
    assert _finish(cli, 300) == ""
    assert cli.returncode == 0
    return _summary(out)


def test_a_real_cluster_gives_the_local_summary(two_workers, local_summary, tmp_path):
    address, _ = two_workers
    cli = _cli([*RUN, "--backend", "dask", "--scheduler", address], tmp_path / "report")
    assert _finish(cli, 300) == ""
    assert cli.returncode == 0
    assert _summary(tmp_path / "report") == local_summary


def test_losing_one_worker_mid_run_changes_nothing(two_workers, local_summary, tmp_path):
    address, workers = two_workers
    cli = _cli([*RUN, "--backend", "dask", "--scheduler", address], tmp_path / "report")
    with distributed.Client(address, timeout=30) as client:
        deadline = time.monotonic() + 120
        # wait until both workers hold running tasks, so the victim dies mid-task
        while sum(1 for tasks in client.processing().values() if tasks) < 2:
            assert cli.poll() is None, "the run ended before a worker could be killed"
            assert time.monotonic() < deadline, "no task started on both workers"
            time.sleep(0.05)
        _stop(workers[0])
    assert _finish(cli, 300) == ""
    assert cli.returncode == 0
    assert _summary(tmp_path / "report") == local_summary
