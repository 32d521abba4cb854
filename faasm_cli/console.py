"""The one place that renders: errors, progress, tables, JSON and a function's raw output.

Messages and progress go to stderr so that stdout carries only what a script asked for: a
function's output bytes, a table, or a JSON document.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from faasm_cli.errors import FaasmError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.tree import Tree


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


_verbose = False
_output = OutputFormat.text


@functools.cache
def _console(stderr: bool) -> Console:
    """The rich console of stderr or stdout, built on first use: importing rich costs tens of
    milliseconds that a successful `faasm run` (raw bytes only) never needs."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def set_verbose(on: bool) -> None:
    global _verbose
    _verbose = on


def is_verbose() -> bool:
    return _verbose


def set_output(chosen: OutputFormat) -> None:
    """Remember `--output`, so that an error raised after parsing is rendered the same way."""
    global _output
    _output = chosen


def wants_json() -> bool:
    return _output is OutputFormat.json


def traceback() -> None:
    _console(stderr=True).print_exception()


def error(problem: FaasmError | str, hint: str = "") -> None:
    """One line naming the problem and, where known, the fix."""
    if isinstance(problem, FaasmError):
        message, hint = problem.message, problem.hint
    else:
        message = problem
    suffix = f" [dim]({_escape(hint)})[/dim]" if hint else ""
    _console(stderr=True).print(f"[bold red]error:[/bold red] {_escape(message)}{suffix}")


def failure(problem: FaasmError | str, exit_code: int, hint: str = "") -> None:
    """A command that failed: one line on stderr, or, under `--output json`, a JSON object on
    stdout (`error`, `hint`, `exit_code`) so that a script reading stdout always gets JSON."""
    if not wants_json():
        error(problem, hint)
        return
    if isinstance(problem, FaasmError):
        message, hint = problem.message, problem.hint
    else:
        message = problem
    emit_json({"error": message, "hint": hint, "exit_code": exit_code})


def info(message: str) -> None:
    _console(stderr=True).print(_escape(message))


def success(message: str) -> None:
    _console(stderr=True).print(f"[green]✓[/green] {_escape(message)}")


def log_line(line: str) -> None:
    """A tool's own line (compiler diagnostics), passed through verbatim."""
    sys.stderr.write(line if line.endswith("\n") else line + "\n")
    sys.stderr.flush()


_BUILD_CHATTER = re.compile(r"^(-- |\[\d+/\d+\] |ninja: )")


@contextmanager
def progress(label: str) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr while work runs; yields a log function for the work's output.

    Build-system chatter (CMake's `-- ...`, ninja's `[3/8] ...`) becomes the spinner's status line
    (printed in full with -v); every other line, such as a compiler diagnostic, is shown verbatim.
    """
    with _console(stderr=True).status(_escape(label)) as status:

        def log(line: str) -> None:
            if _BUILD_CHATTER.match(line) and not _verbose:
                status.update(f"{_escape(label)} [dim]{_escape(line.strip()[:70])}[/dim]")
            else:
                log_line(line)

        yield log


def raw_output(data: bytes) -> None:
    """A function's output bytes, untouched, on stdout."""
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def raw_stream(text: str) -> None:
    """A function's own stdout/stderr, shown on our stderr."""
    if text:
        sys.stderr.write(text)
        sys.stderr.flush()


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")
    sys.stdout.flush()


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.table import Table

    grid = Table(title=title, title_justify="left")
    for column in columns:
        grid.add_column(column)
    for row in rows:
        grid.add_row(*(_escape(str(cell)) for cell in row))
    _console(stderr=False).print(grid)


def tree(label: str, build: Callable[[Tree], None]) -> None:
    """A tree on stderr (e.g. chained calls under `run -v`)."""
    from rich.tree import Tree

    root = Tree(_escape(label))
    build(root)
    _console(stderr=True).print(root)


def _escape(text: str) -> str:
    return text.replace("[", r"\[")
