"""The host interface emulated in-process, for running a function file under the host's CPython.

Same functions as the built-in `_pyfaasm`: input and output are set and read by the test
(`set_call`, `output`), state is a dict, and a call chained by index runs inline at once through
the function the file registered for it (its output kept for `await_call_output`). `run(path)`
runs a whole file as a call does; `reset()` forgets state and calls between tests:

    from pyfaasm import _emulator

    def test_hello():
        result = _emulator.run("func/python/hello.py", b"input")
        assert (result.return_value, result.output) == (0, b"Hello from Python ...")
"""

from __future__ import annotations

import os
import sys
import types
from typing import NamedTuple

_input = b""
_output = b""
_idx = 0
_state: dict[str, bytes] = {}
_appended: dict[str, list[bytes]] = {}
_calls: dict[int, tuple[int, bytes]] = {}


class Result(NamedTuple):
    """What an emulated call ended with."""

    return_value: int
    output: bytes


def run(path: str | os.PathLike[str], input_data: bytes | str = b"", idx: int = 0) -> Result:
    """Run a function file as a call does: the file as __main__ (under another name for a chained
    index), then the function it registers for `idx`. `exit(n)` gives return value n; an
    exception propagates, so the test shows its traceback."""
    from . import core

    filename = os.fspath(path)
    with open(filename, encoding="utf-8") as handle:
        code = compile(handle.read(), filename, "exec", dont_inherit=True)
    core._reset()
    set_call(core._bytes(input_data), idx)
    module = types.ModuleType("__main__" if idx == 0 else core.CHAINED_NAME)
    module.__file__ = filename
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = module
    try:
        exec(code, module.__dict__)
        function = core._registered(idx)
        if function is None and idx != 0:
            raise LookupError(f"{filename} registers no function at index {idx}")
        value = core._return_value(function() if function is not None else 0)
    except SystemExit as stop:
        value = core._exit_code(stop.code)
    finally:
        if saved is not None:
            sys.modules["__main__"] = saved
    return Result(value, _output)


def reset() -> None:
    """Forget state, appended state and chained calls (a test starts from nothing)."""
    _state.clear()
    _appended.clear()
    _calls.clear()
    set_call()


def set_call(input_data: bytes = b"", idx: int = 0) -> None:
    """Start a call: its input and index, no output yet."""
    global _input, _output, _idx
    _input, _output, _idx = bytes(input_data), b"", idx


def output() -> bytes:
    return _output


def state() -> dict[str, bytes]:
    """The emulated state store (tests may fill or inspect it)."""
    return _state


def read_input() -> bytes:
    return _input


def write_output(data: bytes) -> None:
    global _output
    _output = bytes(data)


def get_idx() -> int:
    return _idx


def get_py_user() -> str:
    return ""


def get_py_func() -> str:
    return ""


def read_state(key: str, size: int) -> bytes:
    return _state.get(key, b"")[:size].ljust(size, b"\0")


def read_state_size(key: str) -> int:
    return len(_state.get(key, b""))


def write_state(key: str, data: bytes) -> None:
    _state[key] = bytes(data)


def read_state_offset(key: str, total: int, offset: int, size: int) -> bytes:
    return read_state(key, max(total, read_state_size(key)))[offset : offset + size]


def write_state_offset(key: str, total: int, offset: int, data: bytes) -> None:
    value = bytearray(read_state(key, max(total, read_state_size(key), offset + len(data))))
    value[offset : offset + len(data)] = data
    _state[key] = bytes(value)


def push_state(key: str) -> None:
    """One process: the local copy is the global one."""


def push_state_partial(key: str) -> None:
    """One process: the local copy is the global one."""


def pull_state(key: str, size: int) -> None:
    """One process: the local copy is the global one."""


def append_state(key: str, data: bytes) -> None:
    _appended.setdefault(key, []).append(bytes(data))


def read_appended_state(key: str, size: int, count: int) -> bytes:
    return b"".join(_appended.get(key, [])[:count])[:size].ljust(size, b"\0")


def clear_appended_state(key: str) -> None:
    _appended.pop(key, None)


def _no_lock(key: str) -> None:
    """One thread runs the emulated calls: locks have nothing to exclude."""


lock_state_global = unlock_state_global = _no_lock
lock_state_read = unlock_state_read = _no_lock
lock_state_write = unlock_state_write = _no_lock


def chain_this(idx: int, data: bytes) -> int:
    """Run the function registered for idx now, as its own call; its id."""
    from . import core

    function = core._registered(idx)
    if function is None:
        raise LookupError(f"no function registered at index {idx}")
    saved = (_input, _output, _idx)
    set_call(data, idx)
    try:
        value = core._return_value(function())
    except SystemExit as stop:
        value = core._exit_code(stop.code)
    call_id = len(_calls) + 1
    _calls[call_id] = (value, _output)
    set_call(saved[0], saved[2])
    write_output(saved[1])
    return call_id


def chain_function(name: str, data: bytes) -> int:
    raise NotImplementedError(
        f"chaining {name!r} by name needs the runtime: use faasm_cli.runtime.Runtime"
    )


def await_call(call_id: int) -> int:
    return _calls[call_id][0]


def await_call_output(call_id: int, max_size: int) -> tuple[int, bytes]:
    value, data = _calls[call_id]
    return value, data[:max_size]
