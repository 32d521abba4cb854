"""Python functions on the shared base snapshot: each function is its pages over the base.

A new or edited function costs one load step on the base (no compilation); its pages are kept
in the cache, and every call writes them over a fresh instance of the base.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from faasm_cli.config import MACHINE_CODE_CACHE
from faasm_cli.message import Message
from faasm_cli.runtime import Runtime
from faasm_cli.runtime.python import DIFF_FAMILY, load_python
from faasm_cli.runtime.snapshot.cache import RECORD_SUFFIX
from faasm_cli.runtime.snapshot.page_diff import Patched
from faasm_cli.toolchain.python import PythonRuntime

OUTPUT = "from pyfaasm.core import set_output\nset_output({!r})\n"
# Imports a module (neither imports the other, nor does the base): reports which of the two are
# loaded, and whether a call left a mark on builtins.
IMPORTS = (
    "import builtins, sys, {0}\n"
    "from pyfaasm.core import set_output\n"
    "seen = [m for m in ('colorsys', 'difflib') if m in sys.modules]\n"
    "set_output(repr((seen, hasattr(builtins, 'mark'))))\n"
    "builtins.mark = '{0}'\n"
)
# Imports enough to grow memory past the base's (about 2.7 MiB more; a load step runs only a
# file's imports, and a few small ones fit in the base's free heap).
GROWS = "import argparse, decimal, difflib, email.message, json, re, unittest\n"
RANDOMS = "import random\nfrom pyfaasm.core import set_output\nset_output(str(random.random()))\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    found = tmp_path / "func" / "python"
    found.mkdir(parents=True)
    return found


@pytest.fixture
def runtime(python: PythonRuntime, isolated_cache: Path) -> Iterator[Runtime]:
    with Runtime(cache_dir=isolated_cache, python=python) as rt:
        yield rt


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / f"{name}.py"
    path.write_text(source)
    return path


def diff_records(cache: Path) -> set[Path]:
    return set((cache / MACHINE_CODE_CACHE).glob(f"{DIFF_FAMILY}-*{RECORD_SUFFIX}"))


def test_an_edited_function_runs_its_new_source(
    runtime: Runtime, python: PythonRuntime, isolated_cache: Path, folder: Path
) -> None:
    path = write(folder, "edited", OUTPUT.format("first"))
    runtime.register("python", "edited", path)
    assert runtime.call("python", "edited").output_data == b"first"
    write(folder, "edited", "import json\n" + OUTPUT.format("second"))
    runtime.register("python", "edited", path)
    assert runtime.call("python", "edited").output_data == b"second"
    with Runtime(cache_dir=isolated_cache, python=python) as fresh:
        fresh.register("python", "edited", path)
        assert fresh.call("python", "edited").output_data == b"second"
        assert fresh.cache_stats.compiled == 0


def test_a_new_function_compiles_nothing(runtime: Runtime, folder: Path) -> None:
    runtime.register("python", "warm", write(folder, "warm", OUTPUT.format("warm")))
    compiled = runtime.cache_stats.compiled
    loaded = runtime.register("python", "new", write(folder, "new", OUTPUT.format("new")))
    assert runtime.call("python", "new").output_data == b"new"
    assert runtime.cache_stats.compiled == compiled
    assert isinstance(loaded.pre, Patched)
    assert 0 < loaded.pre.diff.changed_bytes < loaded.pre.diff.memory_bytes // 4


def test_functions_in_one_runtime_do_not_see_each_others_modules_or_calls(
    runtime: Runtime, folder: Path
) -> None:
    runtime.register("python", "colours", write(folder, "colours", IMPORTS.format("colorsys")))
    runtime.register("python", "diffs", write(folder, "diffs", IMPORTS.format("difflib")))
    for _ in range(2):
        assert runtime.call("python", "colours").output_data == b"(['colorsys'], False)"
        assert runtime.call("python", "diffs").output_data == b"(['difflib'], False)"


def test_random_differs_per_call_and_per_runtime(
    runtime: Runtime, python: PythonRuntime, isolated_cache: Path, folder: Path
) -> None:
    path = write(folder, "randoms", RANDOMS)
    runtime.register("python", "randoms", path)
    outputs = [runtime.call("python", "randoms").output_data for _ in range(3)]
    with Runtime(cache_dir=isolated_cache, python=python) as fresh:
        fresh.register("python", "randoms", path)
        outputs.append(fresh.call("python", "randoms").output_data)
    assert len(set(outputs)) == 4


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty"])
def test_a_damaged_diff_in_the_cache_is_made_again(
    python: PythonRuntime, isolated_cache: Path, folder: Path, damage: str
) -> None:
    path = write(folder, f"damaged_{damage}", OUTPUT.format(damage))
    before = diff_records(isolated_cache)
    with Runtime(cache_dir=isolated_cache, python=python) as first:
        first.register("python", "damaged", path)
    (record,) = diff_records(isolated_cache) - before
    data = record.read_bytes()
    if damage == "flip":
        record.write_bytes(data[:-100] + bytes([data[-100] ^ 1]) + data[-99:])
    else:
        record.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"")
    with Runtime(cache_dir=isolated_cache, python=python) as fresh:
        fresh.register("python", "damaged", path)
        assert fresh.call("python", "damaged").output_data == damage.encode()
        assert (fresh.cache_stats.discarded, fresh.cache_stats.compiled) == (1, 0)
    assert record.read_bytes() == data


def test_a_call_limit_below_the_functions_memory_fails_saying_so(
    runtime: Runtime, folder: Path
) -> None:
    loaded = runtime.register("python", "grows", write(folder, "grows", GROWS))
    assert isinstance(loaded.pre, Patched)
    needs = loaded.pre.diff.memory_bytes
    base = runtime.register("python", "small", write(folder, "small", "pass\n"))
    assert isinstance(base.pre, Patched) and base.pre.diff.memory_bytes < needs
    message = Message.submitted(id=1, user="python", function="grows", memory_bytes=needs - 4096)
    result = runtime.call_message(message)
    assert result.failed
    assert result.error == (
        f"memory limit of {(needs - 4096) / (1 << 20):g} MiB is below what the function needs "
        f"({needs / (1 << 20):g} MiB of memory)"
    )
    assert not runtime.call_message(message.replaced(id=2, memory_bytes=needs)).failed


def test_a_function_called_often_gets_its_own_snapshot(
    runtime: Runtime, python: PythonRuntime, isolated_cache: Path, folder: Path
) -> None:
    """After `promote_after` calls its own snapshot is compiled in the background (once: ~10 s
    here), later calls start from it, and so does the function in a new runtime."""
    path = write(folder, "hot", RANDOMS)
    loaded = load_python(runtime._loader, python, "python", "hot", path, promote_after=2)
    assert isinstance(loaded.pre, Patched)
    runtime._functions[("python", "hot")] = loaded
    outputs = {runtime.call("python", "hot").output_data for _ in range(2)}
    assert loaded.pre.promoted.wait(300)
    assert loaded.pre.start[1] is None
    outputs |= {runtime.call("python", "hot").output_data for _ in range(2)}
    assert len(outputs) == 4
    with Runtime(cache_dir=isolated_cache, python=python) as fresh:
        own = fresh.register("python", "hot", path)
        assert not isinstance(own.pre, Patched)
        assert fresh.call("python", "hot").output_data not in outputs
        assert fresh.cache_stats.compiled == 0
    write(folder, "hot", OUTPUT.format("edited"))
    assert isinstance(runtime.register("python", "hot", path).pre, Patched)
    assert runtime.call("python", "hot").output_data == b"edited"
