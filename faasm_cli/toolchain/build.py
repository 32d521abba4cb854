"""Build functions: fingerprint check, then CMake configure (once) and build of just the target.

This is the API the CLI calls. Nothing here prints: CMake's and the compiler's output goes line by
line to `on_log`, failures raise typed errors carrying a one-line message and the fix.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from faasm_cli.config import WASM_SUFFIXES, Project
from faasm_cli.errors import BadInput, CompileFailed, ToolchainMissing
from faasm_cli.toolchain import fingerprint, get_backend
from faasm_cli.toolchain.backend import Backend, LogSink
from faasm_cli.toolchain.cmake import BuildTree, target_name
from faasm_cli.toolchain.packages import NATIVE_TOOL_PACKAGES, apt_install_command


def _no_log(line: str) -> None:
    """Default sink: drop the build log."""


@dataclass(frozen=True)
class BuildResult:
    """One function's build: where its output is and whether this call had to rebuild it."""

    user: str
    function: str
    path: Path
    rebuilt: bool
    seconds: float
    native: bool = False
    backend: str = "system"


@dataclass(frozen=True)
class _Job:
    user: str
    function: str
    source: Path
    output: Path
    fingerprint: str


@cache
def _native_identity() -> str:
    """Host compilers used by native builds (CMake honours CC/CXX)."""
    parts = ["native"]
    for env, default in (("CC", "cc"), ("CXX", "c++")):
        compiler = os.environ.get(env, default)
        try:
            done = subprocess.run(
                [compiler, "--version"], capture_output=True, text=True, check=False, timeout=30
            )
            parts.append(f"{env}={compiler}: {done.stdout.strip().splitlines()[0]}")
        except (OSError, IndexError):
            parts.append(f"{env}={compiler}: missing")
    return "\n".join(parts)


def _check_native() -> None:
    missing = [pkg for tool, pkg in NATIVE_TOOL_PACKAGES.items() if shutil.which(tool) is None]
    if shutil.which("cmake") is None:
        missing.append("cmake")
    if missing:
        raise ToolchainMissing(
            f"native builds need a host C/C++ compiler and CMake: {', '.join(missing)} missing",
            f"run `{apt_install_command(missing)}`",
        )


class _Builder:
    """The parts of a build shared by build_function and build_user."""

    def __init__(self, project: Project, backend: str, native: bool) -> None:
        self.project = project
        # Native executables are for debugging on this host: always built by the host compiler.
        self.backend: Backend = get_backend("system" if native else backend)
        self.native = native
        self.tree = BuildTree(project, self.backend.name, native)

    def identity(self) -> str:
        return _native_identity() if self.native else self.backend.identity()

    def job(self, user: str, function: str) -> _Job:
        source = self.project.source(user, function)
        if source.suffix not in WASM_SUFFIXES:
            raise BadInput(
                f"{user}/{function} is a {source.suffix} function: there is nothing to compile",
                f"run it directly with `faasm run {user} {function}`",
            )
        output = (
            self.project.native_path(user, function)
            if self.native
            else self.project.wasm_path(user, function)
        )
        flavour = f"{'native' if self.native else 'wasm'}-{self.tree.build_type}"
        value = fingerprint.compute(source, self.project.func_dir, user, flavour, self.identity())
        return _Job(user, function, source, output, value)

    def check(self) -> None:
        if self.native:
            _check_native()
        else:
            self.backend.check()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One build at a time per build tree (parallel CLI runs, tests, workers)."""
        self.tree.path.mkdir(parents=True, exist_ok=True)
        with open(self.tree.path.parent / f"{self.tree.path.name}.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def configure(self, on_log: LogSink) -> None:
        if self.tree.is_configured():
            return
        self.tree.forget_configuration()
        lines: list[str] = []
        code = self.backend.run(self.tree.configure_argv(), self.project.root, _tee(lines, on_log))
        if code != 0:
            raise CompileFailed(
                f"CMake could not configure {self.tree.path}: {_first_error(lines)}",
                "see the CMake output above; `faasm toolchain doctor` checks the toolchain",
            )
        self.tree.mark_configured()

    def build(self, jobs: list[_Job], on_log: LogSink) -> list[str]:
        """Build every job's target; returns the log lines."""
        lines: list[str] = []
        for job in jobs:
            fingerprint.clear(job.output)
        argv = self.tree.build_argv([target_name(j.user, j.function) for j in jobs])
        code = self.backend.run(argv, self.project.root, _tee(lines, on_log))
        if code != 0:
            raise _failure(jobs, lines)
        for job in jobs:
            if not job.output.is_file():
                raise CompileFailed(
                    f"building {job.user}/{job.function} produced no {job.output}",
                    "see the build output above",
                )
            fingerprint.write(job.output, job.fingerprint)
        return lines


