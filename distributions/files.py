"""Bounded reads of input files (scenario files, empirical CSVs).

Only regular files are read, never more than :data:`MAX_INPUT_BYTES`: a device
(``/dev/zero``), a FIFO, a socket or a folder is refused before anything is read,
the file is opened with ``O_NONBLOCK`` so that a FIFO swapped in after the check
cannot block, and at most one byte beyond the cap is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .families import DistributionError

__all__ = ["MAX_INPUT_BYTES", "MissingFileError", "decode_text", "read_regular_file"]

#: Largest input file read (scenario or empirical CSV), in bytes: 64 MiB.
MAX_INPUT_BYTES = 64 * 2**20

_KIND = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class MissingFileError(DistributionError):
    """The file does not exist."""


def _check_regular(path: Path, mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((text for test, text in _KIND if test(mode)), "not a regular file")
    raise DistributionError(f"{path}: is {kind}; only regular files are read")


def read_regular_file(path: str | Path, *, limit_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit_bytes`` of them.

    Raises :class:`DistributionError` (one line naming ``path``) for a missing or
    unreadable file, anything but a regular file, or a file over the cap.
    """
    path = Path(path)
    cap = f"the limit is {limit_bytes:,} bytes ({limit_bytes / 2**20:g} MiB)"
    try:
        _check_regular(path, os.stat(path).st_mode)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise MissingFileError(f"{path}: No such file or directory") from None
    except OSError as error:
        raise DistributionError(f"{path}: cannot read ({error.strerror or error})") from None
    try:
        info = os.fstat(fd)
        _check_regular(path, info.st_mode)  # a file swapped in between stat and open
        if info.st_size > limit_bytes:
            raise DistributionError(f"{path}: is {info.st_size:,} bytes; {cap}")
        chunks, size = [], 0
        while size <= limit_bytes:
            chunk = os.read(fd, min(1 << 20, limit_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise DistributionError(f"{path}: cannot read ({error.strerror or error})") from None
    finally:
        os.close(fd)
    if size > limit_bytes:
        raise DistributionError(f"{path}: is over {limit_bytes:,} bytes; {cap}")
    return b"".join(chunks)


def decode_text(path: str | Path, data: bytes) -> str:
    """``data`` as UTF-8 text (a leading byte-order mark dropped); binary data refused.

    The error names the line of the first bad byte, never the content.
    """
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise DistributionError(f"{path}: is binary, not text (a NUL byte on line {line})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise DistributionError(
            f"{path}: is not UTF-8 text (an invalid byte on line {line})"
        ) from None
    return text.removeprefix("\ufeff")
