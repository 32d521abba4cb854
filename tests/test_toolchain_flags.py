"""The toolchain's loop flags: an i-j-k product is unroll-and-jammed, stays exact, runs faster.

Issue 6: gcc -O3 interchanges PolyBench's 2mm/3mm products (`c[i][j] = 0; for k: c[i][j] += ...`)
and we do not, so FaasmToolchain.cmake unroll-and-jams them by 4 instead. Here a project that only
sets CMAKE_TOOLCHAIN_FILE builds such a product twice, with the toolchain's flags and with the jam
turned back off (count 1), with real cmake + clang, and runs both on the real runtime.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from faasm_cli.config import toolchain_dir
from faasm_cli.runtime import Runtime

TOOLCHAIN_FILE = toolchain_dir() / "cmake" / "FaasmToolchain.cmake"
N = 64
REPEATS = 400

# The product is recomputed REPEATS times, long enough to time; every pass gives the same c.
PRODUCT = f"""
#include <stdio.h>
#define N {N}
static double a[N][N], b[N][N], c[N][N];

int main(void)
{{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {{
            a[i][j] = (double)((i * j + 1) % 7) / 7;
            b[i][j] = (double)((i + 2 * j) % 5) / 3;
        }}
    for (int r = 0; r < {REPEATS}; r++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {{
                c[i][j] = 0.0;
                for (int k = 0; k < N; k++)
                    c[i][j] += a[i][k] * b[k][j];
            }}
    double sum = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            sum += c[i][j];
    printf("%.17g\\n", sum);
    return 0;
}}
"""


def _expected() -> str:
    """The same sums in the same order, in Python's doubles: the C output must match bit for bit."""
    a = [[((i * j + 1) % 7) / 7 for j in range(N)] for i in range(N)]
    b = [[((i + 2 * j) % 5) / 3 for j in range(N)] for i in range(N)]
    total = 0.0
    for i in range(N):
        for j in range(N):
            cell = 0.0
            for k in range(N):
                cell += a[i][k] * b[k][j]
            total += cell
    return f"{total:.17g}\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The build directory, and the compiler's output (its optimisation remarks)."""
    root = tmp_path_factory.mktemp("flags")
    (root / "product.c").write_text(PRODUCT)
    (root / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\n"
        "project(flags C)\n"
        "add_executable(jammed product.c)\n"
        "target_compile_options(jammed PRIVATE -Rpass=loop-unroll-and-jam)\n"
        "add_executable(plain product.c)\n"
        'target_compile_options(plain PRIVATE "SHELL:-mllvm -unroll-and-jam-count=1")\n'
    )
    build = root / "build"
    output = ""
    for argv in (
        ["cmake", "-G", "Ninja", "-S", str(root), "-B", str(build),
         f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN_FILE}"],
        ["cmake", "--build", str(build), "--verbose"],
    ):  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{' '.join(argv)}\n{done.stdout}\n{done.stderr}"
        output += done.stdout + done.stderr
    return build, output


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    with Runtime(cache_dir=tmp_path_factory.mktemp("rt")) as rt:
        yield rt


def test_the_product_is_unroll_and_jammed_by_four(built: tuple[Path, str]) -> None:
    """The j loop around the clear-then-accumulate (the one gcc would interchange with k)."""
    _, output = built
    lines = PRODUCT.splitlines()
    j_loop = lines.index("                c[i][j] = 0.0;")  # 0-based: the line before, 1-based
    remark = f"product.c:{j_loop}:13: remark: unroll and jammed loop by a factor of 4"
    assert remark in output, output


def test_jammed_product_gives_the_exact_sum(built: tuple[Path, str], runtime: Runtime) -> None:
    build, _ = built
    expected = _expected()
    for name in ("jammed", "plain"):
        runtime.register("flags", name, build / f"{name}.wasm")
        result = runtime.call("flags", name)
        assert not result.failed, f"{name}: {result.error}"
        assert result.stdout == expected, name


def test_jammed_product_runs_faster(built: tuple[Path, str], runtime: Runtime) -> None:
    """CPU time of this thread (the call runs on it), interleaved: load on the machine hits both
    alike. Measured here: 1.66x; the bound leaves room for noise."""
    build, _ = built
    times: dict[str, list[float]] = {"jammed": [], "plain": []}
    for name in times:
        runtime.register("flags", name, build / f"{name}.wasm")
        runtime.call("flags", name)
    for _ in range(7):
        for name, samples in times.items():
            start = time.thread_time()
            assert not runtime.call("flags", name).failed
            samples.append(time.thread_time() - start)
    jammed, plain = (statistics.median(times[name]) for name in ("jammed", "plain"))
    assert plain >= 1.3 * jammed, f"jammed {jammed * 1e3:.1f} ms, plain {plain * 1e3:.1f} ms"
