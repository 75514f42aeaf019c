"""The dask backend gives the in-memory run's draws, counts and percentiles bit for bit,
and the chunked run's sums bit for bit, on 1 and 2 workers and two chunk sizes."""

import pytest

distributed = pytest.importorskip("dask.distributed")

import simulate  # noqa: E402
from simulate.engine.chunked import run_chunked  # noqa: E402
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
