"""Native builds (`faasm compile --native`): the same sources as host executables."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from faasm_cli.config import Project
from faasm_cli.toolchain import build_function, build_user

REPO_FUNC = Path(__file__).resolve().parents[1] / "func"


@pytest.fixture(scope="module")
def native_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("native-project")
    shutil.copytree(REPO_FUNC / "demo", root / "func" / "demo")
    results = build_user(Project(root / "func"), "demo", native=True)
    assert all(r.native and r.path.is_file() for r in results)
    return root / "build" / "native" / "demo"


def run(path: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(path), *args], input=stdin, capture_output=True, timeout=60, check=False
    )


def test_hello_echo_x2(native_dir: Path) -> None:
    assert run(native_dir / "hello").stdout == b"Hello faasm!"
    assert run(native_dir / "echo", "--input", "abc").stdout == b"abc"
    assert run(native_dir / "echo", stdin=b"from stdin\0!").stdout == b"from stdin\0!"
    assert run(native_dir / "x2", stdin=bytes([1, 2, 200])).stdout == bytes([2, 4, 144])


def test_plain_main_and_return_values(native_dir: Path) -> None:
    assert run(native_dir / "hello_main").stdout == b"Hello from main!\n"
    done = run(native_dir / "exit_code")
    assert (done.returncode, done.stdout) == (2, b"failing on purpose")
    assert run(native_dir / "exit3").returncode == 3


def test_chaining_inline_and_by_name(native_dir: Path) -> None:
    assert run(native_dir / "chain").stdout == b"chained 2 calls"
    assert run(native_dir / "chain_simple", "--input", "gdb").stdout == b"hello gdb"
    assert run(native_dir / "chain_named_a").stdout == b"b says: hi b | c says: hi c"
    assert run(native_dir / "chain", "--idx", "1").returncode == 1  # wrong input for worker 1


def test_state_in_memory(native_dir: Path) -> None:
    assert run(native_dir / "state_async").stdout == bytes(range(8))
    assert run(native_dir / "state_offset").stdout == bytes([2, 30, 40, 50, 6])
    assert run(native_dir / "state_append").stdout == b"abcdef"
    assert run(native_dir / "increment").stdout == b"Counter: 1\n1"  # printf, then output
    assert run(native_dir / "zygote_check").stdout == b"zygote value 42"
    assert run(native_dir / "pi").returncode == 0


def test_missing_sibling_fails_clearly(tmp_path: Path) -> None:
    shutil.copytree(REPO_FUNC / "demo", tmp_path / "func" / "demo")
    result = build_function(Project(tmp_path / "func"), "demo", "chain_named_a", native=True)
    done = run(result.path)
    assert done.returncode == 1
    assert b"chained function 'chain_named_b' is not built" in done.stderr


def test_native_keeps_debug_info(native_dir: Path) -> None:
    sections = subprocess.run(
        ["readelf", "-S", str(native_dir / "hello")], capture_output=True, text=True, check=True
    ).stdout
    assert ".debug_info" in sections


@pytest.fixture(scope="module")
def compat_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("native-compat")
    shutil.copytree(REPO_FUNC / "compat", root / "func" / "compat")
    project = Project(root / "func")
    for name in ("bytes_state", "pool", "matrix_state", "helpers", "state_from_file", "push_mask"):
        assert build_function(project, "compat", name, native=True).path.is_file()
    return root / "build" / "native" / "compat"


def test_faasm_library_natively(compat_dir: Path, tmp_path: Path) -> None:
    assert run(compat_dir / "bytes_state").stdout == b"ints 10 20 30 40; bytes 4 5 6 7"
    assert run(compat_dir / "pool", stdin=(5).to_bytes(4, "little")).stdout == (
        b"5 calls, counter 5"
    )
    matrices = run(compat_dir / "matrix_state")
    assert (matrices.returncode, matrices.stdout.count(b"ok "), b"FAILED" in matrices.stdout) == (
        0,
        12,
        False,
    )
    helpers = run(compat_dir / "helpers").stdout.decode().splitlines()
    assert helpers[:4] == [
        "float 7.890",
        "ints [1, 2, 3]",
        "doubles [0.500000, 1.250000]",
        "equal 1",
    ]
    assert helpers[8:10] == ["conf 1 0", "python '' ''"]
    assert helpers[10].startswith("TIME: helpers ")  # FAASM_PROF_* print natively
    source = tmp_path / "input.txt"
    source.write_bytes(b"native file")
    done = run(compat_dir / "state_from_file", "--input", str(source))
    assert done.stdout == b"11 bytes: native file"
    assert run(compat_dir / "push_mask").returncode == 0
