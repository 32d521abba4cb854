"""`faasm run`: dry-run a function in the embedded runtime, with no cluster."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from faasm_cli import console, settings
from faasm_cli.commands.options import (
    FuncDirOption,
    FunctionArg,
    InputFileOption,
    InputOption,
    OutputOption,
    PythonOption,
    TimeoutOption,
    ToolchainOption,
    UserArg,
    VerboseOption,
)
from faasm_cli.config import Project
from faasm_cli.console import OutputFormat
from faasm_cli.local_run import exit_code, is_python, read_input, run_function
from faasm_cli.runtime import CallResult, ChainedCall
from faasm_cli.toolchain import is_stale

if TYPE_CHECKING:
    from rich.tree import Tree


def run_command(
    user: UserArg,
    function: FunctionArg,
    input_text: InputOption = None,
    input_file: InputFileOption = None,
    wasm: Annotated[
        Path | None,
        typer.Option(
            "--wasm",
            help="Run this prebuilt module (no project needed) instead of compiling the source.",
            show_default=False,
        ),
    ] = None,
    python: PythonOption = False,
    timeout: TimeoutOption = None,
    toolchain: ToolchainOption = None,
    func_dir: FuncDirOption = None,
    output: OutputOption = OutputFormat.text,
    verbose: VerboseOption = False,
) -> None:
    """Run a function locally; its output goes to stdout, exit code = its return value.

    The function is compiled first when its source changed. Its own stdout/stderr go to stderr.
    A Python function (func/USER/NAME.py) runs on the Python runtime: `faasm python build`.

    Examples:

      faasm run demo hello

      faasm run demo x2 --input-file data.bin > doubled.bin

      echo -n abc | faasm run demo echo --input-file -

      faasm run demo chain -v --output json

      faasm run demo hello --wasm other/hello.wasm

      faasm run python hello --py
    """
    data = read_input(input_text, input_file)
    project = Project.locate(func_dir) if wasm is None else Project.find(func_dir)
    chosen = settings.load(project).override(toolchain=toolchain, timeout=timeout)
    backend = chosen.toolchain
    compiling = (
        project is not None
        and wasm is None
        and not is_python(project, user, function, python)
        and is_stale(project, user, function, backend=backend)
    )
    label = f"Compiling {user}/{function} ({backend})"
    with console.progress(label) if compiling else nullcontext(console.log_line) as log:
        result = run_function(
            project, user, function, data, settings=chosen, wasm=wasm, python=python, on_log=log
        )
    render(result, output, verbose)
    raise typer.Exit(exit_code(result))


def render(result: CallResult, output: OutputFormat, verbose: bool) -> None:
    """A call's result as `faasm run` shows it (also `faasm invoke`'s, so the two agree)."""
    if output is OutputFormat.json:
        console.emit_json(result.to_json())
        return
    console.raw_stream(result.stdout)
    console.raw_stream(result.stderr)
    console.raw_output(result.output_data)
    if verbose and result.chained:
        console.tree(f"call {result.call_id}", lambda root: _grow(root, result.chained))
    if verbose:
        console.info(f"{result.duration_s * 1000:.2f} ms, return value {result.return_value}")
    if result.failed:
        console.error(f"call failed: {result.error}")


def _grow(node: Tree, calls: list[ChainedCall]) -> None:
    for call in calls:
        status = f"failed: {call.error}" if call.failed else f"returned {call.return_value}"
        branch = node.add(
            f"#{call.id} {call.user}/{call.function}[{call.idx}] {status} "
            f"({call.duration_s * 1000:.2f} ms)"
        )
        _grow(branch, call.children)
