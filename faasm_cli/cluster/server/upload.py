"""The upload server's routes, on Faasm's paths: functions (`/f`), Python sources (`/p`),
state (`/s`), shared files (`/file`) and `/ping`.

The last name of a path takes the rest of it (`{function:path}`), so a name with a `/` in it
reaches the name check and is refused as a bad name (400) rather than matching no route. Every
route checks its names through `faasm_cli.names` before touching disk or Redis, reads its
body under the size limit (`body.py`) and answers errors as one line (`errors.py`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import redis
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from faasm_cli.cluster.config import ClusterConfig
from faasm_cli.cluster.function_store import FunctionStore
from faasm_cli.cluster.server import body, errors
from faasm_cli.names import check_function, check_user
from faasm_cli.runtime import MemoryStateStore, Runtime

WASM = "application/wasm"
PYTHON = "text/x-python; charset=utf-8"
_NAMES = "Names: 1-64 characters of A-Z a-z 0-9 _ - (state keys also `.`)."


def upload_app(config: ClusterConfig) -> FastAPI:
    """The upload server of `config`'s cluster: stores under `config.data_dir`, compiles into
    `config.cache_dir` (the machine code workers on this host load), announces through Redis."""
    client = redis.Redis.from_url(config.redis_url)
    # Compiles only: no call runs here, so one instance slot and an in-memory state store.
    runtime = Runtime(
        cache_dir=config.cache_dir, state_store=MemoryStateStore(), instance_slots=1, workers=1
    )
    functions = FunctionStore(config.functions_dir, client, runtime)
    limit = config.max_body_bytes

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        runtime.close()
        client.close()

    app = FastAPI(
        title="Faasm upload server",
        description="Upload functions, Python sources, state and shared files. " + _NAMES,
        lifespan=lifespan,
    )
    errors.install(app)

    @app.get(
        "/ping",
        response_class=PlainTextResponse,
        responses={200: {"content": {errors.TEXT: {"example": "PONG"}}}},
    )
    async def ping() -> str:
        """Liveness: answers `PONG`."""
        return "PONG"

    @app.put(
        "/f/{user}/{function:path}",
        response_class=PlainTextResponse,
        openapi_extra=body.raw_body(WASM, "The function's WebAssembly module"),
        responses={
            200: {"description": "Stored; the body is the version (the wasm's SHA-256)"},
            **errors.documented(400, 413, 503),
        },
    )
    async def put_function(user: str, function: str, request: Request) -> str:
        """Check the wasm (a module importing only the host interface), compile its machine
        code once, store it and tell the workers (a new version replaces the old)."""
        check_user(user), check_function(function)
        wasm = await body.whole(request, limit, "wasm")
        return await run_in_threadpool(functions.put_wasm, user, function, wasm)

    @app.get(
        "/f/{user}/{function:path}",
        response_class=Response,
        responses={
            200: {"description": "The wasm", "content": {WASM: {"schema": {"type": "string"}}}},
            **errors.documented(400, 404),
        },
    )
    async def get_function(user: str, function: str) -> Response:
        """The function's wasm as uploaded."""
        wasm = await run_in_threadpool(functions.wasm, user, function)
        return Response(wasm, media_type=WASM)

    @app.put(
        "/p/{user}/{function:path}",
        response_class=PlainTextResponse,
        openapi_extra=body.raw_body(PYTHON, "The Python function's source (UTF-8)"),
        responses={200: {"description": "Stored"}, **errors.documented(400, 413)},
    )
    async def put_python(user: str, function: str, request: Request) -> str:
        """Store a Python function's source."""
        check_user(user), check_function(function)
        source = await body.whole(request, limit, "Python source")
        await run_in_threadpool(functions.put_python, user, function, source)
        return "OK"

    @app.get(
        "/p/{user}/{function:path}",
        response_class=Response,
        responses={
            200: {"description": "The source", "content": {PYTHON: {"schema": {"type": "string"}}}},
            **errors.documented(400, 404),
        },
    )
    async def get_python(user: str, function: str) -> Response:
        """The Python function's source as uploaded."""
        source = await run_in_threadpool(functions.python, user, function)
        return Response(source, media_type=PYTHON)

    return app
