"""Python functions through `Runtime`: the interpreter's zygote, snapshot restores, failures.

Uses the runtime `faasm python build` made in the developer's (or CI's) cache
(tests/python_support.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from faasm_cli.config import MACHINE_CODE_CACHE
from faasm_cli.errors import BadInput, NotFound
from faasm_cli.runtime import Runtime
from faasm_cli.runtime.python import BASE_FAMILY, DIFF_FAMILY
from faasm_cli.runtime.snapshot.cache import RECORD_SUFFIX
from faasm_cli.toolchain.python import PythonRuntime

SOURCES = {
    "hello": (
        "import sys\n"
        "from pyfaasm.core import get_input, set_output\n"
        "\n"
        "def main_func():\n"
        "    print('Hello from Python', sys.version.split()[0])\n"
        "    set_output(b'got: ' + get_input())\n"
        "\n"
        "if __name__ == '__main__':\n"
        "    main_func()\n"
    ),
    "decorated": (
        "from pyfaasm.code import faasm_main\n"
        "from pyfaasm.core import getInput, setOutput\n"
        "\n"
        "@faasm_main\n"
        "def main():\n"
        "    setOutput(getInput()[::-1])\n"
    ),
    "exit3": "print('before')\nexit(3)\n",
    "raises": "def inner():\n    return 1 / 0\n\ninner()\n",
    "syntax": "def broken(:\n    pass\n",
    "no_module": "import not_a_module_anywhere\n",
    "randoms": (
        "import random\nfrom pyfaasm.core import set_output\nset_output(str(random.random()))\n"
    ),
    "stdlib": (
        "import collections, datetime, decimal, hashlib, json, random, re, struct, time, zlib\n"
        "from pyfaasm.core import set_output\n"
        "spent = time.process_time()\n"
        "set_output(json.dumps([0 <= spent < 5, len({str(i): i for i in range(100)})]))\n"
    ),
    "bad_import": "from os import not_a_name\n",
    "unicode": "print('caf\u00e9 \u2615')\n",
    "loop": "while True:\n    pass\n",
    "hog": "blocks = [bytes(1 << 20) for _ in range(400)]\n",
    "chatty": "print('x' * (3 << 20))\n",
    "big_output": "from pyfaasm.core import set_output\nset_output(b'y' * (2 << 20))\n",
    "files": (
        "import os\n"
        "print(sorted(os.listdir('/')))\n"
        "try:\n"
        "    open('/lib/python3.11/x.txt', 'w')\n"
        "except OSError as e:\n"
        "    print(type(e).__name__)\n"
    ),
}


@pytest.fixture(scope="module")
def functions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("func") / "python"
    folder.mkdir()
    for name, source in SOURCES.items():
        (folder / f"{name}.py").write_text(source)
    (folder / "latin1.py").write_bytes("print('caf\xe9')\n".encode("latin-1"))
    return folder


@pytest.fixture(scope="module")
def cache(isolated_cache: Path) -> Path:
    """The session's cache: the interpreter's machine code is compiled once (seconds)."""
    return isolated_cache


@pytest.fixture(scope="module")
def runtime(python: PythonRuntime, cache: Path) -> Iterator[Runtime]:
    with Runtime(cache_dir=cache, python=python) as rt:
        yield rt


def register(runtime: Runtime, functions: Path, name: str) -> None:
    runtime.register("python", name, functions / f"{name}.py")


def test_hello_prints_and_sets_output_each_call(
    runtime: Runtime, functions: Path, python: PythonRuntime
) -> None:
    register(runtime, functions, "hello")
    for data in (b"one", b"two"):
        result = runtime.call("python", "hello", data)
        assert (result.failed, result.error, result.return_value) == (False, None, 0)
        assert result.stdout == f"Hello from Python {python.version}\n"
        assert result.output_data == b"got: " + data


def test_decorated_main_with_faasm_2020_names(runtime: Runtime, functions: Path) -> None:
    register(runtime, functions, "decorated")
    assert runtime.call("python", "decorated", b"abc").output_data == b"cba"


def test_exit_code_is_a_failed_call(runtime: Runtime, functions: Path) -> None:
    register(runtime, functions, "exit3")
    result = runtime.call("python", "exit3")
    assert (result.failed, result.return_value, result.error) == (True, 3, "exited with code 3")
    assert result.stdout == "before\n"


def test_exception_message_is_the_traceback_of_the_user_file(
    runtime: Runtime, functions: Path
) -> None:
    register(runtime, functions, "raises")
    result = runtime.call("python", "raises")
    assert result.failed and result.return_value == 1
    assert result.error is not None
    lines = result.error.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert '  File "func/python/raises.py", line 4, in <module>' in lines
    assert '  File "func/python/raises.py", line 2, in inner' in lines
    assert lines[-1] == "ZeroDivisionError: division by zero"
    assert "_runner" not in result.error
    assert result.stderr == ""  # the traceback is the error, not also the call's stderr


def test_syntax_error_fails_every_call_naming_file_line_and_column(
    runtime: Runtime, functions: Path
) -> None:
    register(runtime, functions, "syntax")
    for _ in range(2):
        result = runtime.call("python", "syntax")
        assert (result.failed, result.return_value) == (True, 1)
        assert result.error == (
            'zygote failed: File "func/python/syntax.py", line 1, column 12\n'
            "    def broken(:\n"
            "               ^\n"
            "SyntaxError: invalid syntax"
        )


def test_an_exception_in_the_imports_fails_every_call_with_it(
    runtime: Runtime, functions: Path
) -> None:
    register(runtime, functions, "bad_import")
    for _ in range(2):
        result = runtime.call("python", "bad_import")
        assert result.failed and result.error is not None
        assert result.error.splitlines() == [
            "zygote failed: Traceback (most recent call last):",
            '  File "func/python/bad_import.py", line 1, in <module>',
            "    from os import not_a_name",
            "ImportError: cannot import name 'not_a_name' from 'os' (/lib/python3.11/os.py)",
        ]


def test_missing_module_fails_in_the_zygote(runtime: Runtime, functions: Path) -> None:
    register(runtime, functions, "no_module")
    result = runtime.call("python", "no_module")
    assert result.failed and result.error is not None
    assert result.error.endswith("ModuleNotFoundError: No module named 'not_a_module_anywhere'")


def test_random_is_reseeded_per_call(runtime: Runtime, functions: Path) -> None:
    register(runtime, functions, "randoms")
    outputs = {runtime.call("python", "randoms").output_data for _ in range(3)}
    assert len(outputs) == 3


def test_the_stdlib_is_all_a_call_sees_and_read_only(runtime: Runtime, functions: Path) -> None:
    register(runtime, functions, "files")
    result = runtime.call("python", "files")
    assert result.stdout.splitlines() == ["['lib']", "PermissionError"]


def test_a_source_that_is_not_utf8_is_refused(runtime: Runtime, functions: Path) -> None:
    with pytest.raises(BadInput) as caught:
        register(runtime, functions, "latin1")
    assert caught.value.message.endswith("latin1.py is not UTF-8 text (byte 10 cannot be decoded)")
    assert caught.value.hint == "save the function's source as UTF-8"


def test_a_runtime_without_python_says_so(functions: Path, tmp_path: Path) -> None:
    with Runtime(cache_dir=tmp_path) as bare, pytest.raises(NotFound) as caught:
        bare.register("python", "hello", functions / "hello.py")
    assert "is a Python function and this runtime has no Python" in caught.value.message


def records(cache: Path) -> list[Path]:
    return list((cache / MACHINE_CODE_CACHE).glob(f"*{RECORD_SUFFIX}"))


def test_a_new_runtime_compiles_nothing_and_reruns_no_step(
    python: PythonRuntime, functions: Path, cache: Path
) -> None:
    """The base snapshot's machine code and the function's pages are both read back."""
    with Runtime(cache_dir=cache, python=python, instance_slots=0) as first:
        first.register("python", "stdlib", functions / "stdlib.py")
    written = {path: path.stat().st_mtime_ns for path in records(cache)}
    with Runtime(cache_dir=cache, python=python, instance_slots=0) as fresh:
        fresh.register("python", "stdlib", functions / "stdlib.py")
        assert fresh.call("python", "stdlib").output_data == b"[true, 100]"
        assert (fresh.cache_stats.compiled, fresh.cache_stats.loaded) == (0, 1)
    assert {path: path.stat().st_mtime_ns for path in records(cache)} == written


def test_the_base_is_the_same_in_every_process_so_it_is_not_compiled_again(
    python: PythonRuntime, functions: Path, cache: Path
) -> None:
    """Without the record naming it, the interpreter's zygote runs again and its snapshot is the
    same bytes (hash seed, process clock, C stack), so its machine code is found by content;
    the function's pages are the same bytes too (`random` seeded in the load step)."""
    with Runtime(cache_dir=cache, python=python, instance_slots=0) as first:
        first.register("python", "stdlib", functions / "stdlib.py")
    diffs = sorted((cache / MACHINE_CODE_CACHE).glob(f"{DIFF_FAMILY}-*{RECORD_SUFFIX}"))
    before = {path: path.read_bytes() for path in diffs}
    for path in (cache / MACHINE_CODE_CACHE).glob(f"{BASE_FAMILY}-*{RECORD_SUFFIX}"):
        path.unlink()
    for path in diffs:
        path.unlink()
    with Runtime(cache_dir=cache, python=python, instance_slots=0) as fresh:
        fresh.register("python", "stdlib", functions / "stdlib.py")
        assert fresh.call("python", "stdlib").output_data == b"[true, 100]"
        assert fresh.cache_stats.compiled == 0
    again = {path: path.read_bytes() for path in diffs if path.exists()}
    assert len(again) == 1 and again.items() <= before.items()
    assert len(list((cache / MACHINE_CODE_CACHE).glob(f"{BASE_FAMILY}-*{RECORD_SUFFIX}"))) == 1


