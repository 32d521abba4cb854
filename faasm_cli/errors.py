"""Typed user-facing errors.

Library code raises these; only the CLI layer turns them into a one-line message, a hint and an
exit code. Each error carries the fix in `hint` so the message can name both problem and cure.
"""

from __future__ import annotations


class FaasmError(Exception):
    """Base of every error a user is meant to read. `hint` says how to fix it."""

    exit_code: int = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InvalidName(FaasmError):
    """A user, function or state-key name breaks the naming rules."""

    exit_code = 2


class NotFound(FaasmError):
    """A function, file or key the user named does not exist."""

    exit_code = 2


class BadInput(FaasmError):
    """An argument, file or module the user gave cannot be used as it is."""

    exit_code = 2


class BadConfig(BadInput):
    """A settings file (`faasm.toml`, the user config), a `FAASM_*` variable or a configured
    directory cannot be used; the message names the file and line, or the variable."""


class ToolchainMissing(FaasmError):
    """The build toolchain (clang, wasi-libc, docker, ...) is not available."""

    exit_code = 3


class CompileFailed(FaasmError):
    """The compiler rejected the function's source; diagnostics were already streamed."""

    exit_code = 4


class MissingImports(BadInput):
    """A wasm module imports host functions the runtime does not provide."""


class Interrupted(FaasmError):
    """The user pressed Ctrl-C; whatever ran was stopped (exit 130, as shells report SIGINT)."""

    exit_code = 130

    def __init__(self) -> None:
        super().__init__("interrupted")
