"""`faasm state`: read and write a user's key/value state in the local store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from faasm_cli import console
from faasm_cli.commands.options import OutputOption, VerboseOption
from faasm_cli.console import OutputFormat
from faasm_cli.errors import BadInput, NotFound
from faasm_cli.names import check_key, check_user
from faasm_cli.runtime.state.store import LocalStateStore
from faasm_cli.user_files import file_to_read, file_to_write

app = typer.Typer(
    help="Manage key/value state (the local store used by `faasm run`).\n\n"
    "Examples:\n\n  faasm state set demo greeting 'hello'\n\n"
    "  faasm state get demo greeting\n\n  faasm state upload demo weights --file w.bin\n\n"
    "  faasm state list demo",
    no_args_is_help=True,
)

UserArg = Annotated[str, typer.Argument(help="The user owning the state.")]
KeyArg = Annotated[str, typer.Argument(help="The state key.")]
LocalOption = Annotated[
    bool, typer.Option("--local/--cluster", help="Use the local store (the only one for now).")
]


def _store(local: bool) -> LocalStateStore:
    if not local:
        raise BadInput("no cluster state store yet", "use --local (the default)")
    return LocalStateStore()


def _require_key(store: LocalStateStore, user: str, key: str) -> None:
    if check_key(key) not in store.keys(check_user(user)):
        known = ", ".join(store.keys(user)) or "none"
        raise NotFound(f"no state {user}/{key}", f"keys of {user}: {known}")


@app.command("get")
def get_command(
    user: UserArg,
    key: KeyArg,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Write the value here (default: stdout).", show_default=False),
    ] = None,
    local: LocalOption = True,
    verbose: VerboseOption = False,
) -> None:
    """Print a value's bytes to stdout (or write them to --file).

    Example:

      faasm state get demo counter | xxd
    """
    if file is not None:
        file_to_write(file, "--file")
    store = _store(local)
    _require_key(store, user, key)
    value = store.get(user, key)
    if file is None:
        console.raw_output(value)
    else:
        file.write_bytes(value)
        console.success(f"{len(value)} bytes written to {file}")


@app.command("set")
def set_command(
    user: UserArg,
    key: KeyArg,
    value: Annotated[str, typer.Argument(help="The value, as text.")],
    local: LocalOption = True,
    verbose: VerboseOption = False,
) -> None:
    """Replace a value with the given text.

    Example:

      faasm state set demo greeting hello
    """
    store = _store(local)
    store.set(user, key, value.encode())
    store.flush()
    console.success(f"{user}/{key} = {len(value.encode())} bytes")


@app.command("upload")
def upload_command(
    user: UserArg,
    key: KeyArg,
    file: Annotated[Path, typer.Option("--file", help="The file whose bytes become the value.")],
    local: LocalOption = True,
    verbose: VerboseOption = False,
) -> None:
    """Replace a value with a file's bytes.

    Example:

      faasm state upload demo weights --file weights.bin
    """
    file_to_read(file, "--file")
    store = _store(local)
    data = file.read_bytes()
    store.set(user, key, data)
    store.flush()
    console.success(f"{user}/{key} = {len(data)} bytes from {file}")


@app.command("delete")
def delete_command(
    user: UserArg, key: KeyArg, local: LocalOption = True, verbose: VerboseOption = False
) -> None:
    """Delete a value (and its appended elements).

    Example:

      faasm state delete demo counter
    """
    store = _store(local)
    _require_key(store, user, key)
    store.delete(user, key)
    console.success(f"deleted {user}/{key}")


@app.command("list")
def list_command(
    user: UserArg,
    output: OutputOption = OutputFormat.text,
    local: LocalOption = True,
    verbose: VerboseOption = False,
) -> None:
    """List a user's keys and their sizes.

    Example:

      faasm state list demo --output json
    """
    store = _store(local)
    rows = [(key, store.size(user, key)) for key in store.keys(user)]
    if output is OutputFormat.json:
        console.emit_json([{"key": k, "size": s} for k, s in rows])
    else:
        console.table(f"State of {user}", ["key", "bytes"], rows)
