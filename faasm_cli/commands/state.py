"""`faasm state`: read and write a user's key/value state, in the local store or a cluster's."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from faasm_cli import console, settings
from faasm_cli.client import Client
from faasm_cli.commands.options import OutputOption, ProfileOption, UploadUrlOption, VerboseOption
from faasm_cli.config import Project
from faasm_cli.console import OutputFormat
from faasm_cli.errors import NotFound
from faasm_cli.names import check_key, check_user
from faasm_cli.runtime.state.store import LocalStateStore
from faasm_cli.user_files import file_to_read, file_to_write

app = typer.Typer(
    help="Manage key/value state: the local store used by `faasm run`, or with --cluster the "
    "cluster's.\n\n"
    "Examples:\n\n  faasm state set demo greeting 'hello'\n\n"
    "  faasm state get demo greeting\n\n  faasm state upload demo weights --file w.bin\n\n"
    "  faasm state list demo\n\n  faasm state get demo greeting --cluster",
    no_args_is_help=True,
)

UserArg = Annotated[str, typer.Argument(help="The user owning the state.")]
KeyArg = Annotated[str, typer.Argument(help="The state key.")]
LocalOption = Annotated[
    bool,
    typer.Option(
        "--local/--cluster",
        help="The local store, or the cluster's (through its upload server: --upload-url, "
        "--profile, FAASM_UPLOAD_URL).",
    ),
]


class _Stdout:
    """A sink for a value streamed from the cluster: its pieces go to stdout as they come."""

    def write(self, data: bytes) -> int:
        console.raw_output(data)
        return len(data)


def _client(profile: str | None, upload_url: str | None) -> Client:
    endpoints = settings.load(Project.find()).endpoints(profile, upload_url)
    return Client(endpoints.upload_url, endpoints.invoke_url)


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
    profile: ProfileOption = None,
    upload_url: UploadUrlOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Print a value's bytes to stdout (or write them to --file).

    Examples:

      faasm state get demo counter | xxd

      faasm state get demo weights --cluster --file weights.bin
    """
    if file is not None:
        file_to_write(file, "--file")
    if not local:
        _get_from_cluster(_client(profile, upload_url), check_user(user), check_key(key), file)
        return
    store = LocalStateStore()
    _require_key(store, user, key)
    value = store.get(user, key)
    if file is None:
        console.raw_output(value)
    else:
        file.write_bytes(value)
        console.success(f"{len(value)} bytes written to {file}")


def _get_from_cluster(client: Client, user: str, key: str, file: Path | None) -> None:
    """Stream the value to stdout, or into --file (whole or not at all: a partial download is
    never left under the file's name)."""
    with client:
        if file is None:
            client.get_state(user, key, _Stdout())
            return
        partial = file.with_name(f".{file.name}.part")
        try:
            with partial.open("wb") as sink:
                size = client.get_state(user, key, sink)
            os.replace(partial, file)
        finally:
            partial.unlink(missing_ok=True)
    console.success(f"{size} bytes written to {file}")


@app.command("set")
def set_command(
    user: UserArg,
    key: KeyArg,
    value: Annotated[str, typer.Argument(help="The value, as text.")],
    local: LocalOption = True,
    profile: ProfileOption = None,
    upload_url: UploadUrlOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Replace a value with the given text.

    Examples:

      faasm state set demo greeting hello

      faasm state set demo greeting hello --cluster
    """
    if local:
        store = LocalStateStore()
        store.set(user, key, value.encode())
        store.flush()
    else:
        with _client(profile, upload_url) as client:
            client.set_state(check_user(user), check_key(key), value.encode())
    console.success(f"{user}/{key} = {len(value.encode())} bytes")


@app.command("upload")
def upload_command(
    user: UserArg,
    key: KeyArg,
    file: Annotated[Path, typer.Option("--file", help="The file whose bytes become the value.")],
    local: LocalOption = True,
    profile: ProfileOption = None,
    upload_url: UploadUrlOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Replace a value with a file's bytes (streamed to a cluster, never held whole).

    Examples:

      faasm state upload demo weights --file weights.bin

      faasm state upload demo weights --file weights.bin --cluster --profile lab
    """
    file_to_read(file, "--file")
    if local:
        store = LocalStateStore()
        store.set(user, key, file.read_bytes())
        store.flush()
    else:
        with _client(profile, upload_url) as client:
            client.set_state(check_user(user), check_key(key), file)
    console.success(f"{user}/{key} = {file.stat().st_size} bytes from {file}")


@app.command("delete")
def delete_command(
    user: UserArg,
    key: KeyArg,
    local: LocalOption = True,
    profile: ProfileOption = None,
    upload_url: UploadUrlOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Delete a value (and its appended elements).

    Examples:

      faasm state delete demo counter

      faasm state delete demo counter --cluster
    """
    if local:
        store = LocalStateStore()
        _require_key(store, user, key)
        store.delete(user, key)
    else:
        with _client(profile, upload_url) as client:
            client.delete_state(check_user(user), check_key(key))
    console.success(f"deleted {user}/{key}")


@app.command("list")
def list_command(
    user: UserArg,
    output: OutputOption = OutputFormat.text,
    local: LocalOption = True,
    profile: ProfileOption = None,
    upload_url: UploadUrlOption = None,
    verbose: VerboseOption = False,
) -> None:
    """List a user's keys and the sizes of their values, sorted by key.

    Examples:

      faasm state list demo --output json

      faasm state list demo --cluster
    """
    if local:
        store = LocalStateStore()
        rows = [(key, store.size(user, key)) for key in store.keys(user)]
    else:
        with _client(profile, upload_url) as client:
            rows = client.list_state(check_user(user))
    if output is OutputFormat.json:
        console.emit_json([{"key": k, "size": s} for k, s in rows])
    else:
        console.table(f"State of {user}", ["key", "bytes"], rows)
