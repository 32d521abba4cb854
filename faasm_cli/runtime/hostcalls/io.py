"""Host calls for a call's input, output, index and Python names (`__faasm_read_input` ...)."""

from __future__ import annotations

from faasm_cli.runtime.context import CallContext, HostHandler
from faasm_cli.runtime.errors import CallFailed


def read_input(ctx: CallContext, buf: int, length: int) -> int:
    if length == 0:
        return len(ctx.input_data)
    if length < 0:
        raise CallFailed(f"negative length {length}")
    chunk = ctx.input_data[:length]
    ctx.memory.write(buf, chunk)
    return len(chunk)


def write_output(ctx: CallContext, buf: int, length: int) -> None:
    if length > ctx.max_output_bytes:
        raise CallFailed(
            f"output of {length} bytes exceeds the output limit of {ctx.max_output_bytes} bytes"
        )
    ctx.output_data = ctx.memory.read(buf, length)


def get_idx(ctx: CallContext) -> int:
    return ctx.idx


def _copy_name(ctx: CallContext, name: str, buf: int, length: int) -> int:
    """Write `name` NUL-terminated, cut to fit `length` bytes; its full length (as snprintf)."""
    if length < 0:
        raise CallFailed(f"negative length {length}")
    data = name.encode()
    if length:
        ctx.memory.write(buf, data[: length - 1] + b"\0")
    return len(data)


def get_py_user(ctx: CallContext, buf: int, length: int) -> int:
    return _copy_name(ctx, ctx.message.py_user if ctx.message else "", buf, length)


def get_py_func(ctx: CallContext, buf: int, length: int) -> int:
    return _copy_name(ctx, ctx.message.py_func if ctx.message else "", buf, length)


IO_HANDLERS: dict[str, HostHandler] = {
    "__faasm_read_input": read_input,
    "__faasm_write_output": write_output,
    "__faasm_get_idx": get_idx,
    "__faasm_get_py_user": get_py_user,
    "__faasm_get_py_func": get_py_func,
}
