"""Whether a function needs building: a hash of everything that goes into its output.

The fingerprint covers the function's source, the headers of the func tree, every libfaasm and
CMake file of the toolchain, the build flavour and the backend's identity -- never build outputs,
so it is the same on every machine with the same inputs. It is stored beside the output
(`NAME.wasm.fingerprint`); an equal fingerprint and an existing output mean "nothing to do".
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from faasm_cli.config import toolchain_dir

VERSION = b"faasm-fingerprint-1"
HEADER_SUFFIXES = (".h", ".hpp", ".hh", ".hxx", ".inc")


def _toolchain_files(root: Path) -> list[str]:
    """Every file of the toolchain's cmake/ and libfaasm/, relative to `root`, in path order.
    os.walk and plain strings: pathlib's rglob took half of the time of a fingerprint."""
    files: list[str] = []
    for part in ("cmake", "libfaasm"):
        for folder, _, names in os.walk(root / part):
            prefix = os.path.relpath(folder, root) + "/"
            files += [prefix + name for name in names]
    return sorted(files, key=lambda name: name.split("/"))


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _func_headers(func_dir: Path, user: str) -> list[Path]:
    """Headers a function may include from its tree: func/*.h and func/USER/*.h."""
    found = [
        p
        for d in (func_dir, func_dir / user)
        if d.is_dir()
        for p in d.iterdir()
        if p.suffix in HEADER_SUFFIXES and p.is_file()
    ]
    return sorted(found)


def compute(source: Path, func_dir: Path, user: str, flavour: str, identity: str) -> str:
    """The fingerprint of building `source` (of func/USER) as `flavour` with `identity`."""
    digest = hashlib.sha256(VERSION)
    for text in (flavour, identity, source.name):
        digest.update(text.encode() + b"\0")
    digest.update(source.read_bytes())
    for path in _func_headers(func_dir, user):
        digest.update(b"\0func/" + str(path.relative_to(func_dir)).encode() + b"\0")
        digest.update(path.read_bytes())
    root = toolchain_dir()
    base = f"{root}/"
    for name in _toolchain_files(root):
        digest.update(b"\0toolchain/" + name.encode() + b"\0")
        digest.update(_read(base + name))
    return digest.hexdigest()


def path_for(output: Path) -> Path:
    return output.with_name(output.name + ".fingerprint")


def read(output: Path) -> str | None:
    """The stored fingerprint of `output`, or None when it (or the output) is missing."""
    if not output.is_file():
        return None
    try:
        return path_for(output).read_text().strip()
    except OSError:
        return None


def write(output: Path, value: str) -> None:
    path_for(output).write_text(value + "\n")


def clear(output: Path) -> None:
    path_for(output).unlink(missing_ok=True)
