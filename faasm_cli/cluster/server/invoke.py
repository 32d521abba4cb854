"""The invoke endpoint every worker serves (Faasm's port 8080): `POST /` with a call message.

A sync call answers its output and a newline (a failed call: why, as in its status line) once it
ends; an async call answers its id; `{"status": true, "id": N}` answers `RUNNING`,
`SUCCESS: <output>` or `FAILED: <message>` and consumes nothing. With `Accept: application/json`
every answer is JSON: the result document (`CallResult.to_json`), `{"id": N}` for an async call,
`{"id": N, "status": "running"}` while a call runs. A failed call is a 200 carrying a failed
result; only a request that cannot be served is a 4xx (or 503 while Redis is away).

A plain sync call that belongs on this worker (`Worker.run_here`) is answered before FastAPI's
request machinery, which costs about 0.1 ms of the event loop's time per call; anything else,
including every call whose body is invalid, goes through the FastAPI route with the body
replayed, so each answer and each error is defined there once.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import Message as AsgiEvent
from starlette.types import Receive, Scope, Send

from faasm_cli.cluster import results
from faasm_cli.cluster.server import body, errors
from faasm_cli.cluster.server.ping import add_ping
from faasm_cli.errors import BadInput, FaasmError
from faasm_cli.message import Message
from faasm_cli.runtime.python import python_message
from faasm_cli.runtime.result import CallResult

if TYPE_CHECKING:
    from faasm_cli.cluster.worker import Worker

_MESSAGE_SCHEMA = {
    "type": "object",
    "description": "Faasm's call message (unknown fields are ignored), or a status request.",
    "properties": {
        "user": {"type": "string"},
        "function": {"type": "string"},
        "input_data": {"type": "string"},
        "async": {"type": "boolean"},
        "python": {"type": "boolean"},
        "py_user": {"type": "string"},
        "py_func": {"type": "string"},
        "func_ptr": {"type": "integer"},
        "status": {"type": "boolean", "description": "true: read the status of call `id`"},
        "id": {"type": "integer"},
    },
}
_ANSWERS = {
    "text/plain": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "object"}},
}


class _InvokeApp(FastAPI):
    """The FastAPI app, with sync calls that run on this worker answered before it."""

    def __init__(self, worker: Worker, **settings: Any) -> None:
        super().__init__(**settings)
        self._worker = worker
        self._limit = worker.config.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == "/":
            replayed = await self._sync_here(scope, receive, send)
            if replayed is None:
                return
            receive = replayed
        await super().__call__(scope, receive, send)

    async def _sync_here(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Answer a plain sync call that `Worker.run_here` takes (None); else the `receive`
        that replays what was read, for the FastAPI route."""
        length, accept = b"", b""
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"accept":
                accept = value
        if not length.isdigit() or not 0 < int(length) <= self._limit:
            return receive  # nothing read: the route refuses it in its own words
        pieces = []
        while True:
            event = await receive()
            if event["type"] != "http.request":  # the client left
                return _replay(event, receive)
            pieces.append(event.get("body", b""))
            if not event.get("more_body", False):
                break
        raw = b"".join(pieces)
        message = _plain_sync(raw)
        try:
            result = None if message is None else await self._worker.run_here(message)
        except FaasmError as error:
            await errors.answer(error)(scope, receive, send)
            return None
        if result is None:
            return _replay({"type": "http.request", "body": raw, "more_body": False}, receive)
        media, content = _answer(result, _wants_json(accept.decode()))
        headers = [(b"content-type", media.encode()), (b"content-length", b"%d" % len(content))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": content})
        return None


def _replay(first: AsgiEvent, then: Receive) -> Receive:
    """A `receive` that gives `first`, then what `then` gives."""
    events = [first]

    async def receive() -> AsgiEvent:
        return events.pop() if events else await then()

    return receive


def _plain_sync(raw: bytes) -> Message | None:
    """The message of a sync call (not a status read, async or Python call); None for any other
    body, valid or not: the route reads those."""
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("status") is True:
            return None
        message = Message.from_json(data)
    except Exception:  # whatever is wrong with it, the route answers it
        return None
    return None if message.python or message.async_ else message


def _wants_json(accept: str) -> bool:
    return "application/json" in accept


def invoke_app(worker: Worker) -> FastAPI:
    """The invoke endpoint of `worker`."""
    app = _InvokeApp(
        worker,
        title="Faasm invoke endpoint",
        description="Run calls on the cluster and read their status.",
    )
    errors.install(app)
    add_ping(app)
    limit = worker.config.max_body_bytes

    @app.post(
        "/",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _MESSAGE_SCHEMA}},
            }
        },
        responses={
            200: {"description": "The output, call id or status", "content": _ANSWERS},
            **errors.documented(400, 404, 413, 503),
        },
    )
    async def invoke(request: Request) -> Response:
        """Run a call (sync: its output once it ends; async: its id) or read a status."""
        data = _json(await body.whole(request, limit, "call message"))
        as_json = _wants_json(request.headers.get("accept", ""))
        if data.get("status") is True:
            call_id = data.get("id")
            if isinstance(call_id, bool) or not isinstance(call_id, int):
                raise BadInput(
                    "a status request needs an integer id", 'send {"status": true, "id": N}'
                )
            return _status(await run_in_threadpool(worker.status, call_id), as_json)
        message = python_message(Message.from_json(data))
        answer: CallResult | int
        if message.async_:
            answer = await run_in_threadpool(worker.call_async, message)
        else:
            answer = await worker.call(message)
        if isinstance(answer, int):
            return JSONResponse({"id": answer}) if as_json else _text(str(answer))
        return _result(answer, as_json)

    return app


def _json(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadInput(f"the body is not JSON ({error})", "send a call message") from None
    if not isinstance(data, dict):
        raise BadInput(
            "a call message must be a JSON object", 'send {"user": ..., "function": ...}'
        )
    return data


def _text(text: str) -> Response:
    return PlainTextResponse(text, media_type=errors.TEXT)


def _result(result: CallResult, as_json: bool) -> Response:
    media, content = _answer(result, as_json)
    return Response(content, media_type=media)


def _answer(result: CallResult, as_json: bool) -> tuple[str, bytes]:
    """The media type and body of a finished call's answer: its result document, or its output
    and a newline (a failed call: why, as in its status line)."""
    if as_json:
        response = JSONResponse(result.to_json())
        return str(response.media_type), bytes(response.body)
    reason = results.failure(result)
    content = result.output_data if reason is None else reason.encode()
    return errors.TEXT, content + b"\n"


def _status(status: results.Status, as_json: bool) -> Response:
    if not as_json:
        return _text(status.line)
    if status.result is None:
        return JSONResponse({"id": status.call_id, "status": "running"})
    return JSONResponse(status.result.to_json())
