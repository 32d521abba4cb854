"""The build driver with the real system toolchain: outputs, fingerprints, errors, determinism."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from faasm_cli.config import Project
from faasm_cli.errors import BadInput, CompileFailed, NotFound, ToolchainMissing
from faasm_cli.toolchain import build_function, build_user, get_backend, is_stale
from faasm_cli.toolchain.backend import Backend

REPO = Path(__file__).resolve().parents[1]
REPO_FUNC = REPO / "func"


def make_project(root: Path, *names: str) -> Project:
    """A private func tree holding the named demo functions."""
    (root / "func" / "demo").mkdir(parents=True)
    for name in names:
        source = next((REPO_FUNC / "demo").glob(f"{name}.c*"))
        shutil.copy(source, root / "func" / "demo" / source.name)
    return Project(root / "func")


def test_build_writes_wasm_then_skips(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hello")
    log: list[str] = []
    first = build_function(project, "demo", "hello", on_log=log.append)
    assert first.rebuilt and first.path == tmp_path / "build" / "func" / "demo" / "hello.wasm"
    assert first.path.read_bytes()[:4] == b"\0asm"
    assert any("hello" in line for line in log)
    assert not is_stale(project, "demo", "hello")

    mtime = first.path.stat().st_mtime_ns
    start = time.perf_counter()
    second = build_function(project, "demo", "hello", on_log=log.append)
    assert time.perf_counter() - start < 0.3
    assert not second.rebuilt and second.path.stat().st_mtime_ns == mtime


def test_changed_source_or_missing_output_rebuilds(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hello")
    result = build_function(project, "demo", "hello")
    source = project.source("demo", "hello")
    source.write_text(source.read_text().replace("Hello faasm!", "Hello again!"))
    assert is_stale(project, "demo", "hello")
    again = build_function(project, "demo", "hello")
    assert again.rebuilt and b"Hello again!" in again.path.read_bytes()

    os.utime(source)  # touching alone changes nothing: the fingerprint is of contents
    assert not build_function(project, "demo", "hello").rebuilt
    result.path.unlink()
    assert build_function(project, "demo", "hello").rebuilt


def test_new_header_in_tree_rebuilds(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hello")
    build_function(project, "demo", "hello")
    (project.func_dir / "demo" / "common.h").write_text("#define X 1\n")
    assert is_stale(project, "demo", "hello")


def test_compile_error_raises_with_diagnostics(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hello")
    (project.func_dir / "demo" / "broken.c").write_text(
        '#include "faasm/faasm.h"\nFAASM_MAIN_FUNC() { return undefined_thing; }\n'
    )
    log: list[str] = []
    with pytest.raises(CompileFailed) as info:
        build_function(project, "demo", "broken", on_log=log.append)
    assert "demo/broken failed to compile" in info.value.message
    assert "undefined_thing" in info.value.message and info.value.hint
    assert any("broken.c:2" in line and "error:" in line for line in log)
    assert not (tmp_path / "build" / "func" / "demo" / "broken.wasm.fingerprint").exists()
    # The rest of the tree still builds, in the same build dir.
    assert build_function(project, "demo", "hello").path.is_file()


def test_build_user_reports_only_the_broken_function(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hello", "echo")
    (project.func_dir / "demo" / "broken.cpp").write_text("int main() { return nope; }\n")
    with pytest.raises(CompileFailed) as info:
        build_user(project, "demo")
    assert "demo/broken" in info.value.message and "demo/hello" not in info.value.message
    assert not is_stale(project, "demo", "hello") and not is_stale(project, "demo", "echo")

    (project.func_dir / "demo" / "broken.cpp").unlink()
    results = build_user(project, "demo")
    assert [(r.function, r.rebuilt) for r in results] == [("echo", False), ("hello", False)]


def test_new_function_after_configure_is_found(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hello")
    build_function(project, "demo", "hello")
    shutil.copy(REPO_FUNC / "demo" / "echo.c", project.func_dir / "demo" / "echo.c")
    assert build_function(project, "demo", "echo").path.is_file()


def test_bad_names_and_python_functions(tmp_path: Path) -> None:
    project = make_project(tmp_path, "hello")
    with pytest.raises(NotFound) as info:
        build_function(project, "demo", "nope")
    assert "hello" in info.value.hint
    (project.func_dir / "demo" / "script.py").write_text("print('hi')\n")
    with pytest.raises(BadInput):
        build_function(project, "demo", "script")


def test_builds_are_reproducible_across_directories(tmp_path: Path) -> None:
    """Same source, different absolute paths and build dirs: byte-identical wasm."""
    outputs = []
    for name in ("one", "a-much-longer-directory-name"):
        project = make_project(tmp_path / name, "hello", "chain", "trap")
        (project.func_dir / "demo" / "where.c").write_text(  # __FILE__ lands in the wasm
            '#include <string.h>\n#include "faasm/faasm.h"\n'
            "FAASM_MAIN_FUNC() { faasmSetOutput((const unsigned char*)__FILE__,"
            " strlen(__FILE__)); return 0; }\n"
        )
        outputs.append([r.path.read_bytes() for r in build_user(project, "demo")])
        assert b"/func/demo/where.c" in outputs[-1][-1]
        for data in outputs[-1]:
            assert str(tmp_path).encode() not in data
    assert outputs[0] == outputs[1]


def test_missing_wasi_sdk_raises_toolchain_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path, "hello")
    monkeypatch.setenv("WASI_SDK_PATH", str(tmp_path / "no-sdk"))
    with pytest.raises(ToolchainMissing) as info:
        build_function(project, "demo", "hello")
    assert "WASI_SDK_PATH" in info.value.hint


def test_system_backend_satisfies_protocol(tmp_path: Path) -> None:
    backend = get_backend("system")
    assert isinstance(backend, Backend) and backend.name == "system"
    assert "clang" in backend.identity() and backend.identity() == get_backend("system").identity()
    backend.check()
    lines: list[str] = []
    assert backend.run(["sh", "-c", "echo out; echo err >&2; exit 3"], tmp_path, lines.append) == 3
    assert sorted(lines) == ["err", "out"]
    with pytest.raises(BadInput):
        get_backend("podman")


# Run by test_toolchain_edits_make_functions_stale against a private copy of the package (and
# refuses any other toolchain dir): builds
# demo/hello, then for each named file appends a line, asks is_stale, restores it (or removes a
# new one) and asks again. Prints {file: [stale after the edit, stale after the restore]}.
_EDIT_EACH_FILE = """
import json, sys
from pathlib import Path
from faasm_cli.config import Project, toolchain_dir
from faasm_cli.toolchain import build_function, is_stale

