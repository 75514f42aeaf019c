"""Where a report may go: the rules that let a run replace nothing but its own report folder.

A run writes one folder. A folder already at the destination is replaced (``--force``) or
kept aside as ``<folder>.<UTC time>`` only if it is

- a report this tool wrote: it holds the marker file ``.llm-cost-mc-report`` (JSON with the
  tool's name and the summary's schema version), or
- a report of a version before the marker: its entries are only report files (summary.json,
  report.md, percentiles.csv, report.html, runs.csv, draws.nc, PNGs), among them summary.json
  (a JSON object) and report.md, or
- an empty folder.

Anything else is refused with one line (:class:`ReportFolderError`), and so are, whatever they
hold, ``/``, the home folder, the working folder and every folder above it, a repository root
(a folder holding ``pyproject.toml`` or ``.git``), a folder that holds other reports
(``reports/`` itself) and a symbolic link. Only the light standard library is imported here,
so the command line checks ``--out`` before any work starts.

A report is rendered into a staging folder ``.<name>.llm-cost-mc-staging-<host>-<pid>-<random>``
beside the destination (``--force`` parks the replaced report at that name plus ``.old0``), then
renamed into place. A later write removes such leftovers of processes of this host that are
no longer alive; leftovers of older versions (``.<name>.tmp-*``) are left alone.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
import socket
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = [
    "MARKER_NAME",
    "ReportFolderError",
    "SignalGuard",
    "check_destination",
    "is_report",
    "marker_text",
    "move_into_place",
    "remove_leftovers",
    "staging_prefix",
]

TOOL = "llm-cost-mc"
MARKER_NAME = ".llm-cost-mc-report"
#: Files a report folder of a version before the marker may hold (and any ``*.png``).
LEGACY_FILES = frozenset(
    {"summary.json", "report.md", "percentiles.csv", "report.html", "runs.csv", "draws.nc"}
)
#: How many times the final rename is retried when another run changes the destination.
#: Each retry follows a rename some other writer completed, so k writers need at most
#: about 2k tries; 64 leaves room for many writers on a loaded machine (8 was seen to
#: run out with 4 threads at load 12 on 2 cores).
PLACE_ATTEMPTS = 64
_STAGING = "llm-cost-mc-staging"
_STEM_CHARS = 100  # staging names use at most this much of the folder's name
_HOST = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:32] or "host"
_RACE_ERRNOS = {errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR, errno.ENOENT}


class ReportFolderError(ValueError):
    """The destination may not be written or replaced (printed as one line, exit 2)."""


def marker_text(schema_version: int) -> str:
    """The marker file's content: the tool's name and the summary's schema version."""
    return json.dumps({"tool": TOOL, "schema_version": schema_version}) + "\n"


def is_report(folder: Path) -> bool:
    """Whether ``folder`` (a real folder, not a link) is a report of this tool, by its marker
    or, for reports written before the marker, by holding nothing but report files."""
    try:
        st = os.lstat(folder / MARKER_NAME)
    except FileNotFoundError:
        return _is_legacy_report(folder)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_size > 4096:
        return False
    try:
        marker = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("tool") == TOOL


def _is_legacy_report(folder: Path) -> bool:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return False
    names = {entry.name for entry in entries}
    if not {"summary.json", "report.md"} <= names:
        return False
    for entry in entries:
        if not entry.is_file(follow_symlinks=False):
            return False
        if entry.name not in LEGACY_FILES and not entry.name.endswith(".png"):
            return False
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(summary, dict) and ("schema_version" in summary or "runs_file" in summary)


def check_destination(out_dir: str | Path, *, label: str | None = None) -> Path:
    """The real path of ``out_dir`` if a report may be written there, else ReportFolderError.

    ``label`` names the destination in the message (default: the path), e.g. ``--out DIR``.
    """
    text = os.fspath(out_dir)
    label = label or text or "''"
    if "\0" in text:
        raise ReportFolderError(f"{label!r}: a folder name cannot hold a NUL character")
    if os.path.islink(text):
        raise ReportFolderError(
            f"{label}: is a symbolic link; give the folder it points to ({os.path.realpath(text)})"
        )
    real = Path(os.path.realpath(text or "."))
    own = "a report needs a folder of its own"
    if real == Path(real.anchor):
        raise ReportFolderError(f"{label}: is the root folder; {own}")
    try:
        cwd = Path.cwd().resolve()
    except OSError:
        cwd = None
    if cwd is not None and real == cwd:
        raise ReportFolderError(f"{label}: is the working folder; {own}")
    if cwd is not None and real in cwd.parents:
        raise ReportFolderError(f"{label}: holds the working folder {cwd}; {own}")
    try:
        home = Path.home().resolve()
    except (OSError, RuntimeError):
        home = None
    if real == home:
        raise ReportFolderError(f"{label}: is the home folder; {own}")
    _existing(real, label)
    return real


def _existing(real: Path, label: str) -> str | None:
    """What is at ``real``: None (nothing), "empty" or "report"; anything else is refused."""
    try:
        st = os.lstat(real)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise ReportFolderError(f"{label}: a folder on its path is a file") from None
    if stat.S_ISLNK(st.st_mode):
        raise ReportFolderError(f"{label}: is a symbolic link; give the folder it points to")
    if not stat.S_ISDIR(st.st_mode):
        raise ReportFolderError(f"{label}: exists and is not a folder")
    for marker in ("pyproject.toml", ".git"):
        if os.path.lexists(real / marker):
            raise ReportFolderError(
                f"{label}: is a repository root (holds {marker}); a report needs a folder "
                "of its own"
            )
    try:
        with os.scandir(real) as entries:
            empty = next(entries, None) is None
    except FileNotFoundError:  # another writer moved it aside meanwhile
        return None
    except OSError as error:
        raise ReportFolderError(f"{label}: cannot be read ({error.strerror})") from None
    if empty:
        return "empty"
    if is_report(real):
        return "report"
    try:
        again = os.lstat(real)
    except FileNotFoundError:  # moved aside by another writer while it was read
        return None
    if (again.st_ino, again.st_dev) != (st.st_ino, st.st_dev):  # replaced meanwhile
        return _existing(real, label)
    inner = _a_report_inside(real)
    if inner is not None:
        raise ReportFolderError(
            f"{label}: holds other reports ({inner}); give a folder of its own, "
            f"e.g. {label.rstrip('/')}/NAME"
        )
    raise ReportFolderError(
        f"{label}: exists and is not a report of this tool (no {MARKER_NAME} file); "
        "refusing to replace or move it; give another folder or remove it yourself"
    )


