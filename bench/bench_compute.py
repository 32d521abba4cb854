"""Compute kernels of the kinds PolyBench/C has, native (gcc -O3) against wasm in the runtime.

Each kernel in bench/kernels/ times its own compute section (a monotonic clock around the
kernel, not the set-up) and prints a checksum; the native and the wasm builds must agree on it.
The wasm runs through `Runtime.call` with the time limit on (the default 60 s): with guard-page
timeouts (the default) and with epoch interruption, interleaved with the native runs so all
three see the same machine load. Printed: per-kernel medians and ratios to native, geo-mean and
max of the ratios; what each mechanism costs at compile time (the rewrite, Cranelift) and per
call; and how long after its deadline a spinning call stops.
Run: python bench/bench_compute.py   (BENCH_RUNS=N repetitions, default 3)
"""

from __future__ import annotations

import math
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import wasmtime

from bench.timing import median_seconds, report
from faasm_cli.config import Project
from faasm_cli.runtime import Runtime
from faasm_cli.runtime.engine import make_engine
from faasm_cli.runtime.snapshot.rewrite import prepare
from faasm_cli.toolchain import build_function

REPO = Path(__file__).resolve().parent.parent
KERNELS = REPO / "bench" / "kernels"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
MODES = ("guard", "epoch")
NATIVE_FLAGS = ("-O3",)
_RESULT = re.compile(r"checksum (\S+) seconds (\S+)")
# A 64-bit LCG in registers, and an empty function: the per-call and stop-latency probes.
SPIN = wasmtime.wat2wasm("""(module (memory (export "memory") 1)
  (func (export "__faasm_call") (param i32) (result i32) (local $s i64)
    (local.set $s (i64.const 1))
    (loop $l
      (local.set $s (i64.add (i64.mul (local.get $s) (i64.const 6364136223846793005))
                             (i64.const 1442695040888963407)))
      (br_if $l (i64.ne (local.get $s) (i64.const 0))))
    (i32.const 0)))""")
EMPTY = wasmtime.wat2wasm("""(module (memory (export "memory") 1)
  (func (export "__faasm_call") (param i32) (result i32) (i32.const 0)))""")


def _parse(text: str, label: str) -> tuple[float, float]:
    found = _RESULT.search(text)
    if found is None:
        raise SystemExit(f"{label}: no result line in its output {text!r}")
    return float(found.group(1)), float(found.group(2))


def build(root: Path) -> tuple[dict[str, Path], dict[str, Path]]:
    """Every kernel built natively with gcc and to wasm with our toolchain (in a scratch tree)."""
    tree = root / "func" / "bench"
    tree.mkdir(parents=True)
    for source in KERNELS.iterdir():
        shutil.copy(source, tree / source.name)
    (root / "native").mkdir()
    native, wasm = {}, {}
    for source in sorted(KERNELS.glob("*.c")):
        name = source.stem
        native[name] = root / "native" / name
        subprocess.run(
            ["gcc", *NATIVE_FLAGS, "-o", str(native[name]), str(source), "-lm"], check=True
        )
        wasm[name] = build_function(Project(root / "func"), "bench", name).path
    return native, wasm


def run_native(path: Path) -> tuple[float, float]:
    done = subprocess.run([str(path)], check=True, capture_output=True, text=True)
    return _parse(done.stdout, path.name)


def run_wasm(rt: Runtime, name: str) -> tuple[float, float]:
    result = rt.call("bench", name)
    if result.failed:
        raise SystemExit(f"{name}: the wasm call failed: {result.error}")
    return _parse(result.stdout, name)


def _geomean(values: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values))


