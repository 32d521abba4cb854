"""faasm.toml and FAASM_* reach `faasm run` and `faasm compile`; flags still win."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import one_line_error, run_cli

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wired")
    (root / "func" / "demo").mkdir(parents=True)
    for name in ("hello.cpp", "infinite_loop.c", "huge_output.c"):
        shutil.copy(REPO / "func" / "demo" / name, root / "func" / "demo" / name)
    built = run_cli("compile", "demo", "--all", cwd=root)
    assert built.returncode == 0, built.stderr.decode()
    return root


def with_settings(project: Path, text: str) -> Path:
    (project / "faasm.toml").write_text(text)
    return project


def test_timeout_from_faasm_toml_and_the_flag_wins(project: Path) -> None:
    with_settings(project, "[limits]\ntimeout = 0.3\n")
    ran = run_cli("run", "demo", "infinite_loop", "-o", "json", cwd=project / "func")
    document = json.loads(ran.stdout)
    assert document["failed"] and document["duration_s"] < 5
    flagged = run_cli("run", "demo", "infinite_loop", "--timeout", "0.1", "-o", "json", cwd=project)
    assert json.loads(flagged.stdout)["duration_s"] < document["duration_s"]


def test_environment_beats_faasm_toml(project: Path) -> None:
    with_settings(project, "[limits]\noutput_mb = 1000\n")
    assert "output limit" not in run_cli("run", "demo", "huge_output", cwd=project).stderr.decode()
    capped = run_cli("run", "demo", "huge_output", cwd=project, env={"FAASM_OUTPUT_MB": "1"})
    assert capped.returncode == 1
    assert "output limit of 1048576 bytes" in capped.stderr.decode()


def test_toolchain_from_faasm_toml(project: Path) -> None:
    with_settings(project, '[build]\ntoolchain = "docker"\n')
    ran = run_cli(
        "compile", "demo", "hello", "-o", "json", cwd=project, env={"FAASM_TOOLCHAIN": "system"}
    )
    assert ran.returncode == 0, ran.stderr.decode()
    with_settings(project, '[build]\ntoolchain = "gcc"\n')
    bad = run_cli("compile", "demo", "hello", cwd=project)
    assert bad.returncode == 78
    assert one_line_error(bad.stderr) == (
        f"error: {project / 'faasm.toml'}:2: build.toolchain must be one of 'system', 'docker', "
        "not a string ('gcc') (e.g. toolchain = \"system\" under [build])"
    )


def test_unknown_key_stops_run_with_file_and_line(project: Path) -> None:
    with_settings(project, "[limits]\n\ntimeuot = 5\n")
    result = run_cli("run", "demo", "hello", cwd=project)
    assert result.returncode == 78
    assert one_line_error(result.stderr) == (
        f"error: {project / 'faasm.toml'}:3: unknown key 'timeuot' in [limits] "
        "(keys of [limits]: timeout, memory_mb, output_mb)"
    )


def test_wasm_needs_no_project(project: Path, tmp_path: Path) -> None:
    wasm = tmp_path / "hello.wasm"
    shutil.copy(project / "build" / "func" / "demo" / "hello.wasm", wasm)
    result = run_cli("run", "demo", "hello", "--wasm", str(wasm), cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b"Hello faasm!"
