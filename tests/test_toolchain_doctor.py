"""`faasm toolchain doctor` on this machine, where the system toolchain is installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from faasm_cli.toolchain import doctor
from faasm_cli.toolchain.packages import (
    CLUSTER_PACKAGES,
    NATIVE_TOOL_PACKAGES,
    SYSTEM_PACKAGES,
    TOOL_PACKAGES,
    apt_install_command,
)


def test_doctor_finds_the_system_toolchain() -> None:
    checks = doctor(include_docker=False)
    names = {c.name for c in checks}
    assert {"clang", "wasm-ld", "wasi-libc", "libc++ (wasm32)", "Eigen headers", "cmake"} <= names
    # The Python runtime is built, not installed: tests/test_python_build.py checks its line.
    for check in (c for c in checks if c.name != "python runtime"):
        assert check.ok, check
        assert check.fix == ""
        assert check.detail


def test_fix_command_names_packages() -> None:
    command = apt_install_command(["wasi-libc", "wasi-libc", "cmake"])
    assert command.endswith("apt-get install -y wasi-libc cmake")
    assert "clang-19" in SYSTEM_PACKAGES and "libc++abi-19-dev-wasm32" in SYSTEM_PACKAGES
    assert "libeigen3-dev" in SYSTEM_PACKAGES


def test_optional_checks_are_marked() -> None:
    checks = {c.name: c for c in doctor()}
    assert not checks["docker toolchain"].required
    assert not checks["cc (native builds)"].required
    assert checks["clang"].required


def test_redis_server_is_installed_with_the_toolchain_but_not_in_the_image() -> None:
    assert CLUSTER_PACKAGES == ("redis-server",)
    assert "redis-server" not in SYSTEM_PACKAGES  # the container image installs SYSTEM_PACKAGES
    check = {c.name: c for c in doctor(include_docker=False)}["redis-server (cluster)"]
    assert check.ok and check.detail == shutil.which("redis-server") and not check.required


def test_a_missing_redis_server_names_its_fix_but_the_toolchain_stays_usable(
    tmp_path: Path,
) -> None:
    """PATH holds every build tool but redis-server: the doctor names the apt command for it
    and still exits 0, so scripts/setup.sh has to look for redis-server itself."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in [*TOOL_PACKAGES, *NATIVE_TOOL_PACKAGES]:
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    env = {**os.environ, "PATH": str(bin_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "faasm_cli", "toolchain", "doctor", "--output", "json"],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    checks = {c["name"]: c for c in json.loads(done.stdout)}
    assert checks["redis-server (cluster)"]["ok"] is False
    assert checks["redis-server (cluster)"]["detail"] == "redis-server not on PATH"
    assert checks["redis-server (cluster)"]["fix"] == apt_install_command(["redis-server"])
    assert checks["cmake"]["ok"] is True
