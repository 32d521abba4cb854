"""Chaining: by index and by name, awaiting results and outputs, limits, failures, no deadlock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from runtime_wat import CHAIN_DEPTH, output_of, wat_function

from faasm_cli.message import Message
from faasm_cli.runtime import CallResult, ChainedCall, Runtime
from faasm_cli.runtime.local_dispatch import LocalDispatcher

# idx 0: chain idx 1 with input "abc", await its output into 512, output it, return its rv.
# idx 1: output its input doubled per byte (x2), return 5.
PAIR = wat_function(
    """
  (local $id i32) (local $n i32) (local $i i32)
  (if (result i32) (i32.eqz (local.get $idx))
    (then
      (local.set $id (call $chain_this (i32.const 1) (i32.const 64) (i32.const 3)))
      (local.set $n (call $await_call_output (local.get $id) (i32.const 512) (i32.const 3)))
      (call $write_output (i32.const 512) (i32.const 3))
      (local.get $n))
    (else
      (local.set $n (call $read_input (i32.const 1024) (i32.const 64)))
      (block $done (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (i32.add (i32.const 1024) (local.get $i))
          (i32.mul (i32.load8_u (i32.add (i32.const 1024) (local.get $i))) (i32.const 2)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
      (call $write_output (i32.const 1024) (local.get $n))
      (i32.const 5)))""",
    extra='(data (i32.const 64) "\\01\\02\\03") (func (export "_faasm_func_1") (result i32) '
    "(i32.const 0))",
)


def chain_named(name: str) -> bytes:
    """Chains the function `name` (no input), awaits it and returns its return value."""
    return wat_function(
        "(call $await_call (call $chain_function (i32.const 64) (i32.const 0) (i32.const 0)))",
        extra=f'(data (i32.const 64) "{name}\\00")',
    )


# Input: [width u32][levels u32]. Chains `width` copies of itself with levels-1 and awaits them
# all; returns the number of calls in its subtree (itself included).
TREE = wat_function("""
  (local $w i32) (local $lv i32) (local $i i32) (local $sum i32)
  (drop (call $read_input (i32.const 100) (i32.const 8)))
  (local.set $w (i32.load (i32.const 100)))
  (local.set $lv (i32.load (i32.const 104)))
  (if (result i32) (i32.eqz (local.get $lv))
    (then (i32.const 1))
    (else
      (i32.store (i32.const 104) (i32.sub (local.get $lv) (i32.const 1)))
      (block $d (loop $l
        (br_if $d (i32.ge_u (local.get $i) (local.get $w)))
        (i32.store (i32.add (i32.const 2000) (i32.shl (local.get $i) (i32.const 2)))
                   (call $chain_this (i32.const 0) (i32.const 100) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
      (local.set $i (i32.const 0))
      (local.set $sum (i32.const 1))
      (block $d2 (loop $l2
        (br_if $d2 (i32.ge_u (local.get $i) (local.get $w)))
        (local.set $sum (i32.add (local.get $sum) (call $await_call
          (i32.load (i32.add (i32.const 2000) (i32.shl (local.get $i) (i32.const 2)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l2)))
      (local.get $sum)))""")


def tree_input(width: int, levels: int) -> bytes:
    return width.to_bytes(4, "little") + levels.to_bytes(4, "little")


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    with Runtime(cache_dir=tmp_path, timeout=30.0) as runtime:
        yield runtime


def test_chain_this_passes_input_and_returns_output(rt: Runtime) -> None:
    rt.register("demo", "pair", PAIR)
    result = rt.call("demo", "pair")
    assert (result.failed, result.output_data, result.return_value) == (False, b"\2\4\6", 5)
    [child] = result.chained
    assert (child.function, child.idx, child.return_value, child.failed) == ("pair", 1, 5, False)
    assert child.id != result.call_id and child.duration_s > 0


def test_chain_function_by_name(rt: Runtime) -> None:
    rt.register("demo", "callee", wat_function("(i32.const 42)"))
    rt.register("demo", "caller", chain_named("callee"))
    result = rt.call("demo", "caller")
    assert (result.failed, result.return_value) == (False, 42)
    assert [c.function for c in result.chained] == ["callee"]


def test_chain_by_name_uses_the_resolver(tmp_path: Path) -> None:
    callee = tmp_path / "callee.wasm"
    callee.write_bytes(wat_function("(i32.const 9)"))
    with Runtime(
        cache_dir=tmp_path, resolver=lambda user, name: callee if name == "callee" else None
    ) as rt:
        rt.register("demo", "caller", chain_named("callee"))
        assert rt.call("demo", "caller").return_value == 9


def test_chaining_an_unknown_function_fails(rt: Runtime) -> None:
    rt.register("demo", "caller", chain_named("nosuch"))
    result = rt.call("demo", "caller")
    assert result.failed and result.error is not None
    assert result.error.startswith(
        "__faasm_chain_function: cannot chain to demo/nosuch: no function demo/nosuch"
    )
    rt.register("demo", "callee", wat_function("(i32.const 1)"))
    assert rt.call("demo", "callee").return_value == 1


def test_chaining_another_users_function_is_refused(rt: Runtime) -> None:
    rt.register("demo", "caller", chain_named("other/func"))
    result = rt.call("demo", "caller")
    assert result.failed
    assert result.error == (
        "__faasm_chain_function: cannot chain to another user's function ('other/func')"
    )


def test_chaining_an_invalid_name_is_refused(rt: Runtime) -> None:
    rt.register("demo", "caller", chain_named("bad name"))
    result = rt.call("demo", "caller")
    assert result.failed and "invalid function name 'bad name'" in (result.error or "")


def test_chain_this_to_an_unknown_index_fails(rt: Runtime) -> None:
    rt.register(
        "demo", "c", wat_function("(call $chain_this (i32.const 7) (i32.const 0) (i32.const 0))")
    )
    result = rt.call("demo", "c")
    assert result.failed
    assert result.error == "__faasm_chain_this: cannot chain to demo/c: no function index 7"


def test_awaiting_an_unknown_call_id_fails(rt: Runtime) -> None:
    rt.register("demo", "w", wat_function("(call $await_call (i32.const 999999))"))
    result = rt.call("demo", "w")
    assert result.failed and result.error == "__faasm_await_call: unknown call id 999999"
    rt.register("demo", "ok", wat_function("(i32.const 0)"))
    assert not rt.call("demo", "ok").failed


def test_a_trapping_callee_is_a_failed_await_with_its_message(rt: Runtime) -> None:
    rt.register("demo", "bad", wat_function("(unreachable)"))
    rt.register("demo", "caller", chain_named("bad"))
    result = rt.call("demo", "caller")
    assert (result.failed, result.return_value) == (False, 1)
    [child] = result.chained
    assert child.failed and child.error is not None and "unreachable" in child.error


def test_fan_out_of_100(rt: Runtime) -> None:
    rt.register("demo", "tree", TREE)
    result = rt.call("demo", "tree", input_data=tree_input(100, 1))
    assert (result.failed, result.return_value) == (False, 101)
    assert len(result.chained) == 100
    assert len({c.id for c in result.chained}) == 100


def test_chain_50_deep(rt: Runtime) -> None:
    rt.register("demo", "depth", CHAIN_DEPTH)
    result = rt.call("demo", "depth", input_data=(50).to_bytes(4, "little"))
    assert (result.failed, result.return_value) == (False, 50)
    depth, node = 0, result.chained
    while node:
        depth += 1
        node = node[0].children
    assert depth == 50


def test_nested_awaits_wider_and_deeper_than_the_pool_do_not_deadlock(tmp_path: Path) -> None:
    with Runtime(cache_dir=tmp_path, workers=2, timeout=30.0) as rt:
        rt.register("demo", "tree", TREE)
        start = time.perf_counter()
        result = rt.call("demo", "tree", input_data=tree_input(4, 4))
        elapsed = time.perf_counter() - start
    assert (result.failed, result.return_value) == (False, 1 + 4 + 16 + 64 + 256)
    assert elapsed < 30


def test_depth_limit(tmp_path: Path) -> None:
    with Runtime(cache_dir=tmp_path, max_chain_depth=10) as rt:
        rt.register("demo", "depth", CHAIN_DEPTH)
        result = rt.call("demo", "depth", input_data=(20).to_bytes(4, "little"))
    deepest: list[ChainedCall] = result.chained
    errors = []
    while deepest:
        errors.append(deepest[0].error)
        deepest = deepest[0].children
    assert len(errors) == 10
    assert errors[-1] == "__faasm_chain_this: chain depth limit of 10 reached"


def test_fan_out_limit(tmp_path: Path) -> None:
    with Runtime(cache_dir=tmp_path, max_fanout=5) as rt:
        rt.register("demo", "tree", TREE)
        result = rt.call("demo", "tree", input_data=tree_input(6, 1))
    assert result.failed
    assert result.error == "__faasm_chain_this: fan-out limit of 5 chained calls per call reached"
    assert len(result.chained) == 5


def test_unawaited_chains_still_finish_before_call_returns(rt: Runtime) -> None:
    rt.register("demo", "callee", wat_function(output_of(0, 1)))
    rt.register(
        "demo",
        "fire",
        wat_function(
            "(drop (call $chain_function (i32.const 64) (i32.const 0) (i32.const 0)))"
            " (i32.const 0)",
            extra='(data (i32.const 64) "callee\\00")',
        ),
    )
    result = rt.call("demo", "fire")
    assert [c.return_value for c in result.chained] == [0]
    assert not result.chained[0].failed


class RecordingDispatcher:
    """A `CallDispatcher` that records every chained message, then runs it locally: what a
    cluster dispatcher would see."""

    def __init__(self, runtime: Runtime) -> None:
        self.local = LocalDispatcher(runtime, 2)
        self.messages: list[Message] = []

    def chain(self, message: Message) -> int:
        self.messages.append(message)
        return self.local.chain(message)

    def await_call(self, call_id: int) -> CallResult:
        return self.local.await_call(call_id)

    def collect(self, root_id: int) -> list[ChainedCall]:
        return self.local.collect(root_id)

    def close(self) -> None:
        self.local.close()


def test_an_injected_dispatcher_sees_parent_depth_and_limits(tmp_path: Path) -> None:
    recorders: list[RecordingDispatcher] = []

    def factory(runtime: Runtime) -> RecordingDispatcher:
        recorders.append(RecordingDispatcher(runtime))
        return recorders[-1]

    with Runtime(cache_dir=tmp_path, dispatcher=factory) as rt:
        rt.register("demo", "depth", CHAIN_DEPTH)
        result = rt.call("demo", "depth", input_data=(3).to_bytes(4, "little"), timeout=7.5)
    assert (result.failed, result.return_value) == (False, 3)
    [recorder] = recorders
    messages = recorder.messages
    assert [m.depth for m in messages] == [1, 2, 3]
    assert [m.timeout_s for m in messages] == [7.5, 7.5, 7.5]
    ids = [result.call_id, *(c.id for c in _spine(result.chained))]
    assert [m.parent_id for m in messages] == ids[:3]
    assert all(m.id == 0 and m.user == "demo" and m.function == "depth" for m in messages)


def _spine(calls: list[ChainedCall]) -> list[ChainedCall]:
    out = []
    while calls:
        out.append(calls[0])
        calls = calls[0].children
    return out


def test_calls_that_chain_nothing_leave_no_bookkeeping(tmp_path: Path) -> None:
    with Runtime(cache_dir=tmp_path) as rt:
        rt.register("demo", "plain", wat_function("(i32.const 0)"))
        rt.register("demo", "pair", PAIR)
        local = rt.dispatcher
        assert isinstance(local, LocalDispatcher)
        for _ in range(3):
            assert rt.call("demo", "plain").chained == []
        assert (local._executor, local._trees, local._root_of) == (None, {}, {})
        assert len(rt.call("demo", "pair").chained) == 1
        assert local._executor is not None
        assert (local._trees, local._root_of) == ({}, {})
