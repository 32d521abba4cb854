"""State throughput: host calls and pointers from real wasm, against plain Python copies.

Run: `python bench/bench_state.py`. Everything is measured in this run: the baselines are a
Python `bytes` copy and a dict write of the same size (what any in-process store must at least
do), the store API is called from Python, and the host calls are made by a wasm loop through
`Runtime.call` (the loop's per-call overhead is measured with an empty call and subtracted).
Pointers: a call that maps a value and touches every byte, against one that copies it with
`read_state` and touches the copy. Figures are medians; nothing is asserted.
"""

from __future__ import annotations

import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import wasmtime

from faasm_cli.runtime import Runtime
from faasm_cli.runtime.state.store import LocalStateStore

SIZES = {"1 KiB": 1 << 10, "1 MiB": 1 << 20}
REPEATS = 7

# idx 0: n x write_state; 1: n x read_state; 2: map (read_state_ptr) + touch every byte;
# 3: read_state copy + touch every byte; 4: nothing; 5: n x read_state_ptr (cached pointer).
BENCH_WAT = """
(module
  (import "env" "__faasm_read_input" (func $input (param i32 i32) (result i32)))
  (import "env" "__faasm_write_state" (func $write (param i32 i32 i32)))
  (import "env" "__faasm_read_state" (func $read (param i32 i32 i32) (result i32)))
  (import "env" "__faasm_read_state_ptr" (func $ptr (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "bench_key\\00")
  (global $next (mut i32) (i32.const 65536))
  (func $alloc (export "__faasm_alloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $n (i32.and (i32.add (local.get $n) (i32.const 4095)) (i32.const -4096)))
    (local.set $p (global.get $next))
    (global.set $next (i32.add (local.get $p) (local.get $n)))
    (drop (memory.grow (i32.shr_u (i32.add (local.get $n) (i32.const 65535)) (i32.const 16))))
    (local.get $p))
  (func (export "__faasm_call") (param $idx i32) (result i32)
    (local $n i32) (local $size i32) (local $buf i32) (local $i i32) (local $p i32)
    (drop (call $input (i32.const 0) (i32.const 8)))
    (local.set $n (i32.load (i32.const 0)))
    (local.set $size (i32.load (i32.const 4)))
    (if (i32.eq (local.get $idx) (i32.const 4)) (then (return (i32.const 0))))
    (local.set $buf (call $alloc (local.get $size)))
    (if (i32.eq (local.get $idx) (i32.const 2)) (then
      (local.set $p (call $ptr (i32.const 16) (local.get $size)))
      (memory.fill (local.get $p) (i32.const 1) (local.get $size))
      (return (i32.const 0))))
    (if (i32.eq (local.get $idx) (i32.const 3)) (then
      (drop (call $read (i32.const 16) (local.get $buf) (local.get $size)))
      (memory.fill (local.get $buf) (i32.const 1) (local.get $size))
      (return (i32.const 0))))
    (block $done (loop $again
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (if (i32.eqz (local.get $idx))
        (then (call $write (i32.const 16) (local.get $buf) (local.get $size))))
      (if (i32.eq (local.get $idx) (i32.const 1))
        (then (drop (call $read (i32.const 16) (local.get $buf) (local.get $size)))))
      (if (i32.eq (local.get $idx) (i32.const 5))
        (then (drop (call $ptr (i32.const 16) (local.get $size)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $again)))
    (i32.const 0))
  (func (export "_faasm_func_1") (result i32) (i32.const 0))
  (func (export "_faasm_func_2") (result i32) (i32.const 0))
  (func (export "_faasm_func_3") (result i32) (i32.const 0))
  (func (export "_faasm_func_4") (result i32) (i32.const 0))
  (func (export "_faasm_func_5") (result i32) (i32.const 0)))
"""


def per_op(run: Callable[[], None], n: int) -> float:
    """Median seconds per operation of `run`, which performs `n` operations."""
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) / n)
    return statistics.median(samples)


