"""Loading a function: checks, instrumentation, and its proto-function snapshot.

A module built with libfaasm is instantiated once per runtime; `_initialize` (C++ static
constructors) and `__faasm_zygote` run, then its memory and mutable globals are baked into a
snapshot module (`module_rewrite.snapshot_module`) from which every call gets a fresh instance.
A module that cannot be snapshotted (see `Prepared.snapshot_blocker`) runs in "fresh" mode —
constructors and zygote re-run in every call — and says why in `note`. A plain WASI command
(only `_start`) runs as a command: no snapshot, its exit code is the return value.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from pathlib import Path

import wasmtime

from faasm_cli.errors import BadInput, MissingImports
from faasm_cli.runtime.context import CallContext
from faasm_cli.runtime.faaslet import CallLimits, Outcome, Sandbox
from faasm_cli.runtime.hostcalls.interface import (
    EXPORT_CALL,
    EXPORT_FUNC_PREFIX,
    EXPORT_INITIALIZE,
    EXPORT_MEMORY,
    EXPORT_START,
    EXPORT_ZYGOTE,
    HOST_FUNCTIONS_BY_NAME,
    IMPORT_MODULE,
)
from faasm_cli.runtime.hostcalls.wasi_stdio import WASI_MODULE
from faasm_cli.runtime.interrupt import Interruption
from faasm_cli.runtime.snapshot import rewrite as module_rewrite
from faasm_cli.runtime.snapshot.cache import ModuleCache
from faasm_cli.runtime.snapshot.page_diff import Patched, SharedBase
from faasm_cli.runtime.snapshot.wasm_binary import MAGIC, WasmFormatError
from faasm_cli.runtime.state.store import StateStore

WASI_PREVIEW1 = frozenset(
    (
        "args_get",
        "args_sizes_get",
        "environ_get",
        "environ_sizes_get",
        "clock_res_get",
        "clock_time_get",
        "fd_advise",
        "fd_allocate",
        "fd_close",
        "fd_datasync",
        "fd_fdstat_get",
        "fd_fdstat_set_flags",
        "fd_fdstat_set_rights",
        "fd_filestat_get",
        "fd_filestat_set_size",
        "fd_filestat_set_times",
        "fd_pread",
        "fd_prestat_get",
        "fd_prestat_dir_name",
        "fd_pwrite",
        "fd_read",
        "fd_readdir",
        "fd_renumber",
        "fd_seek",
        "fd_sync",
        "fd_tell",
        "fd_write",
        "path_create_directory",
        "path_filestat_get",
        "path_filestat_set_times",
        "path_link",
        "path_open",
        "path_readlink",
        "path_remove_directory",
        "path_rename",
        "path_symlink",
        "path_unlink_file",
        "poll_oneoff",
        "proc_exit",
        "proc_raise",
        "sched_yield",
        "random_get",
        "sock_accept",
        "sock_recv",
        "sock_send",
        "sock_shutdown",
    )
)
SNAPSHOT, FRESH, COMMAND = "snapshot", "fresh", "command"


@dataclass(frozen=True)
class LoadedFunction:
    """A function ready to run: how its calls start (`pre`: its own snapshot, or a shared base
    patched with its pages), which indices it has, and whether its zygote failed (then every
    call fails with `zygote_error`)."""

    user: str
    function: str
    mode: str
    pre: wasmtime.InstancePre | Patched
    indices: frozenset[int]
    zygote_error: str | None = None
    note: str | None = None


def check_imports(module: wasmtime.Module, label: str) -> None:
    """Reject a module that imports anything the runtime does not provide, naming it all."""
    missing = []
    for item in module.imports:
        name = f"{item.module}.{item.name}"
        if item.module == IMPORT_MODULE:
            host = HOST_FUNCTIONS_BY_NAME.get(item.name or "")
            if host is None:
                missing.append(name)
                continue
            ty = item.type
            if not isinstance(ty, wasmtime.FuncType) or (
                [str(p) for p in ty.params] != list(host.param_types)
                or [str(r) for r in ty.results] != ([host.result] if host.result else [])
            ):
                missing.append(f"{name} (wrong signature)")
        elif item.module != WASI_MODULE or item.name not in WASI_PREVIEW1:
            missing.append(name)
    if missing:
        raise MissingImports(
            f"{label} imports what the runtime does not provide: {', '.join(missing)}",
            "build it against faasm/faasm.h and WASI preview 1 only",
        )


def _export_names(module: wasmtime.Module) -> set[str]:
    return {e.name for e in module.exports}


def _indices(names: set[str]) -> frozenset[int]:
    found = {0}
    for name in names:
        suffix = name.removeprefix(EXPORT_FUNC_PREFIX)
        if name.startswith(EXPORT_FUNC_PREFIX) and suffix.isdigit():
            found.add(int(suffix))
    return frozenset(found)


@dataclass
class Loader:
    """What loading needs from the runtime: engine pieces, state, and the zygote's limits."""

    engine: wasmtime.Engine
    linker: wasmtime.Linker
    cache: ModuleCache
    interruption: Interruption
    state: StateStore
    limits: CallLimits
    # Snapshots functions share (the Python interpreter's), by what they were made from; and
    # what that is, by the files' (path, mtime, size), so unchanged files are hashed once.
    bases: dict[str, SharedBase] = field(default_factory=dict)
    base_inputs: dict[tuple[tuple[Path, int, int], ...], str] = field(default_factory=dict)

    def compile(self, wasm: bytes, label: str) -> tuple[module_rewrite.Prepared, wasmtime.Module]:
        """Check `wasm` (a module, importing only what the runtime provides) and get its
        machine code, compiled once and kept in the cache."""
        if wasm[:8] != MAGIC:
            raise BadInput(
                f"{label} is not a WebAssembly module", "pass the .wasm that `faasm compile` builds"
            )
        try:
            prepared = self.cache.prepare(wasm)
        except WasmFormatError as error:
            raise BadInput(
                f"{label} is not a valid WebAssembly module: {error}",
                "rebuild it with `faasm compile`",
            ) from error
        module = self.cache.load(prepared.wasm, label)
        check_imports(module, label)
        return prepared, module

    def load(self, user: str, function: str, wasm: bytes, label: str) -> LoadedFunction:
        prepared, module = self.compile(wasm, label)
        names = _export_names(module)
        indices = _indices(names)
        if EXPORT_CALL not in names:
            if EXPORT_START not in names:
                raise BadInput(
                    f"{label} exports neither {EXPORT_CALL} nor {EXPORT_START}",
                    "define FAASM_MAIN_FUNC() or main() in the function",
                )
            return LoadedFunction(
                user, function, COMMAND, self.linker.instantiate_pre(module), frozenset({0})
            )
        if EXPORT_MEMORY not in names:
            raise BadInput(f"{label} does not export its memory", "link it with libfaasm")
        if prepared.snapshot_blocker:
            return LoadedFunction(
                user,
                function,
                FRESH,
                self.linker.instantiate_pre(module),
                indices,
                note=f"no snapshot: {prepared.snapshot_blocker}",
            )
        pre = self.linker.instantiate_pre(module)
        sandbox = Sandbox(self.engine, self.interruption, self.limits, pre)
        if sandbox.failure is not None:
            return LoadedFunction(
                user,
                function,
                SNAPSHOT,
                pre,
                indices,
                zygote_error=f"zygote failed: {sandbox.failure.error}",
            )
        ctx = sandbox.context(user, function, 0, b"", self.state)
        outcome = initialise(sandbox, ctx)
        if outcome.failed or outcome.return_value:
            reason = outcome.error or f"returned {outcome.return_value}"
            return LoadedFunction(
                user, function, SNAPSHOT, pre, indices, zygote_error=f"zygote failed: {reason}"
            )
        image = memory_image(sandbox)
        values = global_values(sandbox, tuple(index for index, _ in prepared.mutable_globals))
        snapshot = module_rewrite.snapshot_module(prepared, image, values)
        family = "snap-" + self.cache.key(prepared.wasm)[:24]
        snap_module = self.cache.load(snapshot, f"{label} (snapshot)", family=family)
        return LoadedFunction(
            user, function, SNAPSHOT, self.linker.instantiate_pre(snap_module), indices
        )


