"""The state host calls against real wasmtime instances: copies, pointers, locks, bad input."""

from __future__ import annotations

import ctypes
import inspect
import threading
from pathlib import Path

import pytest
import wasmtime

from faasm_cli.runtime.context import CallContext
from faasm_cli.runtime.engine import make_engine
from faasm_cli.runtime.errors import CallFailed
from faasm_cli.runtime.hostcalls.interface import HOST_FUNCTIONS
from faasm_cli.runtime.hostcalls.memory import InstanceMemory
from faasm_cli.runtime.hostcalls.state import STATE_HANDLERS, release_call_resources
from faasm_cli.runtime.state.store import LocalStateStore

# A guest with the exports the runtime relies on: its memory and a page-aligned bump allocator
# (zeroed, as fresh wasm pages are), plus byte access so tests see memory as the guest does.
WAT = """
(module
  (memory (export "memory") 2)
  (global $next (mut i32) (i32.const 65536))
  (func (export "__faasm_alloc") (param $n i32) (result i32)
    (local $p i32) (local $end i32) (local $have i32)
    (local.set $p (global.get $next))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (local.set $have (i32.shl (memory.size) (i32.const 16)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then (if (i32.lt_s (memory.grow (i32.shr_u (i32.add (i32.sub (local.get $end)
                  (local.get $have)) (i32.const 65535)) (i32.const 16))) (i32.const 0))
              (then (return (i32.const 0))))))
    (global.set $next (local.get $end))
    (local.get $p))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))
"""


KEY = 16  # where tests put key strings
BUF = 1024  # and data buffers


@pytest.fixture(scope="module")
def engine_module() -> tuple[wasmtime.Engine, wasmtime.Module]:
    engine, _ = make_engine()
    return engine, wasmtime.Module(engine, bytes(wasmtime.wat2wasm(WAT)))


class Guest:
    """One instance (one call) with its context, as the runtime would build it."""

    def __init__(
        self,
        engine_module: tuple[wasmtime.Engine, wasmtime.Module],
        state: LocalStateStore,
        user: str = "demo",
    ) -> None:
        engine, module = engine_module
        self.store = wasmtime.Store(engine)
        self.store.set_epoch_deadline(1 << 40)
        instance = wasmtime.Instance(self.store, module, [])
        self.exports = instance.exports(self.store)
        memory = self.exports["memory"]
        assert isinstance(memory, wasmtime.Memory)
        self.memory = memory
        self.ctx = CallContext(user, "fn", 0, b"", InstanceMemory(self.store, instance), state)

    def call(self, name: str, *args: int) -> int | None:
        return STATE_HANDLERS[f"__faasm_{name}"](self.ctx, *args)

    def key(self, name: str) -> int:
        self.ctx.memory.write(KEY, name.encode() + b"\0")
        return KEY

    def put(self, ptr: int, data: bytes) -> None:
        self.ctx.memory.write(ptr, data)

    def get(self, ptr: int, length: int) -> bytes:
        return self.ctx.memory.read(ptr, length)

    def load8(self, ptr: int) -> int:
        value = self.exports["load8"](self.store, ptr)  # type: ignore[operator]
        assert isinstance(value, int)
        return value

    def store8(self, ptr: int, value: int) -> None:
        self.exports["store8"](self.store, ptr, value)  # type: ignore[operator]

    def base(self) -> int:
        return ctypes.addressof(self.memory.data_ptr(self.store).contents)

    def size(self) -> int:
        return self.memory.data_len(self.store)


@pytest.fixture
def state(tmp_path: Path) -> LocalStateStore:
    return LocalStateStore(tmp_path / "state")


@pytest.fixture
def guest(engine_module: tuple[wasmtime.Engine, wasmtime.Module], state: LocalStateStore) -> Guest:
    return Guest(engine_module, state)


def test_handlers_match_the_host_interface_table() -> None:
    table = {f.name: f for f in HOST_FUNCTIONS if f.group == "state"}
    assert set(STATE_HANDLERS) == set(table)
    for name, handler in STATE_HANDLERS.items():
        params = list(inspect.signature(handler).parameters)
        assert len(params) == 1 + len(table[name].params), name
        returns = inspect.signature(handler).return_annotation
        assert (returns == "int") == (table[name].result == "i32"), name


