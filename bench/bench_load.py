"""Loading a big function: the first load (prepare + compile) against later loads from the cache.

A later process loads the prepared module and machine code from `cache_dir()/modules/`, checking
each file's SHA-256 first; before the prepared-module cache, `prepare` (the instrumentation pass)
ran on every load. Figures: median `Runtime.register` of a synthetic ~3 MB module in a fresh
runtime (one process, a new Runtime each time, as a new CLI process would make), with
  - a cold cache (prepare + compile, the baseline),
  - prepared wasm and machine code cached (the normal case),
  - machine code cached but prepare run again (what every load cost before),
and the checksum step alone (CRC-32, against SHA-256). Run: python -m bench.bench_load
"""

from __future__ import annotations

import hashlib
import tempfile
import zlib
from pathlib import Path

import wasmtime

from bench.timing import median_seconds, report
from faasm_cli.runtime import Runtime

TARGET_BYTES = 3 << 20
RUNS = 5


def synthetic_module(target_bytes: int) -> bytes:
    """A Faasm-ABI module of about `target_bytes`: many functions of straight-line arithmetic,
    each with a memory.grow and a global write (what prepare instruments)."""
    body = " ".join(
        f"(local.set $a (i32.add (i32.mul (local.get $a) (i32.const {i * 7 + 3})) (i32.const {i})))"
        for i in range(60)
    )
    funcs = []
    size = 0
    while size < target_bytes:
        funcs.append(
            f"(func $f{len(funcs)} (param $a i32) (result i32) {body}"
            " (drop (memory.grow (i32.const 0))) (global.set $g (local.get $a)) (local.get $a))"
        )
        size += 720  # bytes of code per function, roughly
    step = max(1, len(funcs) // 50)
    calls = " ".join(f"(drop (call $f{i} (local.get $idx)))" for i in range(0, len(funcs), step))
    return wasmtime.wat2wasm(f"""(module
      (memory (export "memory") 2) (global $g (mut i32) (i32.const 0))
      {" ".join(funcs)}
      (func (export "__faasm_zygote") (result i32) (i32.const 0))
      (func (export "__faasm_call") (param $idx i32) (result i32) {calls} (i32.const 0)))""")


def _register(cache: Path, wasm: bytes) -> None:
    with Runtime(cache_dir=cache) as rt:
        rt.register("bench", "big", wasm)
        assert rt.call("bench", "big").return_value == 0


def main() -> None:
    wasm = synthetic_module(TARGET_BYTES)
    print(f"synthetic module: {len(wasm) / (1 << 20):.2f} MiB", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        counter = iter(range(1 << 30))

        def cold() -> None:
            _register(root / f"cold-{next(counter)}", wasm)

        warm_cache = root / "warm"
        _register(warm_cache, wasm)

        def warm() -> None:
            _register(warm_cache, wasm)

        def unprepared() -> None:
            for prepared in (warm_cache / "modules").glob("*.prepared"):
                prepared.unlink()
            _register(warm_cache, wasm)

        cold_s = median_seconds(cold, RUNS, warmup=0)
        warm_s = median_seconds(warm, RUNS)
        unprepared_s = median_seconds(unprepared, RUNS)
        report("load from cache (prepared + machine code)", warm_s, "cold load", cold_s)
        report("load from cache (prepared + machine code)", warm_s, "prepare again", unprepared_s)
        machine_code = max((warm_cache / "modules").glob("*.cwasm"), key=lambda p: p.stat().st_size)

        def crc32() -> None:
            zlib.crc32(machine_code.read_bytes())

        def sha256() -> None:
            hashlib.sha256(machine_code.read_bytes()).digest()

        size_mib = machine_code.stat().st_size / (1 << 20)
        label = f"read + crc32 of {size_mib:.1f} MiB machine code"
        report(
            label,
            median_seconds(crc32, RUNS * 4),
            "read + sha256",
            median_seconds(sha256, RUNS * 4),
        )


if __name__ == "__main__":
    main()
