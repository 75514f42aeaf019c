"""The dask.distributed backend of chunked runs: one task per chunk, merged as a tree.

Each task gets the scenario's :class:`~simulate.engine.chunked.Plan` (one task's result,
so a worker that dies loses nothing the scheduler cannot recompute; data scattered with
``client.scatter`` could not be, and losing one of two workers cancelled the run) and a
``(start, draws)`` pair; it regenerates its draws from the seed (no
``Generator`` travels: one would be copied into every task, giving every chunk the
same draws) and returns a small summary. Summaries are merged pairwise as they
complete (a tree of ``merge`` tasks on the workers), two on the same worker where
possible, so that a summary moves between workers only at the end; at most
``2 × workers`` chunks are in flight (the next starts when a chunk, not a merge,
finishes) and merges run before waiting chunks, so neither the workers nor the client
hold more than a few summaries. The merges are exact (integer counts, :func:`math.fsum` of the
per-chunk sums, values sorted at the end), so the result does not depend on the
order the tasks finish in, nor on the number of workers.

Not used, and why: ``dask.array.percentile`` is approximate (biased at the median by
28 Monte Carlo standard errors on 1e8 draws); xarray's ``quantile`` on a dask array
gathers the whole dimension into one chunk; writing the chain as a dask.array graph
made 30× more tasks and ran 2× slower than one task per chunk.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import islice
from typing import Any

from ..analysis.parallel import default_threads
from .runners import ChunkError

__all__ = ["DaskRunner", "SchedulerError", "WORKER_ENVIRONMENT", "dask_runner", "local_cluster"]

#: Set in each local worker before it starts. The nanny sets ``MALLOC_TRIM_THRESHOLD_``
#: alone by default, which turns off glibc's dynamic mmap threshold: every array of more
#: than 128 KiB is then mapped and unmapped, and its pages faulted in anew, in every
#: chunk. These are the values glibc's dynamic thresholds settle at (mmap 32 MiB, the
#: largest it allows; trim twice that), fixed from the start: a chunk's arrays (8 MB at
#: 1e6 draws) are reused from the heap, and a worker holds at most about one chunk's
#: working set. Measured on a 1e6-draw chunk (docs/performance.md): both passes 0.42 s,
#: against 1.0 s with both at 64 KiB and 0.70 s with glibc's defaults.
WORKER_ENVIRONMENT = {"MALLOC_MMAP_THRESHOLD_": 32 * 2**20, "MALLOC_TRIM_THRESHOLD_": 64 * 2**20}


#: Seconds to reach the scheduler given as ``scheduler`` and get its first answer, in
#: all: the TCP connection (retried while refused), dask's handshake, and the reply to
#: an ``identity`` request. A server that accepts and never answers fails after this.
CONNECT_TIMEOUT_S = 10
#: Seconds a cluster may have no worker: at the start (a scheduler alone), or after
#: losing its last worker during a run. The run then fails.
WORKER_WAIT_S = 5
#: Seconds between checks of the cluster's workers while waiting for a chunk.
POLL_S = 1.0
#: Schemes of the addresses a scheduler is joined at (none: tcp).
SCHEMES = ("tcp", "tls")
EXAMPLE_ADDRESS = "tcp://127.0.0.1:8786"


class SchedulerError(ChunkError):
    """The cluster at ``scheduler`` cannot run the chunks (bad address, no answer,
    no workers, lost workers)."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"scheduler {address!r}: {reason}")
        self.address = address
        self.reason = reason


def _one_line(error: BaseException) -> str:
    """``error``'s message on one line, at most 200 characters (else its type)."""
    return " ".join(str(error).split())[:200] or type(error).__name__


def _failure(address: str | None, reason: str) -> ChunkError:
    """The error for ``reason`` on the cluster at ``address`` (None: the local one)."""
    if address is None:
        return ChunkError(f"the local dask cluster: {reason}")
    return SchedulerError(address, reason)


