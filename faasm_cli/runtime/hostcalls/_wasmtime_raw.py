"""Every use of wasmtime-py's private modules and attributes, behind small functions.

wasmtime-py's public API costs tens of microseconds per call where the runtime needs one C call
(an export lookup wraps every export; a `Func` call goes through a process-wide trampoline), and
it does not expose the pooling instance allocator at all. So the runtime reaches past it, and only
here: `_ffi`, `_extern`, `Store._context()`, `Instance._instance`, `Func._func`, `._from_ptr` and
`._consume` appear in no other module (tests/test_house.py checks). An upgrade of wasmtime means
rechecking this one file against the new `wasmtime/_bindings.py` and `_store.py`.
"""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Callable
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime._extern import wrap_extern

RawCallback = Callable[[Any, Any, int, int], int]
# What a host callback receives: (env, caller, address of its values, how many) and returns: 0,
# or a trap pointer. The values are 16-byte slots holding the arguments; results overwrite them.
_VALUE_BYTES = 16
I32 = ffi.WASMTIME_I32.value
_VAL = ctypes.sizeof(ffi.wasmtime_val_t)
_VAL_OF = ffi.wasmtime_val_t.of.offset
_I32 = struct.Struct("<i")
_I32_VAL = struct.Struct(f"<B{_VAL_OF - 1}xi")  # a wasmtime_val_t holding an i32
_EXTERN_OF = ffi.wasmtime_extern_t.of.offset
_EXTERN_FUNC = ffi.WASMTIME_EXTERN_FUNC.value
_EXTERN_MEMORY = ffi.WASMTIME_EXTERN_MEMORY.value
_P = ctypes.c_void_p


def _c_function(name: str, restype: Any, *argtypes: Any) -> Any:
    """A private prototype of a C function taking plain addresses: wasmtime-py's own bindings
    take typed pointers, and converting to them costs more than the C call itself."""
    function = ffi.dll[name]  # indexing makes a new function object; wasmtime-py's is untouched
    function.restype = restype
    function.argtypes = argtypes
    return function


_export_get = _c_function(
    "wasmtime_instance_export_get", ctypes.c_bool, _P, _P, _P, ctypes.c_size_t, _P
)
_memory_data = _c_function("wasmtime_memory_data", _P, _P, _P)
_memory_data_size = _c_function("wasmtime_memory_data_size", ctypes.c_size_t, _P, _P)
_func_call = _c_function(
    "wasmtime_func_call", _P, _P, _P, _P, ctypes.c_size_t, _P, ctypes.c_size_t, _P
)


_STORE = ctypes.POINTER(ffi.wasmtime_store_t)
_CONTEXT = ctypes.POINTER(ffi.wasmtime_context_t)
# Typed results where wasmtime-py wants typed pointers: `ctypes.cast` costs about 1 us a call,
# and an address is `ctypes.addressof(pointer.contents)` (0.1 us).
_store_new = _c_function("wasmtime_store_new", _STORE, _P, _P, _P)
_store_context = _c_function("wasmtime_store_context", _CONTEXT, _STORE)
_store_limiter = _c_function("wasmtime_store_limiter", None, _STORE, *[ctypes.c_int64] * 5)
_wasi_config_new = _c_function("wasi_config_new", _P)
_set_wasi = _c_function("wasmtime_context_set_wasi", _P, _P, _P)
_pre_instantiate = _c_function("wasmtime_instance_pre_instantiate", _P, _P, _P, _P, _P)


def new_store(
    engine: wasmtime.Engine, memory_bytes: int, wasi: wasmtime.WasiConfig | None = None
) -> wasmtime.Store:
    """A store under a memory limit with WASI (`wasi`, or an empty configuration), made with
    direct C calls and wrapped as wasmtime-py would: its constructor, `set_limits` and
    `set_wasi` cost about 3 us more, paid on every call."""
    pointer = _store_new(_address(engine.ptr()), None, None)
    store = wasmtime.Store.__new__(wasmtime.Store)
    store._set_ptr(pointer)
    context_pointer = _store_context(pointer)
    store._Store__context = context_pointer  # type: ignore[attr-defined]
    store.engine = engine
    _store_limiter(pointer, memory_bytes, -1, -1, -1, -1)
    config = _address(wasi._consume()) if wasi is not None else _wasi_config_new()
    _raise(_set_wasi(_address(context_pointer), config))
    return store