def test_write_then_read_whole_value(guest: Guest, state: LocalStateStore) -> None:
    guest.put(BUF, b"hello world")
    assert guest.call("write_state", guest.key("k"), BUF, 11) is None
    assert state.get("demo", "k") == b"hello world"
    assert guest.call("read_state_size", guest.key("k")) == 11
    guest.put(BUF + 100, b"\xff" * 16)
    assert guest.call("read_state", guest.key("k"), BUF + 100, 16) == 11
    assert guest.get(BUF + 100, 16) == b"hello world" + bytes(5)  # zeros past the end
    assert guest.call("read_state", guest.key("k"), BUF + 200, 5) == 11
    assert guest.get(BUF + 200, 5) == b"hello"


def test_missing_key_reads_zeros(guest: Guest) -> None:
    guest.put(BUF, b"\xff" * 8)
    assert guest.call("read_state", guest.key("missing"), BUF, 8) == 0
    assert guest.get(BUF, 8) == bytes(8)
    assert guest.call("read_state_size", guest.key("missing")) == 0
    guest.put(BUF, b"\xff" * 8)
    guest.call("read_state_offset", guest.key("missing"), 100, 50, BUF, 8)
    assert guest.get(BUF, 8) == bytes(8)


def test_offset_reads_and_writes(guest: Guest, state: LocalStateStore) -> None:
    guest.put(BUF, b"abcd")
    guest.call("write_state_offset", guest.key("k"), 12, 4, BUF, 4)
    assert state.get("demo", "k") == bytes(4) + b"abcd" + bytes(4)
    guest.call("read_state_offset", guest.key("k"), 12, 5, BUF + 64, 3)
    assert guest.get(BUF + 64, 3) == b"bcd"


@pytest.mark.parametrize(
    ("total", "off", "length"), [(12, 10, 4), (12, 13, 0), (12, -4, 4), (12, 0, -1), (-8, 0, 0)]
)
def test_offsets_out_of_range_fail(guest: Guest, total: int, off: int, length: int) -> None:
    expected = (
        f"state key 'k': offset {off} length {length} is outside the value's total length {total}"
    )
    for name in ("read_state_offset", "write_state_offset"):
        with pytest.raises(CallFailed) as caught:
            guest.call(name, guest.key("k"), total, off, BUF, length)
        assert str(caught.value) == expected
    for name in ("read_state_offset_ptr", "flag_state_offset_dirty"):
        with pytest.raises(CallFailed) as caught:
            guest.call(name, guest.key("k"), total, off, length)
        assert str(caught.value) == expected
    assert guest.call("read_state_size", guest.key("k")) == 0


def test_offsets_are_bounded_by_the_existing_value_as_faasm_does(
    guest: Guest, state: LocalStateStore
) -> None:
    # Faasm's example: a value of 10 bytes read with totalLen 4 at offset 4 gives bytes 4-7.
    state.set("demo", "ten", bytes(range(10)))
    guest.call("read_state_offset", guest.key("ten"), 4, 4, BUF, 4)
    assert guest.get(BUF, 4) == bytes([4, 5, 6, 7])
    guest.call("read_state_offset", guest.key("ten"), 4, 6, BUF, 4)  # the last byte: still in
    assert guest.get(BUF, 4) == bytes([6, 7, 8, 9])
    guest.put(BUF, b"\xee")
    guest.call("write_state_offset", guest.key("ten"), 4, 9, BUF, 1)
    assert state.get("demo", "ten") == bytes(range(9)) + b"\xee"  # the size is unchanged
    ptr = guest.call("read_state_offset_ptr", guest.key("ten"), 4, 8, 2)
    assert isinstance(ptr, int) and guest.get(ptr, 2) == b"\x08\xee"
    guest.call("flag_state_offset_dirty", guest.key("ten"), 4, 9, 1)
    # One byte past the existing value fails, naming its size.
    expected = "state key 'ten': offset 7 length 4 is outside the value's 10 bytes"
    for name in ("read_state_offset", "write_state_offset"):
        with pytest.raises(CallFailed) as caught:
            guest.call(name, guest.key("ten"), 4, 7, BUF, 4)
        assert str(caught.value) == expected
    for name in ("read_state_offset_ptr", "flag_state_offset_dirty"):
        with pytest.raises(CallFailed) as caught:
            guest.call(name, guest.key("ten"), 4, 7, 4)
        assert str(caught.value) == expected
    assert state.size("demo", "ten") == 10


