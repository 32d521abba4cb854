"""The contract between the build driver and a place that can run CMake.

The driver only ever asks a backend to run ordinary commands (cmake configure/build) whose paths
are absolute paths under the project root and the toolchain dir; the "system" backend runs them
on the host, the "docker" backend runs the same argv in a container with those paths bind-mounted
at the same places. Keeping the argv identical is what makes both builds byte-identical.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

LogSink = Callable[[str], None]


@runtime_checkable
class Backend(Protocol):
    """Somewhere to run the toolchain's commands."""

    name: str  # "system" | "docker"

    def identity(self) -> str:
        """Stable text for fingerprints: compiler/cmake versions, or the image id."""
        ...

    def check(self) -> None:
        """Raise `faasm_cli.errors.ToolchainMissing(message, hint)` when unusable."""
        ...

    def run(self, argv: Sequence[str], cwd: Path, on_log: LogSink) -> int:
        """Run argv in cwd, stream each output line (stdout+stderr) to on_log; the exit code."""
        ...
