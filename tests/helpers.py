"""Helpers shared by several test modules (fixtures stay in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


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
