"""Build side: pick a toolchain backend, drive CMake, skip unchanged functions.

`get_backend` is the backend registry; the docker backend is imported lazily so the system
toolchain never pays for the docker SDK.
"""

from __future__ import annotations

from faasm_cli.errors import BadInput
from faasm_cli.toolchain.backend import Backend

BACKENDS = ("system", "docker")


def get_backend(name: str) -> Backend:
    """The backend called `name` ("system" or "docker")."""
    if name == "system":
        from faasm_cli.toolchain.system_backend import SystemBackend

        return SystemBackend()
    if name == "docker":
        from faasm_cli.toolchain.docker_backend import DockerBackend

        backend: Backend = DockerBackend()
        return backend
    raise BadInput(f"unknown toolchain {name!r}", f"use one of: {', '.join(BACKENDS)}")


__all__ = ["BACKENDS", "Backend", "get_backend"]
