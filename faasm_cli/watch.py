"""Rebuild and rerun a function (or every C/C++ function of a user) on each saved change.

The core of `faasm watch`: it never prints. Build lines go to `on_log`, everything else reaches
the caller as an event. Changes come from `watchfiles` (the OS's file notifications, debounced);
only stale functions are rebuilt (their fingerprints say which) and only the functions a change
touched are rerun, each with the same input. A failed build or call is an event, not an end:
watching goes on until Ctrl-C (`Interrupted`) or `stop` is set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from threading import Event

import watchfiles

from faasm_cli.config import SOURCE_SUFFIXES, WASM_SUFFIXES, Project
from faasm_cli.errors import BadInput, FaasmError, Interrupted
from faasm_cli.local_run import run_function
from faasm_cli.runtime import CallResult
from faasm_cli.settings import Settings
from faasm_cli.toolchain import build_function, build_user, is_stale
from faasm_cli.toolchain.fingerprint import HEADER_SUFFIXES

# Quiet time (ms) that ends a burst of changes, and the longest a burst is grouped: an editor's
# save (temp file, rename, chmod) becomes one rebuild, and a result shows ~STEP_MS after it.
STEP_MS = 50
DEBOUNCE_MS = 1_600
# How long the watcher blocks before handing control back; its first hand-back says it is armed.
ARMED_TIMEOUT_MS = 500


@dataclass(frozen=True)
class Building:
    """Stale functions are about to be compiled (their build lines follow through `on_log`)."""

    user: str
    functions: list[str]


@dataclass(frozen=True)
class Ran:
    """One function was run; `rebuilt` says whether this round compiled it."""

    user: str
    function: str
    result: CallResult
    rebuilt: bool


@dataclass(frozen=True)
class Failed:
    """A build or a call could not be done; watching goes on."""

    user: str
    functions: list[str]
    error: FaasmError


@dataclass(frozen=True)
class Changed:
    """Files the watcher saw change, starting a new round."""

    paths: list[Path] = field(default_factory=list)


WatchEvent = Building | Ran | Failed | Changed


@dataclass(frozen=True)
class Watch:
    """What to watch and run: one function of `user`, or all of them when `function` is None."""

    project: Project
    user: str
    function: str | None
    input_data: bytes
    settings: Settings

    def check(self) -> None:
        """Fail before watching when nothing could ever be built: a misspelt name ends the
        command, a compile error does not."""
        if self.function is not None:
            source = self.project.source(self.user, self.function)
            if source.suffix not in WASM_SUFFIXES:
                raise BadInput(
                    f"{self.user}/{self.function} is a {source.suffix} function: watch builds "
                    "C/C++ functions",
                    f"run it with `faasm run {self.user} {self.function}`",
                )
        elif not self.functions():
            raise BadInput(
                f"user {self.user} has no C/C++ functions in {self.project.func_dir}",
                f"add func/{self.user}/NAME.cpp, or pick one of: "
                f"{', '.join(self.project.users()) or 'none'}",
            )

    def functions(self) -> list[str]:
        if self.function is not None:
            return [self.function]
        return [
            name
            for name in self.project.functions(self.user)
            if self.project.source(self.user, name).suffix in WASM_SUFFIXES
        ]

    def stem(self, name: str) -> Path:
        """The function's source path without its suffix (what a change to it is matched by)."""
        return self.project.func_dir / self.user / name

    def is_relevant(self, path: Path) -> bool:
        """A source or header this user's builds read (func/USER/* or func/*), not an editor's
        backup, lock or swap file."""
        if path.name.startswith((".", "#")) or path.suffix not in SOURCE_SUFFIXES + HEADER_SUFFIXES:
            return False
        return path.parent in (self.project.func_dir, self.project.func_dir / self.user)


def watch(
    job: Watch,
    on_event: Callable[[WatchEvent], None],
    *,
    on_log: Callable[[str], None] = lambda line: None,
    stop: Event | None = None,
) -> None:
    """Run every function once, then again after each change, until Ctrl-C or `stop`.

    The watcher is armed before the first round, so a change saved while it builds is seen."""
    job.check()
    armed = False
    try:
        for changes in watchfiles.watch(
            job.project.func_dir,
            watch_filter=lambda _change, path: job.is_relevant(Path(path)),
            step=STEP_MS,
            debounce=DEBOUNCE_MS,
            rust_timeout=ARMED_TIMEOUT_MS,
            yield_on_timeout=True,
            stop_event=stop,
        ):
            if not armed:
                armed = True
                _round(job, None, on_event, on_log)
            if changes:
                paths = sorted({Path(path) for _, path in changes})
                on_event(Changed(paths))
                _round(job, paths, on_event, on_log)
    except KeyboardInterrupt:
        raise Interrupted() from None


def _round(
    job: Watch,
    changed: Iterable[Path] | None,
    on_event: Callable[[WatchEvent], None],
    on_log: Callable[[str], None],
) -> None:
    """Build what is stale, then run what the change touched (everything when `changed` is
    None). Ctrl-C ends watching; any other error is an event, and a function whose build failed
    is not run."""
    try:
        names = job.functions()
        stale = [name for name in names if _stale(job, name)]
    except Interrupted:
        raise
    except FaasmError as problem:  # e.g. the watched source was deleted
        on_event(Failed(job.user, [job.function or "*"], problem))
        return
    touched = None if changed is None else {path.with_suffix("") for path in changed}
    build_failed = False
    if stale:
        on_event(Building(job.user, stale))
        try:
            _build(job, on_log)
        except Interrupted:
            raise
        except FaasmError as problem:
            build_failed = True
            on_event(Failed(job.user, stale, problem))
    for name in names:
        if touched is not None and name not in stale and job.stem(name) not in touched:
            continue
        try:
            if build_failed and name in stale and _stale(job, name):
                continue  # its build failed: the diagnostics were that event
            result = run_function(
                job.project, job.user, name, job.input_data, settings=job.settings, on_log=on_log
            )
        except Interrupted:
            raise
        except FaasmError as problem:
            on_event(Failed(job.user, [name], problem))
            continue
        on_event(Ran(job.user, name, result, name in stale))


def _stale(job: Watch, name: str) -> bool:
    return is_stale(job.project, job.user, name, backend=job.settings.toolchain)


def _build(job: Watch, on_log: Callable[[str], None]) -> None:
    """Build the one function, or the user's stale functions in one CMake run."""
    backend = job.settings.toolchain
    if job.function is not None:
        build_function(job.project, job.user, job.function, backend=backend, on_log=on_log)
    else:
        build_user(job.project, job.user, backend=backend, on_log=on_log)