def check_address(address: str) -> dict[str, Any]:
    """The connection arguments for ``address``; :class:`SchedulerError` if it is not
    ``tcp://HOST:PORT`` or ``tls://HOST:PORT`` (with dask's TLS settings). No traffic."""
    from distributed.comm.addressing import parse_address, parse_host_port  # noqa: PLC0415
    from distributed.security import Security  # noqa: PLC0415

    expected = f"expected tcp://HOST:PORT, e.g. {EXAMPLE_ADDRESS}"
    if not isinstance(address, str) or not address.strip():
        raise SchedulerError(str(address), f"empty address; {expected}")
    try:
        scheme, location = parse_address(address)
    except (ValueError, TypeError):
        raise SchedulerError(address, f"not an address; {expected}") from None
    if scheme not in SCHEMES:
        raise SchedulerError(address, f"{scheme}:// is not supported (tcp:// or tls:// only)")
    try:
        host, port = parse_host_port(location)
    except (ValueError, TypeError):
        raise SchedulerError(address, f"no port number; {expected}") from None
    if not host:
        raise SchedulerError(address, f"no host; {expected}")
    if not 1 <= port <= 65535:
        raise SchedulerError(address, f"port must be from 1 to 65535; got {port}")
    if all(part.isdigit() for part in host.split(".")):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise SchedulerError(address, f"{host} is not an IPv4 address") from None
    arguments = Security().get_connection_args("client")
    if scheme == "tls" and arguments.get("ssl_context") is None:
        raise SchedulerError(
            address,
            "tls:// needs dask's TLS settings (distributed.comm.tls.ca-file, "
            ".client.cert, .client.key in the dask config); none are set",
        )
    return arguments


async def _identity(address: str, arguments: dict[str, Any], timeout_s: float) -> dict:
    """The reply of the dask server at ``address`` to ``identity``."""
    from distributed.comm import connect  # noqa: PLC0415

    comm = await connect(address, timeout=timeout_s, **arguments)
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()


def probe(address: str, timeout_s: float | None = None) -> dict:
    """The scheduler's identity, asked within ``timeout_s`` (default
    :data:`CONNECT_TIMEOUT_S`) in all; :class:`SchedulerError` if the address is
    malformed, nothing answers in time, or what answers is not a dask scheduler."""
    timeout_s = CONNECT_TIMEOUT_S if timeout_s is None else timeout_s
    arguments = check_address(address)
    waited = f"within {timeout_s:g} s"
    try:
        # on a thread of its own: the caller may be inside an event loop (a notebook);
        # the connection's own retries stop at timeout_s, the margin lets them report it
        asking = asyncio.wait_for(_identity(address, arguments, timeout_s), timeout_s + 0.5)
        with ThreadPoolExecutor(1) as thread:
            reply = thread.submit(asyncio.run, asking).result()
    except TimeoutError:
        raise SchedulerError(
            address, f"cannot connect (no answer from a dask scheduler {waited})"
        ) from None
    except OSError as error:
        raise SchedulerError(address, f"cannot connect ({_one_line(error)})") from None
    except Exception as error:  # noqa: BLE001 - any other: the peer does not speak dask
        raise SchedulerError(
            address,
            f"cannot connect (the server there does not speak dask's protocol: "
            f"{type(error).__name__})",
        ) from None
    if not isinstance(reply, dict) or not isinstance(reply.get("type"), str):
        raise SchedulerError(
            address, "cannot connect (the server there does not speak dask's protocol)"
        )
    if reply["type"] != "Scheduler":
        raise SchedulerError(
            address, f"the server there is a dask {reply['type']}, not a scheduler"
        )
    return reply


def _merge(a: Any, b: Any) -> Any:
    return a.merge(b)


def _submit_merge(client: Any, a: Any, b: Any) -> Any:
    """The merge of the summaries ``a`` and ``b``, run before any chunk waiting on the
    same worker, so summaries do not pile up behind the chunks."""
    return client.submit(_merge, a, b, pure=False, priority=1)


def _given(value: Any) -> Any:
    """``value`` itself: a task whose result is its argument, so the value lives in the task
    graph and the scheduler can recompute it on another worker if a worker holding it dies
    (scattered data cannot be recomputed)."""
    return value


