"""`faasm toolchain doctor` on this machine, where the system toolchain is installed."""

from __future__ import annotations

from faasm_cli.toolchain import doctor
from faasm_cli.toolchain.packages import SYSTEM_PACKAGES, apt_install_command


def test_doctor_finds_the_system_toolchain() -> None:
    checks = doctor(include_docker=False)
    names = {c.name for c in checks}
    assert {"clang", "wasm-ld", "wasi-libc", "libc++ (wasm32)", "Eigen headers", "cmake"} <= names
    for check in checks:
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