def test_print_is_utf8(runtime: Runtime, functions: Path) -> None:
    register(runtime, functions, "unicode")
    result = runtime.call("python", "unicode")
    assert (result.failed, result.stdout) == (False, "caf\u00e9 \u2615\n")


@pytest.fixture(scope="module")
def limited(python: PythonRuntime, cache: Path, functions: Path) -> Iterator[Runtime]:
    """Limits as for C functions: 1 s, 128 MiB, 1 MiB of output."""
    with Runtime(
        cache_dir=cache, python=python, timeout=1, memory_limit_mb=128, max_output_bytes=1 << 20
    ) as rt:
        for name in ("loop", "hog", "chatty", "big_output"):
            register(rt, functions, name)
        yield rt


def test_an_infinite_loop_times_out(limited: Runtime) -> None:
    result = limited.call("python", "loop")
    assert (result.failed, result.error) == (True, "timed out after 1s")


def test_a_memory_hog_stops_at_the_memory_limit(limited: Runtime) -> None:
    result = limited.call("python", "hog")
    assert (result.failed, result.error) == (
        True,
        "memory limit of 128 MiB reached (memory.grow refused)",
    )


def test_huge_output_is_cut_at_the_limit(limited: Runtime) -> None:
    chatty = limited.call("python", "chatty")
    assert not chatty.failed
    assert chatty.stdout.startswith("x" * (1 << 20) + "\n[")
    assert chatty.stdout.endswith("more bytes dropped: output limit of 1048576 bytes]\n")
    big = limited.call("python", "big_output")
    assert big.failed and big.error is not None
    assert "output of 2097152 bytes exceeds the output limit of 1048576 bytes" in big.error
