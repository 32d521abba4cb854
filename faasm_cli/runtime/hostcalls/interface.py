"""The one definition of the Faasm host interface: every `env` import a function may use.

The runtime builds its linker bindings from this table, `docs/abi.md` is generated from it and the
guest header `faasm/host_interface.h` is tested against it. Pointers (`ptr`), lengths (`len`) and
sizes are i32 on wasm32; strings are NUL-terminated in guest memory.
"""

from __future__ import annotations

from dataclasses import dataclass

IMPORT_MODULE = "env"


@dataclass(frozen=True)
class HostFunction:
    """One import: its wasm name, parameters (name, wasm type), result type and meaning."""

    name: str
    params: tuple[tuple[str, str], ...]
    result: str | None
    group: str
    doc: str

    @property
    def param_types(self) -> tuple[str, ...]:
        return tuple(kind for _, kind in self.params)


def _f(name: str, params: str, result: str | None, group: str, doc: str) -> HostFunction:
    pairs = tuple((p, "i32") for p in params.split()) if params else ()
    return HostFunction(f"__faasm_{name}", pairs, result, group, doc)


HOST_FUNCTIONS: tuple[HostFunction, ...] = (
    # Input, output and call index.
    _f(
        "read_input",
        "buf len",
        "i32",
        "io",
        "Copy up to len input bytes to buf; returns bytes copied. len 0 returns the input size.",
    ),
    _f(
        "write_output",
        "buf len",
        None,
        "io",
        "Set the call's output to the len bytes at buf (replaces earlier output).",
    ),
    _f("get_idx", "", "i32", "io", "The function index this call runs (0 is the main function)."),
    _f(
        "get_py_user",
        "buf len",
        "i32",
        "io",
        "Copy the Python user of the call (NUL-terminated, cut to len) to buf; returns its "
        "length. Empty unless the call runs a Python function.",
    ),
    _f(
        "get_py_func",
        "buf len",
        "i32",
        "io",
        "Copy the Python function of the call to buf, as get_py_user; returns its length.",
    ),
    # Chaining.
    _f(
        "chain_this",
        "idx buf len",
        "i32",
        "chain",
        "Chain function index idx of this module with input; returns the call id at once.",
    ),
    _f(
        "chain_function",
        "name buf len",
        "i32",
        "chain",
        "Chain function name (C string) of the same user with input; returns the call id.",
    ),
    _f(
        "await_call",
        "id",
        "i32",
        "chain",
        "Block until call id finishes; returns its return value (non-zero on failure).",
    ),
    _f(
        "await_call_output",
        "id buf len",
        "i32",
        "chain",
        "Block until call id finishes, copy up to len output bytes to buf; returns its return "
        "value.",
    ),
    # State, scoped to the calling user. key is a C string.
    _f(
        "read_state",
        "key buf len",
        "i32",
        "state",
        "Copy the value of key into buf (zeros past its end); returns the stored size.",
    ),
    _f("read_state_size", "key", "i32", "state", "The stored size of key (0 when absent)."),
    _f("write_state", "key buf len", None, "state", "Replace the value of key with len bytes."),
    _f(
        "read_state_offset",
        "key total off buf len",
        None,
        "state",
        "Copy len bytes at off into buf. The range must lie in the value as it exists; total "
        "only sizes a value that does not exist yet (as Faasm bounds offsets).",
    ),
    _f(
        "write_state_offset",
        "key total off buf len",
        None,
        "state",
        "Write len bytes at off, bounded as read_state_offset (a new value gets total bytes).",
    ),
    _f(
        "read_state_ptr",
        "key total",
        "i32",
        "state",
        "A guest pointer to the whole value (total bytes), shared with colocated calls.",
    ),
    _f(
        "read_state_offset_ptr",
        "key total off len",
        "i32",
        "state",
        "A guest pointer to len bytes at off of the shared value.",
    ),
    _f("flag_state_dirty", "key total", None, "state", "Mark the whole value as changed."),
    _f(
        "flag_state_offset_dirty",
        "key total off len",
        None,
        "state",
        "Mark len bytes at off as changed.",
    ),
    _f("push_state", "key", None, "state", "Make the value durable (global store)."),
    _f("push_state_partial", "key", None, "state", "Push only the dirty parts of the value."),
    _f(
        "push_state_partial_mask",
        "key mask_key",
        None,
        "state",
        "Push only the bytes of key whose byte in value mask_key (same size) is non-zero.",
    ),
    _f("pull_state", "key total", None, "state", "Refresh the local copy from the global store."),
    _f("append_state", "key buf len", None, "state", "Append one element of len bytes to key."),
    _f(
        "read_appended_state",
        "key buf len n",
        None,
        "state",
        "Copy the first n appended elements (len bytes in all) into buf.",
    ),
    _f("clear_appended_state", "key", None, "state", "Drop every appended element of key."),
    _f("lock_state_global", "key", None, "state", "Take the global lock of key."),
    _f("unlock_state_global", "key", None, "state", "Release the global lock of key."),
    _f("lock_state_read", "key", None, "state", "Take a local read lock of key."),
    _f("unlock_state_read", "key", None, "state", "Release a local read lock of key."),
    _f("lock_state_write", "key", None, "state", "Take the local write lock of key."),
    _f("unlock_state_write", "key", None, "state", "Release the local write lock of key."),
)

HOST_FUNCTIONS_BY_NAME: dict[str, HostFunction] = {f.name: f for f in HOST_FUNCTIONS}

# Exports the runtime looks for in a module built with libfaasm.
EXPORT_MEMORY = "memory"
EXPORT_INITIALIZE = "_initialize"  # WASI reactor: runs C/C++ static constructors
EXPORT_ZYGOTE = "__faasm_zygote"  # () -> i32: runs FAASM_ZYGOTE once, before the snapshot
EXPORT_CALL = "__faasm_call"  # (idx) -> i32: dispatches to the function at idx, flushes stdio
EXPORT_ALLOC = "__faasm_alloc"  # (len) -> ptr: 4 KiB-aligned, 4 KiB-rounded, zeroed memory
EXPORT_FUNC_PREFIX = "_faasm_func_"  # _faasm_func_N is exported for each FAASM_FUNC(name, N)
EXPORT_START = "_start"  # a plain WASI command (no libfaasm) is run through _start
