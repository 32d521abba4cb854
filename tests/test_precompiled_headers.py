"""C++ functions reuse one precompiled header of the standard headers faasm/faasm.h pulls in.

Issue 9: parsing <string> was most of a small function's compile, which is what `faasm watch`
waits for after each edit. The PCH must change nothing but the time: C functions do not use it,
the wasm is byte-identical to a build without it, and a function that opts out still builds.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from faasm_cli.config import Project, toolchain_dir
from faasm_cli.runtime import Runtime
from faasm_cli.toolchain import build_user
from faasm_cli.toolchain.cmake import BuildTree, target_name

REPO_FUNC = Path(__file__).resolve().parents[1] / "func"
FUNCTIONS = ("hello.cpp", "x2.cpp", "echo.c")


def _project(root: Path) -> Project:
    (root / "func" / "demo").mkdir(parents=True)
    for name in FUNCTIONS:
        shutil.copy(REPO_FUNC / "demo" / name, root / "func" / "demo" / name)
    return Project(root / "func")


def _compile_commands(tree: BuildTree, function: str) -> list[str]:
    """The compile commands ninja runs for a function's own source."""
    done = subprocess.run(
        ["ninja", "-C", str(tree.path), "-t", "commands", target_name("demo", function)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in done.stdout.splitlines() if f"/func/demo/{function}." in line]


def test_cpp_functions_reuse_one_pch_and_c_functions_use_none(tmp_path: Path) -> None:
    project = _project(tmp_path)
    results = build_user(project, "demo")
    assert [r.function for r in results] == ["echo", "hello", "x2"]
    tree = BuildTree(project, "system", native=False)
    pch = {
        name: next(c for c in _compile_commands(tree, name) if " -c " in c)
        for name in ("echo", "hello", "x2")
    }
    shared = "faasm-precompiled-headers.dir/cmake_pch.hxx.pch"
    assert f"-include-pch -Xclang {tree.path}/CMakeFiles/{shared}" in pch["hello"]
    assert f"-include-pch -Xclang {tree.path}/CMakeFiles/{shared}" in pch["x2"]
    assert "-include-pch" not in pch["echo"]
    assert list(tree.path.rglob("*.pch")) == [tree.path / "CMakeFiles" / shared]
    with Runtime(cache_dir=tmp_path / "cache") as runtime:
        runtime.register("demo", "hello", results[1].path)
        assert runtime.call("demo", "hello").output_data == b"Hello faasm!"


def test_wasm_is_the_same_without_the_pch(tmp_path: Path) -> None:
    """A tree configured with CMAKE_DISABLE_PRECOMPILE_HEADERS builds the same bytes."""
    project = _project(tmp_path)
    with_pch = {r.function: r.path.read_bytes() for r in build_user(project, "demo")}
    tree = BuildTree(project, "system", native=False)
    plain = tmp_path / "plain"
    argv = tree.configure_argv()
    argv[argv.index(str(tree.path))] = str(plain)
    argv[argv.index(f"-DFAASM_OUTPUT_DIR={tree.output_dir}")] = f"-DFAASM_OUTPUT_DIR={plain}/out"
    subprocess.run(
        [*argv, "-DCMAKE_DISABLE_PRECOMPILE_HEADERS=ON"], check=True, capture_output=True
    )
    subprocess.run(["cmake", "--build", str(plain)], check=True, capture_output=True)
    assert not list(plain.rglob("*.pch"))
    without = {name: (plain / "out" / "demo" / f"{name}.wasm").read_bytes() for name in with_pch}
    assert without == with_pch


def test_a_source_can_opt_out_of_the_pch(tmp_path: Path) -> None:
    """A function built with options of its own (here -O0, which the PCH was not built with:
    clang would refuse it) skips the PCH through CMake's source property."""
    source = tmp_path / "demo" / "hello.cpp"
    source.parent.mkdir()
    shutil.copy(REPO_FUNC / "demo" / "hello.cpp", source)
    functions = toolchain_dir() / "cmake" / "FaasmFunctions.cmake"
    toolchain = toolchain_dir() / "cmake" / "FaasmToolchain.cmake"
    (tmp_path / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\n"
        "project(own C CXX)\n"
        f'include("{functions}")\n'
        f'faasm_func(hello "{source}")\n'
        "target_compile_options(demo-hello PRIVATE -O0)\n"
        f'set_source_files_properties("{source}" PROPERTIES SKIP_PRECOMPILE_HEADERS ON)\n'
    )
    build = tmp_path / "build"
    subprocess.run(
        ["cmake", "-S", str(tmp_path), "-B", str(build), f"-DCMAKE_TOOLCHAIN_FILE={toolchain}"],
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        ["cmake", "--build", str(build), "--target", "demo-hello", "--verbose"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    hello_compile = [line for line in done.stdout.splitlines() if "-c " + str(source) in line]
    assert hello_compile and "-include-pch" not in hello_compile[0]
    assert (build / "func" / "demo" / "hello.wasm").read_bytes()[:4] == b"\0asm"
