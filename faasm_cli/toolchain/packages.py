"""What the system toolchain is made of: the Debian packages and the files that prove each one.

One list shared by the doctor, the system backend's check and `faasm toolchain install`, so the
fix a user is told to run is always the command that installs what was found missing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

LLVM_VERSION = 19
LLVM_BIN = Path(f"/usr/lib/llvm-{LLVM_VERSION}/bin")
EIGEN_DIR = Path("/usr/include/eigen3")


@dataclass(frozen=True)
class Component:
    """One piece of the toolchain: a file that must exist and the apt package providing it."""

    name: str
    path: Path
    package: str


WASM_COMPONENTS: tuple[Component, ...] = (
    Component("clang", LLVM_BIN / "clang", f"clang-{LLVM_VERSION}"),
    Component("wasm-ld", LLVM_BIN / "wasm-ld", f"lld-{LLVM_VERSION}"),
    Component("llvm-ar", LLVM_BIN / "llvm-ar", f"llvm-{LLVM_VERSION}"),
    Component("wasi-libc headers", Path("/usr/include/wasm32-wasi/stdio.h"), "wasi-libc"),
    Component("wasi-libc", Path("/usr/lib/wasm32-wasi/libc.a"), "wasi-libc"),
    Component(
        "compiler-rt builtins (wasm32)",
        Path(
            f"/usr/lib/llvm-{LLVM_VERSION}/lib/clang/{LLVM_VERSION}/lib/wasi/"
            "libclang_rt.builtins-wasm32.a"
        ),
        f"libclang-rt-{LLVM_VERSION}-dev-wasm32",
    ),
    Component(
        "libc++ (wasm32)",
        Path(f"/usr/lib/llvm-{LLVM_VERSION}/lib/wasm32-wasi/libc++.a"),
        f"libc++-{LLVM_VERSION}-dev-wasm32",
    ),
    Component(
        "libc++ headers (wasm32)",
        Path(f"/usr/lib/llvm-{LLVM_VERSION}/include/wasm32-wasi/c++/v1/vector"),
        f"libc++-{LLVM_VERSION}-dev-wasm32",
    ),
    Component(
        "libc++abi (wasm32)",
        Path(f"/usr/lib/llvm-{LLVM_VERSION}/lib/wasm32-wasi/libc++abi.a"),
        f"libc++abi-{LLVM_VERSION}-dev-wasm32",
    ),
    # Headers only: FaasmToolchain.cmake links EIGEN_DIR into the wasm sysroot.
    Component("Eigen headers", EIGEN_DIR / "Eigen" / "Dense", "libeigen3-dev"),
)

# Build tools, looked up on PATH.
TOOL_PACKAGES: dict[str, str] = {"cmake": "cmake", "ninja": "ninja-build"}

# Native builds (`faasm compile --native`) use the host's C/C++ compiler.
NATIVE_TOOL_PACKAGES: dict[str, str] = {"cc": "gcc", "c++": "g++"}

SYSTEM_PACKAGES: tuple[str, ...] = (
    f"clang-{LLVM_VERSION}",
    f"lld-{LLVM_VERSION}",
    f"llvm-{LLVM_VERSION}",
    "wasi-libc",
    f"libclang-rt-{LLVM_VERSION}-dev-wasm32",
    f"libc++-{LLVM_VERSION}-dev-wasm32",
    f"libc++abi-{LLVM_VERSION}-dev-wasm32",
    "libeigen3-dev",
    "cmake",
    "ninja-build",
)


# The cluster (`faasm cluster up`, the cluster tests) runs Debian's redis-server, looked up on
# PATH. Installed with the toolchain on the host, but not part of the compile-only container image.
CLUSTER_TOOL_PACKAGES: dict[str, str] = {"redis-server": "redis-server"}
CLUSTER_PACKAGES: tuple[str, ...] = tuple(CLUSTER_TOOL_PACKAGES.values())

# `faasm python build` (toolchain/python.py): apt-get source unpacks with dpkg-source (dpkg-dev),
# CPython builds with make, and Debian's own python3.11 runs CPython's build scripts. The build
# installs what is missing when it runs as root.
BUILD_PYTHON = Path("/usr/bin/python3.11")
PYTHON_BUILD_TOOLS: dict[str, str] = {
    "dpkg-source": "dpkg-dev",
    "make": "make",
    "patch": "patch",
    str(BUILD_PYTHON): "python3.11",
}


def apt_install_command(packages: tuple[str, ...] | list[str] = SYSTEM_PACKAGES) -> str:
    """The exact command that installs `packages` (sudo when not root)."""
    prefix = "" if os.geteuid() == 0 else "sudo "
    return f"{prefix}apt-get install -y {' '.join(dict.fromkeys(packages))}"


def wasi_sdk_path() -> Path | None:
    """A wasi-sdk install named by WASI_SDK_PATH, which replaces the Debian packages."""
    value = os.environ.get("WASI_SDK_PATH")
    return Path(value) if value else None
