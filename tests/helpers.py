"""Helpers shared by several test modules (fixtures stay in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from faasm_cli.config import Project
from faasm_cli.errors import ToolchainMissing
from faasm_cli.toolchain import build_function


def run_cli(
    *args: str, cwd: Path, input_data: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """The real `faasm` command in a subprocess, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "faasm_cli", *args],
        cwd=cwd,
        input=input_data,
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def one_line_error(stderr: bytes) -> str:
    """The single `error: ...` line a failing command prints (and no traceback)."""
    text = stderr.decode()
    assert "Traceback" not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert lines[0].startswith("error:"), text
    return lines[0]


def build_or_skip(project: Project, user: str, names: Iterable[str]) -> dict[str, Path]:
    """Build each function of `user` with the real toolchain; skip the test where there is none."""
    try:
        return {name: build_function(project, user, name).path for name in names}
    except ToolchainMissing as error:
        pytest.skip(f"no wasm toolchain: {error}")
