"""The `faasm` command: registers the verb groups and turns typed errors into exit codes."""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
from types import FrameType
from typing import Annotated, NoReturn

import click
import typer
from typer.core import TyperGroup
from typer.main import get_command_from_info, get_group_from_info
from typer.models import CommandInfo, TyperInfo

from faasm_cli import __version__, console
from faasm_cli.commands.options import VerboseOption
from faasm_cli.errors import EXIT_CODE_MEANINGS, ExitCode, FaasmError, Interrupted

# The verbs, in --help order: name -> (module, attribute); a function is a command, a Typer a
# group. A verb's module is imported only when it is invoked or --help lists the verbs.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("faasm_cli.commands.new", "init_command"),
    "new": ("faasm_cli.commands.new", "new_command"),
    "compile": ("faasm_cli.commands.compile", "compile_command"),
    "run": ("faasm_cli.commands.run", "run_command"),
    "watch": ("faasm_cli.commands.watch", "watch_command"),
    "upload": ("faasm_cli.commands.upload", "upload_command"),
    "invoke": ("faasm_cli.commands.invoke", "invoke_command"),
    "status": ("faasm_cli.commands.status", "status_command"),
    "cluster": ("faasm_cli.commands.cluster", "app"),
    "toolchain": ("faasm_cli.commands.toolchain", "app"),
    "state": ("faasm_cli.commands.state", "app"),
    "cache": ("faasm_cli.commands.cache", "app"),
    "python": ("faasm_cli.commands.python", "app"),
}


class _LazyGroup(TyperGroup):
    """The root group: `faasm run` does not pay for importing every other verb's dependencies
    (the docker SDK, rich tables, the cache walker)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *(name for name in super().list_commands(ctx) if name not in COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            self.add_command(_load(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)


def _load(name: str) -> click.Command:
    """The click command of verb `name`, built the way `app.command`/`app.add_typer` would."""
    module, attribute = COMMANDS[name]
    target = getattr(importlib.import_module(module), attribute)
    short, markup = app.pretty_exceptions_short, app.rich_markup_mode
    if isinstance(target, typer.Typer):
        return get_group_from_info(
            TyperInfo(target, name=name), pretty_exceptions_short=short, rich_markup_mode=markup
        )
    return get_command_from_info(
        CommandInfo(name, callback=target), pretty_exceptions_short=short, rich_markup_mode=markup
    )


app = typer.Typer(
    name="faasm",
    help="Build, run and test Faasm functions compiled to WebAssembly.\n\n"
    "Examples:\n\n"
    "  faasm init hello-faasm && cd hello-faasm && faasm new demo hello\n\n"
    "  faasm compile demo hello\n\n"
    "  faasm run demo echo --input 'hi there'\n\n"
    "  faasm cluster up --detach && faasm upload demo hello && faasm invoke demo hello\n\n"
    "  faasm toolchain doctor",
    epilog="Exit codes: 0, or what the function returned (`faasm run`); the command's own "
    "failures are 64-78 and 130:\n\n"
    + "\n\n".join(f"  {int(code)}  {meaning}" for code, meaning in EXIT_CODE_MEANINGS.items()),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
    cls=_LazyGroup,
)


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
        _exit(problem.exit_code)
    except click.ClickException as usage:
        status = ExitCode.USAGE if isinstance(usage, click.UsageError) else ExitCode.DATA
        if console.wants_json():
            console.failure(usage.format_message(), status, "see --help")
        else:
            usage.show()
        _exit(status)
    except click.Abort:
        stopped = Interrupted()
        console.failure(stopped, stopped.exit_code)
        _exit(stopped.exit_code)
    except Exception as bug:
        if console.is_verbose():
            console.traceback()
        console.failure(
            f"internal error: {bug!r}", ExitCode.INTERNAL, "rerun with -v for the traceback"
        )
        _exit(ExitCode.INTERNAL)
    _exit(code if isinstance(code, int) else 0)


def _exit(code: int) -> NoReturn:
    """Leave without the interpreter's teardown: a command has closed what it opened (runtimes
    flush state on close), and tearing down modules and threads costs a one-shot CLI 20-45 ms."""
    for stream in (sys.stdout, sys.stderr):
        # A closed pipe (e.g. `| head`): nothing more can be written anyway.
        with contextlib.suppress(OSError):
            stream.flush()
    os._exit(code)
