"""Shared files (`PUT /file` with a `FilePath` header) under one root that functions read.

A path is checked before the disk is touched: relative, made of names from `A-Z a-z 0-9 _ - .`
(no `.` or `..`, no empty part, no NUL), and no part of it already on disk may be a symlink, so
nothing written or read through here lands outside the root. Files are written whole or not at
all (temp file + rename) and read in pieces.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from faasm_cli.cluster.atomic import write_atomically
from faasm_cli.errors import BadInput, NotFound

MAX_PATH_LENGTH = 1024
_PART = re.compile(r"[A-Za-z0-9_.-]{1,255}")
_RULE = (
    f"use a relative path of up to {MAX_PATH_LENGTH} characters: names from "
    "A-Z a-z 0-9 _ - . joined by /"
)
READ_BYTES = 1 << 20
_SHOWN = 100


class SharedFiles:
    """Files under `root`, addressed by checked relative paths."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, file_path: str) -> Path:
        """Where `file_path` lives under the root; `BadInput` if it is not a confined path."""
        parts = file_path.split("/")
        if (
            len(file_path) > MAX_PATH_LENGTH
            or not all(_PART.fullmatch(part) for part in parts)
            or any(part in {".", ".."} for part in parts)
        ):
            raise BadInput(f"invalid file path {_shown(file_path)}", _RULE)
        path = self.root
        for part in parts:
            path = path / part
            if path.is_symlink():
                raise BadInput(f"file path {file_path!r} goes through a symlink", _RULE)
        return path

    def write(self, file_path: str, chunks: Iterable[bytes]) -> int:
        """Store `chunks` as the file at `file_path` (replacing it); returns its size."""
        path = self.path(file_path)
        try:
            return write_atomically(path, chunks)
        except (FileExistsError, NotADirectoryError, IsADirectoryError) as error:
            raise BadInput(
                f"file path {file_path!r} collides with an existing file or directory",
                "a file cannot also be a directory: choose another path",
            ) from error

    def read(self, file_path: str) -> tuple[int, Iterator[bytes]]:
        """The file's size and its bytes in pieces; `NotFound` if there is no such file."""
        path = self.path(file_path)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(f"no shared file {file_path!r}", "upload it: PUT /file") from None
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            os.close(fd)
            raise NotFound(f"no shared file {file_path!r}", "that path is a directory")
        return status.st_size, _pieces(os.fdopen(fd, "rb"))


def _shown(file_path: str) -> str:
    """The path for a one-line message: a hostile path may be any length."""
    return repr(file_path) if len(file_path) <= _SHOWN else f"{file_path[:_SHOWN]!r}..."


def _pieces(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while piece := handle.read(READ_BYTES):
            yield piece
