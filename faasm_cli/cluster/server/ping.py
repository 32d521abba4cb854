"""`GET /ping` -> `PONG`: the liveness route both servers answer (as Faasm's do)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from faasm_cli.cluster.server.errors import TEXT


def add_ping(app: FastAPI) -> None:
    @app.get(
        "/ping",
        response_class=PlainTextResponse,
        responses={200: {"content": {TEXT: {"example": "PONG"}}}},
    )
    async def ping() -> str:
        """Liveness: answers `PONG`."""
        return "PONG"
