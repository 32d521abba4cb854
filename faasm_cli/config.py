"""Where things live: the user's function tree, build outputs, caches and shipped toolchain files.

Settings come from environment variables first, then explicit arguments, then defaults, so the
CLI, the invoke tasks and the tests all resolve paths the same way. A project is found as git
finds a repository: the nearest folder, from the working directory up, that holds `faasm.toml`
or `func/`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from faasm_cli.errors import CacheUnusable, NotFound
from faasm_cli.names import check_function, check_user

SOURCE_SUFFIXES = (".cpp", ".c", ".py")
WASM_SUFFIXES = (".cpp", ".c")
PROJECT_FILE = "faasm.toml"

# What lives under cache_dir(), each named once: `faasm cache` sizes and clears these.
MACHINE_CODE_CACHE = "modules"  # prepared wasm and machine code (runtime/snapshot/cache.py)
STATE_CACHE = "state"  # the local state store (runtime/state/store.py)
TOOLCHAIN_CACHE = "toolchain-identity.json"  # the system toolchain's identity (system_backend)
PYTHON_CACHE = "python"  # the CPython-on-wasm runtime (`faasm python build`, issue 8)


def cache_dir() -> Path:
    """Root of every cache (machine code, state, toolchain); `FAASM_CACHE_DIR` overrides it.

    A root that cannot be a writable directory is one `CacheUnusable` naming it, raised here rather
    than as an OSError from whichever cache happens to touch it first."""
    override = os.environ.get("FAASM_CACHE_DIR")
    root = Path(override) if override else Path(platformdirs.user_cache_dir("faasm"))
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as problem:
        reason = "a file, not a directory" if root.is_file() else problem.strerror or str(problem)
        raise _unusable_cache(root, override, reason) from problem
    if not os.access(root, os.W_OK | os.X_OK):
        raise _unusable_cache(root, override, "not writable")
    return root


def _unusable_cache(root: Path, override: str | None, reason: str) -> CacheUnusable:
    origin = "FAASM_CACHE_DIR points there" if override else "the default cache directory"
    return CacheUnusable(
        f"cache directory {root} is unusable: {reason} ({origin})",
        "set FAASM_CACHE_DIR to a writable directory",
    )


def toolchain_dir() -> Path:
    """The CMake toolchain files and libfaasm, shipped inside the package."""
    return (Path(__file__).parent / "data" / "toolchain").resolve()


@dataclass(frozen=True)
class Project:
    """A user's project: a `func/USER/NAME.{c,cpp,py}` tree and its `build/` directory."""

    func_dir: Path

    @classmethod
    def locate(cls, func_dir: str | Path | None = None) -> Project:
        """The project `func_dir` (or `FAASM_FUNC_DIR`) names, as its root or its `func/`;
        without one, the nearest folder from the working directory up holding `faasm.toml` or
        `func/`, so every command works from any subfolder of a project."""
        project = cls.find(func_dir)
        if project is None:
            raise NotFound(
                f"no faasm project in {Path.cwd().resolve()} or any folder above it",
                "run `faasm init` to start one here, or pass --func-dir DIR",
            )
        return project

    @classmethod
    def find(cls, func_dir: str | Path | None = None) -> Project | None:
        """As `locate`, but None when no project is named or found: what needs no project (a
        prebuilt `--wasm`) still uses one when there is one."""
        chosen = func_dir or os.environ.get("FAASM_FUNC_DIR")
        if chosen:
            return cls._named(Path(chosen).resolve())
        here = Path.cwd().resolve()
        return next(
            (cls(folder / "func") for folder in (here, *here.parents) if _is_root(folder)), None
        )

    @classmethod
    def _named(cls, path: Path) -> Project:
        if not path.is_dir():
            raise NotFound(
                f"project directory {path} does not exist",
                "pass the project's root or its func/ to --func-dir",
            )
        return cls(path / "func") if _is_root(path) else cls(path)

    @property
    def root(self) -> Path:
        return self.func_dir.parent

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def shared_dir(self) -> Path:
        """The project's shared files (Faasm's `PUT /file` uploads, kept locally): functions
        read `shared/P` at path P. Named after Faasm's shared files, beside `func/` and `build/`
        so it travels with the project and is never mixed with sources or build outputs."""
        return self.root / "shared"

    @property
    def settings_file(self) -> Path:
        return self.root / PROJECT_FILE

    def users(self) -> list[str]:
        if not self.func_dir.is_dir():
            return []
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


def _is_root(folder: Path) -> bool:
    """A project root holds `faasm.toml` (made by `faasm init`) or a `func/` tree."""
    return (folder / PROJECT_FILE).is_file() or (folder / "func").is_dir()
