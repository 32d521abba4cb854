"""Compute kernels of the kinds PolyBench/C has, native (gcc -O3) against wasm in the runtime.

Each kernel in bench/kernels/ times its own compute section (a monotonic clock around the
kernel, not the set-up) and prints a checksum; the native and the wasm builds must agree on it.
Other work on the machine inflates those wall-clock figures, so each run's CPU time is taken too
(the native process's, the calling thread's for wasm: set-up included), a steadier ratio.
The wasm runs through `Runtime.call` with the time limit on (the default 60 s): with guard-page
timeouts (the default) and with epoch interruption; and, to see what each mechanism costs, the
same machine code with no time limit at all (wasmtime alone, no checks). Natively, clang-19 -O3
runs too. All are interleaved so they see the same machine load. Printed: the load average around
the kernels, per-kernel medians and ratios to native, geo-mean and max of the ratios, each
mechanism against no limit; what each costs at compile time (the rewrite, Cranelift) and per
call; and how long after its deadline a spinning call stops.
Run: python -m bench.bench_compute   (BENCH_RUNS=N repetitions, default 3;
BENCH_NATIVE_FLAGS="-O3 -march=native" to let gcc use every instruction of this CPU)
"""

from __future__ import annotations

import functools
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
NATIVE_FLAGS = tuple(os.environ.get("BENCH_NATIVE_FLAGS", "-O3").split())
UNLIMITED = "wasm no limit"
# The same sources natively with the compiler behind our wasm toolchain: tells what comes from
# clang against gcc (e.g. gcc's loop interchange) from what comes from wasm and the sandbox.
CLANG = "native clang-19"
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


# One run of a kernel: its checksum, the seconds of its compute section (wall clock) and the CPU
# seconds of the whole run.
Sample = tuple[float, float, float]


def _parse(text: str, label: str) -> tuple[float, float]:
    found = _RESULT.search(text)
    if found is None:
        raise SystemExit(f"{label}: no result line in its output {text!r}")
    return float(found.group(1)), float(found.group(2))


def _on_thread_cpu(run: Callable[[], tuple[float, float]]) -> Sample:
    start = time.thread_time()
    checksum, seconds = run()
    return checksum, seconds, time.thread_time() - start


def build(root: Path) -> tuple[dict[str, Path], dict[str, Path]]:
    """Every kernel built natively with gcc and clang, and to wasm with our toolchain (in a
    scratch tree)."""
    tree = root / "func" / "bench"
    tree.mkdir(parents=True)
    for source in KERNELS.iterdir():
        shutil.copy(source, tree / source.name)
    for compiler in ("gcc", "clang-19"):
        (root / compiler).mkdir()
    wasm = {}
    for source in sorted(KERNELS.glob("*.c")):
        name = source.stem
        for compiler in ("gcc", "clang-19"):
            output = str(root / compiler / name)
            subprocess.run([compiler, *NATIVE_FLAGS, "-o", output, str(source), "-lm"], check=True)
        wasm[name] = build_function(Project(root / "func"), "bench", name).path
    return {name: root / "gcc" / name for name in wasm}, wasm


