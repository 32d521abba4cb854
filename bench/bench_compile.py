"""Compile benchmarks (printed, not asserted).

- a no-op `faasm compile demo hello` as a whole process (nothing changed), against the bare cost
  of starting Python in the same run;
- the same no-op in-process (`build_function`, the fingerprint check alone);
- a first build of hello (CMake configure + libfaasm + hello) against a rebuild after an edit;
- the code a user's own CMake project gets from the toolchain file alone: bench/kernels/gemm.c
  built by a project that only sets CMAKE_TOOLCHAIN_FILE, against the same file built by
  `faasm compile`, both run in the runtime (kernel time, as the kernel measures it).

Runs in a temporary directory so it never touches the repository's build/.
    python -m bench.bench_compile [--runs N]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.timing import median_seconds, report, run_process
from faasm_cli.config import Project, toolchain_dir
from faasm_cli.runtime import Runtime
from faasm_cli.toolchain import build_function

REPO = Path(__file__).resolve().parents[1]
KERNELS = REPO / "bench" / "kernels"
_SECONDS = re.compile(r"seconds (\S+)")


def build_times(root: Path, runs: int) -> None:
    """First build, rebuild, no-op in-process and as a whole process."""
    shutil.copytree(REPO / "func" / "demo", root / "func" / "demo")
    project = Project(root / "func")

    start = time.perf_counter()
    build_function(project, "demo", "hello")
    first = time.perf_counter() - start

    source = project.source("demo", "hello")
    source.write_text(source.read_text() + "\n// edited\n")
    start = time.perf_counter()
    assert build_function(project, "demo", "hello").rebuilt
    rebuild = time.perf_counter() - start
    report("first build of demo/hello (configure + libfaasm + hello)", first, "rebuild", rebuild)

    in_process = median_seconds(lambda: build_function(project, "demo", "hello"), runs * 10)
    report("no-op build_function (in-process, fingerprint only)", in_process)

    python_start = median_seconds(run_process([sys.executable, "-c", "pass"]), runs)
    faasm = shutil.which("faasm")
    if faasm is None:
        print("`faasm` is not on PATH: skipping the whole-process figure")
        return
    cli = [faasm, "compile", "demo", "hello", "--func-dir", str(project.func_dir)]
    whole = median_seconds(run_process(cli), runs)
    name = "no-op `faasm compile demo hello` (whole process)"
    report(name, whole, "python -c pass", python_start)


def _kernel_seconds(rt: Runtime, name: str) -> float:
    result = rt.call("bench", name)
    found = _SECONDS.search(result.stdout)
    if result.failed or found is None:
        raise SystemExit(f"{name}: {result.error or result.stdout!r}")
    return float(found.group(1))


def toolchain_file_alone(root: Path, runs: int) -> None:
    """gemm from a project with only CMAKE_TOOLCHAIN_FILE against gemm from `faasm compile`."""
    own = root / "own"
    own.mkdir(parents=True)
    (own / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\nproject(own C)\n"
        f'add_executable(gemm "{KERNELS / "gemm.c"}")\n'
    )
    toolchain_file = toolchain_dir() / "cmake" / "FaasmToolchain.cmake"
    for argv in (
        ["cmake", "-G", "Ninja", "-S", str(own), "-B", str(own / "build"),
         f"-DCMAKE_TOOLCHAIN_FILE={toolchain_file}"],
        ["cmake", "--build", str(own / "build")],
    ):  # fmt: skip
        subprocess.run(argv, check=True, capture_output=True)

    tree = root / "func" / "bench"
    tree.mkdir(parents=True)
    for name in ("gemm.c", "kernel.h"):
        shutil.copy(KERNELS / name, tree / name)
    compiled = build_function(Project(root / "func"), "bench", "gemm").path

    samples: dict[str, list[float]] = {"own": [], "gemm": []}
    with Runtime(cache_dir=root / "runtime") as rt:
        rt.register("bench", "own", own / "build" / "gemm.wasm")
        rt.register("bench", "gemm", compiled)
        for _ in range(runs):  # interleaved: both see the same machine load
            for name, times in samples.items():
                times.append(_kernel_seconds(rt, name))
    report(
        "gemm (1000x1000), own CMake project with only the toolchain file",
        statistics.median(samples["own"]),
        "the same file built by faasm compile",
        statistics.median(samples["gemm"]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        build_times(Path(tmp) / "builds", runs)
        toolchain_file_alone(Path(tmp) / "gemm", runs)


if __name__ == "__main__":
    main()
