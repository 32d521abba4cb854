"""Embedded runtime benchmarks: warm calls, host calls, snapshot restores, chaining, memory.

Each figure is printed with a baseline measured in the same run (medians; the warm call and its
floor are interleaved so they see the same machine load); nothing is asserted.
The floor of a warm call is the minimal raw wasmtime-py call of the same snapshot module with the
same engine (pooling allocator included), memory limit and empty WASI: a store, instantiate, one
export lookup, one call, each Faasm import a raw callback that does nothing.
Run: python -m bench.bench_runtime
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import wasmtime

from bench.timing import median_seconds
from faasm_cli.config import Project
from faasm_cli.runtime import Runtime
from faasm_cli.runtime.engine import make_engine
from faasm_cli.runtime.faaslet import CallLimits, Sandbox
from faasm_cli.runtime.hostcalls import _wasmtime_raw as raw
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


class MinimalCall:
    """The floor of a warm call: the fewest wasmtime-py steps that run `__faasm_call(0)` of
    `module` in a fresh store with the memory limit and an empty WASI."""

    def __init__(self, engine: wasmtime.Engine, module: wasmtime.Module, memory_bytes: int):
        self.engine = engine
        self.memory_bytes = memory_bytes
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        self._callbacks = [
            raw.define_callback(linker, "env", item.name or "", item.type, lambda *_: 0)
            for item in module.imports
            if item.module == "env" and isinstance(item.type, wasmtime.FuncType)
        ]
        self.pre = linker.instantiate_pre(module)

    def __call__(self) -> wasmtime.Store:
        store = wasmtime.Store(self.engine)
        store.set_limits(memory_size=self.memory_bytes)
        store.set_wasi(wasmtime.WasiConfig())
        instance = self.pre.instantiate(store)
        context = raw.context(store)
        func = raw.export_func(context, raw.instance_address(instance), b"__faasm_call")
        raw.call_i32(context, func, (0,), 1)
        return store


def public_api_call(engine: wasmtime.Engine, module: wasmtime.Module) -> Callable[[], object]:
    """The same call through wasmtime-py's public API only (`define_func`, `exports()`)."""
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    for item in module.imports:
        if item.module == "env" and isinstance(item.type, wasmtime.FuncType):
            results = item.type.results
            linker.define_func(
                "env", item.name or "", item.type, (lambda *a: 0) if results else (lambda *a: None)
            )
    pre = linker.instantiate_pre(module)

    def action() -> object:
        store = wasmtime.Store(engine)
        store.set_wasi(wasmtime.WasiConfig())
        call = pre.instantiate(store).exports(store)["__faasm_call"]
        assert isinstance(call, wasmtime.Func)
        return call(store, 0)

    return action


def interleaved_medians(
    actions: list[Callable[[], object]], rounds: int = 30, batch: int = 100
) -> list[float]:
    """Median seconds per run of each action, alternating batches so load hits all alike."""
    samples: list[list[float]] = [[] for _ in actions]
    for action in actions:
        for _ in range(batch):
            action()
    for _ in range(rounds):
        for action, times in zip(actions, samples, strict=True):
            for _ in range(batch):
                start = time.perf_counter()
                action()
                times.append(time.perf_counter() - start)
    return [statistics.median(times) for times in samples]


def host_call_loop(count: int) -> bytes:
    """A function making `count` calls of the cheapest host call (`__faasm_get_idx`)."""
    return wasmtime.wat2wasm(f"""(module
      (import "env" "__faasm_get_idx" (func $idx (result i32)))
      (memory (export "memory") 1)
      (func (export "__faasm_call") (param i32) (result i32) (local $i i32)
        (block $d (loop $l (br_if $d (i32.ge_u (local.get $i) (i32.const {count})))
          (drop (call $idx)) (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))
        (i32.const 0)))""")


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

        loaded = rt.function_info("demo", "hello")
        engine, interruption = rt._loader.engine, rt._interruption
        memory_bytes = rt._limits.memory_bytes
        snapshot = loaded.pre.module
        on_demand, _ = make_engine(pool=None)
        bare = MinimalCall(
            on_demand, wasmtime.Module.deserialize(on_demand, snapshot.serialize()), memory_bytes
        )
        warm, floor, floor_on_demand, public = interleaved_medians(
            [
                lambda: rt.call("demo", "hello"),
                MinimalCall(engine, snapshot, memory_bytes),
                bare,
                public_api_call(engine, snapshot),
            ]
        )
        line(
            f"warm call demo/hello through Runtime.call ({rt.allocator.describe()})",
            f"{warm * 1e6:.1f} us",
            f"minimal raw wasmtime-py call of the same snapshot {floor * 1e6:.1f} us",
            warm / floor,
        )
        print(
            f"  target <= 1.3x; the same minimal call with the on-demand allocator "
            f"{floor_on_demand * 1e6:.1f} us; through wasmtime-py's public API only "
            f"{public * 1e6:.1f} us (ratio {warm / public:.2f}x)",
            flush=True,
        )

        rt.register("demo", "host0", host_call_loop(0))
        rt.register("demo", "host2k", host_call_loop(2000))
        host = interleaved_medians(
            [lambda: rt.call("demo", "host0"), lambda: rt.call("demo", "host2k")], 10, 10
        )
        public_loop = public_api_call(engine, wasmtime.Module(engine, host_call_loop(2000)))
        public_none = public_api_call(engine, wasmtime.Module(engine, host_call_loop(0)))
        public_host = interleaved_medians([public_none, public_loop], 10, 10)
        ours = (host[1] - host[0]) / 2000
        theirs = (public_host[1] - public_host[0]) / 2000
        line(
            "host call __faasm_get_idx, per call",
            f"{ours * 1e6:.2f} us",
            f"wasmtime-py Linker.define_func callback {theirs * 1e6:.2f} us",
            ours / theirs,
        )

        limits = CallLimits(60.0, 1 << 30, 1 << 20)
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < 1.0:
            Sandbox(engine, interruption, limits, loaded.pre)
            count += 1
        rate = count / (time.perf_counter() - start)
        original = rt._loader.linker.instantiate_pre(wasmtime.Module(engine, prepare(wasm).wasm))
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < 1.0:
            Sandbox(engine, interruption, limits, original)
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
                box = Sandbox(engine, interruption, limits, pre)
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
            box = Sandbox(engine, interruption, limits, loaded.pre)
            box.call("__faasm_call", box.context("demo", "hello", 0, b"", rt._loader.state), 1, 0)
            kept.append(box)
        ours = (rss_kib() - before) / count
        kept.clear()
        before = rss_kib()
        stores = [bare() for _ in range(count)]
        theirs = (rss_kib() - before) / len(stores)
        line(
            f"resident memory per idle instance of demo/hello ({rt.allocator.describe()})",
            f"{ours:.0f} KiB",
            f"minimal raw instance after its call, on-demand allocator {theirs:.0f} KiB",
            ours / theirs if theirs else None,
        )
        print("  Faasm paper ~200 KB per Faaslet", flush=True)


def _tree(width: int, levels: int) -> bytes:
    return width.to_bytes(4, "little") + levels.to_bytes(4, "little")


if __name__ == "__main__":
    main()