def run_native(path: Path) -> Sample:
    process = subprocess.Popen([str(path)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{path}: exit status {status}")
    return *_parse(out, path.name), usage.ru_utime + usage.ru_stime


def _call(rt: Runtime, name: str) -> tuple[float, float]:
    result = rt.call("bench", name)
    if result.failed:
        raise SystemExit(f"{name}: the wasm call failed: {result.error}")
    return _parse(result.stdout, name)


def run_wasm(rt: Runtime, name: str) -> Sample:
    return _on_thread_cpu(lambda: _call(rt, name))


class Unlimited:
    """The kernels compiled as the runtime compiles them, minus any time limit: wasmtime with
    its own WASI, no guard checks, no epochs. Not a way to run functions: a baseline."""

    def __init__(self, wasm: dict[str, Path], root: Path) -> None:
        self.engine = make_engine("guard")[0]
        self.linker = wasmtime.Linker(self.engine)
        self.linker.define_wasi()
        self.root = root
        self.pres = {
            name: self.linker.instantiate_pre(
                wasmtime.Module(self.engine, prepare(path.read_bytes(), guard=False).wasm)
            )
            for name, path in wasm.items()
        }

    def run(self, name: str) -> Sample:
        return _on_thread_cpu(lambda: self._run(name))

    def _run(self, name: str) -> tuple[float, float]:
        store = wasmtime.Store(self.engine)
        wasi = wasmtime.WasiConfig()
        out = self.root / f"{name}.out"
        wasi.stdout_file = str(out)
        store.set_wasi(wasi)
        instance = self.pres[name].instantiate(store)
        for export, args in (("_initialize", ()), ("__faasm_call", (0,))):
            func = instance.exports(store)[export]
            assert isinstance(func, wasmtime.Func)
            func(store, *args)
        return _parse(out.read_text(), name)


def _geomean(values: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values))


def _print_load(when: str) -> None:
    """Wall-clock ratios drift with other work on the machine: the load says how far to trust."""
    one, five, _ = os.getloadavg()
    print(f"load average {when}: {one:.2f} (1 min), {five:.2f} (5 min)", flush=True)


def _summarise(label: str, ratios: dict[str, dict[str, float]], names: list[str]) -> None:
    """Geo-mean and max over the kernels: each mode against gcc, each mechanism against none."""
    for mode, by_kernel in ratios.items():
        worst = max(by_kernel, key=by_kernel.__getitem__)
        print(
            f"{label}: {mode} / native gcc: geo-mean {_geomean(list(by_kernel.values())):.2f}x,"
            f" max {by_kernel[worst]:.2f}x ({worst})",
            flush=True,
        )
    for mode, base_label in [(f"wasm {m}", UNLIMITED) for m in MODES] + [(UNLIMITED, CLANG)]:
        cost = {name: ratios[mode][name] / ratios[base_label][name] for name in names}
        worst = max(cost, key=cost.__getitem__)
        print(
            f"{label}: {mode} / {base_label}: geo-mean {_geomean(list(cost.values())):.2f}x,"
            f" max {cost[worst]:.2f}x ({worst})",
            flush=True,
        )


def kernels(native: dict[str, Path], runs: dict[str, Callable[[str], Sample]]) -> None:
    _print_load("before the kernels")
    samples: dict[tuple[str, str], list[Sample]] = {}
    for _ in range(RUNS):
        for name in native:
            sample = run_native(native[name])
            samples.setdefault((name, "native"), []).append(sample)
            for mode, run in runs.items():
                got = run(name)
                if not math.isclose(got[0], sample[0], rel_tol=1e-12):
                    raise SystemExit(f"{name}: {mode} checksum {got[0]!r} != {sample[0]!r}")
                samples.setdefault((name, mode), []).append(got)
    _print_load("after")
    print("checksums agree; per kernel: compute section (wall clock), and whole run (CPU time)")

    def median(name: str, mode: str, field: int) -> float:
        return statistics.median(sample[field] for sample in samples[(name, mode)])

    wall: dict[str, dict[str, float]] = {mode: {} for mode in runs}
    cpu: dict[str, dict[str, float]] = {mode: {} for mode in runs}
    for name in native:
        base, base_cpu = median(name, "native", 1), median(name, "native", 2)
        line = (
            f"{name}: native gcc {' '.join(NATIVE_FLAGS)} {base * 1000:.1f} ms"
            f" (CPU {base_cpu * 1000:.1f} ms)"
        )
        for mode in runs:
            wall[mode][name] = median(name, mode, 1) / base
            cpu[mode][name] = median(name, mode, 2) / base_cpu
            line += (
                f"; {mode} {median(name, mode, 1) * 1000:.1f} ms ({wall[mode][name]:.2f}x,"
                f" CPU {cpu[mode][name]:.2f}x)"
            )
        print(line, flush=True)
    _summarise("wall", wall, list(native))
    _summarise("CPU", cpu, list(native))


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
            empty = functools.partial(rt.call, "bench", "empty")
            calls[mode] = median_seconds(empty, 2000, warmup=100)
            late = []
            for _ in range(10):
                start = time.perf_counter()
                rt.call("bench", "spin", timeout=0.05)
                late.append(time.perf_counter() - start - 0.05)
            stop[mode] = statistics.median(late)
    print(
        f"warm call of an empty function (median): guard {calls['guard'] * 1e6:.1f} us; "
        f"epoch {calls['epoch'] * 1e6:.1f} us; ratio {calls['guard'] / calls['epoch']:.2f}x",
        flush=True,
    )
    report("deadline to stopped call, guard", stop["guard"], "epoch", stop["epoch"])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        native, wasm = build(root)
        runtimes = {mode: Runtime(cache_dir=root / mode, interruption=mode) for mode in MODES}
        try:
            runs: dict[str, Callable[[str], Sample]] = {}
            for mode, rt in runtimes.items():
                for name, path in wasm.items():
                    rt.register("bench", name, path)
                runs[f"wasm {mode}"] = functools.partial(run_wasm, rt)
            runs[UNLIMITED] = Unlimited(wasm, root).run
            runs[CLANG] = lambda name: run_native(root / "clang-19" / name)
            kernels(native, runs)
        finally:
            for rt in runtimes.values():
                rt.close()
        compile_costs(wasm)
        per_call(root)


if __name__ == "__main__":
    main()
