"""Reading a file of the scanned tree without trusting it.

A repository under review can hold anything a checkout can make: a FIFO named ``worker.py`` (an open
for reading waits for a writer forever), a symlink to ``/dev/zero`` (an endless read) or to a file
outside the tree (whose lines would then appear in a report), a sparse file that claims 6 GB. So every
read of a scanned file goes through ``read_regular``: opened non-blocking, checked to be a regular
file *after* opening (a check before opening can be raced), and read up to a byte bound whatever
``stat`` said.
"""

from __future__ import annotations

import os
import stat

MAX_FILE_BYTES = 8 * 1024 * 1024
_CHUNK = 1 << 20
_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)


class NotRegularFile(OSError):
    """A FIFO, socket, device or directory where a file was expected."""

    def __init__(self, path: str, mode: int) -> None:
        super().__init__(f"{path} is {describe_mode(mode)}, not a regular file")
        self.kind = describe_mode(mode)


class FileTooLarge(OSError):
    """More bytes than the bound: the content is not returned."""

    def __init__(self, path: str, limit: int) -> None:
        super().__init__(f"{path} is larger than {limit} bytes")
        self.limit = limit


def describe_mode(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a special file"


def read_regular(path: str, limit: int | None = None) -> bytes:
    """The bytes of the regular file at ``path``. Raises ``NotRegularFile``, ``FileTooLarge`` (more than
    ``limit`` bytes, by default ``MAX_FILE_BYTES``), or ``OSError`` (cannot be opened or read)."""
    limit = MAX_FILE_BYTES if limit is None else limit
    descriptor = os.open(path, _FLAGS)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(path, mode)
        chunks: list[bytes] = []
        remaining = limit + 1  # one byte more than allowed tells "too large" from "exactly the limit"
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, _CHUNK))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        if remaining <= 0:
            raise FileTooLarge(path, limit)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def read_head(path: str, size: int) -> bytes:
    """Up to ``size`` bytes from the start of a regular file (for classifying a file too large to read)."""
    descriptor = os.open(path, _FLAGS)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(path, mode)
        return os.read(descriptor, size)
    finally:
        os.close(descriptor)


def read_text(path: str, limit: int | None = None) -> str:
    """``read_regular`` decoded as UTF-8 (a byte-order mark dropped, undecodable bytes replaced)."""
    return strip_bom(read_regular(path, limit)).decode("utf-8", errors="replace")


def strip_bom(data: bytes) -> bytes:
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def inside(path: str, root: str) -> bool:
    """Does ``path``, with every symlink resolved, stay inside the folder ``root`` (already resolved)?"""
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)
