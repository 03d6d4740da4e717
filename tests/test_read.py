"""The one reader of scanned files (tprlint.discover.read): its byte bound at, below and above the limit,
in one read or several, the flags it opens with, and what it calls what is not a regular file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tprlint.discover import read
from tprlint.discover.read import FileTooLarge, NotRegularFile, describe_mode, inside, read_regular


@pytest.mark.parametrize("limit", [8, 7])  # even and odd
@pytest.mark.parametrize("chunk", [1 << 20, 4, 3])  # one read, or several (the last one short or exact)
@pytest.mark.parametrize(("extra", "fits"), [(-1, True), (0, True), (1, False), (8, False)])
def test_a_file_up_to_the_limit_is_read_whole_and_one_byte_more_is_too_large(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int, chunk: int, extra: int, fits: bool) -> None:
    monkeypatch.setattr(read, "_CHUNK", chunk)
    path = tmp_path / "f"
    content = bytes(range(limit + extra))
    path.write_bytes(content)
    if fits:
        assert read_regular(str(path), limit) == content
    else:
        with pytest.raises(FileTooLarge):
            read_regular(str(path), limit)


def test_the_default_limit_is_eight_mebibytes(tmp_path: Path) -> None:
    path = tmp_path / "sparse"
    with path.open("wb") as handle:  # sparse: no disk space used
        handle.truncate(8 * 1024 * 1024)
    assert len(read_regular(str(path))) == 8 * 1024 * 1024
    with path.open("ab") as handle:
        handle.write(b"x")
    with pytest.raises(FileTooLarge):
        read_regular(str(path))


def test_files_are_opened_non_blocking_never_inherited_and_never_as_a_terminal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real_open = os.open

    def spy(path: str, flags: int, *args: int) -> int:
        seen.append(flags)
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", spy)
    (tmp_path / "f").write_text("x")
    read_regular(str(tmp_path / "f"))
    (flags,) = seen
    for flag in (os.O_NONBLOCK, os.O_CLOEXEC, os.O_NOCTTY):
        assert flags & flag == flag
    assert flags & (os.O_WRONLY | os.O_RDWR) == 0


@pytest.mark.parametrize(("mode", "said"), [
    (stat.S_IFIFO, "a named pipe (FIFO)"),
    (stat.S_IFSOCK, "a socket"),
    (stat.S_IFCHR, "a device"),
    (stat.S_IFBLK, "a device"),
    (stat.S_IFDIR, "a folder"),
    (stat.S_IFLNK, "a special file"),
])
def test_what_is_not_a_regular_file_is_named(mode: int, said: str) -> None:
    assert describe_mode(mode | 0o644) == said


def test_a_device_is_refused_after_opening(tmp_path: Path) -> None:
    with pytest.raises(NotRegularFile) as raised:
        read_regular("/dev/null")
    assert raised.value.kind == "a device"


def test_the_root_itself_is_inside_the_root(tmp_path: Path) -> None:
    root = os.path.realpath(tmp_path)
    assert inside(str(tmp_path), root)
    assert inside(str(tmp_path / "a" / "b"), root)
    assert not inside(str(tmp_path) + "-sibling", root)
    assert not inside(str(tmp_path.parent), root)
