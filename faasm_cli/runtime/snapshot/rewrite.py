"""The two module rewrites behind proto-functions, the memory limit and timeouts (in Python).

`prepare` instruments a module once: every `memory.grow` goes through a hook that sets the
exported flag `__faasm_oom` and traps when the grow is refused (so a memory hog is a failed call
that says so, not a NULL from malloc), and every mutable global is exported so the snapshot can
read it. With `guard=True` it also adds the timeout checks: a small non-growable guard memory
(exported as `__faasm_guard`) and a dead `i32.load` from it at every function entry and every
loop header. The watchdog (`runtime/interrupt.py`) makes those pages inaccessible at a call's
deadline, so the next check traps; until then a check is one load that Cranelift cannot drop.
Each site of a function loads its own offset: Cranelift removes a load that repeats one made on
every path before it, and a loop whose check was merged into the entry check would never stop.
The guard memory is separate from memory 0 because the host reads memory 0 (WASI, host calls),
and a host read of a protected page would crash the process rather than trap.

`snapshot_module` then bakes a zygote's memory 0 and globals into a new module: data segments =
the non-zero pages, globals = their values, memory minimum = the size reached, no start function;
the guard memory is carried as it is. Wasmtime maps that data image copy-on-write, so a restore
costs one instantiation whatever the memory size.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from faasm_cli.runtime.snapshot import wasm_binary as wb
from faasm_cli.runtime.snapshot.runs import changed_runs

OOM_FLAG_EXPORT = "__faasm_oom"
GUARD_MEMORY_EXPORT = "__faasm_guard"
GUARD_SITE_BYTES = 4  # one i32 per check site
GLOBAL_EXPORT_PREFIX = "__faasm_g"
PAGE = 65536
_HOOK_TYPE = wb.FuncType(bytes([wb.I32]), bytes([wb.I32]))
_NUMERIC = (wb.I32, wb.I64, wb.F32, wb.F64)
# The instructions the rewrite acts on: loop (a check), memory.grow (the hook), 0xFC (segments).
_REWRITTEN_OPS = frozenset([wb.OP_LOOP, wb.OP_MEMORY_GROW, 0xFC])


@dataclass(frozen=True)
class Prepared:
    """An instrumented module plus what the snapshot needs to know about it."""

    wasm: bytes
    mutable_globals: tuple[tuple[int, int], ...]  # (global index, value type)
    snapshot_blocker: str | None  # why this module cannot be snapshotted, if it cannot


def _hook_body(flag_index: int) -> bytes:
    code = (
        b"\x01\x01\x7f"  # one i32 local
        b"\x20\x00\x40\x00\x22\x01"  # local.get 0; memory.grow 0; local.tee 1
        b"\x41\x7f\x46\x04\x40"  # i32.const -1; i32.eq; if
        b"\x41\x01\x24"
        + wb.uleb(flag_index)  # i32.const 1; global.set flag
        + b"\x00\x0b"  # unreachable; end
        b"\x20\x01\x0b"  # local.get 1; end
    )
    return wb.uleb(len(code)) + code


def _guard_load(site: int, memory: int) -> bytes:
    """`i32.const site*4; i32.load (guard memory); drop`: the check at one site."""
    offset = site * GUARD_SITE_BYTES
    return (
        bytes([wb.OP_I32_CONST])
        + wb.sleb(offset)
        + bytes([wb.OP_I32_LOAD])
        + wb.memarg(2, 0, memory)
        + bytes([wb.OP_DROP])
    )


def _rewrite_body(
    body: bytes, hook_call: bytes, guard_memory: int | None
) -> tuple[bytes, bool, int]:
    """The body with each memory.grow replaced by a call to the hook and, with a guard memory, a
    check at its entry and at each loop header; whether it names data segments (memory.init /
    data.drop); and how many check sites it has."""
    wants_grow = b"\x40\x00" in body
    wants_loops = guard_memory is not None and bytes([wb.OP_LOOP]) in body
    if not (wants_grow or wants_loops) and b"\xfc\x08" not in body and b"\xfc\x09" not in body:
        if guard_memory is None:
            return body, False, 0
        start = wb.code_start(body)
        return body[:start] + _guard_load(0, guard_memory) + body[start:], False, 1
    out = bytearray()
    last = wb.code_start(body)
    out += body[:last]
    sites = 0
    if guard_memory is not None:
        out += _guard_load(0, guard_memory)
        sites = 1
    uses_segments = False
    for start, end, op, sub in wb.instructions(body, _REWRITTEN_OPS):
        if op == wb.OP_MEMORY_GROW and body[start + 1 : end] == b"\x00":
            out += body[last:start] + hook_call
            last = end
        elif op == wb.OP_LOOP and guard_memory is not None:
            out += body[last:end] + _guard_load(sites, guard_memory)
            last = end
            sites += 1
        elif op == 0xFC and sub in wb.DATA_SEGMENT_OPS:
            uses_segments = True
    out += body[last:]
    return bytes(out), uses_segments, sites


def prepare(wasm: bytes, guard: bool = True) -> Prepared:
    """The instrumented module; `guard` adds the timeout checks (off for epoch interruption)."""
    sections = wb.read_sections(wasm)
    section = wb.find(sections, wb.IMPORT)
    imports = wb.read_imports(section.payload) if section else []
    section = wb.find(sections, wb.TYPE)
    types = wb.read_types(section.payload) if section else []
    section = wb.find(sections, wb.FUNCTION)
    func_types = wb.read_function_types(section.payload) if section else []
    section = wb.find(sections, wb.GLOBAL)
    globals_ = wb.read_globals(section.payload) if section else []
    section = wb.find(sections, wb.EXPORT)
    exports = wb.read_exports(section.payload) if section else []
    section = wb.find(sections, wb.CODE)
    bodies = wb.read_bodies(section.payload) if section else []
    section = wb.find(sections, wb.DATA)
    segments = wb.read_data(section.payload) if section else []
    section = wb.find(sections, wb.MEMORY)
    memories = []
    if section:
        count, reader = wb.items(section.payload)
        memories = [wb.read_limits(reader) for _ in range(count)]

    blocker = None
    imported_globals = sum(1 for i in imports if i.kind == wb.KIND_GLOBAL)
    imported_funcs = sum(1 for i in imports if i.kind == wb.KIND_FUNC)
    if any(i.kind == wb.KIND_MEMORY for i in imports):
        blocker = "the module imports its memory"
    elif len(memories) != 1:
        blocker = f"the module defines {len(memories)} memories (snapshots need exactly one)"
    elif memories[0].flags & ~1:
        blocker = "the module's memory is shared or 64-bit"
    elif any(s.flags == 1 for s in segments):
        blocker = "the module uses passive data segments"
    elif any(g.mutable and g.valtype not in _NUMERIC for g in globals_):
        blocker = "the module has a mutable global that is not a number"

    # The hook function and the flag global go after every existing one: no index moves.
    if _HOOK_TYPE in types:
        hook_type = types.index(_HOOK_TYPE)
    else:
        hook_type = len(types)
        types.append(_HOOK_TYPE)
    hook_index = imported_funcs + len(func_types)
    flag_index = imported_globals + len(globals_)
    hook_call = bytes([wb.OP_CALL]) + wb.uleb(hook_index)
    imported_memories = sum(1 for i in imports if i.kind == wb.KIND_MEMORY)
    # The guard memory goes after every existing memory, so memory 0 stays memory 0.
    guard_memory = imported_memories + len(memories) if guard else None
    new_bodies = []
    most_sites = 0
    for body in bodies:
        rewritten, uses_segments, sites = _rewrite_body(body, hook_call, guard_memory)
        if uses_segments and blocker is None:
            blocker = "the module uses memory.init or data.drop"
        most_sites = max(most_sites, sites)
        new_bodies.append(wb.uleb(len(rewritten)) + rewritten)
    has_memory = bool(memories) or imported_memories > 0
    mutable = tuple((imported_globals + i, g.valtype) for i, g in enumerate(globals_) if g.mutable)
    globals_.append(wb.GlobalDef(wb.I32, True, b"\x41\x00\x0b"))
    exports += [
        wb.Export(f"{GLOBAL_EXPORT_PREFIX}{index}", wb.KIND_GLOBAL, index) for index, _ in mutable
    ]
    exports.append(wb.Export(OOM_FLAG_EXPORT, wb.KIND_GLOBAL, flag_index))
    if guard_memory is not None:
        # Fixed size (minimum = maximum): small, never moves, fits any pooling-allocator slot.
        pages = max(1, -(-most_sites * GUARD_SITE_BYTES // PAGE))
        memories.append(wb.Limits(1, pages, pages))
        wb.put(sections, wb.MEMORY, wb.vec([m.encode() for m in memories]))
        exports.append(wb.Export(GUARD_MEMORY_EXPORT, wb.KIND_MEMORY, guard_memory))

    wb.put(sections, wb.TYPE, wb.vec([t.encode() for t in types]))
    wb.put(sections, wb.GLOBAL, wb.vec([wb.encode_global(g) for g in globals_]))
    wb.put(sections, wb.EXPORT, wb.vec([e.encode() for e in exports]))
    if has_memory:
        wb.put(sections, wb.FUNCTION, wb.vec([wb.uleb(t) for t in [*func_types, hook_type]]))
        wb.put(sections, wb.CODE, wb.vec([*new_bodies, _hook_body(flag_index)]))
    elif guard_memory is not None and bodies:
        wb.put(sections, wb.CODE, wb.vec(new_bodies))
    return Prepared(wb.write_module(sections), mutable, blocker)


def _const(valtype: int, value: int | float) -> bytes:
    if valtype == wb.I32:
        return b"\x41" + wb.sleb(int(value)) + b"\x0b"
    if valtype == wb.I64:
        return b"\x42" + wb.sleb(int(value)) + b"\x0b"
    if valtype == wb.F32:
        return b"\x43" + struct.pack("<f", value) + b"\x0b"
    return b"\x44" + struct.pack("<d", value) + b"\x0b"


def memory_segments(memory: bytes) -> list[tuple[int, bytes]]:
    """(offset, bytes) runs covering every non-zero 4 KiB chunk of a memory image."""
    runs = changed_runs(memory)
    trimmed = []
    for start, data in runs:
        stripped = data.lstrip(b"\x00")
        trimmed.append((start + len(data) - len(stripped), stripped.rstrip(b"\x00")))
    return trimmed


def snapshot_module(
    prepared: Prepared, memory: bytes, global_values: dict[int, int | float]
) -> bytes:
    """The prepared module with `memory` and `global_values` as its initial state."""
    if prepared.snapshot_blocker:
        raise ValueError(prepared.snapshot_blocker)
    sections = wb.read_sections(prepared.wasm)
    section = wb.find(sections, wb.IMPORT)
    imported_globals = sum(
        1 for i in (wb.read_imports(section.payload) if section else []) if i.kind == wb.KIND_GLOBAL
    )
    section = wb.find(sections, wb.GLOBAL)
    globals_ = wb.read_globals(section.payload) if section else []
    for index, valtype in prepared.mutable_globals:
        local = index - imported_globals
        globals_[local] = wb.GlobalDef(valtype, True, _const(valtype, global_values[index]))
    wb.put(sections, wb.GLOBAL, wb.vec([wb.encode_global(g) for g in globals_]))

    memory_section = wb.find(sections, wb.MEMORY)
    assert memory_section is not None
    count, reader = wb.items(memory_section.payload)
    limits = wb.read_limits(reader)
    pages = len(memory) // PAGE
    others = memory_section.payload[reader.pos :]  # the guard memory, unchanged
    memory_section.payload = (
        wb.uleb(count) + wb.Limits(limits.flags, pages, limits.maximum).encode() + others
    )

    segments = [wb.active_segment(offset, data) for offset, data in memory_segments(memory)]
    wb.put(sections, wb.DATA, wb.vec(segments))
    if wb.find(sections, wb.DATACOUNT):
        wb.put(sections, wb.DATACOUNT, wb.uleb(len(segments)))
    wb.remove(sections, wb.START)
    return wb.write_module(sections)