def test_a_larger_total_still_grows_an_existing_value(guest: Guest, state: LocalStateStore) -> None:
    state.set("demo", "short", b"abc")
    guest.put(BUF, b"xy")
    guest.call("write_state_offset", guest.key("short"), 6, 4, BUF, 2)
    assert state.get("demo", "short") == b"abc\0xy"
    with pytest.raises(CallFailed, match="offset 5 length 2 is outside the value's total length 6"):
        guest.call("write_state_offset", guest.key("short"), 6, 5, BUF, 2)


def test_masked_partial_push_sends_only_masked_bytes(
    engine_module: tuple[wasmtime.Engine, wasmtime.Module], tmp_path: Path
) -> None:
    here_store = LocalStateStore(tmp_path / "state")
    here = Guest(engine_module, here_store)
    there = LocalStateStore(tmp_path / "state")  # another process, same root
    there.set("demo", "v", b"........")
    there.push("demo", "v")
    here.call("pull_state", here.key("v"), 8)
    here.put(BUF, b"ABCDEFGH")
    here.call("write_state", here.key("v"), BUF, 8)
    here.put(BUF, bytes([0, 0xFF, 0xFF, 0, 0, 0, 1, 0]))
    here.call("write_state", here.key("mask"), BUF, 8)
    here.put(KEY + 100, b"mask\0")
    here.call("push_state_partial_mask", here.key("v"), KEY + 100)
    there.pull("demo", "v")
    assert there.get("demo", "v") == b".BC...G."
    here_store.flush()  # the unmasked bytes were dropped from what is unsaved, as in Faasm
    there.pull("demo", "v")
    assert there.get("demo", "v") == b".BC...G."


def test_masked_partial_push_needs_a_mask_of_the_same_size(guest: Guest) -> None:
    guest.put(BUF, b"12345678")
    guest.call("write_state", guest.key("v"), BUF, 8)
    guest.call("write_state", guest.key("m"), BUF, 4)
    guest.put(KEY + 100, b"m\0")
    with pytest.raises(CallFailed) as caught:
        guest.call("push_state_partial_mask", guest.key("v"), KEY + 100)
    assert str(caught.value) == (
        "state key 'v' has 8 bytes but its mask 'm' has 4: a mask must be the same size as the "
        "value"
    )


def test_negative_lengths_fail(guest: Guest) -> None:
    for name in ("read_state", "write_state", "append_state"):
        with pytest.raises(CallFailed, match="length -1"):
            guest.call(name, guest.key("k"), BUF, -1)
    with pytest.raises(CallFailed, match="length -1"):
        guest.call("read_appended_state", guest.key("k"), BUF, -1, 1)
    with pytest.raises(CallFailed, match="a pointer needs a total length above 0"):
        guest.call("read_state_ptr", guest.key("k"), 0)


def test_pointers_outside_memory_fail(guest: Guest) -> None:
    end = guest.size()
    guest.put(BUF, b"data")
    guest.call("write_state", guest.key("k"), BUF, 4)
    for name, args in (
        ("read_state", (end - 2, 4)),
        ("write_state", (end - 2, 4)),
        ("read_state", (-16, 4)),
        ("append_state", (end, 1)),
    ):
        with pytest.raises(CallFailed, match="outside the guest memory"):
            guest.call(name, guest.key("k"), *args)
    with pytest.raises(CallFailed, match="outside the guest memory"):
        guest.call("read_state_offset", guest.key("k"), 8, 0, end - 1, 4)
    with pytest.raises(CallFailed, match="outside the guest memory"):
        guest.call("read_state_size", end + 10)
    assert guest.call("read_state_size", guest.key("k")) == 4  # nothing changed


@pytest.mark.parametrize("key", ["", "../evil", "a/b", "x" * 65, ".."])
def test_invalid_keys_fail_the_call(guest: Guest, key: str) -> None:
    with pytest.raises(CallFailed, match="invalid state key name"):
        guest.call("write_state", guest.key(key), BUF, 1)
    with pytest.raises(CallFailed, match="invalid state key name"):
        guest.call("read_state_ptr", guest.key(key), 8)
    with pytest.raises(CallFailed, match="invalid state key name"):
        guest.call("lock_state_global", guest.key(key))


