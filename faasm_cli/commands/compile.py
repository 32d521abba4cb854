"""`faasm compile`: build functions to wasm (or natively) through the chosen toolchain."""

from __future__ import annotations

from typing import Annotated

import typer

from faasm_cli import console, settings
from faasm_cli.commands.options import (
    FuncDirOption,
    OutputOption,
    ToolchainOption,
    UserArg,
    VerboseOption,
    complete_function,
)
from faasm_cli.config import Project
from faasm_cli.console import OutputFormat
from faasm_cli.errors import BadInput
from faasm_cli.toolchain import BuildResult, build_function, build_user


def compile_command(
    user: UserArg,
    function: Annotated[
        str | None,
        typer.Argument(
            help="The function (func/USER/FUNCTION.c|cpp); none with --all.",
            autocompletion=complete_function,
            show_default=False,
        ),
    ] = None,
    all_functions: Annotated[
        bool, typer.Option("--all", help="Build every function of USER.")
    ] = False,
    native: Annotated[
        bool, typer.Option("--native", help="Build a native executable (for gdb) instead.")
    ] = False,
    toolchain: ToolchainOption = None,
    func_dir: FuncDirOption = None,
    output: OutputOption = OutputFormat.text,
    verbose: VerboseOption = False,
) -> None:
    """Compile a function to wasm32-wasi; unchanged sources are not rebuilt.

    Examples:

      faasm compile demo hello

      faasm compile demo --all --toolchain docker

      faasm compile demo echo --native && ./build/native/demo/echo --input hi
    """
    if (function is None) == (not all_functions):
        raise BadInput("name one function or pass --all", "e.g. faasm compile demo hello")
    project = Project.locate(func_dir)
    backend = settings.load(project).override(toolchain=toolchain).toolchain
    target = f"{user}/*" if function is None else f"{user}/{function}"
    with console.progress(f"Compiling {target} ({backend})") as log:
        if function is None:
            results = build_user(project, user, backend=backend, native=native, on_log=log)
        else:
            results = [
                build_function(project, user, function, backend=backend, native=native, on_log=log)
            ]
    _report(results, output)


def _report(results: list[BuildResult], output: OutputFormat) -> None:
    if output is OutputFormat.json:
        console.emit_json(
            [
                {
                    "user": r.user,
                    "function": r.function,
                    "path": str(r.path),
                    "rebuilt": r.rebuilt,
                    "seconds": round(r.seconds, 3),
                }
                for r in results
            ]
        )
        return
    for r in results:
        state = f"built in {r.seconds:.2f}s" if r.rebuilt else "up to date"
        console.success(f"{r.user}/{r.function}: {r.path} ({state})")
