"""`faasm cache`: where the caches are, how big each kind is, and clearing them."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from faasm_cli import cache_info, console
from faasm_cli.cache_info import MACHINE_CODE, STATE, Usage
from faasm_cli.commands.options import OutputOption, VerboseOption
from faasm_cli.config import cache_dir
from faasm_cli.console import OutputFormat

app = typer.Typer(
    help="See and clear the caches: machine code, state, toolchain, Python runtime.\n\n"
    "The root is FAASM_CACHE_DIR, or the user cache dir.\n\n"
    "Examples:\n\n  faasm cache info\n\n  faasm cache clear\n\n  faasm cache clear --state",
    no_args_is_help=True,
)


@app.command("info")
def info_command(output: OutputOption = OutputFormat.text, verbose: VerboseOption = False) -> None:
    """Show where the cache is and its size per kind.

    Examples:

      faasm cache info

      faasm cache info --output json | jq .total_bytes
    """
    root = cache_dir()
    rows = cache_info.usage(root)
    origin = "FAASM_CACHE_DIR" if os.environ.get("FAASM_CACHE_DIR") else "default"
    if output is OutputFormat.json:
        console.emit_json(
            {
                "root": str(root),
                "set_by": origin,
                "kinds": [_as_json(row) for row in rows],
                "total_bytes": sum(row.size for row in rows),
            }
        )
        return
    table = [(r.kind, _human(r.size), r.files, r.path) for r in rows]
    total = _human(sum(r.size for r in rows))
    console.table(f"Cache {root} ({origin}), {total}", ["kind", "size", "files", "path"], table)


@app.command("clear")
def clear_command(
    machine_code: Annotated[
        bool,
        typer.Option("--machine-code", help="Prepared wasm and machine code (the default)."),
    ] = False,
    state: Annotated[
        bool, typer.Option("--state", help="Local state: values are lost, not rebuilt.")
    ] = False,
    everything: Annotated[
        bool,
        typer.Option("--all", help="Every kind, state included (entries not ours are kept)."),
    ] = False,
    output: OutputOption = OutputFormat.text,
    verbose: VerboseOption = False,
) -> None:
    """Delete cached entries: machine code unless told otherwise; state only when asked.

    Examples:

      faasm cache clear

      faasm cache clear --machine-code --state

      faasm cache clear --all
    """
    if everything:
        kinds = list(cache_info.KIND_NAMES)
    else:
        kinds = [name for name, on in ((MACHINE_CODE, machine_code), (STATE, state)) if on]
    cleared = cache_info.clear(kinds or [MACHINE_CODE])
    if output is OutputFormat.json:
        console.emit_json([_as_json(row) for row in cleared])
        return
    for row in cleared:
        console.success(f"cleared {row.kind}: {_human(row.size)} in {row.files} files")


def _as_json(row: Usage) -> dict[str, object]:
    return {"kind": row.kind, "path": str(row.path), "files": row.files, "bytes": row.size}


def _human(size: int) -> str:
    """Bytes for people: 812 B, 4.2 KiB, 13.0 MiB."""
    if size < 1024:
        return f"{size} B"
    value, unit = size / 1024, "KiB"
    for bigger in ("MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}"
