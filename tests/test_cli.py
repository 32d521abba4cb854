"""The `faasm` command end to end: real clang, real wasmtime, a scratch copy of func/."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
import wasmtime

from faasm_cli.config import Project
from faasm_cli.local_run import exit_code
from faasm_cli.runtime import CallResult
from tests.helpers import one_line_error, run_cli


@pytest.fixture(scope="module")
def project(demo_project: Project) -> Path:
    built = run_cli("compile", "demo", "--all", cwd=demo_project.root)
    assert built.returncode == 0, built.stderr.decode()
    return demo_project.root


def test_hello_prints_its_output_and_exits_zero(project: Path) -> None:
    result = run_cli("run", "demo", "hello", cwd=project)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b"Hello faasm!"


def test_input_from_option_file_and_stdin(project: Path, tmp_path: Path) -> None:
    assert run_cli("run", "demo", "echo", "--input", "abc", cwd=project).stdout == b"abc"
    data = tmp_path / "in.bin"
    data.write_bytes(bytes([1, 2, 100, 200]))
    doubled = run_cli("run", "demo", "x2", "--input-file", str(data), cwd=project)
    assert doubled.stdout == bytes([2, 4, 200, 144])
    piped = run_cli("run", "demo", "echo", "--input-file", "-", cwd=project, input_data=b"xyz")
    assert piped.stdout == b"xyz"


def test_json_output_carries_result_fields(project: Path) -> None:
    result = run_cli("run", "demo", "echo", "--input", "hi", "--output", "json", cwd=project)
    document = json.loads(result.stdout)
    assert document["output_data"] == "hi"
    assert (document["user"], document["function"], document["func_ptr"]) == ("demo", "echo", 0)
    assert document["input_data"] == "hi"
    assert (document["status"], document["return_value"], document["failed"]) == ("ok", 0, False)
    assert document["duration_s"] > 0
    assert document["finished"] >= document["timestamp"] > 0
    assert document["exec_host"] and document["id"] > 0
    assert document["chained"] == []


def test_json_output_of_binary_output_is_base64(project: Path, tmp_path: Path) -> None:
    data = tmp_path / "in.bin"
    data.write_bytes(bytes([0x7F, 0x80]))
    result = run_cli(
        "run", "demo", "x2", "--input-file", str(data), "--output", "json", cwd=project
    )
    document = json.loads(result.stdout)
    assert "output_data" not in document
    assert base64.b64decode(document["output_data_b64"]) == bytes([0xFE, 0x00])


@pytest.mark.parametrize(("returned", "code"), [(256, 1), (257, 1), (-1, 255), (512, 1)])
def test_return_values_outside_0_to_255_never_exit_0(
    project: Path, tmp_path: Path, returned: int, code: int
) -> None:
    module = tmp_path / "rv.wasm"
    module.write_bytes(
        wasmtime.wat2wasm(
            f'(module (memory (export "memory") 1) (func (export "__faasm_call") (param i32)'
            f" (result i32) (i32.const {returned})))"
        )
    )
    result = run_cli("run", "demo", "rv", "--wasm", str(module), cwd=project)
    assert result.returncode == code, result.stderr.decode()
    document = json.loads(
        run_cli("run", "demo", "rv", "--wasm", str(module), "--output", "json", cwd=project).stdout
    )
    assert document["return_value"] == returned


def test_exit_code_is_the_return_value(project: Path) -> None:
    returned = run_cli("run", "demo", "exit_code", cwd=project)
    assert (returned.returncode, returned.stdout) == (2, b"failing on purpose")
    exited = run_cli("run", "demo", "exit3", cwd=project)
    assert exited.returncode == 3


def test_unchanged_function_is_not_rebuilt(project: Path) -> None:
    result = run_cli("compile", "demo", "hello", "--output", "json", cwd=project)
    assert json.loads(result.stdout)[0]["rebuilt"] is False


def test_changed_source_is_rebuilt_before_run(project: Path) -> None:
    source = project / "func" / "demo" / "greet.c"
    source.write_text(
        '#include "faasm/faasm.h"\n'
        'FAASM_MAIN_FUNC() { faasmSetOutput((const unsigned char*)"one", 3); return 0; }\n'
    )
    assert run_cli("run", "demo", "greet", cwd=project).stdout == b"one"
    source.write_text(source.read_text().replace('"one", 3', '"two!", 4'))
    assert run_cli("run", "demo", "greet", cwd=project).stdout == b"two!"


def test_unknown_function_lists_what_exists(project: Path) -> None:
    result = run_cli("run", "demo", "nope", cwd=project)
    assert result.returncode == 66
    line = one_line_error(result.stderr)
    assert "no function demo/nope" in line
    assert "hello" in line and "echo" in line


def test_unknown_user_lists_users(project: Path) -> None:
    result = run_cli("run", "nobody", "hello", cwd=project)
    assert result.returncode == 66
    assert "demo" in one_line_error(result.stderr)


@pytest.mark.parametrize("bad", ["../etc", "a b", "x" * 65, "dem/o"])
def test_invalid_names_are_rejected(project: Path, bad: str) -> None:
    result = run_cli("run", bad, "hello", cwd=project)
    assert result.returncode == 64
    assert "invalid user name" in one_line_error(result.stderr)


def test_compile_error_shows_diagnostics(project: Path) -> None:
    (project / "func" / "demo" / "broken.cpp").write_text("int main() { return nope; }\n")
    try:
        result = run_cli("compile", "demo", "broken", cwd=project)
    finally:
        (project / "func" / "demo" / "broken.cpp").unlink()
    assert result.returncode == 65
    stderr = result.stderr.decode()
    assert "use of undeclared identifier 'nope'" in stderr
    assert "Traceback" not in stderr


def test_missing_input_file(project: Path) -> None:
    result = run_cli("run", "demo", "echo", "--input-file", "/no/such/file", cwd=project)
    assert result.returncode == 66
    assert "/no/such/file" in one_line_error(result.stderr)


def test_file_that_is_not_wasm(project: Path, tmp_path: Path) -> None:
    fake = tmp_path / "fake.wasm"
    fake.write_bytes(b"#!/bin/sh\necho hi\n")
    result = run_cli("run", "demo", "hello", "--wasm", str(fake), cwd=project)
    assert result.returncode == 65
    assert "not a WebAssembly module" in one_line_error(result.stderr)


def test_module_with_unknown_imports_lists_them(project: Path, tmp_path: Path) -> None:
    module = tmp_path / "odd.wasm"
    module.write_bytes(
        wasmtime.wat2wasm(
            '(module (import "env" "__faasm_teleport" (func (param i32)))'
            ' (import "env" "launch_rocket" (func)) (memory (export "memory") 1)'
            ' (func (export "_start")))'
        )
    )
    result = run_cli("run", "demo", "hello", "--wasm", str(module), cwd=project)
    assert result.returncode == 65
    line = one_line_error(result.stderr)
    assert "__faasm_teleport" in line and "launch_rocket" in line


def test_verbose_shows_a_traceback(project: Path) -> None:
    result = run_cli("run", "demo", "nope", "-v", cwd=project)
    assert result.returncode == 66
    assert "Traceback" in result.stderr.decode()


def test_missing_func_dir(tmp_path: Path) -> None:
    result = run_cli("run", "demo", "hello", cwd=tmp_path)
    assert result.returncode == 66
    assert "--func-dir" in one_line_error(result.stderr)


def test_func_dir_option_points_elsewhere(project: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    shutil.copytree(project / "func", other / "func", ignore=shutil.ignore_patterns("build"))
    result = run_cli("run", "demo", "hello", "--func-dir", str(other / "func"), cwd=tmp_path)
    assert result.stdout == b"Hello faasm!"
    assert (other / "build" / "func" / "demo" / "hello.wasm").is_file()


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["compile"],
        ["run"],
        ["toolchain"],
        ["toolchain", "doctor"],
        ["toolchain", "install"],
        ["state"],
        ["state", "get"],
        ["state", "set"],
        ["state", "upload"],
        ["state", "delete"],
        ["state", "list"],
    ],
)
def test_help_everywhere_has_examples(command: list[str], tmp_path: Path) -> None:
    result = run_cli(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "Example" in result.stdout.decode()


def test_missing_toolchain_gives_the_doctors_fix(project: Path) -> None:
    (project / "func" / "demo" / "fresh.c").write_text(
        '#include "faasm/faasm.h"\nFAASM_MAIN_FUNC() { return 0; }\n'
    )
    result = run_cli(
        "compile", "demo", "fresh", cwd=project, env={"WASI_SDK_PATH": "/nonexistent/wasi-sdk"}
    )
    assert result.returncode == 69
    line = one_line_error(result.stderr)
    assert "/nonexistent/wasi-sdk" in line
    assert "faasm toolchain" in line or "WASI_SDK_PATH" in line


def test_doctor_reports_each_check_as_json(tmp_path: Path) -> None:
    result = run_cli("toolchain", "doctor", "--output", "json", cwd=tmp_path)
    checks = {check["name"]: check for check in json.loads(result.stdout)}
    assert checks["clang"]["ok"] is True
    assert checks["wasi-libc"]["detail"].endswith("libc.a")
    assert result.returncode == 0


def test_verbose_run_shows_the_chained_call_tree(project: Path) -> None:
    result = run_cli("run", "demo", "chain", "-v", cwd=project)
    assert result.returncode == 0
    stderr = result.stderr.decode()
    assert "demo/chain[1] returned 0" in stderr
    assert "demo/chain[2] returned 0" in stderr


def test_json_run_nests_chained_calls(project: Path) -> None:
    result = run_cli("run", "demo", "chain_named_a", "--output", "json", cwd=project)
    document = json.loads(result.stdout)
    assert [call["function"] for call in document["chained"]] == ["chain_named_b", "chain_named_c"]
    assert all(call["return_value"] == 0 for call in document["chained"])


@pytest.mark.parametrize(
    ("returned", "failed", "code"),
    [
        (0, False, 0),
        (3, False, 3),
        (255, False, 255),
        (256, False, 1),
        (257, False, 1),
        (-1, False, 255),
        (-256, False, 1),
        (0, True, 1),
        (2, True, 2),
        (256, True, 1),
    ],
)
def test_exit_code_of_a_result(returned: int, failed: bool, code: int) -> None:
    assert exit_code(CallResult(return_value=returned, failed=failed)) == code
