"""Python functions: warm calls, first runs, cold start against snapshot restore, kernels.

Each figure is printed with a baseline measured in the same run (medians, interleaved so both
see the same machine load); nothing is asserted.
- warm call of func/python/hello.py on its own snapshot (promoted: compiled once, here if not
  cached yet) against a warm call of func/demo/hello.cpp (C), and against the host's CPython
  exec'ing the same file's code object (pyfaasm emulated in-process); and the same function on
  the shared base + its page diff (what a function runs on until promoted) against that;
- first run of a new function (never seen: its load step on the base, its diff, the call) in a
  runtime, against the interpreter's cold start; and as `faasm run` in a new process, against
  `faasm run` of the same function again (its diff cached); the diff sizes of hello and of a
  function importing json, decimal, random and re;
- cold start (a new instance of the interpreter module: CPython initialised, the file compiled,
  its imports run, then the call) against the snapshot restore every call gets;
- kernels in bench/python_kernels (n-body, float, richards, json, pickle): a warm wasm call
  against the host's CPython 3.11 running the same code object; ratio per kernel, geometric mean.
  The host CPython is the one running this script, named in the output: how it was built moves
  the ratios (a distribution's PGO+LTO build runs these kernels ~15% faster than a plain -O3 one).
Needs the Python runtime (`faasm python build`).
Run: python -m bench.bench_python
"""

from __future__ import annotations

import itertools
import math
import os
import platform
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import CodeType, ModuleType

from bench.timing import interleaved_medians, report, run_process
from faasm_cli.config import Project
from faasm_cli.errors import NotFound
from faasm_cli.runtime import Runtime
from faasm_cli.runtime.faaslet import Sandbox
from faasm_cli.runtime.hostcalls.interface import EXPORT_CALL
from faasm_cli.runtime.python import LOAD_EXPORT, PythonFiles
from faasm_cli.runtime.snapshot.page_diff import Patched
from faasm_cli.runtime.snapshot.proto import initialise
from faasm_cli.runtime.snapshot.runs import PAGE_BYTES
from faasm_cli.runtime.state.memory import MemoryStateStore
from faasm_cli.toolchain import build_function
from faasm_cli.toolchain.python import recipe_dir, require_runtime

REPO = Path(__file__).resolve().parent.parent
HELLO = REPO / "func" / "python" / "hello.py"
KERNELS = Path(__file__).resolve().parent / "python_kernels"
IMPORTS = (
    "import decimal, json, random, re\n"
    "from pyfaasm.core import set_output\n"
    "values = [str(decimal.Decimal(1) / 3), random.random(), re.sub('a', 'b', 'a')]\n"
    "set_output(json.dumps(values))\n"
)
# Inputs sized so the host runs each kernel in ~0.1-0.3 s: call overheads are noise beside them.
KERNEL_INPUTS = {
    "nbody": b"20000",
    "float": b"100000",
    "richards": b"10",
    "json_roundtrip": b"200",
    "pickle_roundtrip": b"200",
}


def host_emulator() -> ModuleType:
    """pyfaasm under the host's CPython (the emulated host interface)."""
    sys.path.insert(0, str(recipe_dir()))
    from pyfaasm import _emulator

    return _emulator


def host_call(emulator: ModuleType, path: Path, input_data: bytes) -> Callable[[], object]:
    """The host's CPython running the file's code object as a call would (compiled once)."""
    code: CodeType = compile(path.read_text(), str(path), "exec", dont_inherit=True)

    def call() -> object:
        emulator.set_call(input_data)
        exec(code, {"__name__": "__main__"})
        return emulator.output()

    return call


def wasm_call(
    runtime: Runtime, function: str, input_data: bytes = b"", user: str = "python"
) -> Callable[[], object]:
    def call() -> object:
        result = runtime.call(user, function, input_data)
        if result.failed:
            raise RuntimeError(f"{user}/{function} failed: {result.error}")
        return result.output_data

    return call


def cold_call(runtime: Runtime, python: PythonFiles, path: Path) -> Callable[[], object]:
    """A call with no snapshot: a new instance of the interpreter module, its zygote (CPython
    initialised, the file compiled, imports run), then the call."""
    loader = runtime._loader
    _, module = loader.compile(python.function_wasm.read_bytes(), "the Python runtime")
    pre = loader.linker.instantiate_pre(module)
    zygote_input = f"func/python/{path.name}".encode() + b"\0" + path.read_bytes()
    state = MemoryStateStore()

    def call() -> object:
        sandbox = Sandbox(loader.engine, loader.interruption, loader.limits, pre, python.guest_root)
        ctx = sandbox.context("python", "cold", 0, zygote_input, state)
        if (
            initialise(sandbox, ctx).failed
            or sandbox.call(LOAD_EXPORT, ctx, 1).return_value
            or sandbox.call(EXPORT_CALL, ctx, 1, 0).failed
        ):
            raise RuntimeError(f"cold call failed: {ctx.stderr.text()}")
        return ctx.output_data

    return call


