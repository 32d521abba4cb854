"""Whole-process figures for the CLI (issues 2 and 9).

1. `faasm run demo hello` with warm caches, against a minimal wasmtime-py script that loads the
   same module's machine code from a serialized file and calls it (both are fresh processes). The
   script takes the host-call table from `faasm_cli.runtime.hostcalls.interface` (which imports
   the `faasm_cli.runtime` package); a second figure passes the table in as JSON instead, so that
   script imports nothing of ours.
2. A no-op `faasm compile demo hello` (nothing changed): its wall time, against `python -c pass`.

Every process runs as an installed package would: with its bytecode cached (in a scratch
PYTHONPYCACHEPREFIX, filled by the warm-up run) even when PYTHONDONTWRITEBYTECODE is set, which
would otherwise recompile every faasm_cli module on every run. The processes are timed in turn,
so that other load on the machine shifts all figures alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import wasmtime

from bench.timing import interleaved_medians, report, run_process
from faasm_cli.runtime.hostcalls.interface import HOST_FUNCTIONS

ROOT = Path(__file__).resolve().parent.parent
RUNS = 15

# Where the baseline script's host-call table comes from: our interface module, or a JSON file.
TABLE_FROM_FAASM = "from faasm_cli.runtime.hostcalls.interface import HOST_FUNCTIONS\n"
TABLE_FROM_JSON = (
    "import json, types\n"
    "HOST_FUNCTIONS = [types.SimpleNamespace(**f) for f in json.load(open(sys.argv[2]))]\n"
)
BASELINE = r"""
engine = wasmtime.Engine()
module = wasmtime.Module.deserialize_file(engine, sys.argv[1])
linker = wasmtime.Linker(engine)
linker.define_wasi()
out = []
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


def _cached_bytecode_env(prefix: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(prefix)}


def _baseline_scripts(scratch: Path) -> tuple[list[str], list[str]]:
    """The baseline script's argv with the table from faasm_cli, and with it from JSON."""
    wasm = ROOT / "build" / "func" / "demo" / "hello.wasm"
    serialized = scratch / "hello.cwasm"
    serialized.write_bytes(wasmtime.Module(wasmtime.Engine(), wasm.read_bytes()).serialize())
    table = scratch / "host_functions.json"
    table.write_text(
        json.dumps(
            [{"name": f.name, "params": f.params, "result": f.result} for f in HOST_FUNCTIONS]
        )
    )
    argvs = []
    for name, source in (("faasm_table.py", TABLE_FROM_FAASM), ("json_table.py", TABLE_FROM_JSON)):
        script = scratch / name
        script.write_text("import sys, wasmtime\n" + source + BASELINE)
        argvs.append([sys.executable, str(script), str(serialized), str(table)])
    return argvs[0], argvs[1]


def main() -> None:
    faasm = [sys.executable, "-m", "faasm_cli"]
    subprocess.run([*faasm, "compile", "demo", "hello"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as scratch:
        env = _cached_bytecode_env(Path(scratch) / "pycache")
        with_table, minimal = _baseline_scripts(Path(scratch))
        for argv in (with_table, minimal):
            check = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=True)
            assert check.stdout == b"Hello faasm!", check.stdout
        run, script, bare = interleaved_medians(
            [
                run_process([*faasm, "run", "demo", "hello"], cwd=ROOT, env=env),
                run_process(with_table, cwd=ROOT, env=env),
                run_process(minimal, cwd=ROOT, env=env),
            ],
            RUNS,
        )
        report("faasm run demo hello (process)", run, "wasmtime-py script (process)", script)
        report(
            "faasm run demo hello (process)",
            run,
            "wasmtime-py script importing nothing of faasm_cli (process)",
            bare,
        )
        noop, python = interleaved_medians(
            [
                run_process([*faasm, "compile", "demo", "hello"], cwd=ROOT, env=env),
                run_process([sys.executable, "-c", "pass"], env=env),
            ],
            RUNS,
        )
    report("faasm compile demo hello (no-op)", noop, "python -c pass", python)


if __name__ == "__main__":
    main()
