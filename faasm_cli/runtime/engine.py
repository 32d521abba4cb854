"""The wasmtime engine.

`engine_settings(interruption)` is everything that changes the machine code, so it is part of
the key of the machine-code cache (`snapshot/cache.py`). Timeouts use guard pages by default
(`runtime/interrupt.py`): they need wasmtime's signal-based traps and multi-memory, and no epoch
checks in the code; `interruption="epoch"` compiles epoch checks in instead.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import wasmtime

from faasm_cli.runtime.interrupt import EPOCH, GUARD, check_interruption
from faasm_cli.runtime.pool import Allocator, InstancePool, build_engine

MAX_WASM_STACK = 1 << 20


def _wasmtime_version() -> str:
    """wasmtime-py's version, from the name of its one dist-info directory: importing
    importlib.metadata to ask would cost every `faasm run` 15-30 ms (about 5% of it)."""
    spec = find_spec("wasmtime")  # the imported module's own spec
    origin = spec.origin if spec is not None else None
    found = list(Path(origin).parent.parent.glob("wasmtime-*.dist-info")) if origin else []
    if len(found) == 1:
        return found[0].name.removeprefix("wasmtime-").removesuffix(".dist-info")
    from importlib.metadata import version  # another layout (e.g. editable): the slow way

    return version("wasmtime")


WASMTIME_VERSION = _wasmtime_version()
# Everything that changes the machine code goes into the cache key.
ENGINE_SETTINGS = (
    ("memory_init_cow", True),
    ("signals_based_traps", True),
    ("wasm_multi_memory", True),
    ("cranelift_opt_level", "speed"),
    ("max_wasm_stack", MAX_WASM_STACK),
)


def engine_settings(interruption: str = GUARD) -> tuple[tuple[str, object], ...]:
    """The settings of an engine whose calls stop at their deadline through `interruption`."""
    check_interruption(interruption)
    return (("epoch_interruption", interruption == EPOCH), *ENGINE_SETTINGS)


def make_engine(
    interruption: str = GUARD, pool: InstancePool | None = None
) -> tuple[wasmtime.Engine, Allocator]:
    """The engine, with the pooling allocator of `pool` when the host lets it reserve one."""
    config = wasmtime.Config()
    for key, value in engine_settings(interruption):
        setattr(config, key, value)
    return build_engine(config, pool)
