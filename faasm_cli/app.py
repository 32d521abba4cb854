"""The `faasm` command: registers the verb groups and turns typed errors into exit codes."""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import Annotated

import click
import typer

from faasm_cli import __version__, console
from faasm_cli.commands import cache as cache_cmd
from faasm_cli.commands import compile as compile_cmd
from faasm_cli.commands import new as new_cmd
from faasm_cli.commands import run as run_cmd
from faasm_cli.commands import state as state_cmd
from faasm_cli.commands import toolchain as toolchain_cmd
from faasm_cli.commands import watch as watch_cmd
from faasm_cli.commands.options import VerboseOption
from faasm_cli.errors import EXIT_CODE_MEANINGS, ExitCode, FaasmError, Interrupted

app = typer.Typer(
    name="faasm",
    help="Build, run and test Faasm functions compiled to WebAssembly.\n\n"
    "Examples:\n\n"
    "  faasm init hello-faasm && cd hello-faasm && faasm new demo hello\n\n"
    "  faasm compile demo hello\n\n"
    "  faasm run demo echo --input 'hi there'\n\n"
    "  faasm toolchain doctor",
    epilog="Exit codes: 0, or what the function returned (`faasm run`); the command's own "
    "failures are 64-78 and 130:\n\n"
    + "\n\n".join(f"  {int(code)}  {meaning}" for code, meaning in EXIT_CODE_MEANINGS.items()),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
)
app.command("init")(new_cmd.init_command)
app.command("new")(new_cmd.new_command)
app.command("compile")(compile_cmd.compile_command)
app.command("run")(run_cmd.run_command)
app.command("watch")(watch_cmd.watch_command)
app.add_typer(toolchain_cmd.app, name="toolchain")
app.add_typer(state_cmd.app, name="state")
app.add_typer(cache_cmd.app, name="cache")


def _print_version(value: bool) -> None:
    if value:
        console.info(f"faasm {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    verbose: VerboseOption = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True)
    ] = False,
) -> None:
    """Build, run and test Faasm functions compiled to WebAssembly."""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise Interrupted()


def main() -> None:
    """Entry point: typed errors become one line and an exit code; tracebacks only with -v.

    Ctrl-C raises `Interrupted` rather than KeyboardInterrupt, which Typer would turn into a
    silent exit 130 that cannot be told from a function returning 130."""
    signal.signal(signal.SIGINT, _interrupt)
    try:
        code = app(standalone_mode=False)
    except FaasmError as problem:
        if console.is_verbose():
            console.traceback()
        console.failure(problem, problem.exit_code)
        sys.exit(problem.exit_code)
    except click.ClickException as usage:
        status = ExitCode.USAGE if isinstance(usage, click.UsageError) else ExitCode.DATA
        if console.wants_json():
            console.failure(usage.format_message(), status, "see --help")
        else:
            usage.show()
        sys.exit(status)
    except click.Abort:
        stopped = Interrupted()
        console.failure(stopped, stopped.exit_code)
        sys.exit(stopped.exit_code)
    except Exception as bug:
        if console.is_verbose():
            console.traceback()
        console.failure(
            f"internal error: {bug!r}", ExitCode.INTERNAL, "rerun with -v for the traceback"
        )
        sys.exit(ExitCode.INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)