def memory_image(sandbox: Sandbox) -> bytes:
    """A copy of the instance's linear memory, as a snapshot bakes it."""
    memory = sandbox.export(EXPORT_MEMORY)
    assert isinstance(memory, wasmtime.Memory)
    size = memory.data_len(sandbox.store)
    if not size:
        return b""
    return ctypes.string_at(ctypes.addressof(memory.data_ptr(sandbox.store).contents), size)


def global_values(sandbox: Sandbox, indices: tuple[int, ...]) -> dict[int, int | float]:
    """The values of the mutable globals `indices` (exported by `prepare`)."""
    values: dict[int, int | float] = {}
    for index in indices:
        glob = sandbox.export(f"{module_rewrite.GLOBAL_EXPORT_PREFIX}{index}")
        assert isinstance(glob, wasmtime.Global)
        values[index] = glob.value(sandbox.store)
    return values


def initialise(sandbox: Sandbox, ctx: CallContext) -> Outcome:
    """Run the static constructors and the zygote of a fresh instance (each `Sandbox.call` puts
    `ctx` where host calls find it and releases its state resources)."""
    for name, nresults in ((EXPORT_INITIALIZE, 0), (EXPORT_ZYGOTE, 1)):
        if sandbox.export(name) is not None:
            outcome = sandbox.call(name, ctx, nresults)
            if outcome.failed or outcome.return_value:
                return outcome
    return Outcome()
