"""`faasm run` of Python functions: the real CLI in a subprocess, as with C functions.

func/USER/NAME.py runs when that is the function's source (--py forces it), with run's input,
output, JSON and exit codes; the Python runtime comes from tests/python_support.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from faasm_cli.toolchain.python import BUILD_MINUTES, PythonRuntime
from tests.conftest import REPO
from tests.helpers import one_line_error, run_cli

SOURCES = {
    "echo": (
        "from pyfaasm.code import faasm_main\n"
        "from pyfaasm.core import get_input, set_output\n"
        "\n"
        "@faasm_main\n"
        "def main():\n"
        "    print('echoing', len(get_input()), 'bytes')\n"
        "    set_output(get_input()[::-1])\n"
    ),
    "exit3": "print('before')\nraise SystemExit(3)\n",
    "raises": "def inner():\n    return {}['missing']\n\ninner()\n",
    "both": "from pyfaasm.core import set_output\nset_output(b'from Python')\n",
}
BOTH_C = (
    '#include "faasm/faasm.h"\n'
    "FAASM_MAIN_FUNC()\n{\n"
    '    faasmSetOutput((const unsigned char*)"from C", 6);\n'
    "    return 0;\n}\n"
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, python: PythonRuntime) -> Path:
    root = tmp_path_factory.mktemp("pyproject")
    folder = root / "func" / "python"
    folder.mkdir(parents=True)
    shutil.copy(REPO / "func" / "python" / "hello.py", folder / "hello.py")
    for name, source in SOURCES.items():
        (folder / f"{name}.py").write_text(source)
    (folder / "both.c").write_text(BOTH_C)
    (root / "func" / "demo").mkdir()
    (root / "func" / "demo" / "only_c.c").write_text(BOTH_C)
    return root


def test_hello_outputs_the_message_and_python_version(project: Path, python: PythonRuntime) -> None:
    done = run_cli("run", "python", "hello", cwd=project)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.decode() == f"Hello from Python {python.version} on wasi!"


def test_input_output_and_json_as_for_c(project: Path) -> None:
    done = run_cli("run", "python", "echo", "--input", "abc", cwd=project)
    assert (done.returncode, done.stdout, done.stderr) == (0, b"cba", b"echoing 3 bytes\n")
    piped = run_cli(
        "run",
        "python",
        "echo",
        "--input-file",
        "-",
        "--output",
        "json",
        cwd=project,
        input_data=b"xyz",
    )
    assert piped.returncode == 0
    result = json.loads(piped.stdout)
    assert (result["output_data"], result["stdout"], result["status"]) == (
        "zyx",
        "echoing 3 bytes\n",
        "ok",
    )
    assert (result["python"], result["py_user"], result["py_func"]) == (True, "python", "echo")


def test_exit_code_is_the_process_exit_code(project: Path) -> None:
    done = run_cli("run", "python", "exit3", cwd=project)
    assert done.returncode == 3
    assert done.stderr.decode().splitlines() == ["before", "error: call failed: exited with code 3"]


def test_an_exception_fails_with_the_users_traceback(project: Path) -> None:
    done = run_cli("run", "python", "raises", cwd=project)
    assert done.returncode == 1
    text = done.stderr.decode()
    assert text.startswith("error: call failed: Traceback (most recent call last):")
    assert '  File "func/python/raises.py", line 4, in <module>' in text
    assert '  File "func/python/raises.py", line 2, in inner' in text
    assert text.rstrip().endswith("KeyError: 'missing'")


def test_c_source_comes_first_and_py_forces_python(project: Path) -> None:
    as_c = run_cli("run", "python", "both", cwd=project)
    assert (as_c.returncode, as_c.stdout) == (0, b"from C"), as_c.stderr.decode()
    as_python = run_cli("run", "python", "both", "--py", cwd=project)
    assert (as_python.returncode, as_python.stdout) == (0, b"from Python")


def test_py_without_the_file_lists_the_python_functions(project: Path) -> None:
    done = run_cli("run", "python", "missing", "--py", cwd=project)
    assert done.returncode == 66
    assert one_line_error(done.stderr) == (
        f"error: no Python function python/missing in {project / 'func'} "
        "(Python functions of python: both, echo, exit3, hello, raises)"
    )
    other = run_cli("run", "demo", "only_c", "--py", cwd=project)
    assert one_line_error(other.stderr).endswith("(Python functions of demo: none)")


def test_runtime_not_built_says_how_to_build_it(project: Path, tmp_path: Path) -> None:
    done = run_cli("run", "python", "hello", cwd=project, env={"FAASM_CACHE_DIR": str(tmp_path)})
    assert done.returncode == 66
    assert one_line_error(done.stderr) == (
        "error: the Python runtime is not built "
        f"(run `faasm python build` once: it takes {BUILD_MINUTES})"
    )
