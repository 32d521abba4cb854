"""A small reader/writer of the WebAssembly binary format (sections 0-13, LEB128, instructions).

The snapshot and the memory-limit hook rewrite modules in pure Python; this module knows the
encoding and nothing about Faasm. Only what those rewrites need is decoded, the rest of a module
is carried through byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass

MAGIC = b"\x00asm\x01\x00\x00\x00"

CUSTOM, TYPE, IMPORT, FUNCTION, TABLE, MEMORY, GLOBAL, EXPORT, START = 0, 1, 2, 3, 4, 5, 6, 7, 8
ELEMENT, CODE, DATA, DATACOUNT, TAG = 9, 10, 11, 12, 13
# The order sections must appear in (custom sections may sit anywhere).
SECTION_ORDER = (
    TYPE,
    IMPORT,
    FUNCTION,
    TABLE,
    MEMORY,
    TAG,
    GLOBAL,
    EXPORT,
    START,
    ELEMENT,
    DATACOUNT,
    CODE,
    DATA,
)

I32, I64, F32, F64, V128 = 0x7F, 0x7E, 0x7D, 0x7C, 0x7B
KIND_FUNC, KIND_TABLE, KIND_MEMORY, KIND_GLOBAL, KIND_TAG = 0, 1, 2, 3, 4
OP_LOOP, OP_END, OP_CALL, OP_DROP = 0x03, 0x0B, 0x10, 0x1A
OP_I32_LOAD, OP_MEMORY_GROW, OP_I32_CONST = 0x28, 0x40, 0x41


class WasmFormatError(ValueError):
    """The bytes are not a module this reader understands (or not wasm at all)."""


def uleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        done = (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40)
        out.append(byte if done else byte | 0x80)
        if done:
            return bytes(out)


def name(text: str) -> bytes:
    raw = text.encode()
    return uleb(len(raw)) + raw


def vec(items: list[bytes]) -> bytes:
    return uleb(len(items)) + b"".join(items)


class Reader:
    """A cursor over bytes with the primitive decoders of the format."""

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def at_end(self) -> bool:
        return self.pos >= self.end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise WasmFormatError("unexpected end of data")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def take(self, count: int) -> bytes:
        if self.pos + count > self.end:
            raise WasmFormatError("unexpected end of data")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def u32(self) -> int:
        result = shift = 0
        while True:
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result
            if shift > 63:
                raise WasmFormatError("LEB128 integer too long")

    def sleb(self) -> int:
        result = shift = 0
        while True:
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                if byte & 0x40:
                    result -= 1 << shift
                return result
            if shift > 70:
                raise WasmFormatError("LEB128 integer too long")

    def name(self) -> str:
        return self.take(self.u32()).decode("utf-8", "replace")


@dataclass
class Section:
    id: int
    payload: bytes


def read_sections(wasm: bytes) -> list[Section]:
    if wasm[:8] != MAGIC:
        raise WasmFormatError("not a WebAssembly module (bad magic or version)")
    reader = Reader(wasm, 8)
    sections = []
    while not reader.at_end():
        section_id = reader.byte()
        size = reader.u32()
        sections.append(Section(section_id, reader.take(size)))
    return sections


def write_module(sections: list[Section]) -> bytes:
    parts = [MAGIC]
    for section in sections:
        parts += [bytes([section.id]), uleb(len(section.payload)), section.payload]
    return b"".join(parts)


def find(sections: list[Section], section_id: int) -> Section | None:
    return next((s for s in sections if s.id == section_id), None)


def put(sections: list[Section], section_id: int, payload: bytes) -> None:
    """Replace a section's payload, or insert the section at its place in the order."""
    existing = find(sections, section_id)
    if existing is not None:
        existing.payload = payload
        return
    rank = SECTION_ORDER.index(section_id)
    position = len(sections)
    for i, section in enumerate(sections):
        if section.id != CUSTOM and SECTION_ORDER.index(section.id) > rank:
            position = i
            break
    sections.insert(position, Section(section_id, payload))


