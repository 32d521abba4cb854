"""libfaasm on wasm, end to end: the demo functions built by the real toolchain, run through a
tiny wasmtime-py host written here (the real runtime lives in faasm_cli/runtime).

The mini host implements the `env` imports the simple way: chained calls run synchronously in a
fresh instance, state is a dict, state pointers are copies written back when the call ends. That
is enough to check that libfaasm's entry points, dispatch and API wrappers do what the demo
functions' comments promise.
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import wasmtime

from faasm_cli.config import Project
from faasm_cli.runtime.hostcalls.interface import HOST_FUNCTIONS
from faasm_cli.toolchain import build_user

REPO_FUNC = Path(__file__).resolve().parents[1] / "func"


@pytest.fixture(scope="module")
def demo_wasm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every demo function built to wasm in a private copy of the func tree."""
    root = tmp_path_factory.mktemp("wasm-project")
    shutil.copytree(REPO_FUNC / "demo", root / "func" / "demo")
    build_user(Project(root / "func"), "demo")
    return root / "build" / "func" / "demo"


@dataclass
class Result:
    return_value: int
    output: bytes
    stdout: str


@dataclass
class MiniHost:
    """Runs one call per fresh instance; state and finished calls persist on the host."""

    wasm_dir: Path
    engine: wasmtime.Engine = field(default_factory=wasmtime.Engine)
    state: dict[str, bytearray] = field(default_factory=dict)
    appended: dict[str, list[bytes]] = field(default_factory=dict)
    calls: dict[int, Result] = field(default_factory=dict)
    modules: dict[str, wasmtime.Module] = field(default_factory=dict)

    def module(self, function: str) -> wasmtime.Module:
        if function not in self.modules:
            path = self.wasm_dir / f"{function}.wasm"
            self.modules[function] = wasmtime.Module.from_file(self.engine, str(path))
        return self.modules[function]

    def call(self, function: str, input_data: bytes = b"", idx: int = 0) -> Result:
        store = wasmtime.Store(self.engine)
        stdout = self.wasm_dir / f".{function}.{idx}.{len(self.calls)}.stdout"
        wasi = wasmtime.WasiConfig()
        wasi.argv = [function]
        wasi.stdout_file = str(stdout)
        store.set_wasi(wasi)
        linker = wasmtime.Linker(self.engine)
        linker.define_wasi()
        ctx: dict[str, Any] = {"input": input_data, "output": b"", "idx": idx, "ptrs": {}}
        for fn in HOST_FUNCTIONS:
            handler = getattr(self, fn.name.removeprefix("__faasm_"))
            ty = wasmtime.FuncType(
                [wasmtime.ValType.i32()] * len(fn.params),
                [wasmtime.ValType.i32()] if fn.result else [],
            )
            linker.define_func(
                "env", fn.name, ty, self._bind(handler, ctx, function), access_caller=True
            )
        instance = linker.instantiate(store, self.module(function))
        exports = instance.exports(store)
        exports["_initialize"](store)
        try:
            assert exports["__faasm_zygote"](store) == 0
            value = exports["__faasm_call"](store, idx)
        except wasmtime.ExitTrap as exit_trap:
            value = exit_trap.code
        memory = exports["memory"]
        for key, (ptr, total) in ctx["ptrs"].items():  # write shared pointers back
            self.state[key] = bytearray(memory.read(store, ptr, ptr + total))
        return Result(value, ctx["output"], stdout.read_text())

    @staticmethod
    def _bind(handler: Callable[..., Any], ctx: dict[str, Any], function: str) -> Any:
        def bound(caller: wasmtime.Caller, *args: int) -> Any:
            return handler(caller, ctx, function, *args)

        return bound

    # -- helpers
    @staticmethod
    def _mem(caller: wasmtime.Caller) -> wasmtime.Memory:
        memory = caller["memory"]
        assert isinstance(memory, wasmtime.Memory)
        return memory

    def _read(self, caller: wasmtime.Caller, ptr: int, n: int) -> bytes:
        return bytes(self._mem(caller).read(caller, ptr, ptr + n))

    def _cstr(self, caller: wasmtime.Caller, ptr: int) -> str:
        data = self._mem(caller).read(caller, ptr, ptr + 256)
        return bytes(data[: data.index(0)]).decode()

    def _value(self, key: str, total: int) -> bytearray:
        value = self.state.setdefault(key, bytearray())
        if len(value) < total:
            value.extend(bytes(total - len(value)))
        return value

    # -- io
    def read_input(self, c: Any, ctx: Any, f: str, buf: int, n: int) -> int:
        if n == 0:
            return len(ctx["input"])
        data = ctx["input"][:n]
        self._mem(c).write(c, data, buf)
        return len(data)

    def write_output(self, c: Any, ctx: Any, f: str, buf: int, n: int) -> None:
        ctx["output"] = self._read(c, buf, n)

    def get_idx(self, c: Any, ctx: Any, f: str) -> int:
        return int(ctx["idx"])

    # -- chaining (synchronous)
    def _record(self, result: Result) -> int:
        call_id = len(self.calls) + 1
        self.calls[call_id] = result
        return call_id

    def chain_this(self, c: Any, ctx: Any, f: str, idx: int, buf: int, n: int) -> int:
        return self._record(self.call(f, self._read(c, buf, n), idx))

    def chain_function(self, c: Any, ctx: Any, f: str, name: int, buf: int, n: int) -> int:
        return self._record(self.call(self._cstr(c, name), self._read(c, buf, n)))

    def await_call(self, c: Any, ctx: Any, f: str, call_id: int) -> int:
        return self.calls[call_id].return_value

    def await_call_output(self, c: Any, ctx: Any, f: str, call_id: int, buf: int, n: int) -> int:
        result = self.calls[call_id]
        self._mem(c).write(c, result.output[:n], buf)
        return result.return_value

    # -- state
    def read_state(self, c: Any, ctx: Any, f: str, key: int, buf: int, n: int) -> int:
        value = self.state.get(self._cstr(c, key), bytearray())
        self._mem(c).write(c, bytes(value[:n]).ljust(n, b"\0"), buf)
        return len(value)

    def read_state_size(self, c: Any, ctx: Any, f: str, key: int) -> int:
        return len(self.state.get(self._cstr(c, key), b""))

    def write_state(self, c: Any, ctx: Any, f: str, key: int, buf: int, n: int) -> None:
        self.state[self._cstr(c, key)] = bytearray(self._read(c, buf, n))

    def read_state_offset(
        self, c: Any, ctx: Any, f: str, key: int, total: int, off: int, buf: int, n: int
    ) -> None:
        value = self._value(self._cstr(c, key), total)
        self._mem(c).write(c, bytes(value[off : off + n]), buf)

    def write_state_offset(
        self, c: Any, ctx: Any, f: str, key: int, total: int, off: int, buf: int, n: int
    ) -> None:
        self._value(self._cstr(c, key), total)[off : off + n] = self._read(c, buf, n)

    def read_state_ptr(self, c: Any, ctx: Any, f: str, key: int, total: int) -> int:
        name = self._cstr(c, key)
        if name not in ctx["ptrs"]:
            ptr = c["__faasm_alloc"](c, total)
            assert ptr % 4096 == 0
            self._mem(c).write(c, bytes(self._value(name, total)[:total]), ptr)
            ctx["ptrs"][name] = (ptr, total)
        return int(ctx["ptrs"][name][0])

    def read_state_offset_ptr(
        self, c: Any, ctx: Any, f: str, key: int, total: int, off: int, n: int
    ) -> int:
        return self.read_state_ptr(c, ctx, f, key, total) + off

    def append_state(self, c: Any, ctx: Any, f: str, key: int, buf: int, n: int) -> None:
        self.appended.setdefault(self._cstr(c, key), []).append(self._read(c, buf, n))

    def read_appended_state(
        self, c: Any, ctx: Any, f: str, key: int, buf: int, n: int, count: int
    ) -> None:
        data = b"".join(self.appended.get(self._cstr(c, key), [])[:count])
        self._mem(c).write(c, data[:n], buf)

    def clear_appended_state(self, c: Any, ctx: Any, f: str, key: int) -> None:
        self.appended.pop(self._cstr(c, key), None)

    def _noop(self, *args: Any) -> None:
        return None

    def _no_python_name(self, *args: Any) -> int:
        return 0  # the demos never ask which Python function they run

    get_py_user = get_py_func = _no_python_name
    flag_state_dirty = flag_state_offset_dirty = push_state = push_state_partial = _noop
    push_state_partial_mask = _noop
    pull_state = lock_state_global = unlock_state_global = lock_state_read = _noop
    unlock_state_read = lock_state_write = unlock_state_write = _noop


