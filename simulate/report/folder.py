"""The report folder: ``summary.json``, ``report.md``, ``percentiles.csv`` and extra files.

The only module that writes files. A report is rendered into a fresh sibling folder
and moved into place in one rename, so a folder is never left half-written; an
earlier report at the destination is kept aside (renamed with a timestamp) unless
``force`` replaces it. What may be replaced at all is :mod:`simulate.report.folders`' rule.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .folders import (
    MARKER_NAME,
    SignalGuard,
    check_destination,
    marker_text,
    move_into_place,
    remove_leftovers,
    staging_prefix,
)
from .markdown import render_csv, render_markdown
from .summary import SCHEMA_VERSION

__all__ = ["FileContent", "write_backtest_report", "write_files", "write_report"]

#: A report file's content: bytes, UTF-8 text, or a function that writes the file at the
#: path it is given (straight into the staging folder: draws.nc is never held in memory).
FileContent = bytes | str | Callable[[Path], None]


def write_report(
    summary: dict[str, Any],
    out_dir: str | Path,
    *,
    force: bool = False,
    extra_files: Mapping[str, FileContent] | None = None,
) -> tuple[Path, Path | None]:
    """Write the report folder atomically; return (folder, where an earlier one was kept).

    ``extra_files`` (file name -> bytes, text or writer: plots, ``report.html``, ``draws.nc``)
    join the folder in the same single rename; ``report.md`` links the PNGs among them.
    """
    extra = dict(extra_files or {})
    images = [name for name in extra if name.endswith(".png")]
    files: dict[str, FileContent] = {
        "summary.json": json.dumps(summary, indent=2, allow_nan=False) + "\n",
        "report.md": render_markdown(summary, images=images),
        "percentiles.csv": render_csv(summary),
    }
    clash = sorted(set(files) & set(extra))
    if clash:
        raise ValueError(f"extra_files: {', '.join(clash)} would replace the report's own")
    return write_files({**files, **extra}, out_dir, force=force)


def write_backtest_report(
    result: dict[str, Any], out_dir: str | Path, *, force: bool = False
) -> tuple[Path, Path | None]:
    """Write a backtest's folder: summary.json, report.md, runs.csv, calibration.png."""
    from .calibration import calibration_figure, render_backtest_csv, render_backtest_markdown

    figure = calibration_figure(result)
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=110, metadata={"Software": None})
    files: dict[str, str | bytes] = {
        "summary.json": json.dumps(result, indent=2, allow_nan=False) + "\n",
        "report.md": render_backtest_markdown(result),
        "runs.csv": render_backtest_csv(result),
        "calibration.png": png.getvalue(),
    }
    return write_files(files, out_dir, force=force)


def write_files(
    files: Mapping[str, FileContent], out_dir: str | Path, *, force: bool = False
) -> tuple[Path, Path | None]:
    """Write ``files`` (plain names -> bytes, UTF-8 text or a writer called with the file's
    path in the staging folder) as one report folder, atomically.

    Rendered with the marker file (:data:`simulate.report.folders.MARKER_NAME`) into a
    staging folder beside ``out_dir`` and moved into place with one rename. An earlier
    report (or an empty folder) at ``out_dir`` is kept aside (``NAME.<UTC time>``), or
    replaced with ``force``; any other destination is refused
    (:func:`simulate.report.folders.check_destination`). Staging leftovers of dead runs
    are removed first; SIGTERM/SIGINT remove this run's staging folder.
    Returns (folder, where an earlier one was kept).
    """
    for name in files:
        if not name or Path(name).name != name or name.startswith("."):
            raise ValueError(f"report file name {name!r}: must be a plain file name")
    given = Path(out_dir)
    real = check_destination(given)
    real.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(real)
    umask = os.umask(0o022)  # mkdtemp makes the folder private (0700); a report is not
    os.umask(umask)
    staging = None
    with SignalGuard() as guard:
        try:
            staging = Path(tempfile.mkdtemp(prefix=staging_prefix(real), dir=real.parent))
            staging.chmod(0o777 & ~umask)
            for name, content in {**files, MARKER_NAME: marker_text(SCHEMA_VERSION)}.items():
                if isinstance(content, str):
                    (staging / name).write_text(content, encoding="utf-8")
                elif callable(content):
                    content(staging / name)
                else:
                    (staging / name).write_bytes(content)
            kept = move_into_place(staging, real, force=force, guard=guard)
        except BaseException:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            raise
    if kept is not None and given.name == real.name:
        kept = given.with_name(kept.name)  # shown beside the folder as the caller named it
    return given, kept
