"""`faasm invoke`: call a function on a cluster, with the same output and exit code as `run`."""

from __future__ import annotations

from typing import Annotated

import typer

from faasm_cli import console, settings
from faasm_cli.client import Client
from faasm_cli.commands.options import (
    FunctionArg,
    InputFileOption,
    InputOption,
    InvokeUrlOption,
    OutputOption,
    ProfileOption,
    PythonOption,
    TimeoutOption,
    UploadUrlOption,
    UserArg,
    VerboseOption,
)
from faasm_cli.commands.run import render
from faasm_cli.config import Project
from faasm_cli.console import OutputFormat
from faasm_cli.local_run import exit_code, read_input
from faasm_cli.message import Message
from faasm_cli.names import check_function, check_user
from faasm_cli.runtime import CallResult


def invoke_command(
    user: UserArg,
    function: FunctionArg,
    input_text: InputOption = None,
    input_file: InputFileOption = None,
    asynchronous: Annotated[
        bool,
        typer.Option("--async", help="Return the call id at once (see `faasm status ID`)."),
    ] = False,
    python: PythonOption = False,
    timeout: TimeoutOption = None,
    profile: ProfileOption = None,
    upload_url: UploadUrlOption = None,
    invoke_url: InvokeUrlOption = None,
    output: OutputOption = OutputFormat.text,
    verbose: VerboseOption = False,
) -> None:
    """Call an uploaded function on a cluster; output and exit code as with `faasm run`.

    The function's output goes to stdout, its own stdout/stderr to stderr, and the exit code is
    its return value. Ctrl-C stops waiting (exit 130); the call itself runs on.

    Examples:

      faasm invoke demo hello

      faasm invoke demo x2 --input-file data.bin > doubled.bin

      faasm invoke demo hello --async        # prints the call id

      faasm invoke demo chain --output json --profile lab

      faasm invoke python hello --py
    """
    chosen = settings.load(Project.find()).override(timeout=timeout)
    message = Message.submitted(
        id=0,
        user=check_user(user),
        function=check_function(function),
        input_data=read_input(input_text, input_file),
        timeout_s=chosen.timeout or 0.0,
        # Faasm's fields for a Python call: the worker runs the uploaded source.
        python=python,
        py_user=user if python else "",
        py_func=function if python else "",
    )
    endpoints = chosen.endpoints(profile, upload_url, invoke_url)
    with Client(endpoints.upload_url, endpoints.invoke_url) as client:
        if asynchronous:
            call_id = client.invoke_async(message)
        else:
            document = client.invoke(message)
    if asynchronous:
        if output is OutputFormat.json:
            console.emit_json({"id": call_id})
        else:
            console.raw_output(f"{call_id}\n".encode())
        return
    result = CallResult.from_json(document)
    if output is OutputFormat.json:
        console.emit_json(document)
    else:
        render(result, output, verbose)
    raise typer.Exit(exit_code(result))