def new_sources(folder: Path, base: Path) -> Callable[[], tuple[str, Path]]:
    """Names and files of functions never seen before: `base`'s source, a new comment each."""
    counter = itertools.count()
    tag = os.urandom(4).hex()

    def make() -> tuple[str, Path]:
        name = f"new_{tag}_{next(counter)}"
        path = folder / f"{name}.py"
        path.write_text(base.read_text() + f"# {name}\n")
        return name, path

    return make


def first_run(runtime: Runtime, make: Callable[[], tuple[str, Path]]) -> Callable[[], object]:
    """Register a function never seen before and call it once."""

    def run() -> object:
        name, path = make()
        runtime.register("python", name, path)
        return wasm_call(runtime, name)()

    return run


def first_run_process(project: Path, make: Callable[[], tuple[str, Path]]) -> Callable[[], object]:
    """`faasm run` of a function never seen before, in a new process."""

    def run() -> object:
        name, _ = make()
        return run_process(faasm_run(name), cwd=project)()

    return run


def faasm_run(name: str) -> list[str]:
    return [sys.executable, "-m", "faasm_cli", "run", "python", name]


def diff_kib(runtime: Runtime, name: str, path: Path) -> str:
    loaded = runtime.register("python", name, path)
    if not isinstance(loaded.pre, Patched):
        return "promoted (no diff)"
    diff = loaded.pre.diff
    pages = diff.changed_bytes // PAGE_BYTES
    return f"{pages} pages, {diff.changed_bytes / 1024:.0f} KiB of {diff.memory_bytes >> 20} MiB"


def main() -> None:
    try:
        python = require_runtime()
    except NotFound as missing:
        print(f"skipped: {missing.message} ({missing.hint})", flush=True)
        return
    emulator = host_emulator()
    c_hello = build_function(Project(REPO / "func"), "demo", "hello").path
    with (
        Runtime(python=python, state_store=MemoryStateStore()) as rt,
        tempfile.TemporaryDirectory() as scratch,
    ):
        project = Path(scratch)
        folder = project / "func" / "python"
        folder.mkdir(parents=True)
        make = new_sources(folder, HELLO)
        on_diff, path = make()
        rt.register("python", on_diff, path)  # on the diff: never promoted
        hello = rt.register("python", "hello", HELLO)
        if isinstance(hello.pre, Patched):
            hello.pre.promote()
        rt.register("demo", "hello", c_hello)
        for name in KERNEL_INPUTS:
            rt.register("python", name, KERNELS / f"{name}.py")

        python_hello = wasm_call(rt, "hello")
        c_call = wasm_call(rt, "hello", user="demo")
        host_hello = host_call(emulator, HELLO, b"")
        py_s, c_s, host_s = interleaved_medians([python_hello, c_call, host_hello], runs=300)
        report("warm call, Python hello", py_s, "warm call, C hello", c_s)
        report("warm call, Python hello", py_s, "host CPython exec of the code object", host_s)
        diff_s, own_s = interleaved_medians([wasm_call(rt, on_diff), python_hello], runs=300)
        report("warm call, Python hello on base + diff", diff_s, "on its own snapshot", own_s)

        first_s, cold_s = interleaved_medians(
            [first_run(rt, make), cold_call(rt, python, HELLO)], runs=15
        )
        report("first run of a new Python function", first_s, "interpreter cold start", cold_s)
        (folder / "same.py").write_text(HELLO.read_text())
        new_s, same_s = interleaved_medians(
            [first_run_process(project, make), run_process(faasm_run("same"), cwd=project)],
            runs=7,
        )
        report("faasm run, new Python function", new_s, "faasm run, diff cached", same_s)
        (folder / "imports.py").write_text(IMPORTS)
        print(f"page diff, Python hello: {diff_kib(rt, 'hello_diff', path)}", flush=True)
        imports = diff_kib(rt, "imports", folder / "imports.py")
        print(f"page diff, importing json, decimal, random, re: {imports}", flush=True)

        cold_s, restore_s = interleaved_medians(
            [cold_call(rt, python, HELLO), python_hello], runs=15
        )
        report("cold start, Python hello (no snapshot)", cold_s, "snapshot restore", restore_s)

        host_python = f"host CPython {platform.python_version()}"
        print(f"kernels: {host_python} is {sys.executable} ({platform.python_compiler()})")
        ratios = []
        for name, data in KERNEL_INPUTS.items():
            wasm_s, host_s = interleaved_medians(
                [wasm_call(rt, name, data), host_call(emulator, KERNELS / f"{name}.py", data)],
                runs=5,
            )
            report(f"kernel {name}, wasm", wasm_s, host_python, host_s)
            ratios.append(wasm_s / host_s)
        geomean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        print(f"kernels: geometric mean of wasm/host ratios {geomean:.2f}x", flush=True)


if __name__ == "__main__":
    main()
