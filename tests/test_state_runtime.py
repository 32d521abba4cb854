"""State end to end through `Runtime.call`: the demo functions built by the real toolchain, and
small WAT modules for what the demos cannot show (live sharing, locks left behind by a call)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import wasmtime

from faasm_cli.config import Project
from faasm_cli.runtime import Runtime
from faasm_cli.runtime.hostcalls import state as state_calls
from faasm_cli.runtime.state.store import LocalStateStore
from faasm_cli.toolchain import build_function

STATE_DEMOS = (
    "state_async",
    "state_offset",
    "state_append",
    "increment",
    "state_shared_write",
    "state_shared_read",
    "state_shared_write_offset",
    "state_shared_read_offset",
)


@pytest.fixture(scope="module")
def wasm_dir(demo_project: Project) -> Path:
    for function in STATE_DEMOS:
        build_function(demo_project, "demo", function)
    return demo_project.wasm_path("demo", "increment").parent


def _runtime(wasm_dir: Path, root: Path) -> Runtime:
    return Runtime(
        state_store=LocalStateStore(root),
        resolver=lambda user, function: wasm_dir / f"{function}.wasm",
        timeout=20,
    )


@pytest.fixture
def runtime(wasm_dir: Path, tmp_path: Path) -> Iterator[Runtime]:
    rt = _runtime(wasm_dir, tmp_path / "state")
    yield rt
    rt.close()


def _ok(rt: Runtime, function: str, idx: int = 0) -> bytes:
    result = rt.call("demo", function, idx=idx)
    assert not result.failed, (result.error, result.stdout)
    assert result.return_value == 0, result.stdout
    return result.output_data


def test_state_offset(runtime: Runtime) -> None:
    assert _ok(runtime, "state_offset") == bytes([2, 30, 40, 50, 6])


def test_state_append(runtime: Runtime) -> None:
    assert _ok(runtime, "state_append") == b"abcdef"
    assert _ok(runtime, "state_append") == b"abcdef"  # it clears what it appended


def test_state_async_sees_what_its_chained_call_wrote(runtime: Runtime) -> None:
    assert _ok(runtime, "state_async") == bytes(range(8))


def test_increment_counts_across_calls_and_processes(wasm_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "state"
    with _runtime(wasm_dir, root) as rt:
        assert _ok(rt, "increment") == b"1"
        assert _ok(rt, "increment") == b"2"
    # A new process (as the next `faasm run` is) continues from the stored value.
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from faasm_cli.runtime import Runtime
        from faasm_cli.runtime.state.store import LocalStateStore
        wasm, root = Path(sys.argv[1]), Path(sys.argv[2])
        with Runtime(state_store=LocalStateStore(root)) as rt:
            rt.register("demo", "increment", wasm)
            sys.stdout.write(rt.call("demo", "increment").output_data.decode())
        """
    )
    counts = [
        subprocess.run(
            [sys.executable, "-c", script, str(wasm_dir / "increment.wasm"), str(root)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
        for _ in range(2)
    ]
    assert counts == ["3", "4"]


@pytest.mark.parametrize("variant", ["", "_offset"])
def test_shared_write_then_read_in_one_runtime(runtime: Runtime, variant: str) -> None:
    written = _ok(runtime, f"state_shared_write{variant}")
    read = _ok(runtime, f"state_shared_read{variant}")
    if variant:
        assert read == bytes([1, 2, 3, 4])
    else:
        assert written == read == bytes([10, 20, 30, 40, 50, 60, 70, 80])


@pytest.mark.parametrize("variant", ["", "_offset"])
def test_shared_write_then_read_across_runtimes(
    wasm_dir: Path, tmp_path: Path, variant: str
) -> None:
    with _runtime(wasm_dir, tmp_path / "state") as writer:
        _ok(writer, f"state_shared_write{variant}")
    with _runtime(wasm_dir, tmp_path / "state") as reader:
        _ok(reader, f"state_shared_read{variant}")


# A module written by hand: idx 0 maps a key, writes byte 0, chains idx 1 and returns byte 1,
# which idx 1 wrote through its own pointer while the caller was still running (live sharing,
# no push or pull). idx 2 takes the write lock and returns without unlocking; idx 3 takes the
# global lock and traps; idx 4 maps the key and checks byte 1 is still what idx 1 wrote.
SHARING_WAT = """
(module
  (import "env" "__faasm_read_state_ptr" (func $ptr (param i32 i32) (result i32)))
  (import "env" "__faasm_chain_this" (func $chain (param i32 i32 i32) (result i32)))
  (import "env" "__faasm_await_call" (func $await (param i32) (result i32)))
  (import "env" "__faasm_lock_state_write" (func $lock_write (param i32)))
  (import "env" "__faasm_lock_state_global" (func $lock_global (param i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "live_key\\00")
  (global $next (mut i32) (i32.const 65536))
  (func (export "__faasm_alloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (local.get $p) (local.get $n)))
    (drop (memory.grow (i32.shr_u (i32.add (local.get $n) (i32.const 65535)) (i32.const 16))))
    (local.get $p))
  (func (export "__faasm_call") (param $idx i32) (result i32)
    (local $p i32)
    (if (i32.eqz (local.get $idx)) (then
      (local.set $p (call $ptr (i32.const 16) (i32.const 4096)))
      (i32.store8 (local.get $p) (i32.const 1))
      (drop (call $await (call $chain (i32.const 1) (i32.const 0) (i32.const 0))))
      (return (i32.load8_u offset=1 (local.get $p)))))
    (if (i32.eq (local.get $idx) (i32.const 1)) (then
      (local.set $p (call $ptr (i32.const 16) (i32.const 4096)))
      (i32.store8 offset=1 (local.get $p)
        (i32.add (i32.load8_u (local.get $p)) (i32.const 41)))
      (return (i32.const 0))))
    (if (i32.eq (local.get $idx) (i32.const 2)) (then
      (call $lock_write (i32.const 16))
      (return (i32.const 0))))
    (if (i32.eq (local.get $idx) (i32.const 3)) (then
      (call $lock_global (i32.const 16))
      (unreachable)))
    (local.set $p (call $ptr (i32.const 16) (i32.const 4096)))
    (i32.load8_u offset=1 (local.get $p)))
  (func (export "_faasm_func_1") (result i32) (i32.const 0))
  (func (export "_faasm_func_2") (result i32) (i32.const 0))
  (func (export "_faasm_func_3") (result i32) (i32.const 0))
  (func (export "_faasm_func_4") (result i32) (i32.const 0)))
"""


@pytest.fixture
def sharing(tmp_path: Path) -> Iterator[Runtime]:
    rt = Runtime(state_store=LocalStateStore(tmp_path / "state"), timeout=20)
    rt.register("demo", "sharing", bytes(wasmtime.wat2wasm(SHARING_WAT)))
    yield rt
    rt.close()


def test_live_instances_share_pages_without_push_or_pull(sharing: Runtime) -> None:
    result = sharing.call("demo", "sharing")
    assert not result.failed, result.error
    assert result.return_value == 42  # the callee read 1 and wrote 1 + 41 for the caller
    assert sharing.call("demo", "sharing", idx=4).return_value == 42


def test_a_lock_left_held_is_released_when_the_call_ends(
    sharing: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state_calls, "LOCK_TIMEOUT_S", 2.0)
    for idx in (2, 3):
        first = sharing.call("demo", "sharing", idx=idx)
        start = time.monotonic()
        second = sharing.call("demo", "sharing", idx=idx)
        assert time.monotonic() - start < 1.5
        assert first.failed == second.failed == (idx == 3)
        assert first.error == second.error


def test_unpushed_writes_are_persisted_when_a_top_level_call_ends(tmp_path: Path) -> None:
    wasm = bytes(wasmtime.wat2wasm(SHARING_WAT))
    with Runtime(state_store=LocalStateStore(tmp_path / "state"), timeout=20) as first:
        first.register("demo", "sharing", wasm)
        assert first.call("demo", "sharing").return_value == 42  # pointer writes, no push
    assert LocalStateStore(tmp_path / "state").read("demo", "live_key", 4096, 0, 2) == b"\x01*"


def test_a_pointer_beyond_the_memory_limit_is_a_failed_call(tmp_path: Path) -> None:
    huge = SHARING_WAT.replace(
        "(local.set $p (call $ptr (i32.const 16) (i32.const 4096)))\n    (i32.load8_u",
        "(local.set $p (call $ptr (i32.const 16) (i32.const 0x20000000)))\n    (i32.load8_u",
    )
    assert huge != SHARING_WAT
    with Runtime(state_store=LocalStateStore(tmp_path / "state"), memory_limit_mb=64) as rt:
        rt.register("demo", "huge", bytes(wasmtime.wat2wasm(huge)))
        result = rt.call("demo", "huge", idx=4)
        assert result.failed
        assert result.error is not None
        assert result.error.startswith(
            "__faasm_read_state_ptr: state key 'live_key': the guest could not allocate "
            "536870912 bytes to map the value"
        )
        assert rt.call("demo", "huge", idx=1).return_value == 0  # the next call works
