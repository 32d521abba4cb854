"""`faasm toolchain install`: apt packages where we may install them, else the container image."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

from faasm_cli.errors import ToolchainMissing
from faasm_cli.toolchain.packages import CLUSTER_PACKAGES, SYSTEM_PACKAGES, apt_install_command
from faasm_cli.toolchain.system_backend import SystemBackend


def _no_log(line: str) -> None:
    """Default sink: drop the install log."""


def _can_apt() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def _apt_install(on_log: Callable[[str], None]) -> None:
    from pathlib import Path

    runner = SystemBackend()
    env_argv = ["env", "DEBIAN_FRONTEND=noninteractive"]
    packages = (*SYSTEM_PACKAGES, *CLUSTER_PACKAGES)
    argv = [*env_argv, "apt-get", "install", "-y", "--no-install-recommends", *packages]
    if runner.run(argv, Path("/"), on_log) != 0:
        # Package lists may be missing or stale (fresh containers): refresh once and retry.
        on_log("apt-get install failed; running apt-get update and retrying")
        runner.run([*env_argv, "apt-get", "update"], Path("/"), on_log)
        if runner.run(argv, Path("/"), on_log) != 0:
            raise ToolchainMissing(
                "apt-get could not install the toolchain packages",
                f"see the apt output above; then `{apt_install_command(packages)}`",
            )


def install(*, backend: str = "system", on_log: Callable[[str], None] = _no_log) -> None:
    """Install the toolchain for `backend`.

    system: apt-get install the Debian packages (the toolchain's and the cluster's redis-server)
    when running as root with apt; otherwise fall back to building the container image (the
    docker backend then needs nothing on the host; the cluster still needs redis-server).
    docker: build the toolchain image.
    """
    if backend == "system":
        if _can_apt():
            _apt_install(on_log)
            SystemBackend().check()
            return
        on_log(
            "cannot apt-get install here (not root, or no apt): building the docker "
            "toolchain image instead; compile with --toolchain docker"
        )
    elif backend != "docker":
        raise ToolchainMissing(f"unknown toolchain {backend!r}", "use system or docker")
    from faasm_cli.toolchain.docker_backend import build_image

    build_image(on_log)