def remove(sections: list[Section], section_id: int) -> None:
    sections[:] = [s for s in sections if s.id != section_id]


def items(payload: bytes) -> tuple[int, Reader]:
    """The element count of a vector section and a reader positioned on its first element."""
    reader = Reader(payload)
    return reader.u32(), reader


# ---- entries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    module: str
    name: str
    kind: int


@dataclass(frozen=True)
class Limits:
    flags: int
    minimum: int
    maximum: int | None

    def encode(self) -> bytes:
        out = bytes([self.flags]) + uleb(self.minimum)
        return out + uleb(self.maximum) if self.maximum is not None else out


def read_limits(reader: Reader) -> Limits:
    flags = reader.byte()
    minimum = reader.u32()
    maximum = reader.u32() if flags & 1 else None
    return Limits(flags, minimum, maximum)


def read_imports(payload: bytes) -> list[Import]:
    count, reader = items(payload)
    result = []
    for _ in range(count):
        module, field = reader.name(), reader.name()
        kind = reader.byte()
        if kind in (KIND_FUNC, KIND_TAG):
            if kind == KIND_TAG:
                reader.byte()
            reader.u32()
        elif kind == KIND_TABLE:
            reader.sleb()
            read_limits(reader)
        elif kind == KIND_MEMORY:
            read_limits(reader)
        elif kind == KIND_GLOBAL:
            reader.byte()
            reader.byte()
        else:
            raise WasmFormatError(f"unknown import kind {kind}")
        result.append(Import(module, field, kind))
    return result


@dataclass(frozen=True)
class Export:
    name: str
    kind: int
    index: int

    def encode(self) -> bytes:
        return name(self.name) + bytes([self.kind]) + uleb(self.index)


def read_exports(payload: bytes) -> list[Export]:
    count, reader = items(payload)
    return [Export(reader.name(), reader.byte(), reader.u32()) for _ in range(count)]


@dataclass(frozen=True)
class GlobalDef:
    valtype: int
    mutable: bool
    init: bytes  # constant expression, including its final `end`


def read_globals(payload: bytes) -> list[GlobalDef]:
    count, reader = items(payload)
    result = []
    for _ in range(count):
        valtype, mutable = reader.byte(), reader.byte()
        start = reader.pos
        skip_expression(reader)
        result.append(GlobalDef(valtype, bool(mutable), reader.data[start : reader.pos]))
    return result


def encode_global(glob: GlobalDef) -> bytes:
    return bytes([glob.valtype, int(glob.mutable)]) + glob.init


@dataclass(frozen=True)
class DataSegment:
    flags: int  # 0 active in memory 0, 1 passive, 2 active with a memory index
    offset_expr: bytes
    data: bytes


def read_data(payload: bytes) -> list[DataSegment]:
    count, reader = items(payload)
    result = []
    for _ in range(count):
        flags = reader.u32()
        expr = b""
        if flags in (0, 2):
            if flags == 2:
                reader.u32()
            start = reader.pos
            skip_expression(reader)
            expr = reader.data[start : reader.pos]
        elif flags != 1:
            raise WasmFormatError(f"unknown data segment flags {flags}")
        result.append(DataSegment(flags, expr, reader.take(reader.u32())))
    return result


def active_segment(offset: int, data: bytes) -> bytes:
    """An active data segment of memory 0 at a constant offset."""
    return (
        uleb(0)
        + b"\x41"
        + sleb(offset if offset < 2**31 else offset - 2**32)
        + b"\x0b"
        + uleb(len(data))
        + data
    )


@dataclass(frozen=True)
class FuncType:
    params: bytes
    results: bytes

    def encode(self) -> bytes:
        return (
            b"\x60" + uleb(len(self.params)) + self.params + uleb(len(self.results)) + self.results
        )


