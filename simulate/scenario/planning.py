"""The planning tables of a scenario: ``[decision]`` (options to choose between),
``[progress]`` (what a run in progress has observed so far) and ``[variants.NAME]``
(plans that differ from the base in a few inputs: :mod:`.variants`).

```toml
[decision]
options = ["amortized_cost_usd", "rental_cost_usd"]   # buy (amortized) or rent

[progress]
start_date = 2026-10-01   # optional: gives the finish date
elapsed_days = 20
tokens_done = 0.31        # share of the tokens (or a count, above 1)
interruptions = 140       # optional: unexpected interruptions so far
progress_sd = 0.03        # relative spread of measured progress around elapsed/total
history = [[5, 0.08], [10, 0.155]]   # optional earlier (day, tokens) observations

[variants.low-mfu]        # overrides as --set reads them
mfu = "0.33 to 0.38"
[variants.more-gpus]
n_gpus = 24_576
```
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..model.chain import NODES, needed_inputs
from .base import ConfigError, is_number

__all__ = [
    "DECISION_KEYS",
    "PROGRESS_KEYS",
    "Progress",
    "decision_options",
    "progress",
]

DECISION_KEYS = ("options",)
PROGRESS_KEYS = (
    "start_date",
    "elapsed_days",
    "tokens_done",
    "interruptions",
    "progress_sd",
    "history",
)
#: Relative spread of realized progress around elapsed/total (day-to-day throughput,
#: stragglers, slow restarts): a judgement, 3%; set ``progress_sd`` from the run's logs.
DEFAULT_PROGRESS_SD = 0.03


@dataclass(frozen=True)
class Progress:
    """Observations of a run in progress: (day, tokens) points, interruptions so far."""

    elapsed_days: float
    observations: tuple[tuple[float, float], ...]  # (day, tokens done: share or count)
    interruptions: int | None = None
    start_date: datetime.date | None = None
    progress_sd: float = DEFAULT_PROGRESS_SD


def decision_options(
    table: Mapping[str, Any], file: str, computed: Sequence[str], given: Mapping[str, Any]
) -> tuple:
    """``decision.options``: two or more distinct nodes the scenario computes (``computed``
    from the inputs ``given``)."""
    if not table:
        return ()
    value = table.get("options")
    field = f"{file}: decision.options"
    if (
        not isinstance(value, list)
        or len(value) < 2
        or not all(isinstance(v, str) for v in value)
        or len(set(value)) != len(value)
    ):
        raise ConfigError(
            f"{field}: must be a list of two or more distinct node names; got {value!r}"
        )
    for name in value:
        if name in NODES and name not in computed:
            needed = needed_inputs(given, sinks=(name,))
            phased = {key.partition("@")[0] for key in given if "@" in key}
            missing = sorted(
                n for n in needed if n not in given and n not in phased and NODES[n].default is None
            )
            raise ConfigError(
                f"{field}: this scenario does not compute {name}; it needs "
                f"{', '.join(missing)} (give them"
                + (
                    ", or a [cluster] rental kind the catalog has for this accelerator)"
                    if "rental_usd_per_gpu_hour" in missing
                    else ")"
                )
            )
        if name not in computed:
            costs = [n for n in computed if n in NODES and NODES[n].units == "USD"]
            raise ConfigError(f"{field}: {name!r} is not a node (cost nodes: {', '.join(costs)})")
    return tuple(value)


def _positive(table: Mapping[str, Any], key: str, file: str) -> float:
    value = table[key]
    if not is_number(value) or value <= 0:
        raise ConfigError(f"{file}: progress.{key}: must be a number > 0; got {value!r}")
    return float(value)


def _point(item: Any, i: int, file: str) -> tuple[float, float]:
    field = f"{file}: progress.history[{i}]"
    if (
        not isinstance(item, list)
        or len(item) != 2
        or not all(is_number(v) and v > 0 for v in item)
    ):
        raise ConfigError(f"{field}: must be [day, tokens done] with both > 0; got {item!r}")
    return float(item[0]), float(item[1])


def progress(table: Mapping[str, Any], file: str) -> Progress | None:
    """``[progress]`` as a :class:`Progress`, or None when the scenario has none."""
    if not table:
        return None
    if "elapsed_days" not in table:
        raise ConfigError(f"{file}: progress.elapsed_days: required when [progress] is given")
    elapsed = _positive(table, "elapsed_days", file)
    points = [_point(item, i, file) for i, item in enumerate(table.get("history", []) or [])]
    if not isinstance(table.get("history", []), list):
        raise ConfigError(f"{file}: progress.history: must be a list of [day, tokens]")
    if "tokens_done" in table:
        points.append((elapsed, _positive(table, "tokens_done", file)))
    for day, tokens in points:
        if day > elapsed:
            raise ConfigError(
                f"{file}: progress.history: day {day:g} is after elapsed_days {elapsed:g}"
            )
        if tokens > 1 and any(t <= 1 for _, t in points):
            raise ConfigError(
                f"{file}: progress: tokens done must be all shares (<= 1) or all counts; "
                f"got {tokens:g} among shares"
            )
    interruptions = table.get("interruptions")
    if interruptions is not None and (
        isinstance(interruptions, bool) or not isinstance(interruptions, int) or interruptions < 0
    ):
        raise ConfigError(
            f"{file}: progress.interruptions: must be a whole number >= 0; got {interruptions!r}"
        )
    start = table.get("start_date")
    if start is not None and not isinstance(start, datetime.date):
        raise ConfigError(
            f"{file}: progress.start_date: must be a TOML date (2026-10-01); got {start!r}"
        )
    sd = _positive(table, "progress_sd", file) if "progress_sd" in table else DEFAULT_PROGRESS_SD
    if interruptions is None and not points:
        raise ConfigError(
            f"{file}: progress: give tokens_done (or history) or interruptions to learn from"
        )
    return Progress(elapsed, tuple(points), interruptions, start, sd)
