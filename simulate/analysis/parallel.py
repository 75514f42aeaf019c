"""Split from simulate.engine.memory (issue 12 layout)."""

from __future__ import annotations

import os

__all__ = ["default_threads"]


def default_threads() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
