"""Python functions: one interpreter snapshot shared by all, and each function's pages over it.

Every Python function shares one interpreter module (CPython on wasm with libfaasm's entry
points, made by `faasm python build`). Its zygote starts the interpreter and imports pyfaasm:
that is baked once into a *base* snapshot module, whose machine code (all of CPython) is compiled
once per build and cached on disk like any module's. What makes a function its own is its load
step, run on a fresh base instance: the script compiled and its imports run (toolchain/python/
pyfaasm/_runner.py). The pages, memory size and globals that step changed are its `PageDiff`,
kept in the cache under (base, label and source): a new or edited function costs one load step,
not a compilation. Each call instantiates the base copy-on-write and writes the diff over it; a
function called `PROMOTE_AFTER` times gets its own snapshot module (base image + diff), compiled
in the background and cached, so its calls stop paying for the diff. Calls run with the stdlib
mounted read-only at "/" and no other file; `random` is reseeded per call. The base is
deterministic (a fixed hash seed, a process clock with no start time, the dead C stack zeroed),
so it is the same bytes in every process and its cached machine code is found again; so are
diffs (`random` is seeded with 0 in the load step).
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import wasmtime

from faasm_cli.errors import BadInput
from faasm_cli.message import Message
from faasm_cli.runtime.context import CallContext
from faasm_cli.runtime.faaslet import Outcome, Sandbox
from faasm_cli.runtime.hostcalls.capture import Capture
from faasm_cli.runtime.snapshot import page_diff
from faasm_cli.runtime.snapshot import rewrite as module_rewrite
from faasm_cli.runtime.snapshot.cache import REWRITE_DIGEST, source_digest
from faasm_cli.runtime.snapshot.page_diff import PageDiff, Patched, SharedBase
from faasm_cli.runtime.snapshot.proto import (
    SNAPSHOT,
    LoadedFunction,
    Loader,
    global_values,
    initialise,
    memory_image,
)

PYTHON_SUFFIX = ".py"  # what makes a function file a Python function
PYTHON_INDICES = frozenset(range(10))
STACK_POINTER_GLOBAL = 0  # LLVM's __stack_pointer is the module's first global
LOAD_EXPORT = "__faasm_python_load"  # () -> i32: toolchain/python/entry.c, a function's step
BASE_FAMILY = "pybase"  # cache names: the base's machine code and what it was made from
DIFF_FAMILY = "pydiff"  # cache names: a function's pages over the base
SNAPSHOT_FAMILY = "pysnap"  # cache names: a promoted function's own snapshot
# Calls on the diff before a function gets its own snapshot: compiling one costs ~10 s of CPU,
# the diff ~0.2-1 ms per call (a page fault per changed page), so about as much.
PROMOTE_AFTER = 20_000
_PYFAASM = "pyfaasm"
_TRACEBACK = "Traceback (most recent call last):"
_LOADER_DIGEST = source_digest(page_diff, sys.modules[__name__])


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
    loader: Loader,
    python: PythonFiles,
    user: str,
    function: str,
    path: Path,
    promote_after: int = PROMOTE_AFTER,
) -> PythonFunction:
    """The function on the interpreter's base snapshot: its own snapshot when one was compiled
    (`Patched.promote`), else the base with its page diff, from the cache or made now by running
    its load step (source compiled, imports run) on a fresh base instance."""
    source = read_source(path)
    label = f"func/{user}/{path.name}"
    try:
        made_from, base = _base(loader, python, user, function)
        step_input = label.encode() + b"\0" + source
        digest = hashlib.sha256(base.key.encode() + b"\0" + step_input).hexdigest()
        family = f"{SNAPSHOT_FAMILY}-" + hashlib.sha256(label.encode()).hexdigest()[:24]
        found = loader.cache.read_record(f"{SNAPSHOT_FAMILY}-{digest}")
        module = loader.cache.load_compiled(found.decode(), family) if found else None
        if module is not None:
            pre = loader.linker.instantiate_pre(module)
            return PythonFunction(
                user, function, SNAPSHOT, pre, PYTHON_INDICES, files=python.guest_root
            )
        diff = _cached_diff(loader, f"{DIFF_FAMILY}-{digest}")
        if diff is None:
            diff = _load_step(loader, python, base, user, function, step_input)
            loader.cache.write_record(f"{DIFF_FAMILY}-{digest}", diff.encode())
    except _StepFailed as failed:
        return PythonFunction(
            user,
            function,
            SNAPSHOT,
            failed.pre,
            PYTHON_INDICES,
            zygote_error=f"zygote failed: {failed.reason}",
            files=python.guest_root,
        )
    own = _OwnSnapshot(loader, python, made_from, base, diff, digest, family, label)
    patched = Patched(base.pre, diff, own.compile, promote_after)
    return PythonFunction(
        user, function, SNAPSHOT, patched, PYTHON_INDICES, files=python.guest_root
    )


@dataclass(frozen=True)
class _OwnSnapshot:
    """How a function gets its own snapshot module: the base's image with its diff written in,
    compiled and cached (a record under its diff's digest names the machine code, `family` is
    the function's, so an edited function's new snapshot replaces the old one)."""

    loader: Loader
    python: PythonFiles
    made_from: str
    base: SharedBase
    diff: PageDiff
    digest: str
    family: str
    label: str

    def compile(self) -> wasmtime.InstancePre | None:
        """The snapshot's pre-instantiation; None when the interpreter build changed since the
        base was made (the diff belongs to the old one)."""
        loader = self.loader
        if _base_inputs(loader, self.python) != self.made_from:
            return None
        wasm = self.python.function_wasm.read_bytes()
        prepared = loader.cache.prepare(wasm)
        image = self.diff.applied_to(memory_image(_sandbox(loader, self.python, self.base.pre)))
        values = {**self.base.global_values, **dict(self.diff.global_values)}
        snapshot = module_rewrite.snapshot_module(prepared, image, values)
        module = loader.cache.load(snapshot, f"{self.label} (snapshot)", self.family)
        loader.cache.write_record(
            f"{SNAPSHOT_FAMILY}-{self.digest}", loader.cache.key(snapshot).encode()
        )
        return loader.linker.instantiate_pre(module)


class _StepFailed(Exception):
    """The interpreter's zygote or a function's load step failed: why (which every call of the
    function then fails with), and what its calls would have started from."""

    def __init__(self, reason: str, pre: wasmtime.InstancePre) -> None:
        super().__init__(reason)
        self.reason = reason
        self.pre = pre


def _step_done(outcome: Outcome, ctx: CallContext, pre: wasmtime.InstancePre) -> None:
    """Raise `_StepFailed` with the step's traceback (or error) when it failed."""
    if outcome.failed or outcome.return_value:
        reason = _traceback(ctx.stderr.text()) or outcome.error
        raise _StepFailed(reason or f"returned {outcome.return_value}", pre)


