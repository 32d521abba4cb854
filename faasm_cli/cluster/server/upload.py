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
from typing import Annotated

import anyio.to_thread
import redis
from fastapi import FastAPI, Header, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from faasm_cli.cluster.config import ClusterConfig
from faasm_cli.cluster.function_store import FunctionStore
from faasm_cli.cluster.redis_state import RedisBackend
from faasm_cli.cluster.server import body, errors
from faasm_cli.cluster.server.ping import add_ping
from faasm_cli.cluster.shared_files import SharedFiles
from faasm_cli.errors import NotFound
from faasm_cli.names import check_function, check_key, check_user
from faasm_cli.runtime import MemoryStateStore, Runtime

WASM = "application/wasm"
PYTHON = "text/x-python; charset=utf-8"
_BINARY = {"type": "string", "format": "binary"}
FilePath = Annotated[
    str,
    Header(alias="FilePath", description="The file's path under the shared root: `data/in.txt`"),
]


class StateEntry(BaseModel):
    """One line of a state listing, named as `faasm state list -o json` names it."""

    key: str
    size: int


def _entries(state: RedisBackend, user: str) -> list[StateEntry]:
    return [StateEntry(key=key, size=state.size(user, key)) for key in state.keys(user)]


def upload_app(config: ClusterConfig) -> FastAPI:
    """The upload server of `config`'s cluster: stores under `config.data_dir`, compiles into
    `config.cache_dir` (the machine code workers on this host load), announces through Redis."""
    client = redis.Redis.from_url(config.redis_url)
    # Compiles only: no call runs here, so one instance slot and an in-memory state store.
    runtime = Runtime(
        cache_dir=config.cache_dir, state_store=MemoryStateStore(), instance_slots=1, workers=1
    )
    functions = FunctionStore(config.functions_dir, client, runtime)
    state = RedisBackend(client)
    shared = SharedFiles(config.shared_files_dir)
    limit = config.max_body_bytes

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        runtime.close()
        client.close()

    app = FastAPI(
        title="Faasm upload server",
        description="Upload functions, Python sources, state and shared files. A bad name is "
        "answered 400 with the naming rule.",
        lifespan=lifespan,
    )
    errors.install(app)
    add_ping(app)

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
        check_user(user)
        check_function(function)
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
        check_user(user)
        check_function(function)
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

    @app.put(
        "/s/{user}/{key:path}",
        response_class=PlainTextResponse,
        openapi_extra=body.raw_body(description="The value (any bytes; `curl -T FILE` works)"),
        responses={200: {"description": "Stored"}, **errors.documented(400, 413, 503)},
    )
    async def put_state(user: str, key: str, request: Request) -> str:
        """Replace a state value with the body, streamed into Redis (never held whole)."""
        check_user(user)
        check_key(key)
        blocks = body.blocking(body.pieces(request, limit, "state value"))
        await anyio.to_thread.run_sync(state.write_chunks, user, key, blocks)
        return "OK"

    @app.get(
        "/s/{user}/{key:path}",
        response_class=StreamingResponse,
        responses={
            200: {"description": "The value", "content": {body.OCTETS: {"schema": _BINARY}}},
            **errors.documented(400, 404, 503),
        },
    )
    async def get_state(user: str, key: str) -> StreamingResponse:
        """A state value, streamed out of Redis."""
        check_user(user)
        check_key(key)
        pieces = await run_in_threadpool(state.read_chunks, user, key)
        if pieces is None:
            raise NotFound(f"no state key {user}/{key}", f"set it: PUT /s/{user}/{key}")
        return StreamingResponse(pieces, media_type=body.OCTETS)

    @app.delete(
        "/s/{user}/{key:path}",
        response_class=PlainTextResponse,
        responses={200: {"description": "Deleted"}, **errors.documented(400, 404, 503)},
    )
    async def delete_state(user: str, key: str) -> str:
        """Delete a state value and its appended elements. Answers `OK` like the other writes,
        the one success line Faasm's clients check for."""
        check_user(user)
        check_key(key)
        if not await run_in_threadpool(state.delete_existing, user, key):
            raise NotFound(f"no state key {user}/{key}", f"list the keys: GET /s/{user}")
        return "OK"

    @app.get(
        "/s/{user}",
        response_model=list[StateEntry],
        responses=errors.documented(400, 503),
    )
    async def list_state(user: str) -> list[StateEntry]:
        """A user's state keys (with a value or appended elements) and their value sizes in
        bytes, sorted by key; an empty list for a user with none."""
        check_user(user)
        return await run_in_threadpool(_entries, state, user)

    @app.put(
        "/file",
        response_class=PlainTextResponse,
        openapi_extra=body.raw_body(description="The file's bytes"),
        responses={200: {"description": "Stored"}, **errors.documented(400, 413, 422)},
    )
    async def put_file(request: Request, file_path: FilePath) -> str:
        """Store a shared file that functions read at `FilePath` (relative to the root)."""
        shared.path(file_path)
        blocks = body.blocking(body.pieces(request, limit, "file"))
        await anyio.to_thread.run_sync(shared.write, file_path, blocks)
        return "OK"

    @app.get(
        "/file",
        response_class=StreamingResponse,
        responses={
            200: {"description": "The file", "content": {body.OCTETS: {"schema": _BINARY}}},
            **errors.documented(400, 404, 422),
        },
    )
    async def get_file(file_path: FilePath) -> StreamingResponse:
        """A shared file's bytes."""
        size, pieces = await run_in_threadpool(shared.read, file_path)
        headers = {"Content-Length": str(size)}
        return StreamingResponse(pieces, media_type=body.OCTETS, headers=headers)

    return app