def _tee(lines: list[str], on_log: LogSink) -> Callable[[str], None]:
    def sink(line: str) -> None:
        lines.append(line)
        on_log(line)

    return sink


def _first_error(lines: list[str]) -> str:
    for marker in ("error:", "Error", "FAILED:"):
        for line in lines:
            if marker in line:
                return line.strip()
    return lines[-1].strip() if lines else "no output"


def _failure(jobs: list[_Job], lines: list[str]) -> CompileFailed:
    names = ", ".join(f"{j.user}/{j.function}" for j in jobs)
    return CompileFailed(
        f"{names} failed to compile: {_first_error(lines)}",
        "the compiler's diagnostics are above; fix the source and compile again",
    )


def build_function(
    project: Project,
    user: str,
    function: str,
    *,
    backend: str = "system",
    native: bool = False,
    on_log: Callable[[str], None] = _no_log,
) -> BuildResult:
    """Build func/USER/FUNCTION to build/func/USER/FUNCTION.wasm (or build/native/USER/FUNCTION).

    Nothing runs when the stored fingerprint matches (`rebuilt=False`). Raises CompileFailed with
    the first diagnostic, ToolchainMissing with the doctor's fix.
    """
    start = time.perf_counter()
    builder = _Builder(project, backend, native)
    job = builder.job(user, function)
    if fingerprint.read(job.output) == job.fingerprint:
        return BuildResult(
            user,
            function,
            job.output,
            False,
            time.perf_counter() - start,
            native,
            builder.backend.name,
        )
    builder.check()
    with builder.locked():
        builder.configure(on_log)
        builder.build([job], on_log)
    return BuildResult(
        user, function, job.output, True, time.perf_counter() - start, native, builder.backend.name
    )


def build_user(
    project: Project,
    user: str,
    *,
    backend: str = "system",
    native: bool = False,
    on_log: Callable[[str], None] = _no_log,
) -> list[BuildResult]:
    """Build every C/C++ function of USER; the stale ones in one CMake run (in parallel).

    When that run fails, each stale function is built on its own so the error names exactly the
    functions that do not compile (the others are still built).
    """
    start = time.perf_counter()
    builder = _Builder(project, backend, native)
    names = [f for f in project.functions(user) if project.source(user, f).suffix in WASM_SUFFIXES]
    if not names:
        raise BadInput(
            f"user {user} has no C/C++ functions in {project.func_dir}",
            f"add func/{user}/NAME.cpp, or pick one of: {', '.join(project.users()) or 'none'}",
        )
    jobs = [builder.job(user, name) for name in names]
    stale = [j for j in jobs if fingerprint.read(j.output) != j.fingerprint]
    if stale:
        builder.check()
        with builder.locked():
            builder.configure(on_log)
            try:
                builder.build(stale, on_log)
            except CompileFailed:
                _build_one_by_one(builder, stale, on_log)
    elapsed = time.perf_counter() - start
    stale_names = {j.function for j in stale}
    return [
        BuildResult(
            user,
            j.function,
            j.output,
            j.function in stale_names,
            elapsed if j.function in stale_names else 0.0,
            native,
            builder.backend.name,
        )
        for j in jobs
    ]


def _build_one_by_one(builder: _Builder, jobs: list[_Job], on_log: LogSink) -> None:
    failed: list[tuple[_Job, CompileFailed]] = []
    for job in jobs:
        try:
            builder.build([job], _no_log)
        except CompileFailed as exc:
            failed.append((job, exc))
    if len(failed) == 1:
        raise failed[0][1]
    if failed:
        names = ", ".join(f"{j.user}/{j.function}" for j, _ in failed)
        raise CompileFailed(
            f"{len(failed)} functions failed to compile ({names}): {failed[0][1].message}",
            "the compiler's diagnostics are above; fix the sources and compile again",
        )


def is_stale(
    project: Project, user: str, function: str, *, backend: str = "system", native: bool = False
) -> bool:
    """True when build_function would have to run the compiler."""
    builder = _Builder(project, backend, native)
    job = builder.job(user, function)
    return fingerprint.read(job.output) != job.fingerprint
