"""The CMake commands of a build: where each build tree lives and the argv to configure/build it.

A build tree is configured once (`faasm-configure.json` records the configure argv, so a changed
argv or a broken tree configures again) and then asked to build one target. The argv only holds
absolute paths under the project root and the toolchain dir, which is what lets the docker
backend run it unchanged.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from faasm_cli.config import Project, toolchain_dir

CONFIGURE_RECORD = "faasm-configure.json"


def target_name(user: str, function: str) -> str:
    """The CMake target of func/USER/FUNCTION (see faasm_func in FaasmFunctions.cmake)."""
    return f"{user}-{function}"


@dataclass(frozen=True)
class BuildTree:
    """One CMake build directory: wasm or native, per backend."""

    project: Project
    backend: str
    native: bool

    @property
    def path(self) -> Path:
        kind = "native" if self.native else f"wasm-{self.backend}"
        return self.project.build_dir / "cmake" / kind

    @property
    def output_dir(self) -> Path:
        return self.project.build_dir / ("native" if self.native else "func")

    @property
    def build_type(self) -> str:
        return "Debug" if self.native else "Release"

    def generator(self) -> str:
        # The toolchain image always has ninja; on the host fall back to make.
        if self.backend == "docker" or shutil.which("ninja"):
            return "Ninja"
        return "Unix Makefiles"

    def configure_argv(self) -> list[str]:
        tc = toolchain_dir()
        argv = [
            "cmake",
            "-G",
            self.generator(),
            "-S",
            str(tc / "cmake" / "project"),
            "-B",
            str(self.path),
            f"-DFAASM_FUNC_DIR={self.project.func_dir}",
            f"-DFAASM_OUTPUT_DIR={self.output_dir}",
            f"-DCMAKE_BUILD_TYPE={self.build_type}",
        ]
        if not self.native:
            argv.append(f"-DCMAKE_TOOLCHAIN_FILE={tc / 'cmake' / 'FaasmToolchain.cmake'}")
        return argv

    def build_argv(self, targets: list[str]) -> list[str]:
        argv = ["cmake", "--build", str(self.path)]
        for target in targets:
            argv += ["--target", target]
        return argv

    def is_configured(self) -> bool:
        """True when this tree was configured with today's argv and still has its build files."""
        record = self.path / CONFIGURE_RECORD
        if not (self.path / "CMakeCache.txt").is_file():
            return False
        if not ((self.path / "build.ninja").is_file() or (self.path / "Makefile").is_file()):
            return False
        try:
            return bool(json.loads(record.read_text()) == self.configure_argv())
        except (OSError, ValueError):
            return False

    def mark_configured(self) -> None:
        (self.path / CONFIGURE_RECORD).write_text(json.dumps(self.configure_argv()))

    def forget_configuration(self) -> None:
        (self.path / CONFIGURE_RECORD).unlink(missing_ok=True)