def instantiate(ctx: int, pre: wasmtime.InstancePre) -> wasmtime.Instance:
    """`pre.instantiate(store)` (`ctx` the store's `context`) without wasmtime-py's process-wide
    last-exception check; raises the same `WasmtimeError` or `Trap`."""
    instance = ffi.wasmtime_instance_t()
    trap = ctypes.c_void_p()
    _raise(
        _pre_instantiate(
            _address(pre.ptr()),
            ctx,
            ctypes.addressof(instance),
            ctypes.addressof(trap),
        )
    )
    if trap.value:
        raise wasmtime.Trap._from_ptr(ctypes.cast(trap.value, ctypes.POINTER(ffi.wasm_trap_t)))
    return wasmtime.Instance._from_raw(instance)


def _raise(error: int | None) -> None:
    if error:
        raise wasmtime.WasmtimeError._from_ptr(
            ctypes.cast(error, ctypes.POINTER(ffi.wasmtime_error_t))
        )


def _address(pointer: Any) -> int:
    """The address a non-null typed ctypes pointer holds."""
    return ctypes.addressof(pointer.contents)


def context(store: wasmtime.Store) -> int:
    """The address of the store's `wasmtime_context_t`, valid as long as the store."""
    return _address(store._context())


def instance_address(instance: wasmtime.Instance) -> int:
    """The address of the instance handle; valid as long as `instance` is referenced."""
    return ctypes.addressof(instance._instance)


def _export_extern(ctx: int, instance: int, name: bytes) -> Any:
    item = ffi.wasmtime_extern_t()
    found = _export_get(ctx, instance, name, len(name), ctypes.addressof(item))
    return item if found else None


def export(store: wasmtime.Store, instance: wasmtime.Instance, name: str) -> object | None:
    """One export as a wasmtime-py object, without wrapping every other export."""
    item = _export_extern(context(store), instance_address(instance), name.encode())
    return wrap_extern(item) if item is not None else None


def export_func(ctx: int, instance: int, name: bytes) -> Any:
    """The function `name` exports (a handle for `call_i32`), or None when it is missing or
    not a function."""
    item = _export_extern(ctx, instance, name)
    return item if item is not None and item.kind == _EXTERN_FUNC else None


def export_memory(ctx: int, instance: int, name: bytes) -> Any:
    """The memory `name` exports (a handle for `memory_span`), or None when it is missing or
    not a memory."""
    item = _export_extern(ctx, instance, name)
    return item if item is not None and item.kind == _EXTERN_MEMORY else None


def memory_span(ctx: int, memory: Any) -> tuple[int, int]:
    """(host address, size in bytes) of a memory now; both change when the guest grows it."""
    address = ctypes.addressof(memory) + _EXTERN_OF
    return _memory_data(ctx, address) or 0, _memory_data_size(ctx, address)


def call_i32(
    ctx: int, func: Any, args: tuple[int, ...], nresults: int
) -> tuple[int, Exception | None]:
    """Call a function taking i32s: (its i32 result or 0, None) or (0, the trap or error).
    wasmtime checks the arguments against the function's type. The arguments, the result and
    the trap pointer share one buffer, packed with `struct` (ctypes fields cost more)."""
    count = len(args)
    results = _VAL * count
    trap_at = results + _VAL
    buffer = ctypes.create_string_buffer(trap_at + 8)
    for i, value in enumerate(args):
        _I32_VAL.pack_into(buffer, i * _VAL, I32, value)
    base = ctypes.addressof(buffer)
    error = _func_call(
        ctx,
        ctypes.addressof(func) + _EXTERN_OF,
        base,
        count,
        base + results,
        nresults,
        base + trap_at,
    )
    if error:
        return 0, wasmtime.WasmtimeError._from_ptr(
            ctypes.cast(error, ctypes.POINTER(ffi.wasmtime_error_t))
        )
    trap = ctypes.c_void_p.from_buffer(buffer, trap_at).value
    if trap:
        return 0, wasmtime.Trap._from_ptr(ctypes.cast(trap, ctypes.POINTER(ffi.wasm_trap_t)))
    return (_I32.unpack_from(buffer, results + _VAL_OF)[0] if nresults else 0), None


