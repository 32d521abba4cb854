"""The module cache on disk: damaged entries are rebuilt, never run; prepare runs once per input.

Each load runs in a subprocess, so a crash (wasmtime jumping into corrupted machine code dies
of SIGILL or SIGSEGV) fails the test instead of killing pytest.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from runtime_wat import wat_function

from faasm_cli.runtime import Runtime
from faasm_cli.runtime.snapshot import cache as module_cache

SEVEN = wat_function("(i32.const 7)")
NINE = wat_function("(i32.const 9)")
_LOAD = """
import json, sys
from pathlib import Path
from faasm_cli.runtime import Runtime
from faasm_cli.runtime.snapshot import cache as module_cache
with Runtime(cache_dir=Path(sys.argv[1])) as rt:
    rt.register("demo", "f", Path(sys.argv[2]).read_bytes())
    result = rt.call("demo", "f")
    print(json.dumps({"return_value": result.return_value, **vars(rt.cache_stats)}))
"""


def _load(cache: Path, wasm: Path) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", _LOAD, str(cache), str(wasm)],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr.decode()[-2000:]}"
    stats: dict[str, int] = json.loads(done.stdout)
    return stats


def _flip_code(path: Path) -> None:
    """XOR the second quarter of the file, where the machine code is."""
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 4, len(data) // 2):
        data[i] ^= 0x5A
    path.write_bytes(data)


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:4096])


def _foreign(path: Path, other: Path) -> None:
    """Another module's machine code under this name (valid for wasmtime, wrong code)."""
    path.write_bytes(other.read_bytes())


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def wasm(tmp_path: Path) -> Path:
    path = tmp_path / "seven.wasm"
    path.write_bytes(SEVEN)
    return path


def test_a_second_process_prepares_and_compiles_nothing(cache: Path, wasm: Path) -> None:
    first = _load(cache, wasm)
    assert (first["return_value"], first["compiled"], first["prepared"]) == (7, 2, 1)
    second = _load(cache, wasm)
    assert second == {
        "return_value": 7,
        "compiled": 0,
        "loaded": 2,
        "prepared": 0,
        "prepared_loaded": 1,
        "discarded": 0,
    }


@pytest.mark.parametrize("damage", ["flip", "truncate", "foreign", "no checksum"])
def test_damaged_machine_code_is_rebuilt_not_run(
    cache: Path, wasm: Path, tmp_path: Path, damage: str
) -> None:
    other = tmp_path / "other-cache"
    nine = tmp_path / "nine.wasm"
    nine.write_bytes(NINE)
    _load(other, nine)
    foreign = next((other / "modules").glob("snap-*.cwasm"))
    _load(cache, wasm)
    files = sorted((cache / "modules").glob("*.cwasm"))
    assert len(files) == 2
    actions: dict[str, Callable[[Path], None]] = {
        "flip": _flip_code,
        "truncate": _truncate,
        "foreign": lambda path: _foreign(path, foreign),
        "no checksum": lambda path: path.with_name(path.name + ".sum").unlink(),
    }
    for path in files:
        actions[damage](path)
    stats = _load(cache, wasm)
    assert (stats["return_value"], stats["compiled"], stats["discarded"]) == (7, 2, 2)
    again = _load(cache, wasm)
    assert (again["return_value"], again["compiled"], again["loaded"]) == (7, 0, 2)


def test_a_damaged_prepared_module_is_prepared_again(cache: Path, wasm: Path) -> None:
    _load(cache, wasm)
    [prepared] = (cache / "modules").glob("*.prepared")
    data = bytearray(prepared.read_bytes())
    data[-10] ^= 0xFF
    prepared.write_bytes(data)
    stats = _load(cache, wasm)
    assert (stats["return_value"], stats["prepared"], stats["discarded"]) == (7, 1, 1)


def test_prepared_modules_are_keyed_by_the_rewrite_code(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Runtime(cache_dir=cache) as rt:
        rt.register("demo", "f", SEVEN)
        rt.register("demo", "g", SEVEN)
        assert (rt.cache_stats.prepared, rt.cache_stats.prepared_loaded) == (1, 1)
    monkeypatch.setattr(module_cache, "REWRITE_DIGEST", b"a new instrumentation")
    with Runtime(cache_dir=cache) as rt:
        rt.register("demo", "f", SEVEN)
        assert (rt.cache_stats.prepared, rt.cache_stats.prepared_loaded) == (1, 0)
        assert rt.call("demo", "f").return_value == 7
    assert len(list((cache / "modules").glob("*.prepared"))) == 2
