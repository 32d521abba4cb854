"""What `faasm upload` sends and sending it: each C/C++ function's wasm (built first when stale)
or each Python function's source. The core of `faasm upload` and `inv upload`; it never prints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from faasm_cli.client import Client
from faasm_cli.config import WASM_SUFFIXES, Project
from faasm_cli.local_run import python_source
from faasm_cli.toolchain import build_function, build_user


@dataclass(frozen=True)
class Upload:
    """One function's file as it goes to the upload server."""

    function: str
    path: Path
    kind: Literal["wasm", "python"]
    rebuilt: bool


def plan(
    project: Project,
    user: str,
    names: list[str],
    backend: str,
    on_log: Callable[[str], None],
    python: bool = False,
) -> list[Upload]:
    """The uploads of `names`: wasm built if stale (together when several, so one configure
    serves all), Python sources as they are (every one's with `python`: --py)."""
    if python:
        sources = {name: python_source(project, user, name) for name in names}
    else:
        sources = {name: project.source(user, name) for name in names}
    wasm_names = [name for name, source in sources.items() if source.suffix in WASM_SUFFIXES]
    if len(wasm_names) == 1:
        builds = [build_function(project, user, wasm_names[0], backend=backend, on_log=on_log)]
    elif wasm_names:
        builds = build_user(project, user, backend=backend, on_log=on_log)
    else:
        builds = []
    built = {result.function: result for result in builds}
    return [
        Upload(name, built[name].path, "wasm", built[name].rebuilt)
        if name in built
        else Upload(name, source, "python", False)
        for name, source in sources.items()
    ]


def send(client: Client, user: str, uploads: list[Upload]) -> None:
    """Upload each file to the route of its kind (`PUT /f/...` or `PUT /p/...`)."""
    for upload in uploads:
        if upload.kind == "wasm":
            client.upload_wasm(user, upload.function, upload.path)
        else:
            client.upload_python(user, upload.function, upload.path)
