"""`faasm toolchain doctor|install`: see what the build needs and get it."""

from __future__ import annotations

import typer

from faasm_cli import console, settings
from faasm_cli.commands.options import OutputOption, ToolchainOption, VerboseOption
from faasm_cli.config import Project
from faasm_cli.console import OutputFormat
from faasm_cli.errors import ExitCode
from faasm_cli.toolchain import doctor, install

app = typer.Typer(
    help="Check and install the wasm toolchain.\n\n"
    "Examples:\n\n  faasm toolchain doctor\n\n  faasm toolchain install --toolchain docker",
    no_args_is_help=True,
)


@app.command("doctor")
def doctor_command(
    output: OutputOption = OutputFormat.text, verbose: VerboseOption = False
) -> None:
    """Show what was found, what is missing and the exact command that fixes it.

    Exit code 0 when every required part is there (docker is optional), 69 otherwise.

    Example:

      faasm toolchain doctor --output json
    """
    checks = doctor()
    if output is OutputFormat.json:
        console.emit_json(
            [{"name": c.name, "ok": c.ok, "detail": c.detail, "fix": c.fix} for c in checks]
        )
    else:
        console.table(
            "Toolchain",
            ["check", "status", "found", "fix"],
            [
                (c.name, "ok" if c.ok else "MISSING", c.detail, "" if c.ok else c.fix)
                for c in checks
            ],
        )
    raise typer.Exit(0 if all(c.ok for c in checks if c.required) else ExitCode.UNAVAILABLE)


@app.command("install")
def install_command(toolchain: ToolchainOption = None, verbose: VerboseOption = False) -> None:
    """Install the toolchain: Debian packages (as root) or the container image.

    Examples:

      faasm toolchain install

      faasm toolchain install --toolchain docker
    """
    backend = settings.load(Project.find()).override(toolchain=toolchain).toolchain
    with console.progress(f"Installing the {backend} toolchain") as log:
        install(backend=backend, on_log=log)
    console.success(f"{backend} toolchain installed")
