"""Run one function of a project in the embedded runtime, building what is stale first.

This is the core of `faasm run` and `inv run`: it never prints; progress reaches the caller
through `on_log` and the result comes back as a `CallResult`.
"""

from __future__ import annotations

import _thread
import sys
from collections.abc import Callable
from pathlib import Path

from faasm_cli.config import Project
from faasm_cli.errors import BadInput, Interrupted, NotFound
from faasm_cli.runtime import CallResult, Runtime
from faasm_cli.settings import Settings
from faasm_cli.toolchain import build_function
from faasm_cli.user_files import file_to_read


def read_input(text: str | None, file: str | None) -> bytes:
    """The call's input from --input or --input-file ('-' is stdin)."""
    if text is not None and file is not None:
        raise BadInput("--input and --input-file both given", "pass only one of them")
    if file == "-":
        return sys.stdin.buffer.read()
    if file is not None:
        return file_to_read(Path(file), "--input-file").read_bytes()
    return (text or "").encode()


def run_function(
    project: Project | None,
    user: str,
    function: str,
    input_data: bytes,
    *,
    settings: Settings | None = None,
    wasm: Path | None = None,
    on_log: Callable[[str], None] = lambda line: None,
) -> CallResult:
    """Build the function if stale, run it once under the settings' toolchain and limits, and
    resolve chained calls the same way; the project's shared files (if it has any) are readable
    by every call. A prebuilt `wasm` needs no project, unless it chains by name."""
    settings = settings or Settings()

    def resolve(chain_user: str, chain_function: str) -> Path:
        if project is None:
            raise NotFound(
                f"no project to build {chain_user}/{chain_function} from",
                "run inside a project, or pass --func-dir DIR",
            )
        return build_function(
            project, chain_user, chain_function, backend=settings.toolchain, on_log=on_log
        ).path

    if wasm is None:
        wasm = resolve(user, function)
    else:
        file_to_read(wasm, "--wasm")
    shared = project.shared_dir if project and project.shared_dir.is_dir() else None
    # One call (and what it chains) per process: no instance pool, whose reservation would cost
    # more than the few instances it saves mapping.
    limits = settings.runtime_limits()
    with Runtime(resolver=resolve, shared_files=shared, instance_slots=0, **limits) as runtime:
        runtime.register(user, function, wasm)
        return _call_interruptibly(runtime, user, function, input_data)


def _call_interruptibly(
    runtime: Runtime, user: str, function: str, input_data: bytes
) -> CallResult:
    """Run the call on a thread of its own: Python delivers Ctrl-C only to the main thread and
    only between bytecodes, never while it is inside wasm. On Ctrl-C the runtime's own
    interruption stops the call and its chained calls; the state they flushed stays whole, and
    the interrupt goes on to the caller (the CLI says `interrupted` and exits 130)."""
    outcome: list[CallResult] = []
    failure: list[BaseException] = []
    done = _thread.allocate_lock()
    done.acquire()

    def call() -> None:
        try:
            outcome.append(runtime.call(user, function, input_data=input_data))
        except BaseException as error:  # handed to the main thread, re-raised there
            failure.append(error)
        finally:
            done.release()

    # A bare thread: `threading.Thread.start` would wait until it has been scheduled, which
    # costs a loaded machine milliseconds; acquiring `done` joins it (and Ctrl-C interrupts that).
    _thread.start_new_thread(call, ())
    try:
        done.acquire()
    except (KeyboardInterrupt, Interrupted):
        while True:  # chained calls may still be starting: trip them too
            runtime.interrupt()
            if done.acquire(timeout=0.01):
                break
        raise
    if failure:
        raise failure[0]
    return outcome[0]


def exit_code(result: CallResult) -> int:
    """The process exit code for a call: its return value, and never 0 for a failed call."""
    if result.failed and result.return_value == 0:
        return 1
    code = result.return_value & 0xFF
    return code if code or result.return_value == 0 else 1