class DaskRunner:
    """Runs :mod:`simulate.engine.chunked`'s passes on a ``dask.distributed.Client`` connected
    to the scheduler at ``address`` (None: a local cluster)."""

    def __init__(self, client: Any, address: str | None = None) -> None:
        self.client = client
        self.address = address
        self.workers = max(1, len(client.scheduler_info()["workers"]))

    def map_reduce(self, function: Callable[..., Any], chunks: list, *args: Any) -> Any:
        """Merge of ``function(*args, chunk)`` over ``chunks``, reduced as a tree;
        :class:`~simulate.engine.runners.ChunkError` if the cluster has had no worker for
        :data:`WORKER_WAIT_S` or the connection to its scheduler is lost."""
        from distributed import CancelledError, KilledWorker  # noqa: PLC0415

        try:
            with self.client.as_current():
                return self._map_reduce(function, chunks, *args)
        except CancelledError:  # the scheduler, or the workers with the scattered plan, gone
            if self.client.status == "running":
                lost = "the cluster lost its workers and the data they held"
            else:
                lost = "the connection to the scheduler was lost"
            raise _failure(self.address, f"the run failed: {lost}") from None
        except (OSError, KilledWorker) as error:  # TimeoutError is an OSError
            reason = f"the run failed on the cluster ({_one_line(error)})"
            raise _failure(self.address, reason) from None

    def _map_reduce(self, function: Callable[..., Any], chunks: list, *args: Any) -> Any:
        client = self.client
        with warnings.catch_warnings():  # once per pass, by design: the plan is in the graph
            warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
            shared = [client.submit(_given, arg, pure=False) for arg in args]
        todo = iter(chunks)

        running: set = set()  # the chunks' futures (the rest of ``pending`` are merges)

        def submit(chunk: tuple[int, int]) -> Any:
            future = client.submit(function, *shared, chunk, pure=False)
            running.add(future)
            return future

        pending = [submit(chunk) for chunk in islice(todo, 2 * self.workers)]
        waiting: dict[Any, Any] = {}  # per worker, a summary waiting for a partner there
        while pending or len(waiting) > 1:
            if not pending:  # the last summaries, on different workers
                (_, a), (_, b) = waiting.popitem(), waiting.popitem()
                pending.append(_submit_merge(client, a, b))
            done = self._first_done(pending)
            pending = [future for future in pending if future not in done]
            holders = client.who_has(list(done))
            for future in done:
                where = tuple(holders.get(future.key, ()))[:1]
                partner = waiting.pop(where, None)
                if partner is None:
                    waiting[where] = future
                else:  # both on one worker: merged there, nothing moves
                    pending.append(_submit_merge(client, partner, future))
                if future in running:  # a chunk done: the next one starts
                    running.discard(future)
                    chunk = next(todo, None)
                    if chunk is not None:
                        pending.append(submit(chunk))
        if not waiting:
            raise ChunkError("no draws to run")
        return waiting.popitem()[1].result()

    def _first_done(self, pending: list) -> set:
        """The futures of ``pending`` that are done, once one is; fails once the cluster
        has had no worker for :data:`WORKER_WAIT_S` seconds."""
        from distributed import wait  # noqa: PLC0415

        idle_since = None
        while True:
            try:
                return wait(pending, timeout=POLL_S, return_when="FIRST_COMPLETED").done
            except TimeoutError:
                pass
            if self.client.scheduler_info()["workers"]:
                idle_since = None
                continue
            now = time.monotonic()
            idle_since = now if idle_since is None else idle_since
            if now - idle_since >= WORKER_WAIT_S:
                raise _failure(
                    self.address,
                    f"the cluster has lost its last worker (none for {WORKER_WAIT_S} s); "
                    "the run is abandoned",
                )


@contextmanager
def dask_runner(*, workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A :class:`DaskRunner` on the cluster at ``scheduler``, or on a local cluster of
    ``workers`` single-threaded processes (default: one per CPU), closed afterwards.

    Joining ``scheduler`` is bounded: :data:`CONNECT_TIMEOUT_S` to reach it and get its
    first answer, then :data:`WORKER_WAIT_S` for a first worker; each failure is a
    :class:`SchedulerError`."""
    try:
        import dask  # noqa: PLC0415
        from dask.distributed import Client  # noqa: PLC0415
    except ImportError:
        raise ChunkError(
            "backend dask: needs dask.distributed; install it with pip install 'llm-cost-mc[dask]'"
        ) from None
    if scheduler is not None:
        probe(scheduler)
        connect = {"distributed.comm.timeouts.connect": f"{CONNECT_TIMEOUT_S}s"}
        try:
            with dask.config.set(connect):
                client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except OSError as error:
            raise SchedulerError(scheduler, f"cannot connect ({_one_line(error)})") from None
        with client:
            try:
                client.wait_for_workers(1, timeout=WORKER_WAIT_S)
                runner = DaskRunner(client, scheduler)
            except TimeoutError:
                raise SchedulerError(
                    scheduler, f"the cluster has no workers (waited {WORKER_WAIT_S} s)"
                ) from None
            except OSError as error:
                reason = f"the connection to the scheduler was lost ({_one_line(error)})"
                raise SchedulerError(scheduler, reason) from None
            yield runner
        return
    with local_cluster(workers) as cluster, Client(cluster) as client:
        yield DaskRunner(client)


@contextmanager
def local_cluster(workers: int | None = None) -> Iterator[Any]:
    """The local cluster :func:`dask_runner` runs on: ``workers`` single-threaded worker
    processes (default: one per CPU) started with :data:`WORKER_ENVIRONMENT`, closed
    afterwards. (Benchmarks and probes use it to watch that very cluster.)"""
    import dask  # noqa: PLC0415
    from dask.distributed import LocalCluster  # noqa: PLC0415

    environment = {"distributed.nanny.pre-spawn-environ": WORKER_ENVIRONMENT}
    with (
        dask.config.set(environment),
        LocalCluster(
            n_workers=workers or default_threads(),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
        ) as cluster,
    ):
        yield cluster
