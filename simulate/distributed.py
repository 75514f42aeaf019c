"""The dask.distributed backend of chunked runs: one task per chunk, merged as a tree.

Each task gets the scenario's :class:`~simulate.chunked.Plan` (scattered once to every
worker) and a ``(start, draws)`` pair; it regenerates its draws from the seed (no
``Generator`` travels: one would be copied into every task, giving every chunk the
same draws) and returns a small summary. Summaries are merged pairwise as they
complete (a tree of ``merge`` tasks on the workers), with at most ``2 × workers``
chunks queued ahead, so neither the workers nor the client hold more than a few
chunks' worth. The merges are exact (integer counts, :func:`math.fsum` of the
per-chunk sums, values sorted at the end), so the result does not depend on the
order the tasks finish in, nor on the number of workers.

Not used, and why: ``dask.array.percentile`` is approximate (biased at the median by
28 Monte Carlo standard errors on 1e8 draws); xarray's ``quantile`` on a dask array
gathers the whole dimension into one chunk; writing the chain as a dask.array graph
made 30× more tasks and ran 2× slower than one task per chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any

from .chunked import ChunkError
from .engine import default_threads

__all__ = ["DaskRunner", "WORKER_ENVIRONMENT", "dask_runner"]

#: Set in each local worker before it starts. The nanny sets ``MALLOC_TRIM_THRESHOLD_``
#: alone by default, which turns off glibc's dynamic mmap threshold: every array of more
#: than 128 KiB is then mapped and unmapped, and its pages faulted in anew, in every
#: chunk. These are the values glibc's dynamic thresholds settle at (mmap 32 MiB, the
#: largest it allows; trim twice that), fixed from the start: a chunk's arrays (8 MB at
#: 1e6 draws) are reused from the heap, and a worker holds at most about one chunk's
#: working set. Measured on a 1e6-draw chunk (docs/performance.md): both passes 0.42 s,
#: against 1.0 s with both at 64 KiB and 0.70 s with glibc's defaults.
WORKER_ENVIRONMENT = {"MALLOC_MMAP_THRESHOLD_": 32 * 2**20, "MALLOC_TRIM_THRESHOLD_": 64 * 2**20}


#: Seconds to wait for the scheduler given by --scheduler.
CONNECT_TIMEOUT_S = 10


def _merge(a: Any, b: Any) -> Any:
    return a.merge(b)


class DaskRunner:
    """Runs :mod:`simulate.chunked`'s passes on a ``dask.distributed.Client``."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.workers = max(1, len(client.scheduler_info()["workers"]))

    def map_reduce(self, function: Callable[..., Any], chunks: list, *args: Any) -> Any:
        """Merge of ``function(*args, chunk)`` over ``chunks``, reduced as a tree."""
        from dask.distributed import as_completed  # noqa: PLC0415

        client = self.client
        shared = [client.scatter(arg, broadcast=True, hash=False) for arg in args]
        todo = iter(chunks)

        def submit(chunk: tuple[int, int]) -> Any:
            return client.submit(function, *shared, chunk, pure=False)

        queue = as_completed([submit(chunk) for chunk in islice(todo, 2 * self.workers)])
        waiting = None
        for future in queue:
            if waiting is None:
                waiting = future
            else:
                queue.add(client.submit(_merge, waiting, future, pure=False))
                waiting = None
            chunk = next(todo, None)
            if chunk is not None:
                queue.add(submit(chunk))
        if waiting is None:
            raise ChunkError("no draws to run")
        return waiting.result()


@contextmanager
def dask_runner(*, workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A :class:`DaskRunner` on the cluster at ``scheduler``, or on a local cluster of
    ``workers`` single-threaded processes (default: one per CPU), closed afterwards."""
    try:
        import dask  # noqa: PLC0415
        from dask.distributed import Client, LocalCluster  # noqa: PLC0415
    except ImportError:
        raise ChunkError(
            "--backend dask: needs dask.distributed; install it with "
            "pip install 'llm-cost-mc[dask]'"
        ) from None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except OSError as error:
            raise ChunkError(f"--scheduler {scheduler}: cannot connect ({error})") from None
        with client:
            yield DaskRunner(client)
        return
    environment = {"distributed.nanny.pre-spawn-environ": WORKER_ENVIRONMENT}
    with (
        dask.config.set(environment),
        LocalCluster(
            n_workers=workers or default_threads(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as client,
    ):
        yield DaskRunner(client)