if toolchain_dir() != Path(sys.argv[2]):
    sys.exit(f"refusing to edit {toolchain_dir()}: not the private copy {sys.argv[2]}")
project = Project(Path(sys.argv[1]))
build_function(project, "demo", "hello")
found = {}
for name in sys.argv[3:]:
    path = Path(name)
    original = path.read_bytes() if path.exists() else None
    path.write_bytes((original or b"") + b"\\n")
    after_edit = is_stale(project, "demo", "hello")
    if original is None:
        path.unlink()
    else:
        path.write_bytes(original)
    found[name] = [after_edit, is_stale(project, "demo", "hello")]
print(json.dumps(found))
"""


def test_toolchain_edits_make_functions_stale(tmp_path: Path) -> None:
    """Every CMake and libfaasm file (header, source, CMakeLists, a new file) is in the
    fingerprint; other files are not. The shipped toolchain is never edited: the package is
    copied with its toolchain (data/toolchain followed) and driven in a subprocess."""
    packages = tmp_path / "packages"
    shutil.copytree(
        REPO / "faasm_cli", packages / "faasm_cli", ignore=shutil.ignore_patterns("__pycache__")
    )
    toolchain = packages / "faasm_cli" / "data" / "toolchain"
    assert toolchain.is_dir() and not toolchain.is_symlink()
    project = make_project(tmp_path / "project", "hello")
    (project.func_dir / "other").mkdir()
    (project.func_dir / "other" / "thing.c").write_text("int x;\n")
    relevant = [
        toolchain / "cmake" / "FaasmToolchain.cmake",
        toolchain / "cmake" / "FaasmFunctions.cmake",
        toolchain / "cmake" / "Platform" / "WASI.cmake",
        toolchain / "cmake" / "project" / "CMakeLists.txt",
        toolchain / "libfaasm" / "CMakeLists.txt",
        toolchain / "libfaasm" / "include" / "faasm" / "core.h",
        toolchain / "libfaasm" / "src" / "core.c",
        toolchain / "libfaasm" / "src" / "native" / "host.c",
        toolchain / "libfaasm" / "src" / "added.cpp",
        toolchain / "cmake" / "Added.cmake",
    ]
    unrelated = [
        toolchain / "Dockerfile",
        toolchain / "NOTES.txt",
        project.func_dir / "other" / "thing.c",
        project.func_dir / "demo" / "notes.txt",
        project.root / "CMakeLists.txt",
    ]
    done = subprocess.run(
        [sys.executable, "-c", _EDIT_EACH_FILE, str(project.func_dir), str(toolchain)]
        + [str(p) for p in relevant + unrelated],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(packages)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert {Path(name) for name, (edited, _) in found.items() if edited} == set(relevant)
    assert not any(restored for _, restored in found.values())
