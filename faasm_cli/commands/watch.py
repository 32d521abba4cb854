"""`faasm watch`: rebuild and rerun functions on every saved change, until Ctrl-C."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from typing import Annotated

import typer

from faasm_cli import console, settings
from faasm_cli.commands.options import (
    FuncDirOption,
    InputFileOption,
    InputOption,
    OutputOption,
    TimeoutOption,
    ToolchainOption,
    UserArg,
    VerboseOption,
    complete_function,
)
from faasm_cli.config import Project
from faasm_cli.console import OutputFormat
from faasm_cli.local_run import read_input
from faasm_cli.watch import Building, Changed, Failed, Ran, Watch, WatchEvent, watch


def watch_command(
    user: UserArg,
    function: Annotated[
        str | None,
        typer.Argument(
            help="The function to watch (default: all of USER's).",
            autocompletion=complete_function,
            show_default=False,
        ),
    ] = None,
    input_text: InputOption = None,
    input_file: InputFileOption = None,
    timeout: TimeoutOption = None,
    toolchain: ToolchainOption = None,
    func_dir: FuncDirOption = None,
    output: OutputOption = OutputFormat.text,
    verbose: VerboseOption = False,
) -> None:
    """Rebuild and rerun on every saved change with the same input; Ctrl-C stops.

    Only stale functions are rebuilt, and only those a change touched are rerun. A failed build
    shows its diagnostics and watching goes on. With --output json each run is one JSON object
    on one line of stdout.

    Examples:

      faasm watch demo hello

      faasm watch demo echo --input 'hi there'

      faasm watch demo --output json
    """
    data = read_input(input_text, input_file)
    project = Project.locate(func_dir)
    chosen = settings.load(project).override(toolchain=toolchain, timeout=timeout)
    job = Watch(project, user, function, data, chosen)
    with _Renderer(output, chosen.toolchain) as renderer:
        watch(job, renderer.show, on_log=renderer.log)


class _Renderer:
    """Shows each watch event: a spinner while building, then each run like `faasm run`."""

    def __init__(self, output: OutputFormat, backend: str) -> None:
        self._json = output is OutputFormat.json
        self._backend = backend
        self._building = ExitStack()
        self._sink: Callable[[str], None] = console.log_line

    def __enter__(self) -> _Renderer:
        return self

    def __exit__(self, *_: object) -> None:
        self._building.close()

    def log(self, line: str) -> None:
        """A build line: into the spinner while compiling, verbatim otherwise."""
        self._sink(line)

    def show(self, event: WatchEvent) -> None:
        self._building.close()
        self._sink = console.log_line
        if isinstance(event, Building):
            names = ", ".join(f"{event.user}/{name}" for name in event.functions)
            label = f"Compiling {names} ({self._backend})"
            self._sink = self._building.enter_context(console.progress(label))
        elif isinstance(event, Changed) and not self._json:
            console.info(f"changed: {', '.join(path.name for path in event.paths)}")
        elif isinstance(event, Failed):
            self._failed(event)
        elif isinstance(event, Ran):
            self._ran(event)

    def _failed(self, event: Failed) -> None:
        names = ", ".join(f"{event.user}/{name}" for name in event.functions)
        if self._json:
            document = {"functions": names, "error": event.error.message, "hint": event.error.hint}
            console.raw_output(json.dumps(document).encode() + b"\n")
        else:
            console.error(event.error)
            console.info("watching for changes (Ctrl-C stops)")

    def _ran(self, event: Ran) -> None:
        result = event.result
        if self._json:
            document = {**result.to_json(), "rebuilt": event.rebuilt}
            console.raw_output(json.dumps(document, default=str).encode() + b"\n")
            return
        console.raw_stream(result.stdout)
        console.raw_stream(result.stderr)
        output = result.output_data
        console.raw_output(output if output.endswith(b"\n") else output + b"\n")
        built = ", rebuilt" if event.rebuilt else ""
        timing = f"{result.duration_s * 1000:.2f} ms{built}"
        name = f"{event.user}/{event.function}"
        if result.failed:
            console.error(f"{name}: call failed: {result.error} ({timing})")
        else:
            console.success(f"{name} returned {result.return_value} ({timing})")
        console.info("watching for changes (Ctrl-C stops)")
