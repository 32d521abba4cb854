"""House rules that a grep can check: wasmtime-py's private API is used in one module only."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "faasm_cli"
RAW_MODULE = PACKAGE / "runtime" / "hostcalls" / "_wasmtime_raw.py"
# wasmtime-py's private modules (`wasmtime._ffi`, `from wasmtime import _extern`, ...) and the
# private members the runtime reaches for on its objects (`store._context()`, `func._func`, ...);
# `self._x` is a class's own attribute and allowed.
PRIVATE_WASMTIME = re.compile(
    r"wasmtime\._\w"
    r"|from\s+wasmtime(\.\w+)*\s+import\s+[^\n]*\b_\w"
    r"|(?<!self)\._(context|instance|func|from_ptr|consume|from_raw|ffi|extern)\b"
)


def private_uses(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if PRIVATE_WASMTIME.search(line)]


def test_private_wasmtime_api_is_used_only_in_the_raw_module() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): uses
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != RAW_MODULE and (uses := private_uses(path.read_text()))
    }
    assert offenders == {}


def test_the_raw_module_is_where_they_are() -> None:
    uses = private_uses(RAW_MODULE.read_text())
    assert "from wasmtime import _ffi as ffi" in uses
    assert any("._context()" in line for line in uses)


def test_the_check_sees_each_kind_of_private_use() -> None:
    for line in (
        "from wasmtime import _ffi as ffi",
        "from wasmtime._extern import wrap_extern",
        "import wasmtime._bindings",
        "ctx = store._context()",
        "ptr = ctypes.byref(instance._instance)",
        "ref = ctypes.byref(func._func)",
        "error = wasmtime.WasmtimeError._from_ptr(pointer)",
        "pointer = trap._consume()",
    ):
        assert private_uses(line) == [line]
    for line in ("self._instance = instance", "import wasmtime", "wasmtime.Store(engine)"):
        assert private_uses(line) == []
