"""Request bodies read in pieces under the server's size limit, for sync consumers too.

The limit is checked twice: against Content-Length before anything is read, and on the bytes as
they arrive (a chunked body has no length). Pieces are regrouped into `PIECE_BYTES` blocks, so a
body of hundreds of MB is held a block at a time and a consumer (Redis APPEND, a file write)
makes one call per block rather than one per network read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anyio.from_thread
from fastapi import Request

from faasm_cli.cluster.server.errors import BodyTooLarge
from faasm_cli.errors import BadInput

PIECE_BYTES = 1 << 20
OCTETS = "application/octet-stream"


def raw_body(media_type: str = OCTETS, description: str = "") -> dict[str, object]:
    """`openapi_extra` of a route that reads its body itself (FastAPI cannot see it)."""
    schema = {"type": "string", "format": "binary"}
    body = {"required": True, "content": {media_type: {"schema": schema}}}
    return {"requestBody": {**body, "description": description} if description else body}


def _declared_length(request: Request, limit: int, what: str) -> None:
    declared = request.headers.get("content-length")
    if declared is None:
        return
    if not declared.isdigit():
        raise BadInput(f"invalid Content-Length {declared[:40]!r}", "send a byte count")
    if int(declared) == 0:
        raise BadInput(f"empty {what}", f"send the {what} as the request body")
    if int(declared) > limit:
        raise _too_large(what, limit)


def _too_large(what: str, limit: int) -> BodyTooLarge:
    return BodyTooLarge(
        f"{what} larger than the server's limit of {limit} bytes",
        "raise the upload server's --max-body-bytes",
    )


async def pieces(request: Request, limit: int, what: str) -> AsyncIterator[bytes]:
    """The body in blocks of up to `PIECE_BYTES`; `BadInput` if it is empty, `BodyTooLarge`
    once it passes `limit` (nothing beyond the limit is read)."""
    _declared_length(request, limit, what)
    block = bytearray()
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(what, limit)
        block += chunk
        if len(block) >= PIECE_BYTES:
            yield bytes(block)
            block.clear()
    if size == 0:
        raise BadInput(f"empty {what}", f"send the {what} as the request body")
    if block:
        yield bytes(block)


async def whole(request: Request, limit: int, what: str) -> bytes:
    """The body as one value (a wasm to compile, a source to check)."""
    return b"".join([piece async for piece in pieces(request, limit, what)])


def blocking(stream: AsyncIterator[bytes]) -> Iterator[bytes]:
    """`stream` for a consumer running in a worker thread (`anyio.to_thread.run_sync`): each
    block is fetched from the event loop; an error of the stream is raised in the consumer."""

    async def next_block() -> bytes:
        return await anext(stream)

    while True:
        try:
            yield anyio.from_thread.run(next_block)
        except StopAsyncIteration:
            return
