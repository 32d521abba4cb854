"""The invoke endpoint every worker serves (Faasm's port 8080): `POST /` with a call message.

A sync call answers its output and a newline (a failed call: why, as in its status line) once it
ends; an async call answers its id; `{"status": true, "id": N}` answers `RUNNING`,
`SUCCESS: <output>` or `FAILED: <message>` and consumes nothing. With `Accept: application/json`
every answer is JSON: the result document (`CallResult.to_json`), `{"id": N}` for an async call,
`{"id": N, "status": "running"}` while a call runs. A failed call is a 200 carrying a failed
result; only a request that cannot be served is a 4xx (or 503 while Redis is away).
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from faasm_cli.cluster import results
from faasm_cli.cluster.server import body, errors
from faasm_cli.errors import BadInput
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


def invoke_app(worker: Worker) -> FastAPI:
    """The invoke endpoint of `worker`."""
    app = FastAPI(
        title="Faasm invoke endpoint",
        description="Run calls on the cluster and read their status.",
    )
    errors.install(app)
    limit = worker.config.max_body_bytes

    @app.get(
        "/ping",
        response_class=PlainTextResponse,
        responses={200: {"content": {errors.TEXT: {"example": "PONG"}}}},
    )
    async def ping() -> str:
        """Liveness: answers `PONG`."""
        return "PONG"

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
        as_json = "application/json" in request.headers.get("accept", "")
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
            started = worker.start_here(message)
            if started is None:
                answer = await run_in_threadpool(worker.call, message)
            else:
                answer = await asyncio.wrap_future(started)
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
    if as_json:
        return JSONResponse(result.to_json())
    reason = results.failure(result)
    if reason is None:
        return Response(result.output_data + b"\n", media_type=errors.TEXT)
    return _text(reason + "\n")


def _status(status: results.Status, as_json: bool) -> Response:
    if not as_json:
        return _text(status.line)
    if status.result is None:
        return JSONResponse({"id": status.call_id, "status": "running"})
    return JSONResponse(status.result.to_json())
