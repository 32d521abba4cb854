"""The real `InstanceMemory` at the exact edges of a real instance's memory, and the runtime's
host calls at those edges: a range ending at the last byte passes, one byte more fails with a
message naming the range, and nothing outside the guest is ever touched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import wasmtime
from runtime_wat import wat_function

from faasm_cli.runtime import Runtime
from faasm_cli.runtime.engine import make_engine
from faasm_cli.runtime.errors import CallFailed
from faasm_cli.runtime.hostcalls.memory import InstanceMemory

PAGE = 65536
# One page of memory, a guest allocator the test steers (`next` is what it hands out; 0 means
# "out of memory"), and exports to grow memory and read bytes as the guest sees them.
GUEST = """
(module
  (memory (export "memory") 1)
  (global $next (export "next") (mut i32) (i32.const 8192))
  (func (export "__faasm_alloc") (param $n i32) (result i32) (global.get $next))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0))))
"""
TRAPPING_ALLOC = """
(module
  (memory (export "memory") 1)
  (func (export "__faasm_alloc") (param i32) (result i32) unreachable))
"""


class Instance:
    """One real instance on the runtime's own engine, with the real `InstanceMemory` over it."""

    def __init__(self, wat: str) -> None:
        engine, _ = make_engine()
        self.store = wasmtime.Store(engine)
        self.instance = wasmtime.Instance(
            self.store, wasmtime.Module(engine, wasmtime.wat2wasm(wat)), []
        )
        self.memory = InstanceMemory(self.store, self.instance)

    def export(self, name: str) -> wasmtime.Func:
        item = self.instance.exports(self.store)[name]
        assert isinstance(item, wasmtime.Func)
        return item

    def load8(self, ptr: int) -> int:
        value = self.export("load8")(self.store, ptr)
        assert isinstance(value, int)
        return value

    def set_next(self, value: int) -> None:
        item = self.instance.exports(self.store)["next"]
        assert isinstance(item, wasmtime.Global)
        item.set_value(self.store, wasmtime.Val.i32(value))


@pytest.fixture
def guest() -> Instance:
    return Instance(GUEST)


def _outside(ptr: int, end: int, size: int = PAGE) -> str:
    return f"range [{ptr}, {end}) is outside the guest memory of {size} bytes"


def test_size_is_the_instance_memory(guest: Instance) -> None:
    assert guest.memory.size() == PAGE


def test_read_ending_exactly_at_the_end_passes(guest: Instance) -> None:
    guest.memory.write(PAGE - 4, b"tail")
    assert guest.memory.read(PAGE - 4, 4) == b"tail"
    assert guest.memory.read(0, PAGE)[-4:] == b"tail"


def test_read_one_byte_past_the_end_fails(guest: Instance) -> None:
    with pytest.raises(CallFailed) as error:
        guest.memory.read(PAGE - 4, 5)
    assert str(error.value) == _outside(PAGE - 4, PAGE + 1)
    with pytest.raises(CallFailed) as error:
        guest.memory.read(0, PAGE + 1)
    assert str(error.value) == _outside(0, PAGE + 1)


def test_write_ending_exactly_at_the_end_passes_and_the_guest_sees_it(guest: Instance) -> None:
    guest.memory.write(PAGE - 2, b"\x07\x09")
    assert (guest.load8(PAGE - 2), guest.load8(PAGE - 1)) == (7, 9)


def test_write_one_byte_past_the_end_fails_and_writes_nothing(guest: Instance) -> None:
    with pytest.raises(CallFailed) as error:
        guest.memory.write(PAGE - 2, b"abc")
    assert str(error.value) == _outside(PAGE - 2, PAGE + 1)
    assert (guest.load8(PAGE - 2), guest.load8(PAGE - 1)) == (0, 0)


def test_empty_ranges_at_the_end_pass_and_one_past_it_fails(guest: Instance) -> None:
    assert guest.memory.read(PAGE, 0) == b""
    guest.memory.write(PAGE, b"")
    with pytest.raises(CallFailed) as error:
        guest.memory.read(PAGE + 1, 0)
    assert str(error.value) == _outside(PAGE + 1, PAGE + 1)


def test_negative_lengths_fail(guest: Instance) -> None:
    with pytest.raises(CallFailed) as error:
        guest.memory.read(0, -1)
    assert str(error.value) == "negative length -1"


def test_pointers_are_unsigned_and_lengths_do_not_wrap(guest: Instance) -> None:
    # The guest passes i32s: -1 is the address 0xFFFFFFFF, not the last byte of memory.
    with pytest.raises(CallFailed) as error:
        guest.memory.read(-1, 1)
    assert str(error.value) == _outside(0xFFFFFFFF, 0x100000000)
    # 1 + 0xFFFFFFFF wraps to 0 in 32 bits; the check must not.
    with pytest.raises(CallFailed) as error:
        guest.memory.read(1, 0xFFFFFFFF)
    assert str(error.value) == _outside(1, 0x100000000)


def test_host_address_is_the_guest_byte_and_checked_at_the_edges(guest: Instance) -> None:
    base = guest.memory.host_address(0, PAGE)
    assert guest.memory.host_address(PAGE - 1, 1) == base + PAGE - 1
    with pytest.raises(CallFailed) as error:
        guest.memory.host_address(PAGE - 1, 2)
    assert str(error.value) == _outside(PAGE - 1, PAGE + 1)