def test_another_users_state_is_unreachable(
    engine_module: tuple[wasmtime.Engine, wasmtime.Module], state: LocalStateStore
) -> None:
    alice = Guest(engine_module, state, user="alice")
    bob = Guest(engine_module, state, user="bob")
    alice.put(BUF, b"alice secret")
    alice.call("write_state", alice.key("secret"), BUF, 12)
    alice.call("append_state", alice.key("secret"), BUF, 12)
    alice_ptr = alice.call("read_state_ptr", alice.key("secret"), 12)
    assert bob.call("read_state", bob.key("secret"), BUF, 12) == 0
    assert bob.get(BUF, 12) == bytes(12)
    bob_ptr = bob.call("read_state_ptr", bob.key("secret"), 12)
    assert isinstance(bob_ptr, int) and isinstance(alice_ptr, int)
    assert bob.get(bob_ptr, 12) == bytes(12)
    bob.store8(bob_ptr, 66)
    assert alice.get(alice_ptr, 12) == b"alice secret"
    with pytest.raises(CallFailed, match="has 0 appended elements"):
        bob.call("read_appended_state", bob.key("secret"), BUF, 12, 1)
    # Keys are names, never paths: there is no way to spell another user's key.
    with pytest.raises(CallFailed, match="invalid state key name"):
        bob.call("read_state", bob.key("../alice/values/secret"), BUF, 12)


def test_pointer_is_shared_zero_copy_between_two_instances(
    engine_module: tuple[wasmtime.Engine, wasmtime.Module], state: LocalStateStore
) -> None:
    first = Guest(engine_module, state)
    second = Guest(engine_module, state)
    first.put(BUF, bytes(range(100)))
    first.call("write_state", first.key("shared"), BUF, 100)
    p1 = first.call("read_state_ptr", first.key("shared"), 100)
    p2 = second.call("read_state_ptr", second.key("shared"), 100)
    assert isinstance(p1, int) and isinstance(p2, int)
    assert p1 % 4096 == 0 and p2 % 4096 == 0
    assert second.get(p2, 100) == bytes(range(100))
    # A store by one guest's own code is seen by the other guest's own load, and by the host.
    first.store8(p1 + 5, 205)
    assert second.load8(p2 + 5) == 205
    assert state.read("demo", "shared", 100, 5, 1) == bytes([205])
    # A host-call write is seen through both pointers.
    second.put(BUF, b"XYZ")
    second.call("write_state_offset", second.key("shared"), 100, 50, BUF, 3)
    assert first.get(p1 + 50, 3) == b"XYZ"
    # The same pointer for the same key within a call, and offset pointers into the same pages.
    assert first.call("read_state_ptr", first.key("shared"), 100) == p1
    assert first.call("read_state_offset_ptr", first.key("shared"), 100, 50, 3) == p1 + 50
    # Both guests really map the same physical pages: distinct addresses, no copy anywhere.
    assert first.base() + p1 != second.base() + p2


def test_mapping_survives_memory_growth(
    engine_module: tuple[wasmtime.Engine, wasmtime.Module], state: LocalStateStore
) -> None:
    first = Guest(engine_module, state)
    second = Guest(engine_module, state)
    p1 = first.call("read_state_ptr", first.key("grow"), 10_000)
    p2 = second.call("read_state_ptr", second.key("grow"), 10_000)
    assert isinstance(p1, int) and isinstance(p2, int)
    base, size = first.base(), first.size()
    assert first.exports["grow"](first.store, 256) == size // 65536  # type: ignore[operator]
    assert first.size() == size + 256 * 65536
    assert first.base() == base  # wasmtime reserved the whole 4 GiB: the base does not move
    first.store8(p1 + 9_999, 7)
    assert second.load8(p2 + 9_999) == 7
    second.store8(p2, 9)
    assert first.load8(p1) == 9


def test_value_larger_than_a_mapping_gets_a_new_mapping(
    guest: Guest, state: LocalStateStore
) -> None:
    small = guest.call("read_state_ptr", guest.key("k"), 100)
    assert isinstance(small, int)
    guest.store8(small + 3, 3)
    big = guest.call("read_state_ptr", guest.key("k"), 3 * 4096)
    assert isinstance(big, int) and big != small
    assert guest.load8(big + 3) == 3
    guest.store8(big + 2 * 4096, 8)
    assert state.read("demo", "k", 3 * 4096, 2 * 4096, 1) == b"\x08"
    assert guest.load8(small + 3) == 3  # the old pointer still works
    assert guest.call("read_state_ptr", guest.key("k"), 100) == big


