"""Options shared by several commands, defined once so every verb spells them the same way."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from faasm_cli import console
from faasm_cli.console import OutputFormat
from faasm_cli.errors import FaasmError


def _project_names(ctx: typer.Context, user: str | None) -> list[str]:
    """The users of the project (or, given a user, its functions) for shell completion; nothing
    when there is no usable project, since completion must never fail loudly."""
    from faasm_cli.config import Project

    try:
        project = Project.find(ctx.params.get("func_dir"))
        if project is None:
            return []
        return project.users() if user is None else project.functions(user)
    except FaasmError:
        return []


def complete_user(ctx: typer.Context, incomplete: str) -> list[str]:
    return [name for name in _project_names(ctx, None) if name.startswith(incomplete)]


def complete_function(ctx: typer.Context, incomplete: str) -> list[str]:
    user = ctx.params.get("user")
    if not user:
        return []
    return [name for name in _project_names(ctx, user) if name.startswith(incomplete)]


UserArg = Annotated[
    str, typer.Argument(help="The user (folder under func/).", autocompletion=complete_user)
]
FunctionArg = Annotated[
    str,
    typer.Argument(
        help="The function (func/USER/FUNCTION.c|cpp|py).", autocompletion=complete_function
    ),
]

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
        "(default: FAASM_TOOLCHAIN, else faasm.toml's \\[build] toolchain, else 'system').",
        show_default=False,
    ),
]


def _remember_output(value: OutputFormat) -> OutputFormat:
    console.set_output(value)
    return value


PythonOption = Annotated[
    bool,
    typer.Option(
        "--py",
        help="The Python function func/USER/FUNCTION.py (the default when that is the "
        "function's only source).",
    ),
]
InputOption = Annotated[
    str | None,
    typer.Option("--input", "-i", help="Input bytes, as text (default: empty input)."),
]
InputFileOption = Annotated[
    str | None,
    typer.Option(
        "--input-file",
        help="Read the input from a file ('-' for stdin) instead of --input.",
        show_default=False,
    ),
]
TimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        help="Wall-clock limit per call, in seconds (default: FAASM_TIMEOUT, else faasm.toml's "
        "\\[limits] timeout, else the runtime's default).",
        min=0.001,
    ),
]
OutputOption = Annotated[
    OutputFormat,
    typer.Option(
        "--output",
        "-o",
        help="'text' for people, 'json' for scripts (errors too: a JSON object on stdout).",
        callback=_remember_output,
    ),
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

ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile",
        help="The cluster named \\[profiles.NAME] in faasm.toml or the user config (default: "
        "FAASM_UPLOAD_URL/FAASM_INVOKE_URL, else FAASM_PROFILE or \\[cluster] profile, else "
        "\\[profiles.default], else the local cluster of `faasm cluster up`).",
        show_default=False,
    ),
]
UploadUrlOption = Annotated[
    str | None,
    typer.Option(
        "--upload-url",
        help="The upload server (default: --profile's, else FAASM_UPLOAD_URL, else the configured "
        "profile's, else the local cluster's).",
        show_default=False,
    ),
]
InvokeUrlOption = Annotated[
    str | None,
    typer.Option(
        "--invoke-url",
        help="The invoke endpoint (default: --profile's, else FAASM_INVOKE_URL, else the "
        "configured profile's, else the local cluster's).",
        show_default=False,
    ),
]