def kernels(native: dict[str, Path], wasm: dict[str, Path], runtimes: dict[str, Runtime]) -> None:
    samples: dict[tuple[str, str], list[float]] = {}
    for _ in range(RUNS):
        for name in native:
            expected, seconds = run_native(native[name])
            samples.setdefault((name, "native"), []).append(seconds)
            for mode, rt in runtimes.items():
                checksum, seconds = run_wasm(rt, name)
                if not math.isclose(checksum, expected, rel_tol=1e-12):
                    raise SystemExit(f"{name}: wasm ({mode}) checksum {checksum!r} != {expected!r}")
                samples.setdefault((name, mode), []).append(seconds)
    ratios: dict[str, dict[str, float]] = {mode: {} for mode in runtimes}
    for name in native:
        base = statistics.median(samples[(name, "native")])
        line = f"{name}: native gcc -O3 {base * 1000:.1f} ms"
        for mode in runtimes:
            value = statistics.median(samples[(name, mode)])
            ratios[mode][name] = value / base
            line += f"; wasm {mode} {value * 1000:.1f} ms ({value / base:.2f}x)"
        print(line, flush=True)
    for mode, by_kernel in ratios.items():
        worst = max(by_kernel, key=by_kernel.__getitem__)
        print(
            f"wasm/native with {mode} timeouts: geo-mean {_geomean(list(by_kernel.values())):.2f}x,"
            f" max {by_kernel[worst]:.2f}x ({worst}); checksums agree",
            flush=True,
        )
    guard, epoch = ratios["guard"], ratios["epoch"]
    print(
        "guard pages against epochs, same run: geo-mean of guard/epoch time "
        f"{_geomean([guard[n] / epoch[n] for n in guard]):.2f}x",
        flush=True,
    )


def compile_costs(wasm: dict[str, Path]) -> None:
    """The rewrite (Python) and Cranelift's compile of every kernel, per mechanism."""
    modules = [path.read_bytes() for path in wasm.values()]
    guarded = [prepare(m).wasm for m in modules]
    plain = [prepare(m, guard=False).wasm for m in modules]
    print(
        f"wasm code of the {len(modules)} kernels: {sum(map(len, guarded))} bytes with guard "
        f"checks, {sum(map(len, plain))} without",
        flush=True,
    )
    report(
        "rewrite with guard checks (prepare)",
        median_seconds(lambda: [prepare(m) for m in modules], 3),
        "rewrite without (guard=False)",
        median_seconds(lambda: [prepare(m, guard=False) for m in modules], 3),
    )
    engines = {mode: make_engine(mode)[0] for mode in MODES}

    def compile_all(engine: wasmtime.Engine, items: list[bytes]) -> Callable[[], object]:
        return lambda: [wasmtime.Module(engine, w) for w in items]

    bare = median_seconds(compile_all(engines["guard"], plain), 3)
    report(
        "Cranelift compile, guard checks",
        median_seconds(compile_all(engines["guard"], guarded), 3),
        "no interruption at all",
        bare,
    )
    report(
        "Cranelift compile, epoch checks",
        median_seconds(compile_all(engines["epoch"], plain), 3),
        "no interruption at all",
        bare,
    )


def per_call(root: Path) -> None:
    """A warm call of an empty function (arming and disarming the watchdog is per call), and how
    late after its deadline a spinning call stops."""
    stop: dict[str, float] = {}
    calls: dict[str, float] = {}
    for mode in MODES:
        with Runtime(cache_dir=root / f"probe-{mode}", interruption=mode) as rt:
            rt.register("bench", "empty", EMPTY)
            rt.register("bench", "spin", SPIN)
            calls[mode] = median_seconds(lambda rt=rt: rt.call("bench", "empty"), 2000, warmup=100)
            late = []
            for _ in range(10):
                start = time.perf_counter()
                rt.call("bench", "spin", timeout=0.05)
                late.append(time.perf_counter() - start - 0.05)
            stop[mode] = statistics.median(late)
    report("warm call of an empty function, guard", calls["guard"], "epoch", calls["epoch"])
    report("deadline to stopped call, guard", stop["guard"], "epoch", stop["epoch"])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        native, wasm = build(root)
        runtimes = {mode: Runtime(cache_dir=root / mode, interruption=mode) for mode in MODES}
        try:
            for rt in runtimes.values():
                for name, path in wasm.items():
                    rt.register("bench", name, path)
            kernels(native, wasm, runtimes)
        finally:
            for rt in runtimes.values():
                rt.close()
        compile_costs(wasm)
        per_call(root)


if __name__ == "__main__":
    main()
