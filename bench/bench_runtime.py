"""Embedded runtime benchmarks: warm calls, snapshot restores, chaining, memory per instance.

Each figure is printed with a baseline measured in the same run (medians); nothing is asserted.
Run: python bench/bench_runtime.py
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import wasmtime

from bench.timing import median_seconds
from faasm_cli.config import Project
from faasm_cli.runtime import Runtime
from faasm_cli.runtime.faaslet import CallLimits, Sandbox
from faasm_cli.runtime.snapshot.rewrite import prepare
from faasm_cli.toolchain import build_function

REPO = Path(__file__).resolve().parent.parent
_IMPORTS = """
  (import "env" "__faasm_read_input" (func $read_input (param i32 i32) (result i32)))
  (import "env" "__faasm_chain_this" (func $chain_this (param i32 i32 i32) (result i32)))
  (import "env" "__faasm_await_call" (func $await_call (param i32) (result i32)))
"""
# Input [width u32][levels u32]: chains `width` copies of itself one level down, awaits them.
TREE = wasmtime.wat2wasm(f"""(module {_IMPORTS}
  (memory (export "memory") 1)
  (func (export "__faasm_call") (param $idx i32) (result i32)
    (local $w i32) (local $lv i32) (local $i i32) (local $sum i32)
    (drop (call $read_input (i32.const 100) (i32.const 8)))
    (local.set $w (i32.load (i32.const 100)))
    (local.set $lv (i32.load (i32.const 104)))
    (if (result i32) (i32.eqz (local.get $lv)) (then (i32.const 1)) (else
      (i32.store (i32.const 104) (i32.sub (local.get $lv) (i32.const 1)))
      (block $d (loop $l (br_if $d (i32.ge_u (local.get $i) (local.get $w)))
        (i32.store (i32.add (i32.const 2000) (i32.shl (local.get $i) (i32.const 2)))
                   (call $chain_this (i32.const 0) (i32.const 100) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))
      (local.set $i (i32.const 0)) (local.set $sum (i32.const 1))
      (block $d2 (loop $l2 (br_if $d2 (i32.ge_u (local.get $i) (local.get $w)))
        (local.set $sum (i32.add (local.get $sum) (call $await_call
          (i32.load (i32.add (i32.const 2000) (i32.shl (local.get $i) (i32.const 2)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l2)))
      (local.get $sum)))))""")


def live_memory_module(mib: int) -> bytes:
    """A function whose zygote leaves `mib` MiB of non-zero memory behind."""
    pages = mib * 16 + 1
    return wasmtime.wat2wasm(f"""(module
      (memory (export "memory") 1)
      (func (export "__faasm_zygote") (result i32) (local $p i32)
        (drop (memory.grow (i32.const {pages - 1})))
        (local.set $p (i32.const 65536))
        (loop $l (i32.store (local.get $p) (i32.const 0x01010101))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (br_if $l (i32.lt_u (local.get $p) (i32.const {pages * 65536}))))
        (i32.const 0))
      (func (export "__faasm_call") (param i32) (result i32) (i32.load (i32.const 70000))))""")


def hello_wasm(workdir: Path) -> bytes:
    shutil.copytree(REPO / "func", workdir / "func")
    return build_function(Project(workdir / "func"), "demo", "hello").path.read_bytes()


def bare_hello(wasm: bytes, constructors: bool) -> Callable[[], object]:
    """A bare wasmtime-py instantiation + call of the module, every import a no-op (and the C++
    constructors run first when `constructors`, as a module without a snapshot needs)."""
    engine = wasmtime.Engine()
    module = wasmtime.Module(engine, wasm)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    for item in module.imports:
        if item.module == "env" and isinstance(item.type, wasmtime.FuncType):
            results = item.type.results
            linker.define_func(
                "env", item.name or "", item.type, (lambda *a: 0) if results else (lambda *a: None)
            )

    def action() -> object:
        store = wasmtime.Store(engine)
        store.set_wasi(wasmtime.WasiConfig())
        instance = linker.instantiate(store, module)
        exports = instance.exports(store)
        if constructors:
            init = exports["_initialize"]
            assert isinstance(init, wasmtime.Func)
            init(store)
        call = exports["__faasm_call"]
        assert isinstance(call, wasmtime.Func)
        return call(store, 0)

    return action


def line(name: str, value: str, baseline: str = "", ratio: float | None = None) -> None:
    text = f"{name}: {value}"
    if baseline:
        text += f"; baseline {baseline}"
    if ratio is not None:
        text += f"; ratio {ratio:.2f}x"
    print(text, flush=True)


def rss_kib() -> int:
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1])
    return 0


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch, Runtime(cache_dir=Path(scratch)) as rt:
        wasm = hello_wasm(Path(scratch))
        rt.register("demo", "hello", wasm)

        warm = median_seconds(lambda: rt.call("demo", "hello"), 3000, warmup=50)
        bare = median_seconds(bare_hello(wasm, constructors=False), 3000, warmup=50)
        bare_init = median_seconds(bare_hello(wasm, constructors=True), 3000, warmup=50)
        line(
            "warm call demo/hello (restore+input+output)",
            f"{warm * 1e6:.0f} us",
            f"bare wasmtime-py instantiate+call {bare * 1e6:.0f} us",
            warm / bare,
        )
        print(
            f"  target <= 1.5x; bare with C++ constructors run: {bare_init * 1e6:.0f} us "
            f"(ratio {warm / bare_init:.2f}x)",
            flush=True,
        )

        loaded = rt.function_info("demo", "hello")
        limits = CallLimits(60.0, 1 << 30, 1 << 20)
        engine, ticker = rt._loader.engine, rt._ticker
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < 1.0:
            Sandbox(engine, ticker, limits, loaded.pre)
            count += 1
        rate = count / (time.perf_counter() - start)
        original = rt._loader.linker.instantiate_pre(wasmtime.Module(engine, prepare(wasm).wasm))
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < 1.0:
            Sandbox(engine, ticker, limits, original)
            count += 1
        plain = count / (time.perf_counter() - start)
        line(
            "fresh instances from the snapshot, one core",
            f"{rate:,.0f}/s",
            f"instances of the module without snapshot {plain:,.0f}/s",
            rate / plain,
        )
        print(f"  target >= 10,000/s; Faasm paper ~4,000/s (ratio {rate / 4000:.1f}x)", flush=True)

        for mib in (1, 16):
            name = f"live{mib}"
            module = live_memory_module(mib)
            rt.register("demo", name, module)
            restore = median_seconds(lambda n=name: rt.call("demo", n), 300, warmup=50)  # type: ignore[misc]
            fresh_pre = rt._loader.linker.instantiate_pre(
                wasmtime.Module(engine, prepare(module).wasm)
            )

            def rezygote(pre: wasmtime.InstancePre = fresh_pre) -> object:
                box = Sandbox(engine, ticker, limits, pre)
                ctx = box.context("demo", "x", 0, b"", rt._loader.state)
                box.call("__faasm_zygote", ctx, 1)
                return box.call("__faasm_call", ctx, 1, 0)

            again = median_seconds(rezygote, 30, warmup=30)
            line(
                f"restore + call, zygote left {mib} MiB live",
                f"{restore * 1e6:.0f} us",
                f"fresh instance + re-run zygote {again * 1e6:.0f} us",
                restore / again,
            )

        rt.register("demo", "tree", TREE)
        one = median_seconds(
            lambda: rt.call("demo", "tree", input_data=_tree(0, 0)), 300, warmup=50
        )
        fan = median_seconds(
            lambda: rt.call("demo", "tree", input_data=_tree(100, 1)), 30, warmup=30
        )
        line(
            "fan-out: 100 chained calls awaited",
            f"{fan * 1e3:.2f} ms",
            f"100 x one unchained call {one * 100 * 1e3:.2f} ms",
            fan / (one * 100),
        )
        print("  target < 20 ms", flush=True)
        deep = median_seconds(
            lambda: rt.call("demo", "tree", input_data=_tree(1, 50)), 30, warmup=30
        )
        line(
            "chain 50 deep",
            f"{deep * 1e3:.2f} ms",
            f"51 x one unchained call {one * 51 * 1e3:.2f} ms",
            deep / (one * 51),
        )

        kept: list[Sandbox] = []
        count = 500
        before = rss_kib()
        for _ in range(count):
            box = Sandbox(engine, ticker, limits, loaded.pre)
            box.call("__faasm_call", box.context("demo", "hello", 0, b"", rt._loader.state), 1, 0)
            kept.append(box)
        ours = (rss_kib() - before) / count
        kept.clear()
        bare_engine = wasmtime.Engine()
        bare_module = wasmtime.Module(bare_engine, wasm)
        bare_linker = wasmtime.Linker(bare_engine)
        bare_linker.define_wasi()
        bare_linker.define_unknown_imports_as_traps(bare_module)
        stores = []
        before = rss_kib()
        for _ in range(count):
            store = wasmtime.Store(bare_engine)
            store.set_wasi(wasmtime.WasiConfig())
            bare_linker.instantiate(store, bare_module)
            stores.append(store)
        theirs = (rss_kib() - before) / count
        line(
            "resident memory per idle warm instance",
            f"{ours:.0f} KiB",
            f"bare wasmtime instance {theirs:.0f} KiB",
            ours / theirs if theirs else None,
        )
        print("  Faasm paper ~200 KB per Faaslet", flush=True)


def _tree(width: int, levels: int) -> bytes:
    return width.to_bytes(4, "little") + levels.to_bytes(4, "little")


if __name__ == "__main__":
    main()
