"""The dask backend gives the in-memory run's draws, counts and percentiles bit for bit,
and the chunked run's sums bit for bit, on 1 and 2 workers and two chunk sizes."""

import time

import pytest

distributed = pytest.importorskip("dask.distributed")

from dask.utils import key_split  # noqa: E402
from distributed.diagnostics.plugin import SchedulerPlugin  # noqa: E402

import simulate  # noqa: E402
from simulate.engine.chunked import run_chunked  # noqa: E402
from simulate.engine.dask_runner import DaskRunner  # noqa: E402
from simulate.model.catalog import CONFIG_DIR  # noqa: E402
from simulate.report.summary import build_summary  # noqa: E402

SCENARIO = simulate.load_scenario(CONFIG_DIR / "llama-3.1-405b.toml")
DRAWS = 30_000
SIZES = (4_000, 11_000)


@pytest.fixture(scope="module")
def in_memory():
    return simulate.build_summary(simulate.run(SCENARIO, draws=DRAWS), SCENARIO)


@pytest.mark.parametrize("workers", [1, 2])
def test_dask_equals_memory_backends(workers, in_memory):
    with distributed.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        for size in SIZES:
            on_dask = run_chunked(
                SCENARIO,
                chunk_draws=size,
                draws=DRAWS,
                backend="dask",
                scheduler=cluster.scheduler_address,
            )
            assert on_dask.workers == workers
            threads = run_chunked(SCENARIO, chunk_draws=size, draws=DRAWS, workers=2)
            assert build_summary(on_dask, SCENARIO) == build_summary(threads, SCENARIO)
            assert on_dask.rank_correlation == threads.rank_correlation
            for name, variable in in_memory["variables"].items():
                got = build_summary(on_dask, SCENARIO)["variables"][name]
                assert got["percentiles"] == variable["percentiles"], name
                assert got["mean"] == pytest.approx(variable["mean"], rel=8 * 2.0**-52)
            assert build_summary(on_dask, SCENARIO)["risk"] == in_memory["risk"]


def test_local_cluster_from_run_chunked(in_memory):
    run = run_chunked(SCENARIO, chunk_draws=SIZES[1], draws=DRAWS, backend="dask", workers=1)
    assert run.backend == "dask" and run.chunks == 3
    for name, variable in in_memory["variables"].items():
        assert (
            build_summary(run, SCENARIO)["variables"][name]["percentiles"]
            == variable["percentiles"]
        )


def test_unreachable_scheduler_one_line_exit_2(tmp_path, capsys, monkeypatch):
    import simulate.engine.dask_runner
    from simulate.cli import main

    monkeypatch.setattr(simulate.engine.dask_runner, "CONNECT_TIMEOUT_S", 2)
    out = tmp_path / "report"
    config = str(CONFIG_DIR / "llama-3.1-405b.toml")
    argv = ["run", config, "--draws", "1000", "--out", str(out), "--backend", "dask"]
    assert main([*argv, "--scheduler", "tcp://127.0.0.1:1"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith("error: --scheduler tcp://127.0.0.1:1: cannot connect (")
    assert not out.exists()


class _Count:
    """A summary: how many chunks it covers (merge: the sum)."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks

    def merge(self, other: "_Count") -> "_Count":
        return _Count(self.chunks + other.chunks)


def _one_chunk(chunk: int) -> _Count:
    time.sleep(0.002)
    return _Count(1)


class _Peaks(SchedulerPlugin):
    """The most chunk tasks the scheduler had to run at once, and the most summaries
    (chunks' and merges' results) it held in memory at once."""

    def __init__(self) -> None:
        self.running: set = set()
        self.held: set = set()
        self.peak_running = self.peak_held = 0

    def transition(self, key, start, finish, *args, **kwargs) -> None:
        prefix = key_split(key)
        if prefix == "one_chunk":
            (self.running.add if finish in _TO_RUN else self.running.discard)(key)
        if prefix in ("one_chunk", "merge"):  # key_split drops the underscore
            (self.held.add if finish == "memory" else self.held.discard)(key)
        self.peak_running = max(self.peak_running, len(self.running))
        self.peak_held = max(self.peak_held, len(self.held))


_TO_RUN = {"waiting", "queued", "no-worker", "processing"}


def test_summaries_in_flight_stay_bounded():
    """However many chunks, at most two per worker are given to the cluster at once, and
    merges run before waiting chunks: the summaries held stay a handful. (Before the fix,
    every finished merge also started a chunk, so chunks queued up without bound ahead
    of the merges, and a 1e9-draw run's workers grew to 1.9 GiB each.)"""
    workers, chunks = 2, 600
    with (
        distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        peaks = _Peaks()
        cluster.scheduler.add_plugin(peaks)
        total = DaskRunner(client).map_reduce(_one_chunk, list(range(chunks)))
    assert total.chunks == chunks
    assert peaks.peak_running <= 2 * workers
    # a few per worker, whatever the number of chunks: 12 or 13 in repeated runs (a
    # summary counts until the client's release reaches the scheduler); the old loop
    # had 140 chunks queued and held 172 summaries at once here
    assert peaks.peak_held <= 8 * workers