def _cached_diff(loader: Loader, record: str) -> PageDiff | None:
    found = loader.cache.read_record(record)
    if found is None:
        return None
    try:
        return page_diff.decode(found)
    except ValueError:
        return None  # made again, and written over it


def _load_step(
    loader: Loader,
    python: PythonFiles,
    base: SharedBase,
    user: str,
    function: str,
    step_input: bytes,
) -> PageDiff:
    """The pages the function's load step changes in a fresh instance of the base."""
    sandbox = _sandbox(loader, python, base.pre)
    before = memory_image(sandbox)
    ctx = sandbox.context(user, function, 0, step_input, loader.state)
    _step_done(sandbox.call(LOAD_EXPORT, ctx, 1), ctx, base.pre)
    values = global_values(sandbox, tuple(base.global_values))
    after = _without_dead_stack(memory_image(sandbox), values)
    return page_diff.page_diff(before, after, base.global_values, values)


def _base(loader: Loader, python: PythonFiles, user: str, function: str) -> tuple[str, SharedBase]:
    """The interpreter started, as a snapshot module shared by every Python function (and what
    it is made from): from this runtime, else from the disk cache (a record names its machine
    code by what it was made from), else made now."""
    made_from = _base_inputs(loader, python)
    base = loader.bases.get(made_from)
    if base is not None:
        return made_from, base
    record = f"{BASE_FAMILY}-{made_from}"
    found = loader.cache.read_record(record)
    if found is not None:
        key, values = json.loads(found)
        module = loader.cache.load_compiled(key, BASE_FAMILY)
        if module is not None:
            pre = loader.linker.instantiate_pre(module)
            base = SharedBase(pre, key, {index: value for index, value in values})
    if base is None:
        base = _make_base(loader, python, python.function_wasm.read_bytes(), user, function)
        data = [base.key, sorted(base.global_values.items())]
        loader.cache.write_record(record, json.dumps(data).encode())
    loader.bases[made_from] = base
    return made_from, base


