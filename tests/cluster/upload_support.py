"""One real upload server for a test module (each upload app holds a wasmtime engine: one per
test would pile up address space until the garbage collector frees it)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from support import serve_in_thread

from faasm_cli.cluster.config import ClusterConfig
from faasm_cli.cluster.server import upload_app


@contextlib.contextmanager
def running_upload_server(
    root: Path, redis_url: str, **settings: Any
) -> Iterator[tuple[ClusterConfig, str]]:
    """The config and base URL of an upload server keeping its data and cache under `root`."""
    config = ClusterConfig(
        redis_url=redis_url, data_dir=root / "data", cache_dir=root / "cache", **settings
    )
    with serve_in_thread(upload_app(config)) as url:
        yield config, url
