"""The example functions of func/demo, compiled with the real toolchain, run in the runtime."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from faasm_cli.config import Project
from faasm_cli.runtime import Runtime
from tests.helpers import build_or_skip

DEMOS = [
    "hello",
    "echo",
    "x2",
    "dummy",
    "chain",
    "chain_simple",
    "chain_named_a",
    "chain_named_b",
    "chain_named_c",
    "zygote_check",
    "zygote_trap",
    "pi",
    "hello_main",
    "trap",
    "abort",
    "exit3",
    "exit_code",
    "huge_output",
    "infinite_loop",
    "memory_hog",
    "stack_overflow",
    "wild_pointer",
]


@pytest.fixture(scope="session")
def demo_wasm(demo_project: Project) -> dict[str, Path]:
    return build_or_skip(demo_project, "demo", DEMOS)


@pytest.fixture
def rt(demo_wasm: dict[str, Path], tmp_path: Path) -> Iterator[Runtime]:
    with Runtime(
        resolver=lambda user, name: demo_wasm.get(name),
        memory_limit_mb=128,
        max_output_bytes=1 << 20,
        timeout=10.0,
    ) as runtime:
        yield runtime


def _hello_works(rt: Runtime) -> None:
    result = rt.call("demo", "hello")
    assert (result.failed, result.output_data) == (False, b"Hello faasm!")


def test_hello(rt: Runtime) -> None:
    _hello_works(rt)


def test_echo_and_x2(rt: Runtime) -> None:
    assert rt.call("demo", "echo", input_data=b"abc").output_data == b"abc"
    assert rt.call("demo", "x2", input_data=bytes([1, 2, 3])).output_data == bytes([2, 4, 6])
    assert rt.call("demo", "dummy").output_data == b""


def test_hello_main_is_a_plain_program(rt: Runtime) -> None:
    result = rt.call("demo", "hello_main")
    assert (result.stdout, result.output_data, result.return_value) == (
        "Hello from main!\n",
        b"",
        0,
    )


def test_chain(rt: Runtime) -> None:
    result = rt.call("demo", "chain")
    assert (result.failed, result.return_value, result.output_data) == (
        False,
        0,
        b"chained 2 calls",
    )
    assert len(result.chained) == 2 and all(not c.failed for c in result.chained)


def test_chain_simple(rt: Runtime) -> None:
    assert rt.call("demo", "chain_simple", input_data=b"faasm").output_data == b"hello faasm"


def test_chain_named(rt: Runtime) -> None:
    result = rt.call("demo", "chain_named_a")
    assert result.output_data == b"b says: hi b | c says: hi c"
    assert sorted(c.function for c in result.chained) == ["chain_named_b", "chain_named_c"]


def test_pi(rt: Runtime) -> None:
    result = rt.call("demo", "pi")
    text = result.output_data.decode()
    assert text.startswith("Pi estimate: ")
    assert abs(float(text.split(":")[1]) - math.pi) < 0.05


def test_zygote_check_every_call_sees_the_snapshot(rt: Runtime) -> None:
    for _ in range(3):
        result = rt.call("demo", "zygote_check")
        assert (result.return_value, result.output_data) == (0, b"zygote value 42")


def test_zygote_trap_fails_every_call(rt: Runtime) -> None:
    for _ in range(2):
        result = rt.call("demo", "zygote_trap")
        assert result.failed and (result.error or "").startswith("zygote failed: ")
    _hello_works(rt)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("trap", "wasm trap: integer divide by zero"),
        ("abort", "unreachable"),
        ("exit3", "exited with code 3"),
        ("huge_output", "exceeds the output limit of 1048576 bytes"),
        ("infinite_loop", "timed out after 0.3s"),
        ("memory_hog", "memory limit of 128 MiB reached"),
        ("stack_overflow", "stack overflow"),
        ("wild_pointer", "is outside the guest memory"),
    ],
)
def test_bad_behaviour_is_a_failed_call_and_the_next_works(
    rt: Runtime, name: str, expected: str
) -> None:
    result = rt.call("demo", name, timeout=0.3 if name == "infinite_loop" else None)
    assert result.failed, result
    assert expected in (result.error or ""), result.error
    _hello_works(rt)


def test_exit_code_keeps_output(rt: Runtime) -> None:
    result = rt.call("demo", "exit_code")
    assert (result.return_value, result.output_data) == (2, b"failing on purpose")