def trap_pointer(message: str) -> int:
    """A new trap carrying `message`, owned by whoever receives the pointer (wasmtime)."""
    pointer = wasmtime.Trap(message)._consume()
    return ctypes.cast(pointer, ctypes.c_void_p).value or 0


def i32_reader(count: int) -> Callable[[int], tuple[int, ...]]:
    """A reader of `count` i32 arguments from a host callback's values."""
    layout = struct.Struct("<" + f"i{_VALUE_BYTES - 4}x" * count)
    values = ctypes.c_char * layout.size

    def read(address: int) -> tuple[int, ...]:
        # Unpacked in place: copying the values out first (`string_at`) costs twice as much.
        return layout.unpack_from(values.from_address(address)) if count else ()

    return read


def write_i32(address: int, value: int) -> None:
    """Store an i32 result in a host callback's first value slot."""
    ctypes.c_int32.from_address(address).value = value


_UncheckedCallback = ctypes.CFUNCTYPE(ctypes.c_size_t, _P, _P, _P, ctypes.c_size_t)
_define_func_unchecked = _c_function(
    "wasmtime_linker_define_func_unchecked",
    _P,
    _P,
    ctypes.c_char_p,
    ctypes.c_size_t,
    ctypes.c_char_p,
    ctypes.c_size_t,
    _P,
    _UncheckedCallback,
    _P,
    _P,
)


def define_callback(
    linker: wasmtime.Linker, module: str, name: str, ty: wasmtime.FuncType, callback: RawCallback
) -> object:
    """Define `module.name` as a host callback of type `ty` taking its values raw (wasmtime has
    checked the types when it linked the import); keep the returned object alive with the
    linker."""
    handle = _UncheckedCallback(callback)
    module_raw, field = module.encode(), name.encode()
    error = _define_func_unchecked(
        ctypes.cast(linker.ptr(), _P),
        module_raw,
        len(module_raw),
        field,
        len(field),
        ctypes.cast(ty.ptr(), _P),
        handle,
        None,
        None,
    )
    if error:
        raise wasmtime.WasmtimeError._from_ptr(
            ctypes.cast(error, ctypes.POINTER(ffi.wasmtime_error_t))
        )
    return handle


def use_pooling(
    config: wasmtime.Config,
    instances: int,
    memories_per_instance: int,
    max_memory_bytes: int,
    keep_resident_bytes: int,
) -> None:
    """Switch `config` to the pooling instance allocator with `instances` slots; a freed slot
    resets the first `keep_resident_bytes` of each memory in place instead of decommitting."""
    pool = ffi.wasmtime_pooling_allocation_config_new()
    try:
        ffi.wasmtime_pooling_allocation_config_total_core_instances_set(pool, instances)
        ffi.wasmtime_pooling_allocation_config_total_memories_set(
            pool, instances * memories_per_instance
        )
        ffi.wasmtime_pooling_allocation_config_total_tables_set(pool, instances)
        ffi.wasmtime_pooling_allocation_config_max_memories_per_module_set(
            pool, memories_per_instance
        )
        ffi.wasmtime_pooling_allocation_config_max_memory_size_set(pool, max_memory_bytes)
        ffi.wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(
            pool, keep_resident_bytes
        )
        ffi.wasmtime_pooling_allocation_strategy_set(config.ptr(), pool)
    finally:
        ffi.wasmtime_pooling_allocation_config_delete(pool)
