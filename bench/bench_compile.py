"""Compile benchmarks (printed, not asserted).

- a no-op `faasm compile demo hello` as a whole process (nothing changed), against the bare cost
  of starting Python in the same run;
- the same no-op in-process (`build_function`, the fingerprint check alone);
- a first build of hello (CMake configure + libfaasm + hello) and a rebuild after an edit.

Runs in a temporary copy of func/demo so it never touches the repository's build/.
    python bench/bench_compile.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from faasm_cli.config import Project
from faasm_cli.toolchain import build_function

REPO = Path(__file__).resolve().parents[1]


def timed(fn: object, runs: int) -> float:
    """Median wall time of `runs` calls of fn, in seconds."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
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

        in_process = timed(lambda: build_function(project, "demo", "hello"), runs * 10)

        python_start = timed(
            lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), runs
        )
        print(f"first build of demo/hello (configure + libfaasm + hello): {first:8.3f} s")
        print(f"rebuild after editing hello.cpp:                          {rebuild:8.3f} s")
        print(
            f"no-op build_function (in-process, fingerprint only):     {in_process * 1000:8.2f} ms"
        )

        faasm = shutil.which("faasm")
        if faasm is None:
            print("`faasm` is not on PATH: skipping the whole-process figure")
            return
        cli = [faasm, "compile", "demo", "hello", "--func-dir", str(project.func_dir)]
        if subprocess.run(cli, capture_output=True, check=False).returncode != 0:
            print("`faasm compile` failed: skipping the whole-process figure")
            return
        whole = timed(lambda: subprocess.run(cli, capture_output=True, check=True), runs)
        print(f"no-op `faasm compile demo hello` (whole process):         {whole * 1000:8.1f} ms")
        print(
            f"bare `python -c pass` (baseline):                          "
            f"{python_start * 1000:8.1f} ms  -> ratio {whole / python_start:5.1f}x"
        )


if __name__ == "__main__":
    main()
