"""The "system" backend: runs CMake and clang on this machine.

Uses Debian's clang-19 and wasm32 packages (or a wasi-sdk from WASI_SDK_PATH). Its identity is
the compiler and CMake versions plus the size and date of the wasm libraries, cached on disk by
the binaries' stat so that a no-op compile does not pay for two subprocesses.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from faasm_cli.config import TOOLCHAIN_CACHE, cache_dir
from faasm_cli.errors import ToolchainMissing
from faasm_cli.toolchain.backend import LogSink
from faasm_cli.toolchain.packages import (
    LLVM_BIN,
    TOOL_PACKAGES,
    WASM_COMPONENTS,
    apt_install_command,
    wasi_sdk_path,
)


def _stat_signature(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return f"{path}:missing"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def _first_line(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
    except OSError:
        return f"{argv[0]}: not runnable"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else ""


class SystemBackend:
    """Run the build on the host."""

    name = "system"

    def __init__(self) -> None:
        self._identity: str | None = None

    def compiler(self) -> Path:
        sdk = wasi_sdk_path()
        return sdk / "bin" / "clang" if sdk else LLVM_BIN / "clang"

    def check(self) -> None:
        sdk = wasi_sdk_path()
        if sdk:
            sysroot = sdk / "share" / "wasi-sysroot"
            if not (sdk / "bin" / "clang").is_file() or not sysroot.is_dir():
                raise ToolchainMissing(
                    f"WASI_SDK_PATH={sdk} is not a wasi-sdk (no bin/clang or share/wasi-sysroot)",
                    "unset WASI_SDK_PATH to use the Debian packages, or point it at a wasi-sdk",
                )
            missing_packages: list[str] = []
        else:
            missing = [c for c in WASM_COMPONENTS if not c.path.exists()]
            missing_packages = [c.package for c in missing]
        missing_packages += [
            pkg
            for tool, pkg in TOOL_PACKAGES.items()
            if tool == "cmake" and shutil.which(tool) is None
        ]
        if missing_packages:
            raise ToolchainMissing(
                f"the wasm toolchain is incomplete: {', '.join(dict.fromkeys(missing_packages))} "
                "not installed",
                f"run `{apt_install_command(missing_packages)}` or `faasm toolchain install`",
            )

    def identity(self) -> str:
        if self._identity is None:
            self._identity = self._cached_identity()
        return self._identity

    def _cached_identity(self) -> str:
        cmake = Path(shutil.which("cmake") or "cmake")
        files = [self.compiler(), cmake] + [c.path for c in WASM_COMPONENTS]
        key = "|".join(_stat_signature(p) for p in files)
        cache = cache_dir() / TOOLCHAIN_CACHE
        try:
            cached = json.loads(cache.read_text())
            if cached.get("key") == key:
                return str(cached["identity"])
        except (OSError, ValueError, KeyError):
            pass
        identity = "\n".join(
            [
                "system",
                _first_line([str(self.compiler()), "--version"]),
                _first_line([str(cmake), "--version"]),
                # wasi-libc, libc++ and Eigen versions show in their files' size and date.
                *(_stat_signature(c.path) for c in WASM_COMPONENTS if c.path.parent != LLVM_BIN),
            ]
        )
        tmp = cache.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps({"key": key, "identity": identity}))
            tmp.replace(cache)
        except OSError:
            pass
        return identity

    def run(self, argv: Sequence[str], cwd: Path, on_log: LogSink) -> int:
        try:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                bufsize=1,
            )
        except FileNotFoundError as exc:
            raise ToolchainMissing(
                f"{argv[0]} is not installed", f"run `{apt_install_command()}`"
            ) from exc
        assert proc.stdout is not None
        for line in proc.stdout:
            on_log(line.rstrip("\n"))
        return proc.wait()
