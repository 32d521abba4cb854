"""Build side: pick a toolchain backend, drive CMake, skip unchanged functions.

`get_backend` is the backend registry; the docker backend is imported lazily so the system
toolchain never pays for the docker SDK. The public API the CLI calls is re-exported here.
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


from faasm_cli.toolchain.build import (  # noqa: E402  (build imports get_backend from here)
    BuildResult,
    build_function,
    build_user,
    is_stale,
)
from faasm_cli.toolchain.doctor import Check, doctor  # noqa: E402
from faasm_cli.toolchain.install import install  # noqa: E402

__all__ = [
    "BACKENDS",
    "Backend",
    "BuildResult",
    "Check",
    "build_function",
    "build_user",
    "doctor",
    "get_backend",
    "install",
    "is_stale",
]