def _make_base(
    loader: Loader, python: PythonFiles, wasm: bytes, user: str, function: str
) -> SharedBase:
    """Run the interpreter's zygote (CPython started, pyfaasm imported) and bake it into a
    snapshot module. It is deterministic (a fixed hash seed, a process clock with no start
    time, the dead C stack zeroed), so its machine code is the same in every process."""
    prepared, module = loader.compile(wasm, "the Python runtime")
    pre = loader.linker.instantiate_pre(module)
    sandbox = _sandbox(loader, python, pre)
    ctx = sandbox.context(user, function, 0, b"", loader.state)
    _step_done(initialise(sandbox, ctx), ctx, pre)
    values = global_values(sandbox, tuple(index for index, _ in prepared.mutable_globals))
    image = _without_dead_stack(memory_image(sandbox), values)
    snapshot = module_rewrite.snapshot_module(prepared, image, values)
    snap_module = loader.cache.load(snapshot, "the Python runtime (base snapshot)", BASE_FAMILY)
    return SharedBase(
        loader.linker.instantiate_pre(snap_module), loader.cache.key(snapshot), values
    )


def _base_inputs(loader: Loader, python: PythonFiles) -> str:
    """What the base snapshot is made from: the interpreter module (and the engine it is
    compiled for), the code that snapshots it, and the guest files its zygote reads (the
    stdlib, by where this build keeps it, and pyfaasm, which `faasm python build` replaces).
    Hashed once per version of the files (a stat of each tells): every function load asks."""
    files = [python.function_wasm, *sorted(python.guest_root.glob(f"lib/python*/{_PYFAASM}/**/*"))]
    stats = [(file, file.stat()) for file in files]
    signature = tuple((file, stat.st_mtime_ns, stat.st_size) for file, stat in stats)
    found = loader.base_inputs.get(signature)
    if found is not None:
        return found
    wasm = python.function_wasm.read_bytes()
    digest = hashlib.sha256(loader.cache.key(wasm).encode() + REWRITE_DIGEST + _LOADER_DIGEST)
    digest.update(str(python.guest_root.resolve()).encode())
    for file in files[1:]:
        if file.is_file():
            digest.update(file.name.encode() + b"\0" + file.read_bytes())
    loader.base_inputs[signature] = made_from = digest.hexdigest()
    return made_from


def _sandbox(loader: Loader, python: PythonFiles, pre: wasmtime.InstancePre) -> Sandbox:
    """A sandbox for a step, with the stdlib mounted as calls see it."""
    sandbox = Sandbox(loader.engine, loader.interruption, loader.limits, pre, python.guest_root)
    if sandbox.failure is not None:
        raise _StepFailed(sandbox.failure.error or "could not instantiate", pre)
    return sandbox


def _without_dead_stack(image: bytes, values: dict[int, int | float]) -> bytes:
    """`image` with the C stack below the stack pointer zeroed. The module is linked stack first
    (toolchain.python.FUNCTION_LINK_FLAGS): the stack is [0, stack pointer), and what a step
    left there is dead bytes that differ between processes (and would be data or diff pages).
    """
    pointer = int(values.get(STACK_POINTER_GLOBAL, 0))
    return bytes(pointer) + image[pointer:]


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