def read_types(payload: bytes) -> list[FuncType]:
    count, reader = items(payload)
    result = []
    for _ in range(count):
        if reader.byte() != 0x60:
            raise WasmFormatError("only function types are supported in the type section")
        params = reader.take(reader.u32())
        results = reader.take(reader.u32())
        result.append(FuncType(params, results))
    return result


def read_function_types(payload: bytes) -> list[int]:
    count, reader = items(payload)
    return [reader.u32() for _ in range(count)]


def read_bodies(payload: bytes) -> list[bytes]:
    count, reader = items(payload)
    return [reader.take(reader.u32()) for _ in range(count)]


# ---- instructions ------------------------------------------------------------------------------

# What follows each opcode (one table: the scanner below is the only decoder of instructions).
_NONE, _LEB, _TWO_LEB, _MEMARG, _BYTES4, _BYTES8, _TABLE, _TYPES, _PREFIX = range(9)
_BAD = 255
_IMMEDIATE = bytearray([_BAD]) * 256
for _op in (0x00, 0x01, 0x05, 0x0B, 0x0F, 0x1A, 0x1B, 0xD1, *range(0x45, 0xC5)):
    _IMMEDIATE[_op] = _NONE
# Block types (s33), branches, calls, locals/globals/tables, memory.size/grow, constants, refs.
for _op in (0x02, 0x03, 0x04, 0x0C, 0x0D, 0x10, 0x12, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26):
    _IMMEDIATE[_op] = _LEB
for _op in (0x3F, 0x40, 0x41, 0x42, 0xD0, 0xD2):
    _IMMEDIATE[_op] = _LEB
for _op in (0x11, 0x13):
    _IMMEDIATE[_op] = _TWO_LEB
for _op in range(0x28, 0x3F):
    _IMMEDIATE[_op] = _MEMARG
_IMMEDIATE[0x43], _IMMEDIATE[0x44] = _BYTES4, _BYTES8
_IMMEDIATE[0x0E], _IMMEDIATE[0x1C] = _TABLE, _TYPES
_IMMEDIATE[0xFC] = _IMMEDIATE[0xFD] = _IMMEDIATE[0xFE] = _PREFIX
_BLOCKS = frozenset([0x02, 0x03, 0x04])

_BULK_TWO = frozenset([8, 10, 12, 14])
_BULK_ONE = frozenset([9, 11, 13, 15, 16, 17])
_SIMD_LANE = frozenset(range(21, 35))
_SIMD_MEMARG = frozenset([*range(0, 12), 92, 93])
_SIMD_MEMARG_LANE = frozenset(range(84, 92))
_SIMD_V128_CONST = frozenset([12, 13])  # v128.const, i8x16.shuffle: 16 bytes

# Bulk-memory instructions that name a data segment (their indices change if segments do).
DATA_SEGMENT_OPS = frozenset([8, 9])
# In a memarg, this bit of the alignment field says a memory index follows (multi-memory).
MEMARG_HAS_MEMORY = 0x40

Instruction = tuple[int, int, int, int]  # (start, end, opcode, sub-opcode or -1)


def memarg(align_log2: int, offset: int, memory: int) -> bytes:
    """The immediate of a load or store; memory 0 uses the single-memory encoding."""
    if memory == 0:
        return uleb(align_log2) + uleb(offset)
    return uleb(align_log2 | MEMARG_HAS_MEMORY) + uleb(memory) + uleb(offset)


def _leb(data: bytes, pos: int) -> tuple[int, int]:
    """(value, position after) of an unsigned LEB128 at `pos`."""
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _skip_memarg(data: bytes, pos: int) -> int:
    align, pos = _leb(data, pos)
    if align & MEMARG_HAS_MEMORY:
        pos = _leb(data, pos)[1]
    return _leb(data, pos)[1]


