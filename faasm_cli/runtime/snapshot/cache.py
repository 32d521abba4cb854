"""Modules kept on disk between processes: prepared (instrumented) wasm and machine code.

Loading a function has two slow steps: `prepare` (the instrumentation pass, in Python: 0.7 s for
a 3 MB module) and cranelift compilation. Both results are kept under `cache_dir()/modules/`:

- `<key>.prepared` — the prepared wasm and what the snapshot needs to know about it, keyed by the
  input wasm and the source of the rewrite code, so a change to `prepare` invalidates it;
- `<key>.cwasm` + `<key>.cwasm.sum` — machine code keyed by the prepared wasm, the wasmtime
  version and the engine settings;
- `<name>.record` — small values derived from modules under a key their maker chooses (a Python
  function's page diff against the interpreter's base snapshot, `page_diff.py`).

Every entry is checked against its checksum (CRC-32 and length) before use. Wasmtime maps machine
code and jumps into it, so a flipped byte would crash the process; instead, a corrupted, truncated
or foreign entry is thrown away and rebuilt. The check is against damage, not an attacker (who
could rewrite the checksum too): CRC-32 catches it and costs 1.3 ms per 5 MiB where SHA-256 costs
7 ms, paid on every load. Writes are atomic (temp file + rename).
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import wasmtime

from faasm_cli.config import MACHINE_CODE_CACHE, cache_dir
from faasm_cli.errors import BadInput
from faasm_cli.runtime.engine import WASMTIME_VERSION, engine_settings
from faasm_cli.runtime.interrupt import GUARD
from faasm_cli.runtime.snapshot import rewrite, wasm_binary
from faasm_cli.runtime.snapshot.rewrite import Prepared

MODULE_SUFFIX = ".cwasm"
CHECKSUM_SUFFIX = ".sum"
PREPARED_SUFFIX = ".prepared"
RECORD_SUFFIX = ".record"
_PREPARED_MAGIC = b"faasm-prepared\0"
_RECORD_MAGIC = b"faasm-record\0"
_HEADER_LENGTH = struct.Struct("<I")


def source_digest(*modules: object) -> bytes:
    """What code is: any edit to it (e.g. a new instrumentation) changes the keys made with it."""
    digest = hashlib.sha256()
    for module in modules:
        digest.update(Path(str(getattr(module, "__file__", ""))).read_bytes())
    return digest.digest()


REWRITE_DIGEST = source_digest(rewrite, wasm_binary)


def machine_tag(interruption: str) -> bytes:
    """What the machine code depends on besides the wasm: wasmtime and the engine settings."""
    settings = ";".join(f"{key}={value}" for key, value in engine_settings(interruption))
    return f"wasmtime-{WASMTIME_VERSION};{settings}".encode()


@dataclass
class CacheStats:
    """How modules were obtained: built now, or read back from disk (and how many entries on
    disk, records included, were found damaged and rebuilt)."""

    compiled: int = 0
    loaded: int = 0
    prepared: int = 0
    prepared_loaded: int = 0
    discarded: int = 0


class ModuleCache:
    """Prepare and compile each module once per (bytes, code version); later loads read disk."""

    def __init__(
        self, engine: wasmtime.Engine, directory: Path | None = None, interruption: str = GUARD
    ) -> None:
        self.engine = engine
        self.directory = (directory or cache_dir()) / MACHINE_CODE_CACHE
        self.directory.mkdir(parents=True, exist_ok=True)
        self.stats = CacheStats()
        self.interruption = interruption  # the engine's; guard pages need guard checks in wasm
        self._machine_tag = machine_tag(interruption)

    def key(self, wasm: bytes) -> str:
        """The machine-code key of `wasm` under this wasmtime and engine configuration."""
        return hashlib.sha256(self._machine_tag + b"\0" + wasm).hexdigest()

    def path(self, wasm: bytes, family: str = "") -> Path:
        return self._code_path(self.key(wasm), family)

    def _code_path(self, key: str, family: str) -> Path:
        prefix = f"{family}-" if family else ""
        return self.directory / f"{prefix}{key}{MODULE_SUFFIX}"

    # ---- prepared wasm --------------------------------------------------------------------------

    def prepare(self, wasm: bytes) -> Prepared:
        """`rewrite.prepare(wasm)`, from disk when this input was prepared by the same code."""
        key = hashlib.sha256(REWRITE_DIGEST + self.interruption.encode() + b"\0" + wasm).hexdigest()
        path = self.directory / f"{key}{PREPARED_SUFFIX}"
        cached = self._read_prepared(path)
        if cached is not None:
            self.stats.prepared_loaded += 1
            return cached
        prepared = rewrite.prepare(wasm, guard=self.interruption == GUARD)
        self.stats.prepared += 1
        header = {
            "mutable_globals": prepared.mutable_globals,
            "snapshot_blocker": prepared.snapshot_blocker,
        }
        _write_atomically(path, _pack(_PREPARED_MAGIC, header, prepared.wasm))
        return prepared

    def _read_prepared(self, path: Path) -> Prepared | None:
        found = self._read_packed(path, _PREPARED_MAGIC)
        if found is None:
            return None
        header, wasm = found
        try:
            return Prepared(
                wasm,
                tuple((int(index), int(kind)) for index, kind in header["mutable_globals"]),
                header["snapshot_blocker"],
            )
        except (KeyError, TypeError, ValueError):
            self._discard(path)
            return None

    def _read_packed(self, path: Path, magic: bytes) -> tuple[dict[str, Any], bytes] | None:
        """The header and payload `_pack` wrote to `path`; None when there is no entry, and
        when it is damaged (then it is removed)."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            start = len(magic) + _HEADER_LENGTH.size
            if not data.startswith(magic) or len(data) < start:
                raise ValueError("not an entry of this kind")
            (length,) = _HEADER_LENGTH.unpack_from(data, len(magic))
            header = json.loads(data[start : start + length])
            payload = data[start + length :]
            if not isinstance(header, dict) or _checksum(payload) != header.get("checksum"):
                raise ValueError("checksum mismatch")
            return header, payload
        except ValueError:
            self._discard(path)
            return None

    # ---- records --------------------------------------------------------------------------------

    def read_record(self, name: str) -> bytes | None:
        """The bytes stored under `name`, checked; None when missing or damaged (then the entry
        is removed and counted in `stats.discarded`)."""
        found = self._read_packed(self.directory / f"{name}{RECORD_SUFFIX}", _RECORD_MAGIC)
        return None if found is None else found[1]

    def write_record(self, name: str, data: bytes) -> None:
        _write_atomically(self.directory / f"{name}{RECORD_SUFFIX}", _pack(_RECORD_MAGIC, {}, data))

    # ---- machine code ---------------------------------------------------------------------------

    def load(self, wasm: bytes, label: str, family: str = "") -> wasmtime.Module:
        """The compiled module for `wasm`. `family` groups versions of one function's snapshot:
        writing a new member removes the older ones, so nondeterministic zygotes do not pile up.
        """
        path = self.path(wasm, family)
        module = self._read_machine_code(path)
        if module is not None:
            self.stats.loaded += 1
            return module
        try:
            module = wasmtime.Module(self.engine, wasm)
        except wasmtime.WasmtimeError as error:
            raise BadInput(
                f"{label} is not a valid WebAssembly module: {_first_line(error)}",
                "rebuild it with `faasm compile`",
            ) from error
        self.stats.compiled += 1
        if family:
            for old in self.directory.glob(f"{family}-*{MODULE_SUFFIX}*"):
                old.unlink(missing_ok=True)
        code = bytes(module.serialize())
        # The checksum first: a reader never sees new machine code without it (the code under
        # one key is the same bytes whoever compiles it).
        _write_atomically(_checksum_path(path), _checksum(code).encode())
        _write_atomically(path, code)
        return module

    def load_compiled(self, key: str, family: str = "") -> wasmtime.Module | None:
        """The machine code stored under `key` (see `key`) if it is there and intact: a caller
        that knows the key need not rebuild the wasm to find its machine code."""
        module = self._read_machine_code(self._code_path(key, family))
        if module is not None:
            self.stats.loaded += 1
        return module

    def _read_machine_code(self, path: Path) -> wasmtime.Module | None:
        """The module in `path` if its bytes match their recorded checksum, else None (and the
        entry is removed). The checked bytes are the ones wasmtime maps: it reads the same open
        file through /proc/self/fd, so a concurrent rename cannot swap them in between."""
        try:
            expected = _checksum_path(path).read_bytes().decode("ascii", "replace").strip()
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            if path.exists():
                self._discard(path)
            return None
        try:
            crc, size = 0, 0
            while chunk := os.read(fd, 1 << 20):
                crc, size = zlib.crc32(chunk, crc), size + len(chunk)
            if _format_checksum(crc, size) == expected:
                try:
                    return wasmtime.Module.deserialize_file(self.engine, f"/proc/self/fd/{fd}")
                except wasmtime.WasmtimeError:
                    pass  # written by another wasmtime build or configuration: rebuild
        finally:
            os.close(fd)
        self._discard(path)
        return None

    def _discard(self, path: Path) -> None:
        self.stats.discarded += 1
        path.unlink(missing_ok=True)
        _checksum_path(path).unlink(missing_ok=True)


def _pack(magic: bytes, header: dict[str, Any], payload: bytes) -> bytes:
    """`magic`, the JSON header (with the payload's checksum) and its length, then the payload."""
    text = json.dumps({**header, "checksum": _checksum(payload)}).encode()
    return magic + _HEADER_LENGTH.pack(len(text)) + text + payload


def _format_checksum(crc: int, size: int) -> str:
    return f"crc32-{crc:08x}-{size}"


def _checksum(data: bytes) -> str:
    return _format_checksum(zlib.crc32(data), len(data))


def _checksum_path(path: Path) -> Path:
    return path.with_name(path.name + CHECKSUM_SUFFIX)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
