"""`faasm python build`: the CPython-on-wasm runtime Python functions run on."""

from __future__ import annotations

from typing import Annotated

import typer

from faasm_cli import console
from faasm_cli.commands.options import OutputOption, VerboseOption
from faasm_cli.console import OutputFormat
from faasm_cli.toolchain.python import BUILD_MINUTES, build_python, installed_runtime

app = typer.Typer(
    help="Build the Python runtime (CPython 3.11 on wasm, with pyfaasm).\n\n"
    "Example:\n\n  faasm python build",
    no_args_is_help=True,
)


@app.command("build")
def build_command(
    force: Annotated[
        bool, typer.Option("--force", help="Build again even when an up-to-date one exists.")
    ] = False,
    output: OutputOption = OutputFormat.text,
    verbose: VerboseOption = False,
) -> None:
    """Cross-compile CPython 3.11 and zlib from Debian's source packages with the wasm toolchain,
    once; later runs reuse it until the recipe, sources or toolchain change.

    Examples:

      faasm python build

      faasm python build --force --output json
    """
    if force or installed_runtime() is None:
        console.info(f"Building CPython for wasm32-wasi: this takes {BUILD_MINUTES}, once.")
    with console.progress("Building the Python runtime") as log:
        result = build_python(on_log=log, force=force)
    runtime = result.runtime
    if output is OutputFormat.json:
        console.emit_json(
            {
                "path": str(runtime.root),
                "python_version": runtime.version,
                "sources": runtime.manifest["sources"],
                "rebuilt": result.rebuilt,
                "seconds": round(result.seconds, 1),
            }
        )
        return
    verb = f"built in {result.seconds:.0f} s" if result.rebuilt else "up to date"
    console.success(f"Python {runtime.version} for wasm {verb}: {runtime.root}")