@pytest.fixture
def host(demo_wasm: Path) -> MiniHost:
    return MiniHost(demo_wasm)


def exports_of(path: Path) -> set[str]:
    return {e.name for e in wasmtime.Module.from_file(wasmtime.Engine(), str(path)).exports}


def test_hello_exports_the_abi(demo_wasm: Path) -> None:
    names = exports_of(demo_wasm / "hello.wasm")
    assert {
        "memory",
        "_initialize",
        "__faasm_call",
        "__faasm_zygote",
        "__faasm_alloc",
        "_faasm_func_0",
    } <= names


def test_function_indices_are_exported(demo_wasm: Path) -> None:
    names = exports_of(demo_wasm / "chain.wasm")
    assert {"_faasm_func_0", "_faasm_func_1", "_faasm_func_2"} <= names
    assert "_faasm_func_3" not in names
    assert not any(n.startswith("_faasm_func_") for n in exports_of(demo_wasm / "hello_main.wasm"))


def test_imports_are_only_env_faasm_and_wasi(demo_wasm: Path) -> None:
    known = {f.name for f in HOST_FUNCTIONS}
    for path in demo_wasm.glob("*.wasm"):
        module = wasmtime.Module.from_file(wasmtime.Engine(), str(path))
        for imp in module.imports:
            assert imp.module in ("env", "wasi_snapshot_preview1"), (path.name, imp.module)
            if imp.module == "env":
                assert imp.name in known, (path.name, imp.name)


