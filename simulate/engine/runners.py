"""Split from simulate.engine.chunked (issue 12 layout)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any, Protocol

from ..analysis.parallel import default_threads

__all__ = ["ChunkError", "Runner", "ThreadRunner"]


class ChunkError(ValueError):
    """A chunked run cannot be carried out as asked (e.g. chunks of a Latin hypercube)."""


class Runner(Protocol):
    """Maps a function over chunks and merges the results (in any order)."""

    workers: int

    def map_reduce(self, function: Callable[..., Any], chunks: list, *args: Any) -> Any:
        """Merge of ``function(*args, chunk)`` over ``chunks``."""
        ...


class ThreadRunner:
    """Chunks on a pool of threads in this process (numpy and scipy release the GIL).

    At most ``2 × workers`` chunks are in flight, so memory does not grow with the draws.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_threads() if workers is None else workers

    def map_reduce(self, function: Callable[..., Any], chunks: list, *args: Any) -> Any:
        result = None
        with ThreadPoolExecutor(self.workers) as pool:
            running: set = set()
            for chunk in chunks:
                running.add(pool.submit(function, *args, chunk))
                if len(running) >= 2 * self.workers:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        part = future.result()
                        result = part if result is None else result.merge(part)
            for future in running:
                part = future.result()
                result = part if result is None else result.merge(part)
        return result
