"""Options shared by several commands, defined once so every verb spells them the same way."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from faasm_cli import console
from faasm_cli.console import OutputFormat

FuncDirOption = Annotated[
    Path | None,
    typer.Option(
        "--func-dir",
        envvar="FAASM_FUNC_DIR",
        help="The project's root or its func/ (default: the nearest folder from here up "
        "holding faasm.toml or func/).",
        show_default=False,
    ),
]


class Toolchain(StrEnum):
    system = "system"
    docker = "docker"


ToolchainOption = Annotated[
    Toolchain | None,
    typer.Option(
        "--toolchain",
        help="Build with the host's clang ('system') or the container image ('docker') "
        "(default: faasm.toml's [build] toolchain, else 'system').",
        show_default=False,
    ),
]
OutputOption = Annotated[
    OutputFormat,
    typer.Option("--output", "-o", help="'text' for people, 'json' for scripts."),
]


def _remember_verbose(value: bool) -> bool:
    if value:
        console.set_verbose(True)
    return value


VerboseOption = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Show details and tracebacks.", callback=_remember_verbose
    ),
]
