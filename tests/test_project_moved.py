"""A project keeps compiling when it is moved, copied, used from another faasm install or its
CMake cache is damaged: the build tree is configured again from scratch, never a CMake error."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from faasm_cli.config import Project
from faasm_cli.toolchain import build_function
from faasm_cli.toolchain.cmake import CMAKE_CACHE, BuildTree, read_cache
from tests.helpers import run_cli

REPO = Path(__file__).resolve().parents[1]

HELLO = """#include "faasm/faasm.h"
#include <string.h>

FAASM_MAIN_FUNC() {
    const char* text = "GREETING";
    faasmSetOutput((const unsigned char*)text, strlen(text));
    return 0;
}
"""


def write_hello(root: Path, greeting: str) -> Path:
    """func/demo/hello.c printing `greeting`; returns the project root."""
    source = root / "func" / "demo" / "hello.c"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(HELLO.replace("GREETING", greeting))
    return root


def run_hello(root: Path) -> str:
    """`faasm run demo hello` in `root`: its stdout; fails the test on any error."""
    done = run_cli("run", "demo", "hello", cwd=root)
    assert done.returncode == 0, done.stderr.decode()
    assert b"CMake Error" not in done.stderr
    return done.stdout.decode()


def test_moved_project_runs_and_rebuilds(tmp_path: Path) -> None:
    first = write_hello(tmp_path / "first", "before the move")
    assert run_hello(first) == "before the move"

    moved = tmp_path / "elsewhere" / "renamed"
    moved.parent.mkdir()
    shutil.move(first, moved)
    assert run_hello(moved) == "before the move"  # built output travels with the project

    write_hello(moved, "after the move")
    assert run_hello(moved) == "after the move"
    cache = read_cache(moved / "build" / "cmake" / "wasm-system" / CMAKE_CACHE)
    assert cache["CMAKE_CACHEFILE_DIR"] == str(moved / "build" / "cmake" / "wasm-system")


def test_copied_project_builds_apart_from_its_original(tmp_path: Path) -> None:
    original = write_hello(tmp_path / "original", "original")
    build_function(Project(original / "func"), "demo", "hello")
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    write_hello(copy, "the copy")

    log: list[str] = []
    built = build_function(Project(copy / "func"), "demo", "hello", on_log=log.append)
    assert built.rebuilt and built.path == copy / "build" / "func" / "demo" / "hello.wasm"
    assert not any("CMake Error" in line for line in log)
    assert run_hello(copy) == "the copy"
    assert run_hello(original) == "original"


def test_damaged_cmake_cache_is_configured_again(tmp_path: Path) -> None:
    root = write_hello(tmp_path, "first")
    project = Project(root / "func")
    build_function(project, "demo", "hello")
    tree = BuildTree(project, "system", native=False)
    assert tree.is_configured()
    cache = tree.path / CMAKE_CACHE
    lines = cache.read_text().splitlines(keepends=True)
    cache.write_text("".join(lines[:10]) + "garbage\0\n" + "".join(lines[10:]))
    assert not tree.is_configured()

    write_hello(root, "after the damage")
    log: list[str] = []
    assert build_function(project, "demo", "hello", on_log=log.append).rebuilt
    assert not any("CMake Error" in line for line in log)
    assert tree.is_configured()
    assert run_hello(root) == "after the damage"


def test_missing_cache_or_record_configures_again(tmp_path: Path) -> None:
    root = write_hello(tmp_path, "one")
    project = Project(root / "func")
    build_function(project, "demo", "hello")
    tree = BuildTree(project, "system", native=False)
    (tree.path / CMAKE_CACHE).unlink()
    assert not tree.is_configured()
    write_hello(root, "two")
    assert build_function(project, "demo", "hello").rebuilt
    (tree.path / "faasm-configure.json").write_text("{not json")
    assert not tree.is_configured()
    write_hello(root, "three")
    assert build_function(project, "demo", "hello").rebuilt
    assert run_hello(root) == "three"


def test_project_used_from_another_install(tmp_path: Path) -> None:
    """A second copy of the package (its own toolchain dir) builds a project the first one
    configured, and the first one builds it again afterwards."""
    packages = tmp_path / "packages"
    shutil.copytree(
        REPO / "faasm_cli", packages / "faasm_cli", ignore=shutil.ignore_patterns("__pycache__")
    )
    other_toolchain = packages / "faasm_cli" / "data" / "toolchain"
    assert other_toolchain.is_dir() and not other_toolchain.is_symlink()
    root = write_hello(tmp_path / "project", "this install")
    assert run_hello(root) == "this install"

    write_hello(root, "the other install")
    other = subprocess.run(
        [sys.executable, "-m", "faasm_cli", "run", "demo", "hello"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(packages)},
        capture_output=True,
        timeout=300,
    )
    assert other.returncode == 0, other.stderr.decode()
    assert other.stdout == b"the other install"
    cache = read_cache(root / "build" / "cmake" / "wasm-system" / CMAKE_CACHE)
    assert cache["CMAKE_HOME_DIRECTORY"] == str(other_toolchain / "cmake" / "project")

    write_hello(root, "back to this install")
    assert run_hello(root) == "back to this install"


def test_read_cache_parses_entries_and_refuses_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / CMAKE_CACHE
    path.write_text("# comment\n// help text\nCMAKE_HOME_DIRECTORY:INTERNAL=/a/b=c\n\nFLAG=ON\n")
    assert read_cache(path) == {"CMAKE_HOME_DIRECTORY": "/a/b=c", "FLAG": "ON"}
    path.write_text("FLAG:BOOL=ON\ngarbage\nCMAKE_HOME_DIRECTORY:INTERNAL=/a\n")
    assert read_cache(path) == {}
    assert read_cache(tmp_path / "missing") == {}
