"""Host calls for a call's input, output and index (`__faasm_read_input` and friends)."""

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


IO_HANDLERS: dict[str, HostHandler] = {
    "__faasm_read_input": read_input,
    "__faasm_write_output": write_output,
    "__faasm_get_idx": get_idx,
}
