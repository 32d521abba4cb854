"""Whole-process figures for the CLI (issue 2).

1. `faasm run demo hello` with warm caches, against a minimal wasmtime-py script that loads the
   same module's machine code from a serialized file and calls it (both are fresh processes).
2. A no-op `faasm compile demo hello` (nothing changed): its wall time, against `python -c pass`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from bench.timing import median_seconds, report, run_process

ROOT = Path(__file__).resolve().parent.parent
RUNS = 15

BASELINE = r"""
import sys, wasmtime
from faasm_cli.runtime.hostcalls.interface import HOST_FUNCTIONS
engine = wasmtime.Engine()
module = wasmtime.Module.deserialize_file(engine, sys.argv[1])
linker = wasmtime.Linker(engine)
linker.define_wasi()
out = []
def stub(caller, *args):
    return 0
for f in HOST_FUNCTIONS:
    ty = wasmtime.FuncType([wasmtime.ValType.i32()] * len(f.params),
                           [wasmtime.ValType.i32()] if f.result else [])
    if f.name == "__faasm_write_output":
        def write(caller, ptr, n):
            out.append(caller["memory"].read(caller, ptr, ptr + n))
        linker.define_func("env", f.name, ty, write, access_caller=True)
    else:
        linker.define_func("env", f.name, ty, (lambda *a: 0) if f.result else (lambda *a: None))
store = wasmtime.Store(engine)
store.set_wasi(wasmtime.WasiConfig())
instance = linker.instantiate(store, module)
exports = instance.exports(store)
exports["_initialize"](store)
exports["__faasm_call"](store, 0)
sys.stdout.buffer.write(b"".join(out))
"""


def main() -> None:
    faasm = [sys.executable, "-m", "faasm_cli"]
    subprocess.run([*faasm, "compile", "demo", "hello"], cwd=ROOT, check=True)
    wasm = ROOT / "build" / "func" / "demo" / "hello.wasm"
    with tempfile.TemporaryDirectory() as scratch:
        import wasmtime

        serialized = Path(scratch) / "hello.cwasm"
        serialized.write_bytes(wasmtime.Module(wasmtime.Engine(), wasm.read_bytes()).serialize())
        script = Path(scratch) / "baseline.py"
        script.write_text(BASELINE)
        check = subprocess.run(
            [sys.executable, str(script), str(serialized)],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        assert check.stdout == b"Hello faasm!", check.stdout
        baseline = median_seconds(
            run_process([sys.executable, str(script), str(serialized)], cwd=ROOT), RUNS
        )
        ours = median_seconds(run_process([*faasm, "run", "demo", "hello"], cwd=ROOT), RUNS)
    report("faasm run demo hello (process)", ours, "wasmtime-py script (process)", baseline)
    noop = median_seconds(run_process([*faasm, "compile", "demo", "hello"], cwd=ROOT), RUNS)
    python = median_seconds(run_process([sys.executable, "-c", "pass"]), RUNS)
    report("faasm compile demo hello (no-op)", noop, "python -c pass", python)


if __name__ == "__main__":
    main()
