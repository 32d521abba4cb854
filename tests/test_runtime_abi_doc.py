"""docs/abi.md is generated from the host interface table and must be current."""

from __future__ import annotations

from pathlib import Path

from faasm_cli.runtime.hostcalls.abi_doc import render
from faasm_cli.runtime.hostcalls.interface import HOST_FUNCTIONS

DOC = Path(__file__).resolve().parent.parent / "docs" / "abi.md"


def test_abi_doc_is_current() -> None:
    assert DOC.read_text() == render(), "run: python -m faasm_cli.runtime.hostcalls.abi_doc"


def test_abi_doc_lists_every_host_function() -> None:
    text = render()
    for function in HOST_FUNCTIONS:
        assert f"| `{function.name}` |" in text