def test_release_detaches_mappings_and_flush_persists_pointer_writes(
    engine_module: tuple[wasmtime.Engine, wasmtime.Module], tmp_path: Path
) -> None:
    state = LocalStateStore(tmp_path / "state")
    guest = Guest(engine_module, state)
    ptr = guest.call("read_state_ptr", guest.key("counter"), 4)
    assert isinstance(ptr, int)
    guest.store8(ptr, 41)
    released = release_call_resources(guest.ctx)
    assert released == [(ptr, 4096)]
    assert guest.load8(ptr) == 0  # private zero pages now
    guest.store8(ptr, 99)  # e.g. a snapshot restore: must not reach shared state
    assert state.get("demo", "counter") == b"\x29\0\0\0"
    state.flush()
    assert LocalStateStore(tmp_path / "state").get("demo", "counter") == b"\x29\0\0\0"
    assert release_call_resources(guest.ctx) == []


def test_release_frees_locks_a_call_forgot(
    engine_module: tuple[wasmtime.Engine, wasmtime.Module], state: LocalStateStore
) -> None:
    first = Guest(engine_module, state)
    second = Guest(engine_module, state)
    first.call("lock_state_write", first.key("a"))
    first.call("lock_state_read", first.key("b"))
    first.call("lock_state_global", first.key("c"))
    assert not _acquires(lambda: state.lock_write("demo", "a", 0.05))
    assert not _acquires(lambda: state.lock_write("demo", "b", 0.05))
    assert not _acquires(lambda: state.lock_global("demo", "c", 0.05))
    release_call_resources(first.ctx)
    second.call("lock_state_write", second.key("a"))
    second.call("lock_state_write", second.key("b"))
    second.call("lock_state_global", second.key("c"))
    second.call("unlock_state_write", second.key("a"))
    second.call("unlock_state_write", second.key("b"))
    second.call("unlock_state_global", second.key("c"))


def _acquires(take: object) -> bool:
    try:
        lease = take()  # type: ignore[operator]
    except CallFailed:
        return False
    lease.release()
    return True


def test_lock_misuse_fails_clearly(guest: Guest) -> None:
    k = guest.key("k")
    with pytest.raises(CallFailed, match="does not hold a read lock of state key 'k'"):
        guest.call("unlock_state_read", k)
    with pytest.raises(CallFailed, match="does not hold the write lock"):
        guest.call("unlock_state_write", k)
    with pytest.raises(CallFailed, match="does not hold the global lock"):
        guest.call("unlock_state_global", k)
    guest.call("lock_state_read", k)
    guest.call("lock_state_read", k)  # re-entrant
    with pytest.raises(CallFailed, match="holds a read lock"):
        guest.call("lock_state_write", k)
    guest.call("unlock_state_read", k)
    guest.call("unlock_state_read", k)
    guest.call("lock_state_write", k)
    with pytest.raises(CallFailed, match="already holds the write lock"):
        guest.call("lock_state_write", k)
    with pytest.raises(CallFailed, match="holds the write lock"):
        guest.call("lock_state_read", k)
    guest.call("unlock_state_write", k)
    guest.call("lock_state_global", k)
    with pytest.raises(CallFailed, match="already holds the global lock"):
        guest.call("lock_state_global", k)
    guest.call("unlock_state_global", k)


def test_write_lock_orders_two_calls(
    engine_module: tuple[wasmtime.Engine, wasmtime.Module], state: LocalStateStore
) -> None:
    first = Guest(engine_module, state)
    second = Guest(engine_module, state)
    first.call("lock_state_write", first.key("k"))
    order: list[str] = []
    key = second.key("k")

    def take() -> None:
        second.call("lock_state_write", key)
        order.append("second")

    thread = threading.Thread(target=take)
    thread.start()
    thread.join(0.1)
    order.append("first")
    first.call("unlock_state_write", first.key("k"))
    thread.join(5)
    assert order == ["first", "second"]


