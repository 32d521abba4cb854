"""`faasm watch` as a user runs it: the real CLI in a subprocess on a private project, edited
while it watches. Every wait is bounded."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from faasm_cli.config import Project
from faasm_cli.settings import Settings
from faasm_cli.watch import Building, Changed, Failed, Ran, Watch, WatchEvent, watch
from tests.helpers import run_cli

FIRST_BUILD_S = 180.0  # configures CMake and builds libfaasm on a busy machine
EDIT_S = 60.0

SAYS = """#include "faasm/faasm.h"
#include <string.h>
#include "greeting.h"

FAASM_MAIN_FUNC() {
    const char* text = "WORDS" GREETING_SUFFIX;
    faasmSetOutput((const unsigned char*)text, strlen(text));
    return 0;
}
"""

ECHO = """#include "faasm/faasm.h"
#include <stdlib.h>

FAASM_MAIN_FUNC() {
    long size = faasmGetInputSize();
    unsigned char* buffer = malloc(size > 0 ? size : 1);
    faasmGetInput(buffer, size);
    faasmSetOutput(buffer, size);
    return 0;
}
"""


def write_says(root: Path, words: str) -> None:
    (root / "func" / "demo").mkdir(parents=True, exist_ok=True)
    (root / "func" / "demo" / "says.c").write_text(SAYS.replace("WORDS", words))


def write_header(root: Path, suffix: str) -> None:
    (root / "func" / "demo").mkdir(parents=True, exist_ok=True)
    (root / "func" / "demo" / "greeting.h").write_text(f'#define GREETING_SUFFIX "{suffix}"\n')


def make_project(root: Path) -> Path:
    write_header(root, "")
    write_says(root, "first")
    (root / "func" / "demo" / "echo.c").write_text(ECHO)
    return root


class Session:
    """A running `faasm watch`: its stdout and stderr lines, read on threads into queues."""

    def __init__(self, root: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "faasm_cli", "watch", *args],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=os.environ.copy(),
        )
        self.stdout: queue.Queue[str] = queue.Queue()
        self.stderr: queue.Queue[str] = queue.Queue()
        self.seen_stderr: list[str] = []
        assert self.process.stdout is not None and self.process.stderr is not None
        for stream, lines in (
            (self.process.stdout, self.stdout),
            (self.process.stderr, self.stderr),
        ):
            threading.Thread(target=_pump, args=(stream, lines), daemon=True).start()

    def next_stdout(self, timeout: float) -> str:
        """The next line of stdout, or a failure showing stderr so far."""
        try:
            return self.stdout.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no output within {timeout}s; stderr:\n{self.drained_stderr()}")

    def wait_stderr(self, text: str, timeout: float) -> list[str]:
        """Stderr lines up to and including the first that contains `text`."""
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.stderr.get(timeout=left)
            except queue.Empty:
                break
            lines.append(line)
            self.seen_stderr.append(line)
            if text in line:
                return lines
        pytest.fail(f"{text!r} not on stderr within {timeout}s:\n{self.drained_stderr()}")

    def drained_stderr(self) -> str:
        while not self.stderr.empty():
            self.seen_stderr.append(self.stderr.get_nowait())
        return "\n".join(self.seen_stderr)

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=30)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


def _pump(stream: IO[bytes], lines: queue.Queue[str]) -> None:
    for raw in stream:
        lines.put(raw.decode(errors="replace").rstrip("\n"))


def test_watch_reruns_on_edit_survives_a_broken_build_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    root = make_project(tmp_path)
    session = Session(root, "demo", "says")
    try:
        assert session.next_stdout(FIRST_BUILD_S) == "first"
        session.wait_stderr("watching for changes", EDIT_S)

        write_says(root, "second")
        assert session.next_stdout(EDIT_S) == "second"
        shown = session.wait_stderr("watching for changes", EDIT_S)
        assert any("demo/says returned 0" in line and "rebuilt" in line for line in shown)

        write_says(root, 'broken"')
        shown = session.wait_stderr("watching for changes", EDIT_S)
        assert any("says.c:6" in line and "error:" in line for line in shown), shown
        assert any(line.startswith("error: demo/says failed to compile") for line in shown)
        assert session.process.poll() is None, "a failed build ended watching"
        assert session.stdout.empty()

        write_says(root, "fixed")
        assert session.next_stdout(EDIT_S) == "fixed"
        session.wait_stderr("watching for changes", EDIT_S)

        assert session.interrupt() == 130
        assert session.wait_stderr("interrupted", 10)[-1] == "error: interrupted"
        assert "Traceback" not in session.drained_stderr()
    finally:
        session.close()


def test_watch_a_user_reruns_only_what_changed_as_json(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    session = Session(root, "demo", "--input", "same input", "--output", "json")
    try:
        first = [json.loads(session.next_stdout(FIRST_BUILD_S)) for _ in range(2)]
        assert {(r["function"], r["rebuilt"]) for r in first} == {("echo", True), ("says", True)}
        outputs = {r["function"]: r["output_data"] for r in first}
        assert outputs == {"echo": "same input", "says": "first"}

        write_says(root, "edited")
        edited = json.loads(session.next_stdout(EDIT_S))
        assert (edited["function"], edited["rebuilt"]) == ("says", True)
        assert edited["output_data"] == "edited"
        time.sleep(1.0)  # echo is not rerun: nothing more arrives
        assert session.stdout.empty(), session.stdout.get_nowait()

        (root / "func" / "demo" / "notes.txt").write_text("not a source\n")
        time.sleep(1.0)
        assert session.stdout.empty(), session.stdout.get_nowait()

        assert session.interrupt() == 130
    finally:
        session.close()


def test_watch_refuses_a_function_that_does_not_exist(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    done = run_cli("watch", "demo", "nosuch", cwd=root)
    assert done.returncode != 0 and done.returncode != 130
    assert "no function demo/nosuch" in done.stderr.decode()
    assert "functions of demo: echo, says" in done.stderr.decode()


def test_header_change_rebuilds_and_reruns_every_function_of_the_user(tmp_path: Path) -> None:
    """The core API: events to a callback, a header edit, and `stop` to end watching."""
    root = make_project(tmp_path)
    events: queue.Queue[WatchEvent] = queue.Queue()
    stop = threading.Event()
    job = Watch(Project(root / "func"), "demo", None, b"in", Settings())
    watcher = threading.Thread(target=watch, args=(job, events.put), kwargs={"stop": stop})
    watcher.start()
    try:
        first = _events_until_ran(events, 2, FIRST_BUILD_S)
        assert isinstance(first[0], Building) and first[0].functions == ["echo", "says"]
        assert {e.function for e in first if isinstance(e, Ran)} == {"echo", "says"}
        write_header(root, " with a suffix")
        after = _events_until_ran(events, 1, EDIT_S)
        changed = [e for e in after if isinstance(e, Changed)]
        assert changed and changed[0].paths == [root / "func" / "demo" / "greeting.h"]
        building = [e for e in after if isinstance(e, Building)]
        assert building and building[0].functions == ["echo", "says"]
        after += _events_until_ran(events, 1, EDIT_S)
        ran = {e.function: e for e in after if isinstance(e, Ran)}
        assert ran["says"].result.output_data == b"first with a suffix" and ran["says"].rebuilt
        assert ran["echo"].result.output_data == b"in" and ran["echo"].rebuilt

        (root / "func" / "demo" / "says.c").write_text("int main(void) { return }\n")
        failed = _next_failed(events, EDIT_S)
        assert failed.functions == ["says"]
        assert "demo/says failed to compile" in failed.error.message
    finally:
        stop.set()
        watcher.join(timeout=30)
    assert not watcher.is_alive()


def _events_until_ran(
    events: queue.Queue[WatchEvent], count: int, timeout: float
) -> list[WatchEvent]:
    seen: list[WatchEvent] = []
    deadline = time.monotonic() + timeout
    while sum(isinstance(e, Ran) for e in seen) < count:
        left = deadline - time.monotonic()
        assert left > 0, f"only {seen} within {timeout}s"
        seen.append(events.get(timeout=left))
    return seen


def _next_failed(events: queue.Queue[WatchEvent], timeout: float) -> Failed:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        event = events.get(timeout=left)
        if isinstance(event, Failed):
            return event
    pytest.fail(f"no Failed event within {timeout}s")
