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
from faasm_cli.names import check_function, check_user
from faasm_cli.runtime import CallResult, Runtime
from faasm_cli.runtime.python import PYTHON_SUFFIX, BuiltPython
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


def python_source(project: Project, user: str, function: str) -> Path:
    """func/USER/FUNCTION.py (what `--py` runs), or a NotFound listing the user's Python
    functions."""
    path = project.func_dir / check_user(user) / f"{check_function(function)}{PYTHON_SUFFIX}"
    if path.is_file():
        return path
    folder = project.func_dir / user
    known = sorted(p.stem for p in folder.glob(f"*{PYTHON_SUFFIX}")) if folder.is_dir() else []
    raise NotFound(
        f"no Python function {user}/{function} in {project.func_dir}",
        f"Python functions of {user}: {', '.join(known) or 'none'}",
    )


def is_python(project: Project | None, user: str, function: str, python: bool = False) -> bool:
    """Whether USER/FUNCTION runs as a Python function: `python` (--py) says so, or its source
    is func/USER/FUNCTION.py (a C/C++ source of the same name comes first)."""
    if python:
        return True
    return project is not None and project.source(user, function).suffix == PYTHON_SUFFIX


def run_function(
    project: Project | None,
    user: str,
    function: str,
    input_data: bytes,
    *,
    settings: Settings | None = None,
    wasm: Path | None = None,
    python: bool = False,
    on_log: Callable[[str], None] = lambda line: None,
) -> CallResult:
    """Build the function if stale, run it once under the settings' toolchain and limits, and
    resolve chained calls the same way; the project's shared files (if it has any) are readable
    by every call. A prebuilt `wasm` needs no project, unless it chains by name. A function
    whose source is NAME.py (or any with `python`: --py) runs on the Python runtime, as does
    every chained call to one."""
    settings = settings or Settings()

    def located(chain_user: str, chain_function: str) -> Project:
        if project is None:
            raise NotFound(
                f"no project to build {chain_user}/{chain_function} from",
                "run inside a project, or pass --func-dir DIR",
            )
        return project

    def resolve(chain_user: str, chain_function: str) -> Path:
        found = located(chain_user, chain_function)
        source = found.source(chain_user, chain_function)
        if source.suffix == PYTHON_SUFFIX:
            return source
        return build_function(
            found, chain_user, chain_function, backend=settings.toolchain, on_log=on_log
        ).path

    if wasm is not None:
        file_to_read(wasm, "--wasm")
    elif python:
        wasm = python_source(located(user, function), user, function)
    else:
        wasm = resolve(user, function)
    shared = project.shared_dir if project and project.shared_dir.is_dir() else None
    # One call (and what it chains) per process: no instance pool, whose reservation would cost
    # more than the few instances it saves mapping.
    limits = settings.runtime_limits()
    with Runtime(
        resolver=resolve,
        shared_files=shared,
        instance_slots=0,
        python=BuiltPython(),
        **limits,
    ) as runtime:
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
