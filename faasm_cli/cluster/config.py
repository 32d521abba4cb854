"""How a cluster process is configured: one definition for the upload server, the workers and
the launcher that starts them (`faasm cluster up` passes a config as argv to each process).

Defaults are Faasm's: upload server on 8002, invoke endpoint on 8080, Redis on 6379.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import platformdirs

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_UPLOAD_PORT = 8002
DEFAULT_INVOKE_PORT = 8080
DEFAULT_RESULT_TTL_S = 3600.0
DEFAULT_MAX_BODY_BYTES = 512 << 20  # Redis's own limit for one string value


def default_data_dir() -> Path:
    """Where the cluster keeps uploaded functions, shared files and its logs."""
    override = os.environ.get("FAASM_CLUSTER_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir("faasm")) / "cluster"


@dataclass(frozen=True)
class ClusterConfig:
    """Everything a server or worker process needs to know about its cluster."""

    redis_url: str = DEFAULT_REDIS_URL
    host: str = "127.0.0.1"  # the address this process listens on
    upload_port: int = DEFAULT_UPLOAD_PORT
    invoke_port: int = DEFAULT_INVOKE_PORT
    # The upload server as workers reach it; empty: http://<host>:<upload_port>.
    upload_url: str = ""
    data_dir: Path = field(default_factory=default_data_dir)
    # Machine code and prepared modules; None: the CLI's cache (`config.cache_dir()`).
    cache_dir: Path | None = None
    result_ttl_s: float = DEFAULT_RESULT_TTL_S
    threads: int = 0  # a worker's call threads; 0: one per core
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    worker_id: str = ""  # empty: <hostname>-<pid>

    @property
    def upload_base(self) -> str:
        return self.upload_url or f"http://{self.host}:{self.upload_port}"

    @property
    def invoke_base(self) -> str:
        return f"http://{self.host}:{self.invoke_port}"

    @property
    def functions_dir(self) -> Path:
        return self.data_dir / "functions"

    @property
    def shared_files_dir(self) -> Path:
        """The root `PUT /file` writes under and functions read from (read-only)."""
        return self.data_dir / "shared"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    def to_argv(self) -> list[str]:
        """This config as command-line options, parsed back by `from_argv`."""
        argv: list[str] = []
        defaults = ClusterConfig()
        for item in fields(self):
            value = getattr(self, item.name)
            if value != getattr(defaults, item.name) and value is not None:
                argv += [f"--{item.name.replace('_', '-')}", str(value)]
        return argv

    @classmethod
    def from_argv(cls, argv: Sequence[str] | None = None, prog: str = "") -> ClusterConfig:
        parser = argparse.ArgumentParser(prog=prog or None)
        defaults = cls()
        for item in fields(cls):
            kind = type(getattr(defaults, item.name))
            parse = Path if item.name.endswith("_dir") else kind if kind is not str else str
            parser.add_argument(f"--{item.name.replace('_', '-')}", type=parse, default=None)
        parsed = vars(parser.parse_args(argv))
        return replace(defaults, **{k: v for k, v in parsed.items() if v is not None})
