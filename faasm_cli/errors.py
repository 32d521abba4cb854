"""Typed user-facing errors, and the exit codes the `faasm` command gives them.

Library code raises these; only the CLI layer turns them into a one-line message, a hint and an
exit code. Each error carries the fix in `hint` so the message can name both problem and cure.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The command's own failures, from BSD's sysexits.h (64-78), so that a script can tell them
    from a function's return value, which `faasm run` passes on as its exit code."""

    USAGE = 64
    DATA = 65
    NOT_FOUND = 66
    UNAVAILABLE = 69
    INTERNAL = 70
    CANT_CREATE = 73
    CONFIG = 78
    INTERRUPTED = 130


EXIT_CODE_MEANINGS = {
    ExitCode.USAGE: "the command line is wrong: unknown option, missing argument, bad name",
    ExitCode.DATA: "what was given cannot be used: the source did not compile, a module, "
    "file or option value is unusable",
    ExitCode.NOT_FOUND: "no such function, file, project or state key",
    ExitCode.UNAVAILABLE: "the toolchain is missing (see `faasm toolchain doctor`), or the "
    "cluster cannot be reached or started (see `faasm cluster status`)",
    ExitCode.INTERNAL: "internal error (a bug: rerun with -v)",
    ExitCode.CANT_CREATE: "the cache directory is unusable (see FAASM_CACHE_DIR)",
    ExitCode.CONFIG: "faasm.toml, the user config or a FAASM_* variable is wrong",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}


class FaasmError(Exception):
    """Base of every error a user is meant to read. `hint` says how to fix it."""

    exit_code: int = ExitCode.INTERNAL

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InvalidName(FaasmError):
    """A user, function or state-key name breaks the naming rules."""

    exit_code = ExitCode.USAGE


class NotFound(FaasmError):
    """A function, file or key the user named does not exist."""

    exit_code = ExitCode.NOT_FOUND


class BadInput(FaasmError):
    """An argument, file or module the user gave cannot be used as it is."""

    exit_code = ExitCode.DATA


class BadConfig(BadInput):
    """A settings file (`faasm.toml`, the user config), a `FAASM_*` variable or a configured
    directory cannot be used; the message names the file and line, or the variable."""

    exit_code = ExitCode.CONFIG


class CacheUnusable(BadConfig):
    """The cache root (FAASM_CACHE_DIR or the default) cannot be a writable directory."""

    exit_code = ExitCode.CANT_CREATE


class ToolchainMissing(FaasmError):
    """The build toolchain (clang, wasi-libc, docker, ...) is not available."""

    exit_code = ExitCode.UNAVAILABLE


class ClusterUnavailable(FaasmError):
    """A cluster endpoint does not answer, or a part of a local cluster cannot be started; the
    message names the URL or the program."""

    exit_code = ExitCode.UNAVAILABLE


class CompileFailed(FaasmError):
    """The compiler rejected the function's source; diagnostics were already streamed."""

    exit_code = ExitCode.DATA


class MissingImports(BadInput):
    """A wasm module imports host functions the runtime does not provide."""


class Interrupted(FaasmError):
    """The user pressed Ctrl-C; whatever ran was stopped (exit 130, as shells report SIGINT)."""

    exit_code = ExitCode.INTERRUPTED

    def __init__(self) -> None:
        super().__init__("interrupted")
