"""A snapshot shared by many functions, and what one function's own step changed in it.

The Python runtime bakes one snapshot module for all its functions (the interpreter started), so
its machine code is compiled once; what makes a function its own (its source compiled, its
imports run) is recorded as a `PageDiff` against that base: the 4 KiB pages that changed, the
memory size reached and the mutable globals that moved. A `Patched` pre-instantiation is the base
plus a diff: `Sandbox` instantiates the base copy-on-write, as for any snapshot, then writes the
diff over it. A diff is plain bytes (`encode`/`decode`), so it is kept on disk between processes.
Writing it costs each call a page fault per changed page (~2 us each here), so a function called
often enough is promoted to its own snapshot module, compiled in the background.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import struct
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import wasmtime

from faasm_cli.runtime.hostcalls import _wasmtime_raw as raw
from faasm_cli.runtime.hostcalls.interface import EXPORT_MEMORY
from faasm_cli.runtime.snapshot.rewrite import GLOBAL_EXPORT_PREFIX, PAGE
from faasm_cli.runtime.snapshot.runs import changed_runs

_RUN = struct.Struct("<II")  # (offset, length) of a run in an encoded diff
_INT_GLOBAL = struct.Struct("<IBq")  # (index, 0, value)
_FLOAT_GLOBAL = struct.Struct("<IBd")  # (index, 1, value): the same size
_COUNTS = struct.Struct("<QII")  # memory size, runs, globals


@dataclass(frozen=True)
class SharedBase:
    """A snapshot module several functions start from: its pre-instantiation, its machine-code
    key (what diffs against it are stored under) and its mutable globals' values."""

    pre: wasmtime.InstancePre
    key: str
    global_values: Mapping[int, int | float]


@dataclass(frozen=True)
class PageDiff:
    """What a function's step changed in a base: runs of changed pages (offset, bytes), the
    memory size it reached and the mutable globals that differ."""

    memory_bytes: int
    runs: tuple[tuple[int, bytes], ...]
    global_values: tuple[tuple[int, int | float], ...]

    @property
    def changed_bytes(self) -> int:
        return sum(len(data) for _, data in self.runs)

    def write(self, store: wasmtime.Store, instance: wasmtime.Instance) -> bool:
        """Put the diff into a new instance of its base; False when the store's memory limit
        refuses the size the diff needs."""
        memory = raw.export(store, instance, EXPORT_MEMORY)
        assert isinstance(memory, wasmtime.Memory)
        missing = self.memory_bytes - memory.data_len(store)
        if missing > 0:
            try:
                memory.grow(store, missing // PAGE)
            except wasmtime.WasmtimeError:
                return False
        base = ctypes.addressof(memory.data_ptr(store).contents)
        for offset, data in self.runs:
            ctypes.memmove(base + offset, data, len(data))
        for index, value in self.global_values:
            glob = raw.export(store, instance, f"{GLOBAL_EXPORT_PREFIX}{index}")
            assert isinstance(glob, wasmtime.Global)
            glob.set_value(store, value)
        return True

    def applied_to(self, base: bytes) -> bytes:
        """The memory image of an instance of `base` with this diff written over it."""
        image = bytearray(base[: self.memory_bytes])
        image += bytes(self.memory_bytes - len(image))
        for offset, data in self.runs:
            image[offset : offset + len(data)] = data
        return bytes(image)

    def encode(self) -> bytes:
        header = _COUNTS.pack(self.memory_bytes, len(self.runs), len(self.global_values))
        runs = b"".join(_RUN.pack(offset, len(data)) for offset, data in self.runs)
        values = b"".join(
            _FLOAT_GLOBAL.pack(index, 1, value)
            if isinstance(value, float)
            else _INT_GLOBAL.pack(index, 0, value)
            for index, value in self.global_values
        )
        return header + runs + values + b"".join(data for _, data in self.runs)


class Patched:
    """What a function's instances start from: a base's pre-instantiation and the diff written
    over it, until `promote` swaps in the function's own snapshot (no diff). `start` holds the
    pair as one value, so a call never sees half a swap. After `promote_after` calls (counted
    by `begin`), `promote` runs on a background thread: a function called that often has paid
    in diff writes about what compiling its own snapshot costs."""

    def __init__(
        self,
        pre: wasmtime.InstancePre,
        diff: PageDiff,
        promote: Callable[[], wasmtime.InstancePre | None],
        promote_after: int,
    ) -> None:
        self.diff = diff
        self.start: tuple[wasmtime.InstancePre, PageDiff | None] = (pre, diff)
        self.promoted = threading.Event()
        self._promote = promote
        # next() of a count is one step under the GIL: calls on several threads never skip or
        # repeat the promoting call, as `-= 1` then `== 0` could.
        self._calls = itertools.count(1)
        self._promote_after = promote_after

    def begin(self) -> tuple[wasmtime.InstancePre, PageDiff | None]:
        """What the next instance starts from (the diff None once promoted)."""
        if next(self._calls) == self._promote_after:
            threading.Thread(
                target=self._promote_quietly, name="faasm-promote", daemon=True
            ).start()
        return self.start

    def promote(self) -> bool:
        """Compile the function's own snapshot now and start later calls from it; False when
        that cannot be done (the interpreter build changed since the base was made)."""
        pre = self._promote()
        if pre is not None:
            self.start = (pre, None)
            self.promoted.set()
        return pre is not None

    def _promote_quietly(self) -> None:
        """`promote` as an optimisation: when it fails, the function keeps running on its diff
        (and the next load tries again)."""
        with contextlib.suppress(Exception):
            self.promote()


def decode(data: bytes) -> PageDiff:
    """The diff `encode` wrote (its integrity is the caller's check). Raises ValueError when the
    bytes do not hold one."""
    try:
        memory_bytes, nruns, nglobals = _COUNTS.unpack_from(data)
        at = _COUNTS.size
        spans = [_RUN.unpack_from(data, at + i * _RUN.size) for i in range(nruns)]
        at += nruns * _RUN.size
        values: list[tuple[int, int | float]] = []
        for _ in range(nglobals):
            index, kind, value = _INT_GLOBAL.unpack_from(data, at)
            if kind:
                index, kind, value = _FLOAT_GLOBAL.unpack_from(data, at)
            values.append((index, value))
            at += _INT_GLOBAL.size
    except struct.error as error:
        raise ValueError(f"not a page diff: {error}") from error
    runs = []
    for offset, length in spans:
        if offset + length > memory_bytes or at + length > len(data):
            raise ValueError("a run lies outside the diff")
        runs.append((offset, data[at : at + length]))
        at += length
    if at != len(data) or memory_bytes % PAGE:
        raise ValueError("not a page diff: wrong length")
    return PageDiff(memory_bytes, tuple(runs), tuple(values))


def page_diff(
    base: bytes,
    image: bytes,
    base_globals: Mapping[int, int | float],
    image_globals: Mapping[int, int | float],
) -> PageDiff:
    """The pages of `image` that differ from `base` (memory past the base's end counts as
    zeros), consecutive ones merged into runs, and the globals whose values moved."""
    runs = changed_runs(image, base)
    moved = tuple(
        (index, value)
        for index, value in sorted(image_globals.items())
        if value != base_globals.get(index)
    )
    return PageDiff(len(image), tuple(runs), moved)
