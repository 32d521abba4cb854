"""A user's own CMake project that only sets CMAKE_TOOLCHAIN_FILE gets every faasm default.

Issue 6: the toolchain file alone must be enough -- Release/-O3, -msimd128, wasi-libc's
emulations, a 4 MiB stack -- and give code as fast as `faasm compile` does. The projects are
written here into tmp_path, built with the real cmake + ninja + clang, run on the real runtime.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from faasm_cli.config import Project, toolchain_dir
from faasm_cli.runtime import CallResult, Runtime
from faasm_cli.toolchain import build_function, build_user
from faasm_cli.toolchain.packages import LLVM_BIN

TOOLCHAIN_FILE = toolchain_dir() / "cmake" / "FaasmToolchain.cmake"
FUNCTIONS_CMAKE = toolchain_dir() / "cmake" / "FaasmFunctions.cmake"
DEFAULT_STACK = 4 * 1024 * 1024
REPEATS = 60

# The same kernel goes into the user's project and into a faasm function: i-k-j matrix product,
# which clang vectorises with -msimd128 at -O3.
GEMM_KERNEL = """
#define N 160
static float a[N * N], b[N * N], c[N * N];

double gemm_checksum(int repeats)
{
    for (int i = 0; i < N * N; i++) {
        a[i] = (float)(i % 7) * 0.5f;
        b[i] = (float)(i % 5) - 1.0f;
        c[i] = 0.0f;
    }
    for (int r = 0; r < repeats; r++)
        for (int i = 0; i < N; i++)
            for (int k = 0; k < N; k++) {
                float aik = a[i * N + k];
                for (int j = 0; j < N; j++)
                    c[i * N + j] += aik * b[k * N + j];
            }
    double sum = 0;
    for (int i = 0; i < N * N; i++)
        sum += c[i];
    return sum;
}
"""

POSIX_MAIN = r"""
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t caught;

static void on_signal(int sig) { caught = sig; }

int main(void)
{
    clock_t start = clock();
    volatile double sink = 0;
    for (int i = 0; i < 3000000; i++)
        sink += i * 0.5;
    clock_t end = clock();

    struct rusage usage;
    int rusage_rc = getrusage(RUSAGE_SELF, &usage);
    long cpu_us = usage.ru_utime.tv_sec * 1000000L + usage.ru_utime.tv_usec;

    size_t size = 3 << 20;
    unsigned char *block =
        mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED)
        return 2;
    int zeroed = block[0] == 0 && block[size - 1] == 0;
    memset(block, 7, size);
    int munmap_rc = munmap(block, size);

    signal(SIGUSR1, on_signal);
    raise(SIGUSR1);

    printf("clock=%d rusage=%d cpu=%d mmap=%d munmap=%d signal=%d pid=%d\n", end > start,
           rusage_rc, cpu_us > 0, zeroed, munmap_rc, caught == SIGUSR1, getpid() > 0);
    return 0;
}
"""

# A 3 MiB array on the C stack: fits the 4 MiB default, not a 1 MiB stack.
BIG_STACK_BODY = r"""
#include <stdio.h>

static int fill(void)
{
    volatile unsigned char big[3 << 20];
    for (unsigned i = 0; i < sizeof(big); i += 4096)
        big[i] = (unsigned char)(i >> 12);
    big[sizeof(big) - 1] = 42;
    return big[4096] + big[sizeof(big) - 1];
}
"""

# Eigen in both include forms: dense products, Random, a sparse matrix-vector product.
EIGEN_BODY = r"""
#include <cstdio>
#include <cstdlib>
#include <eigen3/Eigen/Dense>
#include <Eigen/Sparse>

