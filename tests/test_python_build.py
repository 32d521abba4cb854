"""`faasm python build`: CPython 3.11 on wasm32-wasi, its stdlib and the built-in _pyfaasm.

The build takes minutes, so these tests use the runtime `faasm python build` made in the
developer's (or CI's) cache (tests/python_support.py).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import zlib
from pathlib import Path

import pytest
import wasmtime

from faasm_cli.errors import CompileFailed, NotFound
from faasm_cli.runtime.snapshot.proto import check_imports
from faasm_cli.toolchain.doctor import doctor
from faasm_cli.toolchain.python import PythonRuntime, _Steps, require_runtime
from tests.helpers import run_cli
from tests.python_support import BUILT_IN, built_runtime

COMMON = "json, hashlib, random, decimal, datetime, re, struct, collections, zlib"


@pytest.fixture(scope="module")
def runtime() -> PythonRuntime:
    return built_runtime()


@pytest.fixture(scope="module")
def interpreter(runtime: PythonRuntime) -> tuple[wasmtime.Engine, wasmtime.Module]:
    engine = wasmtime.Engine()
    return engine, wasmtime.Module.from_file(engine, str(runtime.wasm))


def run_python(
    runtime: PythonRuntime,
    interpreter: tuple[wasmtime.Engine, wasmtime.Module],
    code: str,
    tmp_path: Path,
) -> tuple[int, str, str]:
    """`python -c CODE` under wasmtime, the stdlib mounted read-only at /: (exit, out, err)."""
    engine, module = interpreter
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    linker.define_unknown_imports_as_traps(module)
    store = wasmtime.Store(engine)
    wasi = wasmtime.WasiConfig()
    wasi.argv = ["python", "-c", code]
    wasi.env = runtime.guest_env()
    wasi.preopen_dir(str(runtime.guest_root), "/", fs_mutable=False)
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    wasi.stdout_file = str(out)
    wasi.stderr_file = str(err)
    store.set_wasi(wasi)
    start = linker.instantiate(store, module).exports(store)["_start"]
    assert isinstance(start, wasmtime.Func)
    code_out = 0
    try:
        start(store)
    except wasmtime.ExitTrap as exit_trap:
        code_out = exit_trap.code
    return code_out, out.read_text(), err.read_text()


def test_common_stdlib_imports_and_computes_as_the_host_does(
    runtime: PythonRuntime, interpreter: tuple[wasmtime.Engine, wasmtime.Module], tmp_path: Path
) -> None:
    code = (
        f"import sys, {COMMON}\n"
        "print(sys.version)\n"
        "print(hashlib.sha256(b'faasm').hexdigest())\n"
        "print(zlib.compress(b'faasm' * 50).hex())\n"
        "print(decimal.Decimal(1) / decimal.Decimal(7))\n"
        "print(json.dumps({'a': [1, 2.5, None]}, sort_keys=True))\n"
        "print(struct.pack('<iQ', -2, 7).hex())\n"
        "print(re.sub(r'(\\w+)@', r'<\\1>', 'me@x'))\n"
        "print(datetime.date(2020, 2, 29).isoformat())\n"
        "print(collections.Counter('faasm').most_common(1))\n"
        "random.seed(4); print(random.random())\n"
    )
    code_out, out, err = run_python(runtime, interpreter, code, tmp_path)
    assert (code_out, err) == (0, "")
    import datetime
    import decimal
    import random
    import re
    import struct
    from collections import Counter

    random.seed(4)
    expected = [
        hashlib.sha256(b"faasm").hexdigest(),
        zlib.compress(b"faasm" * 50).hex(),
        str(decimal.Decimal(1) / decimal.Decimal(7)),
        json.dumps({"a": [1, 2.5, None]}, sort_keys=True),
        struct.pack("<iQ", -2, 7).hex(),
        re.sub(r"(\w+)@", r"<\1>", "me@x"),
        datetime.date(2020, 2, 29).isoformat(),
        str(Counter("faasm").most_common(1)),
        str(random.random()),
    ]
    lines = out.splitlines()
    assert lines[0].startswith(f"{runtime.version} ")
    assert "Clang 19" in lines[0]
    assert lines[1:] == expected


def test_pyfaasm_is_built_in_and_imports_only_the_host_interface(
    runtime: PythonRuntime, interpreter: tuple[wasmtime.Engine, wasmtime.Module], tmp_path: Path
) -> None:
    code = "import sys, _pyfaasm; print('_pyfaasm' in sys.builtin_module_names, _pyfaasm.__doc__)"
    code_out, out, _ = run_python(runtime, interpreter, code, tmp_path)
    assert code_out == 0
    assert out.startswith("True The Faasm host interface")
    _, module = interpreter
    check_imports(module, "python.wasm")  # env.__faasm_* of the one table, and WASI only
    env_imports = {i.name for i in module.imports if i.module == "env"}
    assert {"__faasm_read_input", "__faasm_write_output", "__faasm_chain_this"} <= env_imports


def test_the_stdlib_is_the_only_tree_and_read_only(
    runtime: PythonRuntime, interpreter: tuple[wasmtime.Engine, wasmtime.Module], tmp_path: Path
) -> None:
    code = (
        "import os\n"
        "print(sorted(os.listdir('/')))\n"
        "try:\n"
        "    open('/lib/python3.11/new.py', 'w')\n"
        "except OSError as e:\n"
        "    print(type(e).__name__)\n"
    )
    code_out, out, _ = run_python(runtime, interpreter, code, tmp_path)
    assert code_out == 0
    assert out.splitlines() == ["['lib']", "PermissionError"]
    assert not (runtime.stdlib / "new.py").exists()


def test_exit_code_and_traceback_come_out(
    runtime: PythonRuntime, interpreter: tuple[wasmtime.Engine, wasmtime.Module], tmp_path: Path
) -> None:
    code_out, _, err = run_python(runtime, interpreter, "import json\njson.loads('{')", tmp_path)
    assert code_out == 1
    assert "json.decoder.JSONDecodeError: Expecting property name" in err
    assert 'File "/lib/python3.11/json/decoder.py"' in err


def test_stdlib_is_precompiled_for_a_read_only_mount(runtime: PythonRuntime) -> None:
    source = runtime.stdlib / "json" / "__init__.py"
    cached = Path(importlib.util.cache_from_source(str(source)))
    header = cached.read_bytes()[:8]
    assert header[:4] == importlib.util.MAGIC_NUMBER  # the host's 3.11 wrote it
    assert int.from_bytes(header[4:8], "little") == 0b01  # hash-based, never checked
    assert not (runtime.stdlib / "test").exists()
    assert not (runtime.stdlib / "tkinter").exists()
    assert list(runtime.guest_root.iterdir()) == [runtime.guest_root / "lib"]


def test_missing_runtime_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(NotFound) as caught:
        require_runtime(tmp_path)
    assert caught.value.message == "the Python runtime is not built"
    assert "faasm python build" in caught.value.hint
    assert "minutes" in caught.value.hint


def test_a_failed_step_names_itself_and_the_log(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    steps = _Steps(log, lambda line: None)
    with pytest.raises(CompileFailed) as caught:
        steps.run_step(
            "configure", lambda: steps.command(["sh", "-c", "echo oops; exit 3"], tmp_path)
        )
    assert caught.value.message == ("the Python build failed at step 'configure': sh exited with 3")
    assert caught.value.hint == f"the full output is in {log}"
    assert log.read_text().splitlines() == ["==== configure", "$ sh -c echo oops; exit 3", "oops"]


def test_doctor_reports_the_runtime(
    runtime: PythonRuntime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FAASM_CACHE_DIR", str(BUILT_IN))
    found = next(c for c in doctor(include_docker=False) if c.name == "python runtime")
    assert (found.ok, found.required) == (True, False)
    assert found.detail == f"CPython {runtime.version} {runtime.root}"
    monkeypatch.setenv("FAASM_CACHE_DIR", str(tmp_path))
    missing = next(c for c in doctor(include_docker=False) if c.name == "python runtime")
    assert (missing.ok, missing.detail) == (False, "not built")
    assert missing.fix.startswith("faasm python build (about")


def test_build_again_is_up_to_date(runtime: PythonRuntime, tmp_path: Path) -> None:
    done = run_cli(
        "python", "build", "--output", "json", cwd=tmp_path, env={"FAASM_CACHE_DIR": str(BUILT_IN)}
    )
    assert done.returncode == 0, done.stderr.decode()
    report = json.loads(done.stdout)
    assert (report["rebuilt"], report["path"]) == (False, str(runtime.root))
    assert report["python_version"] == runtime.version
    assert set(report["sources"]) == {"python3.11", "zlib"}
