"""`faasm toolchain doctor`: what was found, what is missing, and the command that fixes it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from faasm_cli.errors import FaasmError
from faasm_cli.toolchain.packages import (
    CLUSTER_TOOL_PACKAGES,
    NATIVE_TOOL_PACKAGES,
    TOOL_PACKAGES,
    WASM_COMPONENTS,
    apt_install_command,
    wasi_sdk_path,
)


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report. `fix` is a command to paste, empty when ok.

    `required` is False for what only some commands need (native builds, the docker toolchain,
    the local cluster): the system toolchain is usable when every required check is ok.
    """

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def _wasm_checks() -> list[Check]:
    sdk = wasi_sdk_path()
    if sdk:
        clang = sdk / "bin" / "clang"
        sysroot = sdk / "share" / "wasi-sysroot"
        ok = clang.is_file() and sysroot.is_dir()
        return [
            Check(
                "wasi-sdk",
                ok,
                f"WASI_SDK_PATH={sdk}" + ("" if ok else " has no bin/clang or share/wasi-sysroot"),
                "" if ok else "unset WASI_SDK_PATH or point it at a wasi-sdk install",
            )
        ]
    return [
        Check(
            c.name,
            c.path.exists(),
            f"{c.path}" if c.path.exists() else f"{c.path} missing",
            "" if c.path.exists() else apt_install_command([c.package]),
        )
        for c in WASM_COMPONENTS
    ]


def _tool_checks(tools: dict[str, str], purpose: str, required: bool) -> list[Check]:
    checks = []
    for tool, package in tools.items():
        found = shutil.which(tool)
        checks.append(
            Check(
                f"{tool} ({purpose})" if purpose else tool,
                found is not None,
                found or f"{tool} not on PATH",
                "" if found else apt_install_command([package]),
                required,
            )
        )
    return checks


def _docker_check() -> Check:
    try:
        from faasm_cli.toolchain import get_backend

        backend = get_backend("docker")
        backend.check()
        return Check("docker toolchain", True, backend.identity().splitlines()[0], required=False)
    except FaasmError as exc:
        return Check(
            "docker toolchain",
            False,
            exc.message,
            exc.hint or "faasm toolchain install --toolchain docker",
            required=False,
        )
    except ImportError as exc:  # the docker backend module or SDK is absent
        return Check("docker toolchain", False, str(exc), "pip install docker", required=False)


def _python_check() -> Check:
    """The CPython-on-wasm runtime Python functions need (built once, not installed)."""
    from faasm_cli.toolchain.python import BUILD_MINUTES, installed_runtime

    runtime = installed_runtime()
    if runtime is None:
        return Check(
            "python runtime",
            False,
            "not built",
            f"faasm python build ({BUILD_MINUTES})",
            required=False,
        )
    return Check(
        "python runtime", True, f"CPython {runtime.version} {runtime.root}", required=False
    )


def doctor(*, include_docker: bool = True) -> list[Check]:
    """Check the system toolchain, native build tools, the cluster's redis-server, the Python
    runtime and (optionally) the docker toolchain."""
    checks = _wasm_checks()
    checks += _tool_checks(TOOL_PACKAGES, "", required=True)
    checks += _tool_checks(NATIVE_TOOL_PACKAGES, "native builds", required=False)
    checks += _tool_checks(CLUSTER_TOOL_PACKAGES, "cluster", required=False)
    checks.append(_python_check())
    if include_docker:
        checks.append(_docker_check())
    return checks
