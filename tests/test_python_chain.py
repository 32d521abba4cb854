"""Chaining and state from Python functions, through the real CLI (`faasm run`).

chain_this(idx) runs the file's @faasm_func(idx) in a new call; chain_function(name) reaches the
same user's other functions, Python or C (C functions compiled on demand); state is the store C
functions use, so a value written by one kind is read by the other, across processes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faasm_cli.toolchain.python import PythonRuntime
from tests.helpers import run_cli
from tests.python_support import SCRIPT_STYLE

PYTHON = {
    "fan": (
        "from pyfaasm.code import chain_this, faasm_func, faasm_main\n"
        "from pyfaasm.core import await_call_output, get_input, set_output\n"
        "\n"
        "@faasm_func(1)\n"
        "def square():\n"
        "    n = int(get_input())\n"
        "    set_output(str(n * n))\n"
        "\n"
        "@faasm_main\n"
        "def main():\n"
        "    ids = [chain_this(1, str(n)) for n in (1, 2, 3)]\n"
        "    set_output(','.join(await_call_output(i).decode() for i in ids))\n"
    ),
    "script": SCRIPT_STYLE,
    "names": (
        "from pyfaasm.core import await_call_output, chain_function, set_output\n"
        "to_c = chain_function('echo', b'to C')\n"
        "to_python = chain_function('shout', 'to Python')\n"
        "set_output(await_call_output(to_c) + b'|' + await_call_output(to_python))\n"
    ),
    "shout": "from pyfaasm.core import get_input, set_output\nset_output(get_input().upper())\n",
    "py_writer": (
        "from pyfaasm.core import get_input, set_state\nset_state('from_python', get_input())\n"
    ),
    "py_reader": (
        "from pyfaasm.core import get_state, get_state_size, set_output\n"
        "set_output(get_state('from_c', get_state_size('from_c')))\n"
    ),
}
C = {
    "echo": (
        '#include "faasm/faasm.h"\n'
        "#include <stdlib.h>\n"
        "FAASM_MAIN_FUNC()\n{\n"
        "    long size = faasmGetInputSize();\n"
        "    unsigned char* data = malloc(size + 1);\n"
        "    faasmGetInput(data, size);\n"
        "    faasmSetOutput(data, size);\n"
        "    return 0;\n}\n"
    ),
    "c_calls_py": (
        '#include "faasm/faasm.h"\n'
        "FAASM_MAIN_FUNC()\n{\n"
        '    const unsigned char* text = (const unsigned char*)"from C";\n'
        '    unsigned int id = faasmChainFunctionInput("shout", text, 6);\n'
        "    unsigned char out[6];\n"
        "    unsigned int failed = faasmAwaitCallOutput(id, out, 6);\n"
        "    faasmSetOutput(out, 6);\n"
        "    return (int)failed;\n}\n"
    ),
    "c_writer": (
        '#include "faasm/faasm.h"\n'
        "#include <stdlib.h>\n"
        "FAASM_MAIN_FUNC()\n{\n"
        "    long size = faasmGetInputSize();\n"
        "    unsigned char* data = malloc(size + 1);\n"
        "    faasmGetInput(data, size);\n"
        '    faasmWriteState("from_c", data, size);\n'
        "    return 0;\n}\n"
    ),
    "c_reader": (
        '#include "faasm/faasm.h"\n'
        "#include <stdlib.h>\n"
        "FAASM_MAIN_FUNC()\n{\n"
        '    long size = faasmReadStateSize("from_python");\n'
        "    unsigned char* data = malloc(size + 1);\n"
        '    faasmReadState("from_python", data, size);\n'
        "    faasmSetOutput(data, size);\n"
        "    return 0;\n}\n"
    ),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, python: PythonRuntime) -> Path:
    root = tmp_path_factory.mktemp("chainproject")
    folder = root / "func" / "mixed"
    folder.mkdir(parents=True)
    for name, source in PYTHON.items():
        (folder / f"{name}.py").write_text(source)
    for name, source in C.items():
        (folder / f"{name}.c").write_text(source)
    return root


def run(project: Path, function: str, *options: str) -> bytes:
    done = run_cli("run", "mixed", function, *options, cwd=project)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def test_chain_this_runs_the_registered_function_in_new_calls(project: Path) -> None:
    result = json.loads(run(project, "fan", "--output", "json"))
    assert result["output_data"] == "1,4,9"
    chained = result["chained"]
    assert [(c["function"], c["func_ptr"], c["failed"]) for c in chained] == [("fan", 1, False)] * 3
    assert len({c["id"] for c in chained} | {result["id"]}) == 4


def test_faasm_script_style_chains_without_rerunning_main(project: Path) -> None:
    result = json.loads(run(project, "script", "--output", "json"))
    assert result["output_data"] == "21"
    assert [c["return_value"] for c in result["chained"]] == [21]


def test_chain_by_name_reaches_c_and_python_functions(project: Path) -> None:
    assert run(project, "names") == b"to C|TO PYTHON"


def test_c_function_chains_a_python_function_by_name(project: Path) -> None:
    assert run(project, "c_calls_py") == b"FROM C"


def test_state_is_shared_between_c_and_python_functions(project: Path) -> None:
    run(project, "c_writer", "--input", "written by C")
    assert run(project, "py_reader") == b"written by C"
    run(project, "py_writer", "--input", "written by Python")
    assert run(project, "c_reader") == b"written by Python"
