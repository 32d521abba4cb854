"""Ctrl-C during `faasm run`: the runtime's own interruption ends the call at once, the CLI says
`interrupted` and exits 130, and state the call pushed before it was stopped is whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import run_cli

LOOP_AFTER_STATE = r"""
#include "faasm/faasm.h"
#include <stdint.h>

FAASM_MAIN_FUNC() {
    const uint8_t value[] = "written before the loop";
    faasmWriteState("progress", value, sizeof(value) - 1);
    faasmPushState("progress");
    uint64_t x = 1;
    for (;;) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        if (x == 0) break;
    }
    return (int)x;
}
"""


def test_ctrl_c_ends_a_looping_call_at_once(tmp_path: Path) -> None:
    (tmp_path / "func" / "demo").mkdir(parents=True)
    (tmp_path / "func" / "demo" / "spin.c").write_text(LOOP_AFTER_STATE)
    compiled = run_cli("compile", "demo", "spin", cwd=tmp_path)
    assert compiled.returncode == 0, compiled.stderr.decode()

    process = subprocess.Popen(
        [sys.executable, "-m", "faasm_cli", "run", "demo", "spin", "--timeout", "120"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    # Wait until the call has written its state: from then on it is inside the loop.
    state_file = Path(os.environ["FAASM_CACHE_DIR"]) / "state" / "demo" / "values"
    deadline = time.monotonic() + 60
    while not any(state_file.glob("progress*")) and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1].decode()
        time.sleep(0.05)
    time.sleep(0.2)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    elapsed = time.monotonic() - sent

    assert process.returncode == 130, stderr.decode()
    assert stderr.decode().strip().splitlines()[-1] == "error: interrupted"
    assert elapsed < 2.0, f"took {elapsed:.2f}s to stop"
    value = run_cli("state", "get", "demo", "progress", cwd=tmp_path)
    assert value.returncode == 0, value.stderr.decode()
    assert value.stdout == b"written before the loop"
