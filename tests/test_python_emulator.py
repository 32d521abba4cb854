"""Python functions under the host's CPython: pyfaasm emulated in-process (pyfaasm._emulator).

No wasm at all: the function file runs in the test's own interpreter with input, output, state
and chaining by index emulated, as users unit-test their Python functions; one test checks the
emulator and the real runtime agree on the same file.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from faasm_cli.runtime import Runtime
from faasm_cli.toolchain.python import PythonRuntime, recipe_dir
from tests.conftest import REPO
from tests.python_support import FAN_OUT, SCRIPT_STYLE

SOURCES = {
    "fan": FAN_OUT,
    "counter": (
        "from pyfaasm.core import get_state, get_state_size, set_output, set_state\n"
        "size = get_state_size('count')\n"
        "count = int(get_state('count', size) or b'0') + 1\n"
        "set_state('count', str(count))\n"
        "set_output(f'count {count}')\n"
    ),
    "script": SCRIPT_STYLE,
    "exit3": "exit(3)\n",
    "raises": "def inner():\n    return 1 / 0\n\ninner()\n",
}


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """pyfaasm importable from the toolchain's copy, its emulated host reset for each test."""
    monkeypatch.syspath_prepend(str(recipe_dir()))
    from pyfaasm import _emulator

    _emulator.reset()
    yield _emulator
    _emulator.reset()


@pytest.fixture
def functions(tmp_path: Path) -> Path:
    for name, source in SOURCES.items():
        (tmp_path / f"{name}.py").write_text(source)
    return tmp_path


def test_hello_runs_on_the_host(emulator: ModuleType) -> None:
    result = emulator.run(REPO / "func" / "python" / "hello.py")
    expected = f"Hello from Python {platform.python_version()} on {sys.platform}!"
    assert (result.return_value, result.output) == (0, expected.encode())


def test_chain_this_runs_the_registered_function_inline(
    emulator: ModuleType, functions: Path
) -> None:
    result = emulator.run(functions / "fan.py", b"2,3,4")
    assert (result.return_value, result.output) == (0, b"4,9,16")
    assert emulator.run(functions / "fan.py", b"5", idx=1).output == b"25"


def test_faasm_script_style_and_2020_names(emulator: ModuleType, functions: Path) -> None:
    assert emulator.run(functions / "script.py").output == b"21"


def test_state_is_a_dict_the_test_can_fill_and_read(emulator: ModuleType, functions: Path) -> None:
    emulator.state()["count"] = b"41"
    assert emulator.run(functions / "counter.py").output == b"count 42"
    assert emulator.run(functions / "counter.py").output == b"count 43"
    assert emulator.state() == {"count": b"43"}


def test_exit_code_and_exceptions(emulator: ModuleType, functions: Path) -> None:
    assert emulator.run(functions / "exit3.py").return_value == 3
    with pytest.raises(ZeroDivisionError):
        emulator.run(functions / "raises.py")


def test_the_emulator_and_the_runtime_agree(
    emulator: ModuleType, functions: Path, python: PythonRuntime
) -> None:
    with Runtime(python=python) as runtime:
        runtime.register("python", "fan", functions / "fan.py")
        real = runtime.call("python", "fan", b"6,7")
    emulated = emulator.run(functions / "fan.py", b"6,7")
    assert (real.return_value, real.output_data) == tuple(emulated) == (0, b"36,49")