def _prefixed(data: bytes, op: int, pos: int) -> tuple[int, int]:
    """(sub-opcode, position after) of a 0xFC / 0xFD / 0xFE instruction whose sub-opcode
    starts at `pos`."""
    sub, pos = _leb(data, pos)
    if op == 0xFC:
        if sub in _BULK_TWO:
            return sub, _leb(data, _leb(data, pos)[1])[1]
        if sub in _BULK_ONE:
            return sub, _leb(data, pos)[1]
        if sub > 7:
            raise WasmFormatError(f"unsupported instruction 0xfc {sub}")
        return sub, pos
    if op == 0xFD:
        if sub in _SIMD_MEMARG:
            return sub, _skip_memarg(data, pos)
        if sub in _SIMD_V128_CONST:
            return sub, pos + 16
        if sub in _SIMD_LANE:
            return sub, pos + 1
        if sub in _SIMD_MEMARG_LANE:
            return sub, _skip_memarg(data, pos) + 1
        return sub, pos
    if sub == 3:  # atomic.fence
        return sub, pos + 1
    return sub, _skip_memarg(data, pos)


def _scan(
    data: bytes, pos: int, end: int, wanted: frozenset[int] | None, expression: bool
) -> tuple[list[Instruction], int]:
    """Decode instructions from `pos`: the ones whose opcode is in `wanted` (all if None), and
    where decoding stopped (`end`, or after the final `end` of a constant `expression`).

    The hot path of instrumenting a module (every instruction of every function), so it is one
    loop over a table rather than a call per instruction."""
    found: list[Instruction] = []
    table = _IMMEDIATE
    depth = 0
    try:
        while pos < end:
            start = pos
            op = data[pos]
            pos += 1
            kind = table[op]
            sub = -1
            if kind == _LEB:
                while data[pos] & 0x80:
                    pos += 1
                pos += 1
            elif kind == _MEMARG:
                if data[pos] < MEMARG_HAS_MEMORY:  # the usual one-byte alignment, memory 0
                    pos += 1
                    while data[pos] & 0x80:
                        pos += 1
                    pos += 1
                else:
                    pos = _skip_memarg(data, pos)
            elif kind == _NONE:
                pass
            elif kind == _PREFIX:
                sub, pos = _prefixed(data, op, pos)
            elif kind == _TWO_LEB:
                pos = _leb(data, _leb(data, pos)[1])[1]
            elif kind == _BYTES4:
                pos += 4
            elif kind == _BYTES8:
                pos += 8
            elif kind == _TABLE:
                count, pos = _leb(data, pos)
                for _ in range(count + 1):
                    pos = _leb(data, pos)[1]
            elif kind == _TYPES:
                count, pos = _leb(data, pos)
                pos += count
            else:
                raise WasmFormatError(f"unsupported instruction opcode 0x{op:02x}")
            if wanted is None or op in wanted:
                found.append((start, pos, op, sub))
            if expression:
                if op in _BLOCKS:
                    depth += 1
                elif op == OP_END:
                    if depth == 0:
                        return found, pos
                    depth -= 1
    except IndexError:
        raise WasmFormatError("unexpected end of data") from None
    if pos > end or expression:
        raise WasmFormatError("unexpected end of data")
    return found, pos


def skip_expression(reader: Reader) -> None:
    """Step over a constant expression up to and including its final `end`."""
    reader.pos = _scan(reader.data, reader.pos, reader.end, frozenset(), True)[1]


def code_start(body: bytes) -> int:
    """Where a function body's instructions begin (after its local declarations)."""
    reader = Reader(body)
    for _ in range(reader.u32()):
        reader.u32()
        reader.byte()
    return reader.pos


def instructions(body: bytes, wanted: frozenset[int] | None = None) -> list[Instruction]:
    """(start, end, opcode, sub-opcode) of each instruction of a function body after its
    locals, or only of those whose opcode is in `wanted`."""
    return _scan(body, code_start(body), len(body), wanted, False)[0]
