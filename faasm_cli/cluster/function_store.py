"""Uploaded functions on the upload server's disk, and the news of a new version in Redis.

Layout: `<functions_dir>/<user>/<function>/function.wasm` and `function.py`, each written to a
temp file and renamed, so a reader (a worker's `GET /f/...`) never sees half a module. A wasm is
checked and compiled by the runtime before it is stored: a module the host interface cannot run
is refused at upload with the missing imports named, and its machine code is in the cache that
workers on this host share, so their first call does not compile.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import redis

from faasm_cli.cluster import keys
from faasm_cli.cluster.atomic import write_atomically
from faasm_cli.errors import BadInput, ClusterUnavailable, NotFound
from faasm_cli.names import check_function, check_user
from faasm_cli.runtime import Runtime

WASM_FILE = "function.wasm"
PYTHON_FILE = "function.py"


def wasm_version(wasm: bytes) -> str:
    """A function's version: the SHA-256 of its wasm, as workers compare it."""
    return hashlib.sha256(wasm).hexdigest()


class FunctionStore:
    """Stores uploaded wasm and Python sources, one directory per function."""

    def __init__(self, root: Path, client: redis.Redis, runtime: Runtime) -> None:
        self.root = root
        self._redis = client
        self._runtime = runtime
        # Store-then-announce of one function happens under its lock, so the version in Redis
        # is the version on disk when two uploads of the same function race.
        self._locks_guard = threading.Lock()
        self._locks: dict[tuple[str, str], threading.Lock] = {}

    def put_wasm(self, user: str, function: str, wasm: bytes) -> str:
        """Check, compile and store a function's wasm, then announce it; returns its version."""
        directory = self._directory(user, function)
        if not wasm:
            raise BadInput(f"empty wasm for {user}/{function}", "send the .wasm as the body")
        self._runtime.precompile(wasm, f"{user}/{function}")
        version = wasm_version(wasm)
        with self._lock(user, function):
            write_atomically(directory / WASM_FILE, (wasm,))
            self._announce(user, function, version)
        return version

    def wasm(self, user: str, function: str) -> bytes:
        return self._read(user, function, WASM_FILE, "upload it: faasm upload")

    def put_python(self, user: str, function: str, source: bytes) -> None:
        """Store a Python function's source (UTF-8 text)."""
        directory = self._directory(user, function)
        if not source:
            raise BadInput(f"empty source for {user}/{function}", "send the .py as the body")
        try:
            source.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BadInput(
                f"the source of {user}/{function} is not UTF-8 text (byte {error.start})",
                "save the .py file as UTF-8",
            ) from error
        with self._lock(user, function):
            write_atomically(directory / PYTHON_FILE, (source,))
            self._announce(user, function, wasm_version(source))

    def python(self, user: str, function: str) -> bytes:
        return self._read(user, function, PYTHON_FILE, "upload it: faasm upload --py")

    def _read(self, user: str, function: str, name: str, hint: str) -> bytes:
        path = self._directory(user, function) / name
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            kind = "Python function" if name == PYTHON_FILE else "function"
            raise NotFound(f"no {kind} {user}/{function}", hint) from None

    def _directory(self, user: str, function: str) -> Path:
        return self.root / check_user(user) / check_function(function)

    def _lock(self, user: str, function: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault((user, function), threading.Lock())

    def _announce(self, user: str, function: str, version: str) -> None:
        try:
            with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(keys.function_version(user, function), version)
                pipe.publish(keys.FUNCTIONS_CHANNEL, f"{user}/{function}")
                pipe.execute()
        except redis.RedisError as error:
            raise ClusterUnavailable(
                f"stored {user}/{function} but could not tell the workers: Redis failed: {error}",
                "start Redis (faasm cluster up) and upload again",
            ) from error
