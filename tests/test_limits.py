"""Per-call limits: time, memory, output and stack. Each is a failed call that says which, and the
runtime serves the next call normally."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from runtime_wat import output_of, wat_function

from faasm_cli.runtime import Runtime

OK = wat_function(output_of(64, 2), extra='(data (i32.const 64) "ok")')


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    with Runtime(
        cache_dir=tmp_path, memory_limit_mb=8, max_output_bytes=1000, timeout=5.0
    ) as runtime:
        runtime.register("demo", "ok", OK)
        yield runtime


def _works(rt: Runtime) -> None:
    result = rt.call("demo", "ok")
    assert (result.failed, result.output_data) == (False, b"ok")


def test_infinite_loop_times_out(rt: Runtime) -> None:
    rt.register("demo", "spin", wat_function("(loop $l (br $l)) (i32.const 0)"))
    start = time.perf_counter()
    result = rt.call("demo", "spin", timeout=0.2)
    elapsed = time.perf_counter() - start
    assert result.failed and result.error == "timed out after 0.2s"
    assert 0.15 < elapsed < 2.0
    _works(rt)


def test_runtime_default_timeout_applies(tmp_path: Path) -> None:
    with Runtime(cache_dir=tmp_path, timeout=0.1) as rt:
        rt.register("demo", "spin", wat_function("(loop $l (br $l)) (i32.const 0)"))
        assert rt.call("demo", "spin").error == "timed out after 0.1s"


def test_memory_hog_hits_the_memory_limit(rt: Runtime) -> None:
    # Grows by 1 MiB until memory.grow is refused; a guest that ignores the -1 still fails.
    hog = wat_function("""
      (loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
      (i32.const 0)""")
    rt.register("demo", "hog", hog)
    result = rt.call("demo", "hog")
    assert result.failed
    assert result.error == "memory limit of 8 MiB reached (memory.grow refused)"
    _works(rt)


def test_growing_within_the_limit_is_fine(rt: Runtime) -> None:
    rt.register("demo", "grow", wat_function("(memory.grow (i32.const 16)) (drop) (i32.const 0)"))
    assert not rt.call("demo", "grow").failed


def test_module_needing_more_than_the_limit_fails_clearly(rt: Runtime) -> None:
    rt.register("demo", "big", wat_function("(i32.const 0)", pages=200))
    result = rt.call("demo", "big")
    assert result.failed and result.error is not None
    assert "memory limit of 8 MiB is below what the function needs" in result.error
    _works(rt)


def test_huge_output_is_refused(rt: Runtime) -> None:
    rt.register("demo", "huge", wat_function(output_of(0, 100_000)))
    result = rt.call("demo", "huge")
    assert result.failed
    assert result.error == (
        "__faasm_write_output: output of 100000 bytes exceeds the output limit of 1000 bytes"
    )
    _works(rt)


def test_stack_overflow_is_reported(rt: Runtime) -> None:
    deep = wat_function(
        "(call $down (i32.const 0))",
        extra="(func $down (param i32) (result i32) "
        "(i32.add (call $down (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))",
    )
    rt.register("demo", "deep", deep)
    result = rt.call("demo", "deep")
    assert result.failed and result.error is not None and "stack overflow" in result.error
    _works(rt)


def test_every_failure_in_a_row_leaves_the_runtime_serving(rt: Runtime) -> None:
    rt.register("demo", "trap", wat_function("(unreachable)"))
    rt.register("demo", "spin", wat_function("(loop $l (br $l)) (i32.const 0)"))
    for _ in range(3):
        assert rt.call("demo", "trap").failed
        assert rt.call("demo", "spin", timeout=0.05).failed
        _works(rt)