def test_the_new_end_after_the_guest_grows_memory(guest: Instance) -> None:
    with pytest.raises(CallFailed):
        guest.memory.read(2 * PAGE - 1, 1)
    assert guest.export("grow")(guest.store, 1) == 1
    assert guest.memory.size() == 2 * PAGE
    guest.memory.write(2 * PAGE - 1, b"\x05")
    assert guest.load8(2 * PAGE - 1) == 5
    with pytest.raises(CallFailed) as error:
        guest.memory.write(2 * PAGE - 1, b"\x05\x06")
    assert str(error.value) == _outside(2 * PAGE - 1, 2 * PAGE + 1, 2 * PAGE)


def test_cstring_ending_at_the_last_byte_passes(guest: Instance) -> None:
    guest.memory.write(PAGE - 3, b"hi\0")
    assert guest.memory.read_cstring(PAGE - 3) == "hi"


def test_empty_cstring_in_the_last_byte_passes(guest: Instance) -> None:
    guest.memory.write(PAGE - 1, b"\0")
    assert guest.memory.read_cstring(PAGE - 1) == ""


def test_cstring_running_off_the_end_fails(guest: Instance) -> None:
    guest.memory.write(PAGE - 3, b"hi!")
    with pytest.raises(CallFailed) as error:
        guest.memory.read_cstring(PAGE - 3)
    assert str(error.value) == f"string at {PAGE - 3} is not NUL-terminated within 1024 bytes"
    with pytest.raises(CallFailed) as error:
        guest.memory.read_cstring(PAGE)
    assert str(error.value) == f"string pointer {PAGE} is outside the guest memory"


def test_cstring_longer_than_the_maximum_fails(guest: Instance) -> None:
    guest.memory.write(0, b"x" * 9 + b"\0")
    assert guest.memory.read_cstring(0, max_length=9) == "x" * 9
    with pytest.raises(CallFailed) as error:
        guest.memory.read_cstring(0, max_length=8)
    assert str(error.value) == "string at 0 is not NUL-terminated within 8 bytes"


def test_alloc_rounds_to_pages_and_checks_the_block(guest: Instance) -> None:
    assert guest.memory.alloc(1) == 8192
    guest.set_next(PAGE - 4096)
    assert guest.memory.alloc(4096) == PAGE - 4096
    # A block ending one page past memory is the guest's bug, not a host write.
    guest.set_next(PAGE - 4096)
    with pytest.raises(CallFailed) as error:
        guest.memory.alloc(4097)
    assert str(error.value) == _outside(PAGE - 4096, PAGE + 4096)


def test_alloc_refused_by_the_guest_fails(guest: Instance) -> None:
    guest.set_next(0)
    with pytest.raises(CallFailed) as error:
        guest.memory.alloc(10)
    assert str(error.value) == "the guest could not allocate 4096 bytes"
    with pytest.raises(CallFailed) as error:
        guest.memory.alloc(-1)
    assert str(error.value) == "negative length -1"


def test_alloc_that_traps_raises_the_trap_for_the_caller_to_explain() -> None:
    with pytest.raises(wasmtime.Trap) as error:
        Instance(TRAPPING_ALLOC).memory.alloc(1)
    assert error.value.trap_code is wasmtime.TrapCode.UNREACHABLE


def test_a_module_without_the_exports_fails_clearly() -> None:
    bare = Instance("(module)")
    with pytest.raises(CallFailed) as error:
        bare.memory.read(0, 1)
    assert str(error.value) == "the module does not export its memory"
    with pytest.raises(CallFailed) as error:
        bare.memory.alloc(1)
    assert str(error.value) == "the module does not export __faasm_alloc"


# Through the runtime: the same edges reached by the guest's own host calls.
END = 2 * PAGE  # wat_function's memory


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    with Runtime(cache_dir=Path(tmp_path_factory.mktemp("edges"))) as runtime:
        for name, ptr, length in (("last", END - 3, 3), ("past", END - 3, 4)):
            body = f"(call $write_output (i32.const {ptr}) (i32.const {length})) (i32.const 0)"
            runtime.register("demo", f"out_{name}", wat_function(body))
            body = f"(drop (call $read_input (i32.const {ptr}) (i32.const {length}))) (i32.const 0)"
            runtime.register("demo", f"in_{name}", wat_function(body))
        yield runtime


def test_output_from_the_last_bytes_of_memory(rt: Runtime) -> None:
    result = rt.call("demo", "out_last")
    assert (result.failed, result.output_data) == (False, b"\0\0\0")


def test_output_one_byte_past_memory_fails_the_call(rt: Runtime) -> None:
    result = rt.call("demo", "out_past")
    assert result.failed
    assert result.error == f"__faasm_write_output: {_outside(END - 3, END + 1, END)}"
    assert not rt.call("demo", "out_last").failed


def test_input_into_the_last_bytes_of_memory(rt: Runtime) -> None:
    assert not rt.call("demo", "in_last", input_data=b"abcd").failed


def test_input_one_byte_past_memory_fails_the_call(rt: Runtime) -> None:
    result = rt.call("demo", "in_past", input_data=b"abcd")
    assert result.failed
    assert result.error == f"__faasm_read_input: {_outside(END - 3, END + 1, END)}"