static int eigen_report()
{
    Eigen::MatrixXd a(2, 2);
    a << 1, 2, 3, 4;
    Eigen::MatrixXd product = a * a.transpose();

    std::srand(7);
    Eigen::MatrixXd random = Eigen::MatrixXd::Random(64, 64);
    bool in_range = random.maxCoeff() <= 1.0 && random.minCoeff() >= -1.0;

    Eigen::SparseMatrix<double> sparse(100, 100);
    sparse.insert(1, 2) = 3.0;
    sparse.insert(50, 50) = 2.0;
    sparse.makeCompressed();
    Eigen::VectorXd ones = Eigen::VectorXd::Ones(100);
    Eigen::VectorXd spmv = sparse * ones;

    std::printf("product=%g,%g,%g,%g random=%d sparse=%g nnz=%ld\n", product(0, 0),
                product(0, 1), product(1, 0), product(1, 1), in_range, spmv.sum(),
                (long)sparse.nonZeros());
    return 0;
}
"""
EIGEN_EXPECTED = "product=5,11,11,25 random=1 sparse=5 nnz=2\n"


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _cmake(source: Path, build: Path, *defines: str) -> None:
    """Configure (ninja) and build; a failure shows CMake's and the compiler's output."""
    for argv in (
        ["cmake", "-G", "Ninja", "-S", str(source), "-B", str(build), *defines],
        ["cmake", "--build", str(build)],
    ):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{' '.join(argv)}\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def own_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A multi-file C project of the user's own, built with only the toolchain file."""
    root = tmp_path_factory.mktemp("own")
    _write(
        root,
        {
            "CMakeLists.txt": (
                "cmake_minimum_required(VERSION 3.20)\n"
                "project(own C CXX)\n"
                "set(CMAKE_EXPORT_COMPILE_COMMANDS ON)\n"
                "add_executable(gemm src/main.c src/gemm.c)\n"
                "target_include_directories(gemm PRIVATE include)\n"
                "add_executable(posix src/posix.c)\n"
                "add_executable(bigstack src/bigstack.c)\n"
                "add_executable(eigen src/eigen.cpp)\n"
            ),
            "include/gemm.h": "double gemm_checksum(int repeats);\n",
            "src/gemm.c": '#include "gemm.h"\n' + GEMM_KERNEL,
            "src/main.c": (
                '#include <stdio.h>\n#include "gemm.h"\n'
                f'int main(void) {{ printf("%.1f\\n", gemm_checksum({REPEATS})); return 0; }}\n'
            ),
            "src/posix.c": POSIX_MAIN,
            "src/bigstack.c": BIG_STACK_BODY
            + 'int main(void) { printf("%d\\n", fill()); return 0; }\n',
            "src/eigen.cpp": EIGEN_BODY + "int main() { return eigen_report(); }\n",
        },
    )
    _cmake(root, root / "build", f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN_FILE}")
    return root / "build"


