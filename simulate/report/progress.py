"""A progress bar for the CLI's stages (sampling, chain, statistics, plots, writing).

Shown on a terminal only, and only once the work has taken longer than a second (a
quick run prints nothing extra); silent when the stream is not a terminal or when
disabled (``--quiet``). Drawn with :mod:`rich` on stderr, so stdout stays clean for the
summary; rich is imported only when a bar is actually shown.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from typing import Any, TextIO

__all__ = ["RUN_STAGES", "StageProgress"]

RUN_STAGES = ("sampling", "chain", "statistics", "plots", "writing")


class StageProgress:
    """Advance through named stages; a bar appears after ``delay_s`` on a terminal.

    >>> with StageProgress(RUN_STAGES, enabled=False) as progress:
    ...     progress.stage("sampling")
    """

    def __init__(
        self,
        stages: Sequence[str],
        *,
        enabled: bool = True,
        stream: TextIO | None = None,
        delay_s: float = 1.0,
        force_terminal: bool = False,
    ) -> None:
        self.stages = tuple(stages)
        self.stream = sys.stderr if stream is None else stream
        isatty = getattr(self.stream, "isatty", lambda: False)
        self.enabled = enabled and (force_terminal or bool(isatty()))
        self.force_terminal = force_terminal
        self.delay_s = delay_s
        self.current: str | None = None
        self.done = 0
        self.shown = False
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._progress: Any = None
        self._task: Any = None
        self._started = time.monotonic()

    def __enter__(self) -> StageProgress:
        if self.enabled:
            self._started = time.monotonic()
            if self.delay_s <= 0:
                self._show()
            else:
                self._timer = threading.Timer(self.delay_s, self._show)
                self._timer.daemon = True
                self._timer.start()
        return self

    def _describe(self) -> str:
        name = self.current or "starting"
        return f"{name} ({self.done + 1}/{len(self.stages)})" if self.current else name

    def _show(self) -> None:
        with self._lock:
            if self.shown or not self.enabled:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            console = Console(file=self.stream, force_terminal=self.force_terminal or None)
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self._task = self._progress.add_task(
                self._describe(), total=len(self.stages), completed=self.done
            )
            self._progress.start()
            self.shown = True

    def stage(self, name: str) -> None:
        """Enter stage ``name`` (the previous one is complete)."""
        with self._lock:
            if self.current is not None:
                self.done += 1
            self.current = name
            if self._progress is not None:
                self._progress.update(self._task, description=self._describe(), completed=self.done)

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self.enabled = False  # a timer firing late must not show a bar any more
            if self._progress is not None:
                self._progress.update(self._task, completed=len(self.stages))
                self._progress.stop()