def test_hello_echo_x2(host: MiniHost) -> None:
    assert host.call("hello") == Result(0, b"Hello faasm!", "")
    assert host.call("echo", b"abc\x00def").output == b"abc\x00def"
    assert host.call("echo").output == b""
    assert host.call("x2", bytes([1, 2, 3, 200])).output == bytes([2, 4, 6, 144])


def test_plain_main_program(host: MiniHost) -> None:
    assert host.call("hello_main") == Result(0, b"", "Hello from main!\n")


def test_return_value_and_exit(host: MiniHost) -> None:
    assert host.call("exit_code") == Result(2, b"failing on purpose", "")
    result = host.call("exit3")
    assert (result.return_value, result.stdout) == (3, "leaving with exit(3)\n")


@pytest.mark.parametrize("function", ["trap", "abort", "stack_overflow", "zygote_trap"])
def test_traps(host: MiniHost, function: str) -> None:
    with pytest.raises(wasmtime.Trap):
        host.call(function)


def test_alloc_is_page_aligned_and_zeroed(demo_wasm: Path) -> None:
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    store.set_wasi(wasmtime.WasiConfig())
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    linker.allow_unknown_exports = True
    module = wasmtime.Module.from_file(engine, str(demo_wasm / "hello_main.wasm"))
    instance = linker.instantiate(store, module)
    exports = instance.exports(store)
    exports["_initialize"](store)
    ptrs = [exports["__faasm_alloc"](store, n) for n in (1, 4096, 5000)]
    assert all(p > 0 and p % 4096 == 0 for p in ptrs)
    assert ptrs[2] - ptrs[1] >= 4096 and ptrs[1] - ptrs[0] >= 4096
    memory = exports["memory"]
    assert memory.read(store, ptrs[2], ptrs[2] + 8192) == bytes(8192)
    assert exports["__faasm_alloc"](store, 0) == 0


def test_chaining(host: MiniHost) -> None:
    assert host.call("chain") == Result(0, b"chained 2 calls", "")
    assert host.call("chain_simple", b"faasm").output == b"hello faasm"
    assert host.call("chain_named_a") == Result(0, b"b says: hi b | c says: hi c", "")
    assert host.call("chain_named_b", b"wrong").return_value == 1


def test_state(host: MiniHost) -> None:
    assert host.call("state_async") == Result(0, bytes(range(8)), "")
    assert host.call("state_offset") == Result(0, bytes([2, 30, 40, 50, 6]), "")
    assert host.call("state_append") == Result(0, b"abcdef", "")


def test_increment_counts(host: MiniHost) -> None:
    assert [host.call("increment").output for _ in range(3)] == [b"1", b"2", b"3"]
    assert host.state["incr_example"] == bytearray(struct.pack("<i", 3))


def test_shared_state_through_pointers(host: MiniHost) -> None:
    expected = bytes(range(10, 90, 10))
    assert host.call("state_shared_read").return_value == 1  # nothing written yet
    assert host.call("state_shared_write") == Result(0, expected, "")
    assert host.call("state_shared_read") == Result(0, expected, "")
    assert host.call("state_shared_write_offset").output == bytes([1, 2, 3, 4])
    assert host.call("state_shared_read_offset") == Result(0, bytes([1, 2, 3, 4]), "")
    assert host.state["state_shared_offset_example"] == bytearray(bytes(4) + b"\1\2\3\4" + bytes(4))


def test_zygote_value_seen_by_every_call(host: MiniHost) -> None:
    for _ in range(2):
        assert host.call("zygote_check") == Result(0, b"zygote value 42", "")


def test_pi(host: MiniHost) -> None:
    result = host.call("pi")
    assert result.return_value == 0
    assert result.output.startswith(b"Pi estimate: 3.1")
