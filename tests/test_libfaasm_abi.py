"""faasm/host_interface.h declares exactly the imports of the one host-interface table."""

from __future__ import annotations

import re
from pathlib import Path

from faasm_cli.config import toolchain_dir
from faasm_cli.runtime.hostcalls.interface import HOST_FUNCTIONS, IMPORT_MODULE

HEADER = toolchain_dir() / "libfaasm" / "include" / "faasm" / "host_interface.h"
DECL = re.compile(r"FAASM_IMPORT\((\w+)\)\s+([\w\s\*]+?)\s*\b(\w+)\(([^)]*)\);")


def declarations(path: Path) -> dict[str, tuple[str, int]]:
    """name -> (result type, number of parameters) of every FAASM_IMPORT declaration."""
    found: dict[str, tuple[str, int]] = {}
    for import_name, result, name, params in DECL.findall(path.read_text()):
        assert import_name == name, f"{name} is imported as {import_name}"
        arity = 0 if params.strip() in ("", "void") else len(params.split(","))
        found[name] = (result.strip(), arity)
    return found


def test_header_matches_host_interface_table() -> None:
    declared = declarations(HEADER)
    table = {f.name: f for f in HOST_FUNCTIONS}
    assert set(declared) == set(table)
    for name, (result, arity) in declared.items():
        assert arity == len(table[name].params), name
        # i32 results are int32_t or a (32-bit) pointer; no result is void.
        assert (result != "void") == (table[name].result == "i32"), name


def test_imports_use_the_env_module() -> None:
    text = HEADER.read_text()
    assert f'import_module("{IMPORT_MODULE}")' in text
    assert len(DECL.findall(text)) == len(HOST_FUNCTIONS)
