"""The Python runtime for tests: the one `faasm python build` made in the developer's (or CI's)
cache. Building it takes minutes, so tests never build it: they skip without one, or fail when
FAASM_TEST_PYTHON=1 says it must be there (CI builds it first)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
import pytest

from faasm_cli.toolchain.python import PythonRuntime, installed_runtime, python_cache

# Read at import, before conftest points FAASM_CACHE_DIR at the session's empty cache.
BUILT_IN = Path(os.environ.get("FAASM_CACHE_DIR") or platformdirs.user_cache_dir("faasm"))
REQUIRED = "FAASM_TEST_PYTHON"


def built_runtime() -> PythonRuntime:
    """The built runtime; skips the test without one (fails it under FAASM_TEST_PYTHON=1)."""
    found = installed_runtime(BUILT_IN)
    if found is None or not found.function_wasm.is_file():
        reason = "the Python runtime is not built: run `faasm python build`"
        if os.environ.get(REQUIRED) == "1":
            pytest.fail(f"{reason} ({REQUIRED}=1 requires it)")
        pytest.skip(reason)
    return found


def shared_runtime(cache: Path) -> PythonRuntime:
    """The built runtime seen from the isolated `cache` too (linked into it), so the CLI run in
    a subprocess finds it and machine code compiled by one test module serves the others."""
    built = built_runtime()
    link = python_cache(cache)
    if not link.exists():
        link.symlink_to(built.root.parent, target_is_directory=True)
    found = installed_runtime(cache)
    assert found is not None
    return found


# Python function sources more than one test module runs.
FAN_OUT = (
    "from pyfaasm.code import chain_this, faasm_func, faasm_main\n"
    "from pyfaasm.core import await_call_output, get_input, set_output\n"
    "\n"
    "@faasm_func(1)\n"
    "def square():\n"
    "    set_output(str(int(get_input()) ** 2))\n"
    "\n"
    "@faasm_main\n"
    "def main():\n"
    "    ids = [chain_this(1, n) for n in get_input().split(b',')]\n"
    "    set_output(','.join(await_call_output(i).decode() for i in ids))\n"
)
"""Chains @faasm_func(1) once per comma-separated input number; outputs their squares."""

SCRIPT_STYLE = (
    "from pyfaasm.core import (awaitCall, chainThisWithInput, getInput, registerFunction,\n"
    "                          setOutput)\n"
    "\n"
    "def half():\n"
    "    return int(getInput()) // 2\n"
    "\n"
    "def main_func():\n"
    "    setOutput(str(awaitCall(chainThisWithInput(1, b'42'))))\n"
    "\n"
    "registerFunction(1, half)\n"
    "\n"
    "if __name__ == '__main__':\n"
    "    main_func()\n"
)
"""Faasm's 2020 script style: its chained call must not run main_func again."""