def call_time(rt: Runtime, idx: int, n: int, size: int) -> float:
    """Median seconds of one `Runtime.call` of the bench module."""
    payload = struct.pack("<II", n, size)

    def run() -> None:
        result = rt.call("bench", "state", payload, idx=idx)
        if result.failed:
            raise RuntimeError(result.error)

    run()  # warm: machine code, the value's pages, the directory entries
    return per_op(run, 1)


def interleaved(rt: Runtime, size: int, indices: tuple[int, ...], rounds: int = 101) -> list[float]:
    """Median seconds of one call of each index, the indices taking turns (so load changes on
    the machine hit them alike)."""
    payload = struct.pack("<II", 1, size)
    samples: dict[int, list[float]] = {idx: [] for idx in indices}
    for _ in range(rounds):
        for idx in indices:
            start = time.perf_counter()
            rt.call("bench", "state", payload, idx=idx)
            samples[idx].append(time.perf_counter() - start)
    return [statistics.median(samples[idx]) for idx in indices]


def rate(size: int, seconds: float) -> str:
    return f"{seconds * 1e6:9.2f} us  {size / seconds / 1e9:7.2f} GB/s"


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        store = LocalStateStore(Path(scratch) / "state")
        with Runtime(state_store=store, cache_dir=Path(scratch) / "cache") as rt:
            rt.register("bench", "state", bytes(wasmtime.wat2wasm(BENCH_WAT)))
            for label, size in SIZES.items():
                bench_size(rt, store, label, size)


def bench_size(rt: Runtime, store: LocalStateStore, label: str, size: int) -> None:
    n = 2000 if size <= 4096 else 50
    source = bytearray(b"x" * size)
    table: dict[str, bytes] = {}

    def dict_write() -> None:
        for _ in range(n):
            table["k"] = bytes(source)

    def copy() -> None:
        for _ in range(n):
            bytes(source)

    data = bytes(source)

    def store_set() -> None:
        for _ in range(n):
            store.set("bench", "api", data)

    def store_get() -> None:
        for _ in range(n):
            store.get("bench", "api")

    baseline_copy = per_op(copy, n)
    baseline_dict = per_op(dict_write, n)
    rt.call("bench", "state", struct.pack("<II", 1, size), idx=0)  # create the value

    def in_wasm(idx: int) -> float:
        """Per host call: the difference between loops of 2n and n calls, so the call's own
        cost and the flush at its end cancel out."""
        return (call_time(rt, idx, 2 * n, size) - call_time(rt, idx, n, size)) / n

    rows = {
        "python bytes copy (baseline)": baseline_copy,
        "python dict write (baseline)": baseline_dict,
        "store.set (Python API)": per_op(store_set, n),
        "store.get (Python API)": per_op(store_get, n),
        "__faasm_write_state from wasm": in_wasm(0),
        "__faasm_read_state from wasm": in_wasm(1),
    }
    cached_pointer = in_wasm(5)
    out = sys.stdout
    out.write(f"\n== {label} values ({n} ops per sample, median of {REPEATS})\n")
    for name, seconds in rows.items():
        out.write(f"{name:40s} {rate(size, seconds)}  {seconds / baseline_copy:6.2f}x copy\n")
    out.write(f"{'__faasm_read_state_ptr again (cached)':40s} {cached_pointer * 1e6:9.2f} us\n")
    empty, mapped, copied = interleaved(rt, size, (4, 2, 3))
    out.write(f"{'call: map + write every byte':40s} {rate(size, mapped - empty)}\n")
    out.write(f"{'call: read_state copy + write every byte':40s} {rate(size, copied - empty)}\n")
    out.write(
        f"pointer / copy: {(mapped - empty) / (copied - empty):.2f}x "
        f"(beyond an empty call of {empty * 1e6:.1f} us)\n"
    )
    store.set("bench", "flushed", data)

    def change_and_flush() -> None:
        store.write("bench", "flushed", size, 0, b"y")
        store.flush()

    flush = per_op(change_and_flush, 1)
    out.write(f"{'flush of a changed value (tmp+fsync+rename)':40s} {rate(size, flush)}\n")


if __name__ == "__main__":
    main()
