"""The input/output/name host calls at their edges, through real calls of WAT functions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from runtime_wat import wat_function

from faasm_cli.message import Message
from faasm_cli.runtime import Runtime

BUF = 100


def _copy_then_output(call: str, length: int) -> bytes:
    """Calls `call(BUF, length)`, outputs 8 bytes at BUF, returns what the host call returned."""
    return wat_function(
        f"(local $n i32) (local.set $n (call ${call} (i32.const {BUF}) (i32.const {length})))"
        f"(call $write_output (i32.const {BUF}) (i32.const 8)) (local.get $n)"
    )


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    with Runtime(cache_dir=Path(tmp_path_factory.mktemp("io"))) as runtime:
        for length in (-1, 0, 1, 2, 8):
            name = f"m{-length}" if length < 0 else str(length)
            runtime.register("demo", f"in_{name}", _copy_then_output("read_input", length))
            for call in ("get_py_user", "get_py_func"):
                runtime.register("demo", f"{call}_{name}", _copy_then_output(call, length))
        yield runtime


@pytest.mark.parametrize(
    ("length", "returned", "written"),
    [(0, 4, b""), (1, 1, b"a"), (2, 2, b"ab"), (8, 4, b"abcd")],
)
def test_read_input_copies_at_most_length_bytes(
    rt: Runtime, length: int, returned: int, written: bytes
) -> None:
    result = rt.call("demo", f"in_{length}", input_data=b"abcd")
    assert (result.failed, result.return_value) == (False, returned)
    assert result.output_data == written.ljust(8, b"\0")


def test_read_input_of_a_negative_length_fails(rt: Runtime) -> None:
    result = rt.call("demo", "in_m1", input_data=b"abcd")
    assert result.failed
    assert result.error == "__faasm_read_input: negative length -1"


@pytest.mark.parametrize("call", ["get_py_user", "get_py_func"])
@pytest.mark.parametrize(
    ("length", "written"),
    [(0, b""), (1, b"\0"), (2, b"a\0"), (8, b"alice\0")],
)
def test_python_names_are_cut_to_fit_and_nul_terminated(
    rt: Runtime, call: str, length: int, written: bytes
) -> None:
    message = Message(id=0, user="demo", function=f"{call}_{length}", py_user="alice")
    if call == "get_py_func":
        message = Message(id=0, user="demo", function=f"{call}_{length}", py_func="alice")
    result = rt.call_message(message)
    assert (result.failed, result.return_value) == (False, 5)  # the whole name's length
    assert result.output_data == written.ljust(8, b"\0")


@pytest.mark.parametrize("call", ["get_py_user", "get_py_func"])
def test_python_name_of_a_negative_length_fails(rt: Runtime, call: str) -> None:
    result = rt.call_message(Message(id=0, user="demo", function=f"{call}_m1", py_user="x"))
    assert result.failed
    assert result.error == f"__faasm_{call}: negative length -1"


def test_python_names_are_empty_for_a_c_call(rt: Runtime) -> None:
    result = rt.call("demo", "get_py_user_8")
    assert (result.failed, result.return_value, result.output_data) == (False, 0, bytes(8))


@pytest.mark.parametrize("call", ["get_py_user", "get_py_func"])
def test_python_names_are_empty_in_the_zygote(tmp_path: Path, call: str) -> None:
    zygote = f"(drop (call ${call} (i32.const {BUF}) (i32.const 8))) (i32.const 0)"
    body = f"(call $write_output (i32.const {BUF}) (i32.const 8)) (i32.const 0)"
    with Runtime(cache_dir=tmp_path) as runtime:
        runtime.register("demo", "zygote_name", wat_function(body, zygote=zygote))
        result = runtime.call("demo", "zygote_name")
    assert (result.failed, result.output_data) == (False, bytes(8))
