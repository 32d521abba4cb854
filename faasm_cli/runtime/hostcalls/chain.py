"""Host calls for chaining: start a call of this module or of another function, await it.

The handlers only decode guest arguments; scheduling belongs to the context's dispatcher
(`CallDispatcher`), so the cluster can plug in its own scheduler behind the same calls.
"""

from __future__ import annotations

from faasm_cli.errors import InvalidName
from faasm_cli.names import check_function
from faasm_cli.runtime.context import CallContext, CallDispatcher, HostHandler
from faasm_cli.runtime.errors import CallFailed


def _dispatcher(ctx: CallContext) -> CallDispatcher:
    if ctx.dispatcher is None:
        raise CallFailed("chaining is not available in this call")
    return ctx.dispatcher


def _chain(ctx: CallContext, function: str, idx: int, data: bytes) -> int:
    dispatcher = _dispatcher(ctx)
    if ctx.message is None:
        raise CallFailed("chaining is not available in this call")
    return dispatcher.chain(ctx.message.child(function, idx, data))


def _await(ctx: CallContext, call_id: int) -> tuple[int, bytes]:
    """The awaited call's return value (non-zero when it failed) and output."""
    result = _dispatcher(ctx).await_call(call_id)
    if result.failed:
        return result.return_value or 1, result.output_data
    return result.return_value, result.output_data


def chain_this(ctx: CallContext, idx: int, buf: int, length: int) -> int:
    data = ctx.memory.read(buf, length)
    return _chain(ctx, ctx.function, idx, data)


def chain_function(ctx: CallContext, name_ptr: int, buf: int, length: int) -> int:
    name = ctx.memory.read_cstring(name_ptr)
    if "/" in name:
        raise CallFailed(f"cannot chain to another user's function ({name!r})")
    try:
        check_function(name)
    except InvalidName as error:
        raise CallFailed(f"cannot chain to {error.message}") from None
    data = ctx.memory.read(buf, length)
    return _chain(ctx, name, 0, data)


def await_call(ctx: CallContext, call_id: int) -> int:
    return_value, _ = _await(ctx, call_id)
    return return_value


def await_call_output(ctx: CallContext, call_id: int, buf: int, length: int) -> int:
    if length < 0:
        raise CallFailed(f"negative length {length}")
    return_value, output = _await(ctx, call_id)
    ctx.memory.write(buf, output[:length])
    return return_value


CHAIN_HANDLERS: dict[str, HostHandler] = {
    "__faasm_chain_this": chain_this,
    "__faasm_chain_function": chain_function,
    "__faasm_await_call": await_call,
    "__faasm_await_call_output": await_call_output,
}
