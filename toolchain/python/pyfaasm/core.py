"""The flat pyfaasm API, with Faasm's 2020 names beside the Pythonic ones.

Inside the wasm interpreter every function is one host call through `_pyfaasm`; under the host's
CPython (`PYTHON_LOCAL_CHAINING` is then True) `pyfaasm._emulator` stands in: input, output and
state in memory, and chained calls by index run inline.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType

_host: ModuleType
try:
    import _pyfaasm as _host  # type: ignore[import-not-found,no-redef]

    PYTHON_LOCAL_CHAINING = False
except ImportError:
    from . import _emulator as _host

    PYTHON_LOCAL_CHAINING = True

# The most output await_call_output copies back (the host copies at most this many bytes).
MAX_CHAINED_OUTPUT = 1 << 20
# A chained call (index > 0) runs the file under this name, not as __main__: Faasm's script
# style (`if __name__ == "__main__": main_func()`) starts only the main call's work.
CHAINED_NAME = "__faasm_chained__"

_functions: dict[int, Callable[[], object]] = {}


def _reset() -> None:
    """Forget the functions registered by the previous call (the file registers them again)."""
    _functions.clear()


def _registered(idx: int) -> Callable[[], object] | None:
    return _functions.get(idx)


def _return_value(value: object) -> int:
    """What a registered function returned, as the call's return value (an int; else 0)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _exit_code(status: object) -> int:
    """`exit(status)` as the call's return value: a message goes to stderr and is 1."""
    if status is None:
        return 0
    if isinstance(status, int):
        return status
    print(status, file=sys.stderr)
    return 1


def register_function(idx: int, function: Callable[[], object]) -> None:
    """Make `function` the one chained calls to index `idx` of this file run (0 is main)."""
    _functions[idx] = function


def _bytes(value: bytes | bytearray | memoryview | str) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


def get_input() -> bytes:
    return bytes(_host.read_input())


def set_output(value: bytes | bytearray | memoryview | str) -> None:
    _host.write_output(_bytes(value))


def get_function_idx() -> int:
    return int(_host.get_idx())


def get_state(key: str, size: int) -> bytes:
    """`size` bytes of the value of `key` (zeros past its end; all zeros if it does not exist)."""
    return bytes(_host.read_state(key, size))


def get_state_size(key: str) -> int:
    return int(_host.read_state_size(key))


def set_state(key: str, value: bytes | bytearray | memoryview | str) -> None:
    _host.write_state(key, _bytes(value))


def get_state_offset(key: str, total: int, offset: int, size: int) -> bytes:
    return bytes(_host.read_state_offset(key, total, offset, size))


def set_state_offset(
    key: str, total: int, offset: int, value: bytes | bytearray | memoryview | str
) -> None:
    _host.write_state_offset(key, total, offset, _bytes(value))


def push_state(key: str) -> None:
    _host.push_state(key)


def push_state_partial(key: str) -> None:
    _host.push_state_partial(key)


def pull_state(key: str, size: int) -> None:
    _host.pull_state(key, size)


def append_state(key: str, value: bytes | bytearray | memoryview | str) -> None:
    _host.append_state(key, _bytes(value))


def read_appended_state(key: str, size: int, count: int) -> bytes:
    return bytes(_host.read_appended_state(key, size, count))


def clear_appended_state(key: str) -> None:
    _host.clear_appended_state(key)


def lock_state_global(key: str) -> None:
    _host.lock_state_global(key)


def unlock_state_global(key: str) -> None:
    _host.unlock_state_global(key)


def lock_state_read(key: str) -> None:
    _host.lock_state_read(key)


def unlock_state_read(key: str) -> None:
    _host.unlock_state_read(key)


def lock_state_write(key: str) -> None:
    _host.lock_state_write(key)


def unlock_state_write(key: str) -> None:
    _host.unlock_state_write(key)


def chain_function(name: str, input_data: bytes | str = b"") -> int:
    """Call function `name` of the same user (Python or C) with input; its call id at once."""
    return int(_host.chain_function(name, _bytes(input_data)))


def chain_this_with_input(idx: int, input_data: bytes | str = b"") -> int:
    """Call function `idx` of this file with input; its call id at once."""
    return int(_host.chain_this(idx, _bytes(input_data)))


def await_call(call_id: int) -> int:
    """Wait for a chained call; its return value (non-zero when it failed)."""
    return int(_host.await_call(call_id))


def await_call_output(call_id: int, max_size: int = MAX_CHAINED_OUTPUT) -> bytes:
    """Wait for a chained call; its output (up to max_size bytes, trailing NULs dropped: the
    host interface does not say how long the output was)."""
    _, output = _host.await_call_output(call_id, max_size)
    return bytes(output).rstrip(b"\0")


# Faasm's 2020 names, so its Python functions run unmodified.
getInput = get_input
setOutput = set_output
getFunctionIdx = get_function_idx
getState = get_state
getStateOffset = get_state_offset
setState = set_state
setStateOffset = set_state_offset
pushState = push_state
pushStatePartial = push_state_partial
pullState = pull_state
chainThisWithInput = chain_this_with_input
awaitCall = await_call
registerFunction = register_function
