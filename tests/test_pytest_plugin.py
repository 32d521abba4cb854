"""The pytest plugin as a user meets it: a project of their own, a test file that uses only the
plugin's fixtures, and `pytest` run in it twice."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

USER_TESTS = """
def test_hello(faasm_runtime):
    result = faasm_runtime.call("demo", "hello")
    assert result.output_data == b"Hello faasm!"
    assert not result.failed


def test_echo_gets_its_input(faasm_runtime):
    assert faasm_runtime.call("demo", "echo", input_data=b"it's").output_data == b"it's"


def test_state_starts_empty_in_every_test(faasm_runtime):
    assert faasm_runtime.call("demo", "increment").output_data == b"1"
    assert faasm_runtime.call("demo", "increment").output_data == b"2"


def test_state_of_the_test_before_is_gone(faasm_runtime):
    assert faasm_runtime.call("demo", "increment").output_data == b"1"


def test_a_function_is_compiled_once(faasm_compiled, faasm_project):
    first = faasm_compiled("demo", "echo")
    assert first == faasm_project.wasm_path("demo", "echo")
    built = first.stat().st_mtime_ns
    assert faasm_compiled("demo", "echo").stat().st_mtime_ns == built
"""


@pytest.fixture
def user_project(tmp_path: Path) -> Path:
    """A project outside this repository, as `faasm init` lays it out, with three functions."""
    root = tmp_path / "my-functions"
    (root / "func" / "demo").mkdir(parents=True)
    for name in ("hello.cpp", "echo.c", "increment.cpp"):
        shutil.copy(REPO / "func" / "demo" / name, root / "func" / "demo" / name)
    (root / "faasm.toml").write_text("[limits]\ntimeout = 30.0\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_functions.py").write_text(USER_TESTS)
    return root


def run_pytest(project: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    """`pytest` in the user's project, with FAASM_CACHE_DIR standing for their own cache."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q"],
        cwd=project,
        env={**os.environ, "FAASM_CACHE_DIR": str(cache)},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_user_tests_pass_every_time_they_run(user_project: Path, tmp_path: Path) -> None:
    users_cache = tmp_path / "users-cache"
    for attempt in ("first", "second"):
        done = run_pytest(user_project, users_cache)
        assert done.returncode == 0, f"{attempt} run:\n{done.stdout}\n{done.stderr}"
        assert "5 passed" in done.stdout
    assert not (users_cache / "state").exists() or not any((users_cache / "state").rglob("*"))
    assert not (users_cache / "modules").exists() or not any((users_cache / "modules").iterdir())


def test_a_compile_error_fails_the_test_with_its_diagnostics(
    user_project: Path, tmp_path: Path
) -> None:
    (user_project / "func" / "demo" / "broken.c").write_text("int main() { return nope; }\n")
    (user_project / "tests" / "test_functions.py").write_text(
        "def test_broken(faasm_runtime):\n    faasm_runtime.call('demo', 'broken')\n"
    )
    done = run_pytest(user_project, tmp_path / "cache")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "use of undeclared identifier 'nope'" in done.stdout
    assert "1 failed" in done.stdout


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    probe = (
        "import sys, faasm_cli.pytest_plugin; "
        "print(sorted(m for m in ('wasmtime', 'faasm_cli.runtime', 'faasm_cli.toolchain', "
        "'rich', 'typer') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_python_functions_are_tested_on_the_host_with_the_emulator(
    user_project: Path, tmp_path: Path
) -> None:
    (user_project / "func" / "py").mkdir()
    (user_project / "func" / "py" / "shout.py").write_text(
        "from pyfaasm.code import faasm_main\n"
        "from pyfaasm.core import get_input, set_output, set_state\n\n"
        "@faasm_main\n"
        "def main():\n"
        "    set_state('last', get_input())\n"
        "    set_output(get_input().upper())\n"
    )
    (user_project / "tests" / "test_functions.py").write_text(
        "def test_shout(pyfaasm_emulator):\n"
        "    result = pyfaasm_emulator.run('func/py/shout.py', b'hey')\n"
        "    assert (result.return_value, result.output) == (0, b'HEY')\n"
        "    assert pyfaasm_emulator.state()['last'] == b'hey'\n\n"
        "def test_state_is_reset_between_tests(pyfaasm_emulator):\n"
        "    assert 'last' not in pyfaasm_emulator.state()\n"
    )
    done = run_pytest(user_project, tmp_path / "cache")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