@pytest.fixture(scope="module")
def faasm_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The same code as faasm functions, built as `faasm compile` builds them."""
    root = tmp_path_factory.mktemp("faasm")
    _write(
        root / "func" / "own",
        {
            "gemm.c": '#include <stdio.h>\n#include "faasm/faasm.h"\n'
            + GEMM_KERNEL
            + f'FAASM_MAIN_FUNC() {{ printf("%.1f\\n", gemm_checksum({REPEATS})); return 0; }}\n',
            "bigstack.c": '#include "faasm/faasm.h"\n'
            + BIG_STACK_BODY
            + 'FAASM_MAIN_FUNC() { printf("%d\\n", fill()); return 0; }\n',
            "eigen_ops.cpp": '#include "faasm/faasm.h"\n'
            + EIGEN_BODY
            + "FAASM_MAIN_FUNC() { return eigen_report(); }\n",
        },
    )
    project = Project(root / "func")
    build_user(project, "own")
    return project


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    with Runtime(cache_dir=tmp_path_factory.mktemp("rt")) as rt:
        yield rt


def _run(rt: Runtime, name: str, wasm: Path) -> CallResult:
    rt.register("own", name, wasm)
    return rt.call("own", name)


def test_compile_and_link_flags_are_the_faasm_defaults(own_project: Path) -> None:
    cache = (own_project / "CMakeCache.txt").read_text()
    assert "CMAKE_BUILD_TYPE:STRING=Release\n" in cache
    commands = json.loads((own_project / "compile_commands.json").read_text())
    assert {Path(c["file"]).name for c in commands} == {
        "main.c",
        "gemm.c",
        "posix.c",
        "bigstack.c",
        "eigen.cpp",
    }
    for command in commands:
        flags = command["command"].split()
        assert {"-O3", "-msimd128", "-D_WASI_EMULATED_MMAN", "-D_WASI_EMULATED_SIGNAL"} <= set(
            flags
        ), command["command"]
    gemm = next(c for c in commands if c["file"].endswith("gemm.c"))
    assert f"-I{own_project.parent / 'include'}" in gemm["command"].split()
    ninja = (own_project / "build.ninja").read_text()
    for flag in (
        "-Wl,--stack-first",
        f"-Wl,-z,stack-size={DEFAULT_STACK}",
        "-lwasi-emulated-process-clocks",
        "-lwasi-emulated-getpid",
    ):
        assert flag in ninja


def test_own_build_type_is_kept(tmp_path: Path, own_project: Path) -> None:
    """The toolchain only picks Release when the user picked nothing."""
    build = tmp_path / "debug"
    done = subprocess.run(
        [
            "cmake", "-G", "Ninja", "-S", str(own_project.parent), "-B", str(build),
            f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN_FILE}", "-DCMAKE_BUILD_TYPE=Debug",
        ],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    commands = json.loads((build / "compile_commands.json").read_text())
    assert all("-O3" not in c["command"].split() for c in commands)
    assert all("-msimd128" in c["command"].split() for c in commands)


def test_own_project_runs_as_fast_as_faasm_compile(
    own_project: Path, faasm_project: Project, runtime: Runtime
) -> None:
    runtime.register("own", "gemm_own", own_project / "gemm.wasm")
    runtime.register("own", "gemm", faasm_project.wasm_path("own", "gemm"))
    own_times, faasm_times = [], []
    for _ in range(7):  # interleaved, so load on the machine hits both alike
        for name, times in (("gemm_own", own_times), ("gemm", faasm_times)):
            start = time.perf_counter()
            result = runtime.call("own", name)
            times.append(time.perf_counter() - start)
            assert not result.failed, result.error
    assert runtime.call("own", "gemm_own").stdout == runtime.call("own", "gemm").stdout
    own, faasm = statistics.median(own_times), statistics.median(faasm_times)
    assert own <= 1.3 * faasm, f"own project {own * 1e3:.1f} ms vs faasm compile {faasm * 1e3:.1f}"


def test_posix_emulations_compile_and_run(own_project: Path, runtime: Runtime) -> None:
    result = _run(runtime, "posix", own_project / "posix.wasm")
    assert not result.failed, result.error
    assert result.stdout == "clock=1 rusage=0 cpu=1 mmap=1 munmap=0 signal=1 pid=1\n"


def test_three_mib_stack_array_fits_the_default_stack(
    own_project: Path, faasm_project: Project, runtime: Runtime
) -> None:
    for name, wasm in (
        ("bigstack_own", own_project / "bigstack.wasm"),
        ("bigstack", faasm_project.wasm_path("own", "bigstack")),
    ):
        result = _run(runtime, name, wasm)
        assert not result.failed, f"{name}: {result.error}"
        assert result.stdout == "43\n"


def test_faasm_func_stack_size_is_per_function(
    tmp_path: Path, faasm_project: Project, runtime: Runtime
) -> None:
    source = faasm_project.func_dir / "own" / "bigstack.c"
    _write(
        tmp_path,
        {
            "CMakeLists.txt": (
                "cmake_minimum_required(VERSION 3.20)\n"
                "project(stacks C CXX)\n"
                f'include("{FUNCTIONS_CMAKE}")\n'
                f'faasm_func(roomy "{source}")\n'
                f'faasm_func(cramped "{source}" STACK_SIZE 1048576)\n'
            )
        },
    )
    _cmake(tmp_path, tmp_path / "build", f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN_FILE}")
    outputs = tmp_path / "build" / "func" / "own"
    roomy = _run(runtime, "roomy", outputs / "roomy.wasm")
    assert not roomy.failed and roomy.stdout == "43\n", roomy.error
    cramped = _run(runtime, "cramped", outputs / "cramped.wasm")
    assert cramped.failed and cramped.error is not None
    assert cramped.error.startswith("stack overflow: the C stack in linear memory is exhausted")


def test_eigen_builds_and_runs(own_project: Path, faasm_project: Project, runtime: Runtime) -> None:
    for name, wasm in (
        ("eigen_own", own_project / "eigen.wasm"),
        ("eigen_ops", faasm_project.wasm_path("own", "eigen_ops")),
    ):
        result = _run(runtime, name, wasm)
        assert not result.failed, f"{name}: {result.error}"
        assert result.stdout == EIGEN_EXPECTED


def test_wasi_sdk_layout_builds_the_same_wasm(tmp_path: Path, own_project: Path) -> None:
    """WASI_SDK_PATH: a wasi-sdk layout (here made of links to the Debian toolchain) gets the
    same flags and Eigen, so the same bytes; nothing is written into the sdk's sysroot."""
    sdk = tmp_path / "wasi-sdk"
    (sdk / "bin").mkdir(parents=True)
    for tool in ("clang", "clang++", "llvm-ar", "llvm-ranlib", "wasm-ld"):
        (sdk / "bin" / tool).symlink_to(LLVM_BIN / tool)
    sysroot = sdk / "share" / "wasi-sysroot"
    for part in ("include", "lib"):
        (sysroot / part).mkdir(parents=True)
        (sysroot / part / "wasm32-wasi").symlink_to(Path("/usr") / part / "wasm32-wasi")
    build = tmp_path / "build"
    for argv in (
        ["cmake", "-G", "Ninja", "-S", str(own_project.parent), "-B", str(build),
         f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN_FILE}", f"-DWASI_SDK_PATH={sdk}"],
        ["cmake", "--build", str(build)],
    ):  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
    commands = json.loads((build / "compile_commands.json").read_text())
    assert all(c["command"].startswith(f"{sdk}/bin/clang") for c in commands)
    for name in ("gemm", "posix", "bigstack", "eigen"):
        assert (build / f"{name}.wasm").read_bytes() == (own_project / f"{name}.wasm").read_bytes()
    assert sorted(p.name for p in (sysroot / "include").iterdir()) == ["wasm32-wasi"]


def test_eigen_function_builds_natively(faasm_project: Project) -> None:
    native = build_function(faasm_project, "own", "eigen_ops", native=True)
    done = subprocess.run([str(native.path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == EIGEN_EXPECTED