def test_append_handlers(guest: Guest) -> None:
    k = guest.key("log")
    for i, element in enumerate((b"ab", b"cd", b"ef")):
        guest.put(BUF + 8 * i, element)
        guest.call("append_state", k, BUF + 8 * i, 2)
    guest.put(BUF + 100, b"\xff" * 8)
    guest.call("read_appended_state", k, BUF + 100, 8, 3)
    assert guest.get(BUF + 100, 8) == b"abcdef\0\0"
    with pytest.raises(CallFailed, match="has 3 appended elements, 4 requested"):
        guest.call("read_appended_state", k, BUF + 100, 8, 4)
    with pytest.raises(
        CallFailed, match="3 appended elements hold 6 bytes, more than the buffer's 4"
    ):
        guest.call("read_appended_state", k, BUF + 100, 4, 3)
    guest.call("clear_appended_state", k)
    with pytest.raises(CallFailed, match="has 0 appended elements, 1 requested"):
        guest.call("read_appended_state", k, BUF + 100, 8, 1)


def test_push_pull_and_partial_push_through_pointers(
    engine_module: tuple[wasmtime.Engine, wasmtime.Module], tmp_path: Path
) -> None:
    here = Guest(engine_module, LocalStateStore(tmp_path / "state"))
    there_store = LocalStateStore(tmp_path / "state")  # another process, same root
    there = Guest(engine_module, there_store)
    ptr = here.call("read_state_ptr", here.key("v"), 8)
    assert isinstance(ptr, int)
    here.put(ptr, b"aaaaaaaa")
    here.call("push_state", here.key("v"))
    there.call("pull_state", there.key("v"), 8)
    there.call("read_state", there.key("v"), BUF, 8)
    assert there.get(BUF, 8) == b"aaaaaaaa"
    # Another process changes the durable value; a partial push only sends flagged bytes.
    there_store.set("demo", "v", b"bbbbbbbb")
    there_store.push("demo", "v")
    here.put(ptr + 2, b"cc")
    here.put(ptr + 6, b"d")
    here.call("flag_state_offset_dirty", here.key("v"), 8, 2, 2)
    here.call("push_state_partial", here.key("v"))
    there.call("pull_state", there.key("v"), 8)
    there.call("read_state", there.key("v"), BUF, 8)
    assert there.get(BUF, 8) == b"bbccbbbb"
    # A pull writes through to the pointer holders.
    here.call("pull_state", here.key("v"), 8)
    assert here.get(ptr, 8) == b"bbccbbbb"
    with pytest.raises(CallFailed, match="total length -1"):
        here.call("pull_state", here.key("v"), -1)


def test_flush_rewrites_a_mapped_value_only_if_a_byte_changed(
    engine_module: tuple[wasmtime.Engine, wasmtime.Module], tmp_path: Path
) -> None:
    state = LocalStateStore(tmp_path / "state")
    state.set("demo", "v", b"abcdefgh")
    state.flush()
    stored = tmp_path / "state" / "demo" / "values" / "v"
    before = stored.stat().st_ino
    reader = Guest(engine_module, state)
    ptr = reader.call("read_state_ptr", reader.key("v"), 8)
    assert isinstance(ptr, int) and reader.get(ptr, 8) == b"abcdefgh"
    release_call_resources(reader.ctx)
    state.flush()
    assert stored.stat().st_ino == before  # only read: not written again
    writer = Guest(engine_module, state)
    ptr = writer.call("read_state_ptr", writer.key("v"), 8)
    assert isinstance(ptr, int)
    writer.store8(ptr + 7, ord("H"))
    state.flush()  # while still mapped
    assert stored.read_bytes() == b"abcdefgH"
    writer.store8(ptr, ord("A"))
    release_call_resources(writer.ctx)
    state.flush()
    assert stored.read_bytes() == b"AbcdefgH"


def test_deleting_a_mapped_value_leaves_the_mapping_valid(
    guest: Guest, state: LocalStateStore
) -> None:
    ptr = guest.call("read_state_ptr", guest.key("gone"), 16)
    assert isinstance(ptr, int)
    guest.store8(ptr, 5)
    state.delete("demo", "gone")
    assert guest.load8(ptr) == 5  # the old pages live on for this call
    guest.store8(ptr, 6)
    assert state.get("demo", "gone") == b""
    assert guest.call("read_state_ptr", guest.key("gone"), 16) == ptr  # same call, same pointer
    release_call_resources(guest.ctx)
    state.flush()
    assert state.keys("demo") == []
