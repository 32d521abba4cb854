"""`faasm status`: a cluster call's status, read without consuming it."""

from __future__ import annotations

from typing import Annotated

import typer

from faasm_cli import console, settings
from faasm_cli.client import Client
from faasm_cli.commands.options import (
    InvokeUrlOption,
    OutputOption,
    ProfileOption,
    UploadUrlOption,
    VerboseOption,
)
from faasm_cli.config import Project
from faasm_cli.console import OutputFormat


def status_command(
    call_id: Annotated[int, typer.Argument(help="The id `faasm invoke --async` printed.")],
    profile: ProfileOption = None,
    upload_url: UploadUrlOption = None,
    invoke_url: InvokeUrlOption = None,
    output: OutputOption = OutputFormat.text,
    verbose: VerboseOption = False,
) -> None:
    """Print a call's status: RUNNING, SUCCESS: <output> or FAILED: <message>.

    Examples:

      faasm status 42

      faasm status "$(faasm invoke demo hello --async)" --output json
    """
    endpoints = settings.load(Project.find()).endpoints(profile, upload_url, invoke_url)
    with Client(endpoints.upload_url, endpoints.invoke_url) as client:
        if output is OutputFormat.json:
            console.emit_json(client.result(call_id))
        else:
            console.raw_output(f"{client.status(call_id)}\n".encode())
