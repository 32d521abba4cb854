"""Faasm's C/C++ library of 2020, whole: func/compat compiled with the real toolchain and run in
the runtime (state, chaining pools, Eigen matrices, helpers, memory, shared files, limits)."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from faasm_cli.config import Project
from faasm_cli.errors import ToolchainMissing
from faasm_cli.message import Message
from faasm_cli.runtime import Runtime
from faasm_cli.runtime.state.store import LocalStateStore
from tests.helpers import build_or_skip

COMPAT = [
    "bytes_state",
    "pool",
    "matrix_state",
    "helpers",
    "memory",
    "shared_file",
    "shared_write",
    "state_from_file",
    "push_mask",
    "output_size",
]


@pytest.fixture(scope="session")
def compat_wasm(demo_project: Project) -> dict[str, Path]:
    return build_or_skip(demo_project, "compat", COMPAT)


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    root = tmp_path / "shared"
    (root / "data").mkdir(parents=True)
    (root / "data" / "x.txt").write_bytes(b"hello shared")
    (root / "top.txt").write_bytes(b"top level")
    (tmp_path / "outside.txt").write_bytes(b"host secret")
    (root / "escape").symlink_to(tmp_path / "outside.txt")
    return root


def runtime(wasm: dict[str, Path], state: Path, shared_files: Path | None = None) -> Runtime:
    return Runtime(
        resolver=lambda user, name: wasm.get(name),
        state_store=state,
        shared_files=shared_files,
        max_output_bytes=1 << 20,
        timeout=20.0,
    )


@pytest.fixture
def rt(compat_wasm: dict[str, Path], tmp_path: Path, shared: Path) -> Iterator[Runtime]:
    with runtime(compat_wasm, tmp_path / "state", shared) as started:
        yield started


def test_bytes_macro_and_offsets_bounded_by_the_existing_value(rt: Runtime) -> None:
    result = rt.call("compat", "bytes_state")
    assert (result.failed, result.error) == (False, None)
    assert result.output_data == b"ints 10 20 30 40; bytes 4 5 6 7"


def test_function_pool_fans_out_and_awaits_all(rt: Runtime) -> None:
    result = rt.call("compat", "pool", struct.pack("<i", 6))
    assert result.output_data == b"6 calls, counter 6"
    assert [(call.idx, call.return_value) for call in result.chained] == [(1, 0)] * 6


def test_eigen_matrices_through_state(rt: Runtime, tmp_path: Path) -> None:
    result = rt.call("compat", "matrix_state")
    assert "FAILED" not in result.stdout, result.stdout
    assert result.output_data == b"matrices ok" and result.stdout.count("ok ") == 12
    # Faasm's layout: column-major doubles under the key, five keys for a sparse matrix.
    state = LocalStateStore(tmp_path / "state")
    dense = struct.unpack("<12d", state.get("compat", "compat_dense"))
    assert dense[:4] == (1.0, 5.0, 9.0, 2.0) and dense[7] == 70.0
    sizes = struct.unpack("<7i", state.get("compat", "compat_sparse_size"))
    assert sizes == (5, 4, 4, 32, 16, 24, 20)
    assert struct.unpack("<4d", state.get("compat", "compat_sparse_vals")) == (1.5, -2, 4.25, 8)
    assert struct.unpack("<5i", state.get("compat", "compat_sparse_nonz")) == (1, 1, 0, 1, 1)
    state.close()


def test_helpers_print_compare_time_masks_and_conf(rt: Runtime) -> None:
    result = rt.call("compat", "helpers")
    assert result.return_value == 0
    assert result.stdout.splitlines() == [
        "float 7.890",
        "ints [1, 2, 3]",
        "doubles [0.500000, 1.250000]",
        "equal 1",
        "Arrays not equal: A=[1, 2, 3] B=[1, 5, 3]",
        "differ 0",
        "after 2020 1",
        "mask 0 ffffffff ffffffff 0",
        "conf 1 0",
        "python '' ''",
    ]


def test_python_user_and_function_come_from_the_message(rt: Runtime) -> None:
    message = Message(id=0, user="compat", function="helpers", py_user="python", py_func="hello")
    assert "python 'python' 'hello'" in rt.call_message(message).stdout.splitlines()


def test_mmap_sbrk_brk_big_stack_and_clock(rt: Runtime) -> None:
    result = rt.call("compat", "memory")
    assert result.stdout.splitlines() == [
        "ok mmap and munmap of anonymous regions",
        "ok sbrk by pages and by odd sizes",
        "ok brk up and down",
        "ok a 2 MiB array on the stack",
        "ok clock() advances",
    ]
    assert (result.return_value, result.output_data) == (0, b"memory ok")


@pytest.mark.parametrize(
    ("path", "content"),
    [
        (b"/data/x.txt", b"hello shared"),
        (b"data/x.txt", b"hello shared"),
        (b"top.txt", b"top level"),
    ],
)
def test_shared_files_are_read_at_their_upload_path(
    rt: Runtime, path: bytes, content: bytes
) -> None:
    result = rt.call("compat", "shared_file", path)
    assert (result.return_value, result.output_data) == (0, content)


@pytest.mark.parametrize("path", [b"../outside.txt", b"/../outside.txt", b"escape", b"/etc/passwd"])
def test_nothing_else_of_the_host_is_readable(rt: Runtime, path: bytes) -> None:
    result = rt.call("compat", "shared_file", path)
    assert result.return_value == 1
    assert result.stdout == f"Failed to open file at {path.decode()}\n"


@pytest.mark.parametrize("path", [b"/data/x.txt", b"/new.txt"])
def test_shared_files_are_read_only(rt: Runtime, shared: Path, path: bytes) -> None:
    result = rt.call("compat", "shared_write", path)
    assert (result.return_value, result.output_data) == (0, b"Operation not permitted")
    assert (shared / "data" / "x.txt").read_bytes() == b"hello shared"
    assert not (shared / "new.txt").exists()


def test_a_runtime_without_shared_files_sees_none(
    compat_wasm: dict[str, Path], tmp_path: Path, shared: Path
) -> None:
    other = tmp_path / "other-project" / "shared"
    other.mkdir(parents=True)
    with runtime(compat_wasm, tmp_path / "state", None) as bare:
        assert bare.call("compat", "shared_file", b"/data/x.txt").return_value == 1
    with runtime(compat_wasm, tmp_path / "state", other) as elsewhere:
        assert elsewhere.call("compat", "shared_file", b"/data/x.txt").return_value == 1


def test_write_state_from_a_shared_file(rt: Runtime, tmp_path: Path) -> None:
    result = rt.call("compat", "state_from_file", b"/data/x.txt")
    assert result.output_data == b"12 bytes: hello shared"
    missing = rt.call("compat", "state_from_file", b"/data/none.txt")
    assert (missing.return_value, missing.output_data) == (1, b"0 bytes: ")


def test_masked_push_sends_only_the_masked_doubles(
    compat_wasm: dict[str, Path], tmp_path: Path
) -> None:
    durable = LocalStateStore(tmp_path / "state")
    durable.set("compat", "compat_weights", bytes(32))
    durable.close()
    with runtime(compat_wasm, tmp_path / "state") as started:
        assert started.call("compat", "push_mask").return_value == 0
    after = LocalStateStore(tmp_path / "state")
    assert struct.unpack("<4d", after.get("compat", "compat_weights")) == (0, 2.5, 0, 4.5)
    after.close()


@pytest.mark.parametrize(("size", "failed"), [(4096, False), (4097, True)])
def test_output_of_exactly_the_limit_passes(
    compat_wasm: dict[str, Path], tmp_path: Path, size: int, failed: bool
) -> None:
    with Runtime(
        resolver=lambda user, name: compat_wasm.get(name),
        state_store=tmp_path / "state",
        max_output_bytes=4096,
    ) as limited:
        result = limited.call("compat", "output_size", str(size).encode())
    assert result.failed is failed
    if failed:
        assert result.error == (
            "__faasm_write_output: output of 4097 bytes exceeds the output limit of 4096 bytes"
        )
    else:
        assert result.output_data == b"x" * 4096


def test_local_run_mounts_the_projects_shared_folder(demo_project: Project) -> None:
    from faasm_cli.local_run import run_function

    try:
        shared = demo_project.shared_dir
        (shared / "data").mkdir(parents=True, exist_ok=True)
        (shared / "data" / "run.txt").write_bytes(b"from the project")
        result = run_function(demo_project, "compat", "shared_file", b"/data/run.txt")
    except ToolchainMissing as error:
        pytest.skip(f"no wasm toolchain: {error}")
    assert (result.return_value, result.output_data) == (0, b"from the project")
    assert os.path.basename(shared) == "shared" and shared.parent == demo_project.root
