"""The speed choices of the Python build (pymalloc on, ThinLTO, no pydebug): pymalloc reaches the
built interpreter, and every flag is part of the cache key, so changing one rebuilds rather than
reusing an old build."""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime

from faasm_cli.toolchain import python
from tests.python_support import built_runtime

SOURCES = {
    "python3.11": python._Source("python3.11", "3.11.2-6+deb12u8", Path("python3.11.dsc")),
    "zlib": python._Source("zlib", "1.2.13.dfsg-1", Path("zlib.dsc")),
}


def guest_print(runtime: python.PythonRuntime, expression: str, tmp_path: Path) -> str:
    """What the wasm interpreter prints for `print(expression)`."""
    engine = wasmtime.Engine()
    module = wasmtime.Module.from_file(engine, str(runtime.wasm))
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    linker.define_unknown_imports_as_traps(module)
    store = wasmtime.Store(engine)
    wasi = wasmtime.WasiConfig()
    wasi.argv = ["python", "-c", f"import sys\nprint({expression})"]
    wasi.env = runtime.guest_env()
    wasi.preopen_dir(str(runtime.guest_root), "/", fs_mutable=False)
    out = tmp_path / "stdout"
    wasi.stdout_file = str(out)
    store.set_wasi(wasi)
    start = linker.instantiate(store, module).exports(store)["_start"]
    assert isinstance(start, wasmtime.Func)
    start(store)
    return out.read_text().strip()


def test_the_interpreter_allocates_small_objects_with_pymalloc(tmp_path: Path) -> None:
    # sys.getallocatedblocks() counts pymalloc's blocks (0 without it); a pydebug build would
    # have sys.gettotalrefcount.
    expression = "sys.getallocatedblocks() > 1000, hasattr(sys, 'gettotalrefcount')"
    assert guest_print(built_runtime(), expression, tmp_path) == "True False"


def test_sysconfig_finds_its_build_data(tmp_path: Path) -> None:
    # Debian's sysconfig asks for _sysconfigdata_{abiflags}_{multiarch} (pydoc, for one, reads
    # it at import); the build writes the name with the platform in it as well.
    get = "__import__('sysconfig').get_config_var"
    expression = f"{get}('MULTIARCH'), {get}('SOABI')"
    found = guest_print(built_runtime(), expression, tmp_path)
    assert found == "wasm32-wasi cpython-311-wasm32-wasi"


@pytest.mark.parametrize(
    ("name", "changed"),
    [
        ("OPT_FLAGS", "-DNDEBUG -fwrapv -O2 -Wall -msimd128"),
        ("LTO_LINK_FLAGS", ()),
        ("COMMAND_LINK_FLAGS", ()),
        ("CONFIGURE_OPTIONS", ()),
    ],
)
def test_each_build_flag_is_part_of_the_cache_key(
    monkeypatch: pytest.MonkeyPatch, name: str, changed: object
) -> None:
    today = python._build_key(SOURCES)
    assert python._build_key(SOURCES) == today
    monkeypatch.setattr(python, name, changed)
    assert python._build_key(SOURCES) != today
