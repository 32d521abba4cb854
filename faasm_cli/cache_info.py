"""What the cache holds, per kind, and clearing it: the core of `faasm cache`.

The kinds are the entries config.py names under `cache_dir()`. Anything else found there is
reported as "other" and never deleted, so a `FAASM_CACHE_DIR` pointed at a shared folder cannot
lose files that are not ours.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from faasm_cli.config import (
    MACHINE_CODE_CACHE,
    PYTHON_CACHE,
    STATE_CACHE,
    TOOLCHAIN_CACHE,
    cache_dir,
)
from faasm_cli.errors import BadConfig

MACHINE_CODE = "machine-code"
STATE = "state"
OTHER = "other"


@dataclass(frozen=True)
class Kind:
    """One kind of cached entry: its name on the command line and its place under the root."""

    name: str
    entry: str
    meaning: str


KINDS = (
    Kind(MACHINE_CODE, MACHINE_CODE_CACHE, "prepared wasm and machine code (rebuilt on demand)"),
    Kind(STATE, STATE_CACHE, "local key/value state (data: not rebuilt)"),
    Kind("toolchain", TOOLCHAIN_CACHE, "the system toolchain's identity (recomputed on demand)"),
    Kind("python", PYTHON_CACHE, "the Python runtime for wasm"),
)
KIND_NAMES = tuple(kind.name for kind in KINDS)


@dataclass(frozen=True)
class Usage:
    """How much one kind takes: files and bytes (apparent sizes) under `path`."""

    kind: str
    path: Path
    files: int
    size: int


def usage(root: Path | None = None) -> list[Usage]:
    """Every kind's usage, then "other" for entries of the root that are no kind's."""
    root = root or cache_dir()
    rows = [_measure(kind.name, [root / kind.entry]) for kind in KINDS]
    ours = {kind.entry for kind in KINDS}
    strangers = sorted(path for path in root.iterdir() if path.name not in ours)
    return [*rows, _measure(OTHER, strangers, shown=root)]


def clear(kinds: Iterable[str], root: Path | None = None) -> list[Usage]:
    """Delete the named kinds' entries; returns what each took before it went."""
    root = root or cache_dir()
    by_name = {kind.name: kind for kind in KINDS}
    cleared = []
    for name in dict.fromkeys(kinds):
        path = root / by_name[name].entry
        cleared.append(_measure(name, [path]))
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        except OSError as problem:
            raise BadConfig(
                f"cannot clear {path}: {problem.strerror or problem}",
                "check its permissions, or set FAASM_CACHE_DIR to a directory you own",
            ) from problem
    return cleared


def _measure(kind: str, paths: list[Path], shown: Path | None = None) -> Usage:
    files = size = 0
    for path in paths:
        for entry in _files(path):
            files += 1
            size += entry.stat(follow_symlinks=False).st_size
    return Usage(kind, shown or paths[0], files, size)


def _files(path: Path) -> Iterable[os.DirEntry[str] | Path]:
    """Every file under `path` (or `path` itself), without following symbolic links."""
    if path.is_symlink() or path.is_file():
        yield path
        return
    if not path.is_dir():
        return
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from _files(Path(entry.path))
            else:
                yield entry