def _a_report_inside(folder: Path) -> str | None:
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and is_report(Path(entry.path)):
                return entry.name
    return None


def staging_prefix(out_dir: Path) -> str:
    """The name prefix of this process's staging folders for ``out_dir``."""
    return f".{out_dir.name[:_STEM_CHARS]}.{_STAGING}-{_HOST}-{os.getpid()}-"


def remove_leftovers(out_dir: Path) -> list[Path]:
    """Remove staging folders for ``out_dir`` left by dead processes of this host; return them."""
    pattern = re.compile(
        rf"\.{re.escape(out_dir.name[:_STEM_CHARS])}\.{_STAGING}-{_HOST}-(\d+)-[a-z0-9_]+(\.old\d+)?"
    )
    removed = []
    try:
        entries = list(os.scandir(out_dir.parent))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match and entry.is_dir(follow_symlinks=False) and not _alive(int(match[1])):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    if pid <= 0 or pid == os.getpid():
        return True  # our own (another thread's write) or not a process id
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, another user's
    return True


def _aside(out_dir: Path) -> Path:
    """A free name beside ``out_dir`` for keeping an earlier report: ``NAME.<UTC time>``."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    aside, counter = out_dir.with_name(f"{out_dir.name}.{stamp}"), 1
    while os.path.lexists(aside):
        counter += 1
        aside = out_dir.with_name(f"{out_dir.name}.{stamp}-{counter}")
    return aside


def move_into_place(
    staging: Path, out_dir: Path, *, force: bool, guard: SignalGuard | None = None
) -> Path | None:
    """Rename ``staging`` to ``out_dir``; return where an earlier report was kept aside.

    An earlier report (or empty folder) is replaced with ``force``, else kept aside. When
    another run creates or replaces ``out_dir`` meanwhile, the rename is retried: both runs
    succeed, the earlier report kept aside (or replaced with ``force``). ``guard`` defers
    SIGTERM/SIGINT over each pair of renames, so a signal never leaves ``out_dir`` missing.
    """
    hold = guard.hold if guard is not None else _no_hold
    label = str(out_dir)
    trash: list[Path] = []  # earlier reports --force replaced, removed once the new one is in
    for _ in range(PLACE_ATTEMPTS):
        if not os.path.isdir(staging):
            raise FileNotFoundError(errno.ENOENT, "staging folder removed", str(staging))
        state = _existing(out_dir, label)
        with hold():
            if state != "report":  # nothing there, or an empty folder (rename replaces it)
                if _renamed(staging, out_dir):
                    kept = None
                    break
                continue
            moved = staging.with_name(f"{staging.name}.old{len(trash)}") if force else None
            moved = moved or _aside(out_dir)
            if not _renamed(out_dir, moved):
                continue
            if force:
                trash.append(moved)
            if _renamed(staging, out_dir, restore=(moved, out_dir)):
                kept = None if force else moved
                break
    else:
        raise ReportFolderError(
            f"{label}: other runs kept replacing this folder while this one wrote it; try again"
        )
    for folder in trash:
        shutil.rmtree(folder, ignore_errors=True)
    return kept


def _renamed(source: Path, target: Path, *, restore: tuple[Path, Path] | None = None) -> bool:
    """Rename; False when another run changed ``source`` or ``target`` first (the caller
    looks again). ``restore`` (from, to) is renamed back when the rename fails, so that an
    earlier report moved off ``target`` returns to it where it can."""
    try:
        os.rename(source, target)
    except OSError as error:
        if restore is not None:
            try:
                os.rename(*restore)
            except OSError:
                pass  # another run holds ``target`` now; the earlier report stays where it is
        if error.errno in _RACE_ERRNOS:
            return False
        raise
    return True


@contextmanager
def _no_hold() -> Iterator[None]:
    yield


class SignalGuard:
    """Turn SIGTERM and SIGHUP into SystemExit (SIGINT into KeyboardInterrupt) while a report
    is written, so the writer's cleanup runs; :meth:`hold` defers them over renames.

    Installed only in the main thread, for signals not ignored; the earlier handlers come
    back on exit. After the first signal, further ones are ignored until then.
    """

    SIGNALS = tuple(
        getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)
    )

    def __init__(self) -> None:
        self._earlier: dict[int, Any] = {}
        self._pending: int | None = None
        self._holding = False

    def __enter__(self) -> SignalGuard:
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                earlier = signal.getsignal(signum)
                if earlier not in (signal.SIG_IGN, None):
                    self._earlier[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, earlier in self._earlier.items():
            signal.signal(signum, earlier)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._pending is not None:
            return
        self._pending = signum
        if not self._holding:
            self._raise()

    def _raise(self) -> None:
        if self._pending == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + int(self._pending or 0))

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Defer a signal until the block is done, then raise it."""
        self._holding = True
        try:
            yield
        finally:
            self._holding = False
        if self._pending is not None:
            self._raise()
