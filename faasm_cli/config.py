"""Where things live: the user's function tree, build outputs, caches and shipped toolchain files.

Settings come from environment variables first, then explicit arguments, then defaults, so the
CLI, the invoke tasks and the tests all resolve paths the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from faasm_cli.errors import NotFound
from faasm_cli.names import check_function, check_user

SOURCE_SUFFIXES = (".cpp", ".c", ".py")
WASM_SUFFIXES = (".cpp", ".c")


def cache_dir() -> Path:
    """Root of every cache (machine code, state, images); `FAASM_CACHE_DIR` overrides it."""
    override = os.environ.get("FAASM_CACHE_DIR")
    root = Path(override) if override else Path(platformdirs.user_cache_dir("faasm"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def toolchain_dir() -> Path:
    """The CMake toolchain files and libfaasm, shipped inside the package."""
    return (Path(__file__).parent / "data" / "toolchain").resolve()


@dataclass(frozen=True)
class Project:
    """A user's project: a `func/USER/NAME.{c,cpp,py}` tree and its `build/` directory."""

    func_dir: Path

    @classmethod
    def locate(cls, func_dir: str | Path | None = None) -> Project:
        chosen = func_dir or os.environ.get("FAASM_FUNC_DIR") or Path.cwd() / "func"
        path = Path(chosen).resolve()
        if not path.is_dir():
            raise NotFound(
                f"function directory {path} does not exist",
                "run from a project holding func/USER/NAME.cpp, or pass --func-dir DIR",
            )
        return cls(path)

    @property
    def root(self) -> Path:
        return self.func_dir.parent

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    def users(self) -> list[str]:
        return sorted(p.name for p in self.func_dir.iterdir() if p.is_dir())

    def functions(self, user: str) -> list[str]:
        user_dir = self.func_dir / check_user(user)
        if not user_dir.is_dir():
            return []
        return sorted({p.stem for p in user_dir.iterdir() if p.suffix in SOURCE_SUFFIXES})

    def source(self, user: str, function: str) -> Path:
        """The source file of a function; a clear error listing what exists when there is none."""
        check_user(user)
        check_function(function)
        for suffix in SOURCE_SUFFIXES:
            candidate = self.func_dir / user / f"{function}{suffix}"
            if candidate.is_file():
                return candidate
        known = self.functions(user)
        if known:
            hint = f"functions of {user}: {', '.join(known)}"
        else:
            hint = f"users in {self.func_dir}: {', '.join(self.users()) or 'none'}"
        raise NotFound(f"no function {user}/{function} in {self.func_dir}", hint)

    def wasm_path(self, user: str, function: str) -> Path:
        return self.build_dir / "func" / check_user(user) / f"{check_function(function)}.wasm"

    def native_path(self, user: str, function: str) -> Path:
        return self.build_dir / "native" / check_user(user) / check_function(function)
