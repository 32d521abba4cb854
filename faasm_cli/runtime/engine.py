"""The wasmtime engine, its machine-code cache on disk, and the epoch ticker behind timeouts.

Compiling is the slow step of loading a function (cranelift, hundreds of ms for a C++ module),
so compiled code is kept under `cache_dir()/modules/`, keyed by the wasm's hash, the wasmtime
version and the engine configuration: a later load of the same bytes only maps machine code.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import wasmtime

from faasm_cli.config import cache_dir
from faasm_cli.errors import BadInput

EPOCH_TICK_S = 0.005
MAX_WASM_STACK = 1 << 20
WASMTIME_VERSION = importlib.metadata.version("wasmtime")
# Everything that changes the machine code goes into the cache key.
ENGINE_SETTINGS = (
    ("epoch_interruption", True),
    ("memory_init_cow", True),
    ("cranelift_opt_level", "speed"),
    ("max_wasm_stack", MAX_WASM_STACK),
)


def make_engine() -> wasmtime.Engine:
    config = wasmtime.Config()
    for key, value in ENGINE_SETTINGS:
        setattr(config, key, value)
    return wasmtime.Engine(config)


def _settings_tag() -> str:
    text = ";".join(f"{key}={value}" for key, value in ENGINE_SETTINGS)
    return f"wasmtime-{WASMTIME_VERSION};{text}"


@dataclass
class CacheStats:
    """How modules were obtained: compiled now, or loaded from machine code on disk."""

    compiled: int = 0
    loaded: int = 0


class ModuleCache:
    """Compile wasm once per (bytes, wasmtime, engine settings); later loads deserialize."""

    def __init__(self, engine: wasmtime.Engine, directory: Path | None = None) -> None:
        self.engine = engine
        self.directory = (directory or cache_dir()) / "modules"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.stats = CacheStats()
        self._tag = _settings_tag().encode()

    def key(self, wasm: bytes) -> str:
        return hashlib.sha256(self._tag + b"\0" + wasm).hexdigest()

    def path(self, wasm: bytes, family: str = "") -> Path:
        prefix = f"{family}-" if family else ""
        return self.directory / f"{prefix}{self.key(wasm)}.cwasm"

    def load(self, wasm: bytes, label: str, family: str = "") -> wasmtime.Module:
        """The compiled module for `wasm`. `family` groups versions of one function's snapshot:
        writing a new member removes the older ones, so nondeterministic zygotes do not pile up.
        """
        path = self.path(wasm, family)
        if path.is_file():
            try:
                module = wasmtime.Module.deserialize_file(self.engine, str(path))
                self.stats.loaded += 1
                return module
            except wasmtime.WasmtimeError:
                path.unlink(missing_ok=True)
        try:
            module = wasmtime.Module(self.engine, wasm)
        except wasmtime.WasmtimeError as error:
            raise BadInput(
                f"{label} is not a valid WebAssembly module: {_first_line(error)}",
                "rebuild it with `faasm compile`",
            ) from error
        self.stats.compiled += 1
        if family:
            for old in self.directory.glob(f"{family}-*.cwasm"):
                old.unlink(missing_ok=True)
        _write_atomically(path, bytes(module.serialize()))
        return module


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".cwasm")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class EpochTicker:
    """One thread per engine advancing the epoch, so a store's deadline is wall-clock time."""

    def __init__(self, engine: wasmtime.Engine, tick_s: float = EPOCH_TICK_S) -> None:
        self.engine = engine
        self.tick_s = tick_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faasm-epoch", daemon=True)
        self._thread.start()

    def ticks_for(self, seconds: float) -> int:
        return max(1, int(seconds / self.tick_s + 0.999))

    def _run(self) -> None:
        while not self._stop.wait(self.tick_s):
            self.engine.increment_epoch()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
