"""The embedding API over WAT modules: calls, io, bad pointers, exits, traps, loading errors."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import wasmtime
from runtime_wat import output_of, wat_function

from faasm_cli.errors import BadInput, InvalidName, MissingImports, NotFound
from faasm_cli.message import Message
from faasm_cli.runtime import Runtime
from faasm_cli.runtime.state.memory import MemoryStateStore

HELLO = wat_function(output_of(64, 12), extra='(data (i32.const 64) "Hello faasm!")')
ECHO = wat_function("""
  (local $n i32)
  (local.set $n (call $read_input (i32.const 0) (i32.const 0)))
  (drop (call $read_input (i32.const 1024) (local.get $n)))
  (call $write_output (i32.const 1024) (local.get $n))
  (i32.const 0)""")
PRINT = wat_function(
    """
  (i32.store (i32.const 200) (i32.const 64)) (i32.store (i32.const 204) (i32.const 6))
  (drop (call $fd_write (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 300)))
  (drop (call $fd_write (i32.const 2) (i32.const 200) (i32.const 1) (i32.const 300)))
  (i32.const 7)""",
    extra='(data (i32.const 64) "hi out")',
)


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    with Runtime(cache_dir=tmp_path) as runtime:
        runtime.register("demo", "hello", HELLO)
        yield runtime


def _works(rt: Runtime) -> None:
    result = rt.call("demo", "hello")
    assert (result.failed, result.output_data) == (False, b"Hello faasm!")


def test_call_returns_output_and_return_value(rt: Runtime) -> None:
    result = rt.call("demo", "hello")
    assert result.output_data == b"Hello faasm!"
    assert result.return_value == 0
    assert not result.failed and result.error is None
    assert result.duration_s > 0
    assert result.call_id > 0


def test_input_reaches_the_function(rt: Runtime) -> None:
    rt.register("demo", "echo", ECHO)
    assert rt.call("demo", "echo", input_data=b"some input").output_data == b"some input"
    assert rt.call("demo", "echo").output_data == b""


def test_stdout_and_stderr_are_captured_per_call(rt: Runtime) -> None:
    rt.register("demo", "print", PRINT)
    result = rt.call("demo", "print")
    assert (result.stdout, result.stderr, result.return_value) == ("hi out", "hi out", 7)
    assert rt.call("demo", "print").stdout == "hi out"


def test_stdout_is_bounded(tmp_path: Path) -> None:
    with Runtime(cache_dir=tmp_path, max_output_bytes=4) as rt:
        rt.register("demo", "print", PRINT)
        result = rt.call("demo", "print")
    assert result.stdout.startswith("hi o")
    assert "2 more bytes dropped" in result.stdout
    assert not result.failed


def test_pointer_outside_memory_is_a_failed_call(rt: Runtime) -> None:
    rt.register("demo", "bad", wat_function(output_of(200_000, 10)))
    result = rt.call("demo", "bad")
    assert result.failed
    assert result.error == (
        "__faasm_write_output: range [200000, 200010) is outside the guest memory of 131072 bytes"
    )
    _works(rt)


def test_pointer_wrapping_past_4gib_is_refused(rt: Runtime) -> None:
    rt.register("demo", "bad", wat_function(output_of(-1, 16)))
    result = rt.call("demo", "bad")
    assert result.failed and "[4294967295, 4294967311) is outside" in (result.error or "")
    _works(rt)


def test_negative_length_is_a_failed_call(rt: Runtime) -> None:
    rt.register("demo", "bad", wat_function(output_of(0, -5)))
    result = rt.call("demo", "bad")
    assert result.failed
    assert result.error == "__faasm_write_output: negative length -5"
    _works(rt)


def test_read_input_into_a_bad_pointer_fails(rt: Runtime) -> None:
    rt.register(
        "demo",
        "bad",
        wat_function("(drop (call $read_input (i32.const 131070) (i32.const 8))) (i32.const 0)"),
    )
    result = rt.call("demo", "bad", input_data=b"12345678")
    assert result.failed
    assert result.error is not None and result.error.startswith("__faasm_read_input: range")
    _works(rt)


def test_exit_with_non_zero_code_is_failed(rt: Runtime) -> None:
    rt.register("demo", "exit3", wat_function("(call $proc_exit (i32.const 3)) (i32.const 0)"))
    result = rt.call("demo", "exit3")
    assert (result.failed, result.return_value, result.error) == (True, 3, "exited with code 3")
    _works(rt)


def test_exit_zero_is_success(rt: Runtime) -> None:
    rt.register(
        "demo",
        "exit0",
        wat_function(
            output_of(64, 2) + " (drop) (call $proc_exit (i32.const 0)) (i32.const 9)",
            extra='(data (i32.const 64) "ok")',
        ),
    )
    result = rt.call("demo", "exit0")
    assert (result.failed, result.return_value, result.output_data) == (False, 0, b"ok")


def test_unreachable_trap_is_reported(rt: Runtime) -> None:
    rt.register("demo", "abort", wat_function("(unreachable)"))
    result = rt.call("demo", "abort")
    assert result.failed and result.error is not None
    assert "unreachable" in result.error and "abort()" in result.error
    _works(rt)


def test_out_of_bounds_access_trap_is_reported(rt: Runtime) -> None:
    rt.register("demo", "oob", wat_function("(i32.load (i32.const 10000000))"))
    result = rt.call("demo", "oob")
    assert result.failed
    assert result.error == "wasm trap: out of bounds memory access"
    _works(rt)


def test_unknown_index_is_a_failed_call(rt: Runtime) -> None:
    result = rt.call("demo", "hello", idx=3)
    assert result.failed and result.error == "demo/hello has no function index 3"


def test_plain_wasi_command_runs_through_start(rt: Runtime) -> None:
    command = wasmtime.wat2wasm("""
    (module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func (export "_start") (call $exit (i32.const 4))))""")
    rt.register("demo", "cmd", command)
    assert rt.function_info("demo", "cmd").mode == "command"
    result = rt.call("demo", "cmd")
    assert (result.return_value, result.failed, result.error) == (4, True, "exited with code 4")


def test_not_wasm_file_is_bad_input(rt: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "fake.wasm"
    path.write_text("int main() { return 0; }")
    with pytest.raises(BadInput, match=r"fake\.wasm is not a WebAssembly module"):
        rt.register("demo", "fake", path)


def test_missing_imports_are_listed(rt: Runtime) -> None:
    module = wasmtime.wat2wasm("""
    (module
      (import "env" "__faasm_teleport" (func (param i32)))
      (import "env" "__faasm_read_input" (func (param i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (import "other" "thing" (func))
      (memory (export "memory") 1)
      (func (export "__faasm_call") (param i32) (result i32) (i32.const 0)))""")
    with pytest.raises(MissingImports) as caught:
        rt.register("demo", "odd", module)
    message = str(caught.value)
    assert "env.__faasm_teleport" in message
    assert "env.__faasm_read_input (wrong signature)" in message
    assert "other.thing" in message
    assert "fd_write" not in message


def test_missing_wasm_file_and_unknown_function(rt: Runtime, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        rt.register("demo", "gone", tmp_path / "gone.wasm")
    with pytest.raises(NotFound, match="no function demo/nothing"):
        rt.call("demo", "nothing")


def test_invalid_names_are_rejected(rt: Runtime) -> None:
    with pytest.raises(InvalidName):
        rt.call("demo", "../hello")
    with pytest.raises(InvalidName):
        rt.register("de mo", "hello", HELLO)


def test_resolver_finds_unregistered_functions(tmp_path: Path) -> None:
    wasm = tmp_path / "hello.wasm"
    wasm.write_bytes(HELLO)
    asked: list[tuple[str, str]] = []

    def resolve(user: str, function: str) -> Path | None:
        asked.append((user, function))
        return wasm if function == "hello" else None

    with Runtime(cache_dir=tmp_path, resolver=resolve) as rt:
        assert rt.call("demo", "hello").output_data == b"Hello faasm!"
        with pytest.raises(NotFound):
            rt.call("demo", "other")
    assert asked == [("demo", "hello"), ("demo", "other")]


def test_machine_code_cache_is_reused_by_a_second_runtime(tmp_path: Path) -> None:
    with Runtime(cache_dir=tmp_path) as first:
        first.register("demo", "hello", HELLO)
        assert first.cache_stats.compiled == 2  # the instrumented module and its snapshot
        assert first.cache_stats.loaded == 0
    files = sorted((tmp_path / "modules").glob("*.cwasm"))
    assert len(files) == 2
    stamps = [f.stat().st_mtime_ns for f in files]
    with Runtime(cache_dir=tmp_path) as second:
        second.register("demo", "hello", HELLO)
        assert (second.cache_stats.compiled, second.cache_stats.loaded) == (0, 2)
        assert second.call("demo", "hello").output_data == b"Hello faasm!"
    assert [f.stat().st_mtime_ns for f in files] == stamps


def test_call_message_uses_the_message_fields(rt: Runtime) -> None:
    rt.register("demo", "echo", ECHO)
    message = Message(id=4242, user="demo", function="echo", input_data=b"m")
    result = rt.call_message(message)
    assert (result.call_id, result.output_data) == (4242, b"m")


def test_message_json_round_trip_uses_faasm_names() -> None:
    message = Message(
        id=7,
        user="demo",
        function="echo",
        input_data=b"hi",
        async_=True,
        python=True,
        py_user="python",
        py_func="hello",
    )
    data = message.to_json()
    assert data["async"] is True and data["input_data"] == "hi" and data["py_func"] == "hello"
    assert Message.from_json(data) == message
    binary = Message(id=1, user="u", function="f", input_data=b"\xff\x00")
    assert "input_data_b64" in binary.to_json()
    assert Message.from_json(binary.to_json()).input_data == b"\xff\x00"
    done = message.finish(
        return_value=0, output_data=b"out", failed=False, error=None, duration_s=0.5
    )
    assert done.finished and not message.finished
    assert Message.from_json(done.to_json()) == done
    child = done.child("other", 2, b"in")
    assert (child.parent_id, child.depth, child.user, child.idx) == (7, 1, "demo", 2)
    assert child.to_json()["func_ptr"] == 2 and child.to_json()["parent_id"] == 7


@pytest.mark.parametrize(
    "data",
    [
        {"function": "f"},
        {"user": "u", "function": "f", "func_ptr": "1"},
        {"user": "u", "function": "f", "async": "yes"},
        [],
    ],
)
def test_bad_messages_are_bad_input(data: object) -> None:
    with pytest.raises(BadInput):
        Message.from_json(data)  # type: ignore[arg-type]


def test_concurrent_calls_from_many_threads_stay_isolated(rt: Runtime) -> None:
    rt.register("demo", "echo", ECHO)
    inputs = [f"input {i}".encode() for i in range(200)]
    with ThreadPoolExecutor(8) as pool:
        outputs = list(pool.map(lambda data: rt.call("demo", "echo", data).output_data, inputs))
    assert outputs == inputs


def test_writes_to_other_descriptors_are_ebadf(rt: Runtime) -> None:
    rt.register(
        "demo",
        "fd",
        wat_function("""
      (i32.store (i32.const 200) (i32.const 64)) (i32.store (i32.const 204) (i32.const 1))
      (call $fd_write (i32.const 5) (i32.const 200) (i32.const 1) (i32.const 300))"""),
    )
    assert rt.call("demo", "fd").return_value == 8


# Writes the 2 bytes at 80 ("v1") as the value of state key "k" (name at 64).
WRITE_STATE = wat_function(
    "(call $write_state (i32.const 64) (i32.const 80) (i32.const 2)) (i32.const 0)",
    extra='(data (i32.const 64) "k\\00") (data (i32.const 80) "v1")',
)


@pytest.mark.parametrize("bad", ["text", 5, None, [1, 2]])
def test_input_that_is_not_bytes_like_is_a_type_error_naming_it(rt: Runtime, bad: object) -> None:
    with pytest.raises(TypeError, match=f"input_data must be bytes-like.*not {type(bad).__name__}"):
        rt.call("demo", "hello", input_data=bad)  # type: ignore[arg-type]


def test_bytearray_and_memoryview_inputs_are_accepted(rt: Runtime) -> None:
    rt.register("demo", "echo", ECHO)
    assert rt.call("demo", "echo", input_data=bytearray(b"ab")).output_data == b"ab"
    assert rt.call("demo", "echo", input_data=memoryview(b"cd")).output_data == b"cd"


def test_cache_dir_isolates_state(tmp_path: Path, isolated_cache: Path) -> None:
    with Runtime(cache_dir=tmp_path) as rt:
        rt.register("demo", "w", WRITE_STATE)
        assert not rt.call("demo", "w").failed
    assert (tmp_path / "state" / "demo" / "values" / "k").read_bytes() == b"v1"
    assert not (isolated_cache / "state" / "demo" / "values" / "k").exists()


def test_state_store_may_be_a_directory(tmp_path: Path) -> None:
    with Runtime(cache_dir=tmp_path / "cache", state_store=tmp_path / "mine") as rt:
        rt.register("demo", "w", WRITE_STATE)
        assert not rt.call("demo", "w").failed
    assert (tmp_path / "mine" / "demo" / "values" / "k").read_bytes() == b"v1"
    assert not (tmp_path / "cache" / "state").exists()


def test_result_json_is_the_finished_message_in_faasm_names(rt: Runtime) -> None:
    rt.register("demo", "print", PRINT)
    result = rt.call("demo", "print", input_data=b"\xff")
    document = result.to_json()
    assert document["id"] == result.call_id > 0
    assert (document["user"], document["function"], document["func_ptr"]) == ("demo", "print", 0)
    assert document["input_data_b64"] == "/w=="
    assert (document["status"], document["return_value"], document["failed"]) == ("ok", 7, False)
    assert (document["stdout"], document["stderr"]) == ("hi out", "hi out")
    assert document["finished"] >= document["timestamp"] > 0
    assert (document["parent_id"], document["depth"], document["chained"]) == (0, 0, [])
    message = Message.from_json(document)
    assert (message.return_value, message.finished, message.exec_host) == (
        7,
        True,
        result.exec_host,
    )


def test_message_limits_apply_to_the_call(rt: Runtime) -> None:
    rt.register("demo", "print", PRINT)
    limited = Message(id=0, user="demo", function="print", output_bytes=3)
    result = rt.call_message(limited)
    assert result.stdout.startswith("hi \n[3 more bytes dropped: output limit of 3 bytes]")
    assert rt.call("demo", "print").stdout == "hi out"


def test_an_unavailable_state_backend_fails_the_call_with_its_message(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_bytes(b"")
    with Runtime(cache_dir=tmp_path, state_store=blocker) as rt:
        rt.register("demo", "w", WRITE_STATE)
        result = rt.call("demo", "w")
        assert result.failed
        assert (result.error or "").startswith(
            f"__faasm_write_state: state storage under {blocker} failed"
        )
        rt.register("demo", "hello", HELLO)
        assert rt.call("demo", "hello").output_data == b"Hello faasm!"


def test_an_in_memory_store_writes_no_files(tmp_path: Path) -> None:
    store = MemoryStateStore()
    with Runtime(cache_dir=tmp_path, state_store=store) as rt:
        rt.register("demo", "w", WRITE_STATE)
        assert not rt.call("demo", "w").failed
    assert store.get("demo", "k") == b"v1"
    assert not (tmp_path / "state").exists()
