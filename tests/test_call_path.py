"""The warm call's short cuts keep their meaning: fast message construction and copies, names
checked on a lookup miss, no dispatcher tree for a call that chains nothing, empty captures, and
a watchdog that finds its armed calls without a set."""

from __future__ import annotations

import ctypes
import dataclasses
import mmap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from runtime_wat import output_of, wat_function

from faasm_cli.errors import InvalidName
from faasm_cli.message import Message
from faasm_cli.runtime import Runtime
from faasm_cli.runtime.hostcalls.capture import Capture
from faasm_cli.runtime.interrupt import Watchdog
from faasm_cli.runtime.local_dispatch import LocalDispatcher

HELLO = wat_function(output_of(64, 12), extra='(data (i32.const 64) "Hello faasm!")')


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    with Runtime(cache_dir=tmp_path) as runtime:
        runtime.register("demo", "hello", HELLO)
        yield runtime


def test_submitted_equals_the_constructed_message_and_stays_frozen() -> None:
    before = time.time()
    fast = Message.submitted(id=7, user="u", function="f", idx=2, input_data=b"in", timeout_s=1.5)
    built = Message(
        id=7, user="u", function="f", idx=2, input_data=b"in", timeout_s=1.5,
        timestamp=fast.timestamp,
    )  # fmt: skip
    assert fast == built
    assert before <= fast.timestamp <= time.time()
    assert (fast.error, fast.finished, fast.depth, fast.exec_host) == (None, False, 0, "")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.id = 8  # type: ignore[misc]
    fast.timings["x"] = 1.0
    assert Message.submitted(id=1, user="u", function="f").timings == {}


def test_replaced_is_dataclasses_replace_and_leaves_the_original() -> None:
    message = Message(id=3, user="u", function="f", input_data=b"a", depth=2, timeout_s=4.0)
    copy = message.replaced(id=9, timeout_s=1.0)
    assert copy == dataclasses.replace(message, id=9, timeout_s=1.0)
    assert (message.id, message.timeout_s, copy.depth, copy.input_data) == (3, 4.0, 2, b"a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        copy.user = "v"  # type: ignore[misc]


def test_child_inherits_user_and_limits_one_level_down() -> None:
    parent = Message(id=5, user="u", function="f", depth=1, timeout_s=2.0, memory_bytes=1 << 20)
    child = parent.child("g", 3, b"x")
    assert (child.id, child.user, child.function, child.idx, child.input_data) == (
        0, "u", "g", 3, b"x"
    )  # fmt: skip
    assert (child.parent_id, child.depth, child.timeout_s, child.memory_bytes) == (
        5, 2, 2.0, 1 << 20
    )  # fmt: skip
    assert child.timestamp > 0 and child.timings is not parent.timings


def test_call_result_carries_its_request(rt: Runtime) -> None:
    result = rt.call("demo", "hello", b"in", timeout=5.0)
    request = result.request
    assert request is not None
    assert (result.output_data, result.stdout, result.stderr, result.chained) == (
        b"Hello faasm!", "", "", []
    )  # fmt: skip
    assert (request.id, request.user, request.function, request.input_data) == (
        result.call_id, "demo", "hello", b"in"
    )  # fmt: skip
    assert request.timeout_s == 5.0 and request.timestamp <= result.finish_timestamp
    assert result.to_message().output_data == b"Hello faasm!"


@pytest.mark.parametrize("user", ["de mo", "..", "", ["demo"], 3])
def test_names_are_still_checked_when_the_lookup_misses(rt: Runtime, user: object) -> None:
    with pytest.raises(InvalidName, match="invalid user name"):
        rt.call(user, "hello")  # type: ignore[arg-type]
    with pytest.raises(InvalidName, match="invalid function name"):
        rt.call_message(Message(id=0, user="demo", function="../hello"))


def test_a_call_that_chains_nothing_leaves_no_tree(rt: Runtime) -> None:
    dispatcher = rt.dispatcher
    assert isinstance(dispatcher, LocalDispatcher)
    for _ in range(3):
        assert rt.call("demo", "hello").chained == []
    assert (dispatcher._trees, dispatcher._root_of, dispatcher._executor) == ({}, {}, None)


def test_capture_text_is_empty_until_written_then_bounded() -> None:
    capture = Capture(4)
    assert capture.text() == ""
    assert capture.write(b"abcdef") == 6
    assert capture.text() == "abcd\n[2 more bytes dropped: output limit of 4 bytes]\n"
    nothing = Capture(0)
    nothing.write(b"xy")
    assert nothing.text() == "\n[2 more bytes dropped: output limit of 0 bytes]\n"


def test_watchdog_trip_all_skips_disarmed_calls_left_in_its_heap() -> None:
    region = mmap.mmap(-1, 2 * mmap.PAGESIZE)
    # (the exported buffer keeps the mapping alive; it is unmapped when the process ends)
    address = ctypes.addressof(ctypes.c_char.from_buffer(region))
    dog = Watchdog()
    try:
        gone = dog.arm(address, mmap.PAGESIZE, time.monotonic() + 60)
        gone.disarm()
        running = dog.arm(address + mmap.PAGESIZE, mmap.PAGESIZE, time.monotonic() + 60)
        assert (len(dog._heap), dog.running) == (2, 1)
        dog.trip_all()
        assert (gone.tripped, running.tripped, running.early) == (False, True, True)
        region[0] = 1  # the disarmed call's pages were left accessible (a fault ends the run)
        running.disarm()
        assert dog.running == 0
        region[mmap.PAGESIZE] = 2  # and the tripped ones are accessible again
        assert region[: mmap.PAGESIZE + 1 : mmap.PAGESIZE] == b"\x01\x02"
    finally:
        dog.close()
