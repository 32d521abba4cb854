"""`faasm upload`: send functions to a cluster's upload server, compiling what is stale first."""

from __future__ import annotations

from typing import Annotated

import typer

from faasm_cli import console, settings
from faasm_cli.client import Client
from faasm_cli.commands.options import (
    FuncDirOption,
    InvokeUrlOption,
    OutputOption,
    ProfileOption,
    PythonOption,
    ToolchainOption,
    UploadUrlOption,
    UserArg,
    VerboseOption,
    complete_function,
)
from faasm_cli.config import Project
from faasm_cli.console import OutputFormat
from faasm_cli.errors import BadInput, NotFound
from faasm_cli.uploads import plan, send


def upload_command(
    user: UserArg,
    function: Annotated[
        str | None,
        typer.Argument(
            help="The function (func/USER/FUNCTION.c|cpp|py); none with --all.",
            autocompletion=complete_function,
            show_default=False,
        ),
    ] = None,
    all_functions: Annotated[
        bool, typer.Option("--all", help="Upload every function of USER.")
    ] = False,
    python: PythonOption = False,
    toolchain: ToolchainOption = None,
    func_dir: FuncDirOption = None,
    profile: ProfileOption = None,
    upload_url: UploadUrlOption = None,
    invoke_url: InvokeUrlOption = None,
    output: OutputOption = OutputFormat.text,
    verbose: VerboseOption = False,
) -> None:
    """Upload a function (wasm, compiled first when its source changed; or Python source).

    The server checks the module's imports and compiles it to machine code once.

    Examples:

      faasm upload demo hello

      faasm upload demo --all --upload-url http://10.0.0.5:8002

      faasm upload demo hello --profile lab

      faasm upload python hello --py
    """
    if (function is None) == (not all_functions):
        raise BadInput("name one function or pass --all", "e.g. faasm upload demo hello")
    project = Project.locate(func_dir)
    chosen = settings.load(project).override(toolchain=toolchain)
    endpoints = chosen.endpoints(profile, upload_url, invoke_url)
    names = project.functions(user) if function is None else [function]
    if not names:
        known = ", ".join(project.users()) or "none"
        raise NotFound(f"user {user} has no functions in {project.func_dir}", f"users: {known}")
    with (
        console.progress(f"Uploading {user}/{function or '*'} to {endpoints.upload_url}") as log,
        Client(endpoints.upload_url, endpoints.invoke_url) as client,
    ):
        uploads = plan(project, user, names, chosen.toolchain, log, python)
        send(client, user, uploads)
    if output is OutputFormat.json:
        console.emit_json(
            [
                {
                    "user": user,
                    "function": u.function,
                    "kind": u.kind,
                    "path": str(u.path),
                    "bytes": u.path.stat().st_size,
                    "rebuilt": u.rebuilt,
                    "upload_url": endpoints.upload_url,
                }
                for u in uploads
            ]
        )
        return
    for u in uploads:
        built = ", rebuilt" if u.rebuilt else ""
        console.success(
            f"{user}/{u.function}: {u.kind}, {u.path.stat().st_size} bytes{built} "
            f"-> {endpoints.upload_url}"
        )
