"""Python functions: the interpreter module is the function's wasm, the script the zygote's input.

Every Python function shares one interpreter module (CPython on wasm with libfaasm's entry
points, made by `faasm python build`). What makes a function its own is its zygote: the
interpreter initialised, the script compiled and its imports run (toolchain/python/pyfaasm/
_runner.py), then linear memory snapshotted as for C functions. Each call is restored from that
snapshot with the stdlib mounted read-only at "/" and no other file; `random` is reseeded per
call. The zygote is deterministic (hash seed from the source, `random` seeded with 0, a process
clock with no start time, the dead C stack zeroed), so its snapshot is the same bytes in every
process and its machine code is compiled once into the cache, as a C function's is.
"""

from __future__ import annotations

import ctypes
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import wasmtime

from faasm_cli.errors import BadInput
from faasm_cli.message import Message
from faasm_cli.runtime.faaslet import Outcome, Sandbox
from faasm_cli.runtime.hostcalls.capture import Capture
from faasm_cli.runtime.hostcalls.interface import EXPORT_MEMORY
from faasm_cli.runtime.snapshot import rewrite as module_rewrite
from faasm_cli.runtime.snapshot.proto import SNAPSHOT, LoadedFunction, Loader, initialise

PYTHON_SUFFIX = ".py"  # what makes a function file a Python function
PYTHON_INDICES = frozenset(range(10))
STACK_POINTER_GLOBAL = 0  # LLVM's __stack_pointer is the module's first global
_TRACEBACK = "Traceback (most recent call last):"


class PythonFiles(Protocol):
    """What the runtime needs of a built Python runtime (toolchain.python.PythonRuntime)."""

    @property
    def function_wasm(self) -> Path: ...

    @property
    def guest_root(self) -> Path: ...


class BuiltPython:
    """The Python runtime `faasm python build` made in the cache (`root`: the default cache),
    looked up when a Python function first loads: a process that loads none does not pay for
    the lookup, and one that does gets the error saying how to build it."""

    def __init__(self, root: Path | None = None) -> None:
        self._root = root
        self._found: PythonFiles | None = None

    def _runtime(self) -> PythonFiles:
        if self._found is None:
            from faasm_cli.toolchain.python import require_runtime

            self._found = require_runtime(self._root)
        return self._found

    @property
    def function_wasm(self) -> Path:
        return self._runtime().function_wasm

    @property
    def guest_root(self) -> Path:
        return self._runtime().guest_root


@dataclass(frozen=True)
class PythonFunction(LoadedFunction):
    """A loaded Python function: its calls see `files` (the stdlib) at "/" and nothing else."""

    files: Path | None = None


def python_message(message: Message) -> Message:
    """The message of the function a Python call names: Faasm's clients send user "python" and
    name the function in `py_user`/`py_func`; ours name it in user/function already."""
    if not message.python or not (message.py_user and message.py_func):
        return message
    return message.replaced(user=message.py_user, function=message.py_func)


def read_source(path: Path) -> bytes:
    """The function's source, refused unless it is UTF-8 (Python's own default)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadInput(
            f"{path} is not UTF-8 text (byte {error.start} cannot be decoded)",
            "save the function's source as UTF-8",
        ) from error
    return data


def load_python(
    loader: Loader, python: PythonFiles, user: str, function: str, path: Path
) -> PythonFunction:
    """Compile (or load) the interpreter, run the zygote on `path`, snapshot it."""
    source = read_source(path)
    label = f"func/{user}/{path.name}"
    prepared, module = loader.compile(python.function_wasm.read_bytes(), "the Python runtime")
    pre = loader.linker.instantiate_pre(module)
    sandbox = Sandbox(loader.engine, loader.interruption, loader.limits, pre, python.guest_root)
    if sandbox.failure is not None:
        return _failed(user, function, pre, python, sandbox.failure.error or "")
    ctx = sandbox.context(user, function, 0, label.encode() + b"\0" + source, loader.state)
    outcome = initialise(sandbox, ctx)
    if outcome.failed or outcome.return_value:
        reason = (
            _traceback(ctx.stderr.text()) or outcome.error or f"returned {outcome.return_value}"
        )
        return _failed(user, function, pre, python, reason)
    memory = sandbox.export(EXPORT_MEMORY)
    assert isinstance(memory, wasmtime.Memory)
    size = memory.data_len(sandbox.store)
    image = ctypes.string_at(ctypes.addressof(memory.data_ptr(sandbox.store).contents), size)
    values: dict[int, int | float] = {}
    for index, _ in prepared.mutable_globals:
        glob = sandbox.export(f"{module_rewrite.GLOBAL_EXPORT_PREFIX}{index}")
        assert isinstance(glob, wasmtime.Global)
        values[index] = glob.value(sandbox.store)
    snapshot = module_rewrite.snapshot_module(prepared, _without_dead_stack(image, values), values)
    family = "pysnap-" + hashlib.sha256(f"{user}/{function}".encode()).hexdigest()[:24]
    snap_module = loader.cache.load(snapshot, f"{label} (snapshot)", family=family)
    return PythonFunction(
        user,
        function,
        SNAPSHOT,
        loader.linker.instantiate_pre(snap_module),
        PYTHON_INDICES,
        files=python.guest_root,
    )


def _without_dead_stack(image: bytes, values: dict[int, int | float]) -> bytes:
    """`image` with the C stack below the stack pointer zeroed. The module is linked stack first
    (toolchain.python.FUNCTION_LINK_FLAGS): the stack is [0, stack pointer), and what the
    zygote left there is dead bytes that differ between processes (and would be data segments).
    """
    pointer = int(values.get(STACK_POINTER_GLOBAL, 0))
    return bytes(pointer) + image[pointer:]


def _failed(
    user: str, function: str, pre: wasmtime.InstancePre, python: PythonFiles, reason: str
) -> PythonFunction:
    return PythonFunction(
        user,
        function,
        SNAPSHOT,
        pre,
        PYTHON_INDICES,
        zygote_error=f"zygote failed: {reason}",
        files=python.guest_root,
    )


def _traceback(stderr: str) -> str:
    """The last Python traceback (or SyntaxError report) in `stderr`, without its trailing
    newline; empty when there is none."""
    start = stderr.rfind(_TRACEBACK)
    if start < 0:
        start = stderr.find('  File "')
    return stderr[start:].strip() if start >= 0 else ""


def explain(outcome: Outcome, stderr: Capture) -> tuple[Outcome, Capture]:
    """A failed Python call: its traceback is the message when it has one (exit(n) keeps
    "exited with code n"), and leaves the call's stderr (which would show it twice)."""
    text = stderr.text()
    found = _traceback(text)
    if not found:
        return outcome, stderr
    before = Capture(stderr.limit)
    before.write(text[: text.rfind(found)].encode())
    return Outcome(outcome.return_value, True, found), before


__all__ = [
    "PYTHON_SUFFIX",
    "BuiltPython",
    "PythonFiles",
    "PythonFunction",
    "explain",
    "load_python",
    "python_message",
    "read_source",
]
