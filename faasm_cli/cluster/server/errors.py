"""How the cluster's servers answer a request they cannot serve: a status and one line of text.

A `FaasmError` becomes `<message> (<hint>)` with the status its kind means (a bad name or body
400, an unknown function or key 404, a body over the limit 413, Redis down 503); FastAPI's own
request validation becomes one line too. Anything else is a bug: logged with its traceback and
answered 500, which the fuzz tests must never see.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from faasm_cli.errors import BadInput, ClusterUnavailable, FaasmError, NotFound
from faasm_cli.runtime import StateUnavailable

log = logging.getLogger(__name__)

TEXT = "text/plain; charset=utf-8"


class BodyTooLarge(BadInput):
    """A request body is over the server's `max_body_bytes`."""


_STATUS: tuple[tuple[type[FaasmError], int], ...] = (
    (BodyTooLarge, 413),
    (NotFound, 404),
    (ClusterUnavailable, 503),
    (StateUnavailable, 503),
)
_MEANING = {
    400: "Bad request: a bad name or path, an empty or unusable body",
    404: "No such function, key or file",
    413: "The body is larger than the server accepts",
    422: "A required header is missing",
    503: "Redis cannot be reached",
}


def status_of(error: FaasmError) -> int:
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 400


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of a route that may answer these error statuses (one line of
    text each)."""
    text = {"content": {TEXT: {"schema": {"type": "string"}}}}
    return {status: {"description": _MEANING[status], **text} for status in statuses}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def answer(error: FaasmError) -> Response:
    """The one-line answer to a request that `error` stopped."""
    return PlainTextResponse(_one_line(str(error)), status_code=status_of(error))


async def _faasm_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, FaasmError)
    return answer(error)


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    problems = []
    for problem in error.errors():
        where = " ".join(str(part) for part in problem.get("loc", ()))
        problems.append(f"{where}: {problem.get('msg', 'invalid')}")
    return PlainTextResponse(_one_line("; ".join(problems) or "invalid request"), status_code=422)


async def _http_error(request: Request, error: Exception) -> Response:
    """Starlette's own refusals (no such route, method not allowed) as one line too."""
    assert isinstance(error, StarletteHTTPException)
    return PlainTextResponse(
        _one_line(str(error.detail)), status_code=error.status_code, headers=error.headers
    )


async def _client_gone(request: Request, error: Exception) -> Response:
    """The client went away mid-body: nobody reads the answer, and nothing was stored."""
    log.info("client left during %s %s", request.method, request.url.path)
    return PlainTextResponse("client disconnected", status_code=400)


async def _bug(request: Request, error: Exception) -> Response:
    log.exception("internal error on %s %s", request.method, request.url.path, exc_info=error)
    return PlainTextResponse(
        f"internal error: {type(error).__name__} (a bug: see the server's log)", status_code=500
    )


def install(app: FastAPI) -> None:
    """Give `app` the cluster's error answers."""
    app.add_exception_handler(FaasmError, _faasm_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _bug)
