"""Finding the project: upward from the working directory as git does, or named by --func-dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from faasm_cli.config import Project
from faasm_cli.errors import NotFound
from tests.helpers import one_line_error, run_cli


@pytest.fixture(autouse=True)
def no_func_dir_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAASM_FUNC_DIR", raising=False)


def make_project(root: Path, marker: str = "func") -> Path:
    if marker == "func":
        (root / "func" / "demo").mkdir(parents=True)
    else:
        root.mkdir(parents=True, exist_ok=True)
        (root / "faasm.toml").write_text("")
    return root.resolve()


@pytest.mark.parametrize("below", [".", "func", "func/demo", "func/demo/deep/er", "docs"])
def test_found_from_the_root_and_every_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, below: str
) -> None:
    root = make_project(tmp_path / "proj")
    (root / below).mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(root / below)
    assert Project.locate().func_dir == root / "func"


def test_faasm_toml_marks_a_project_before_it_has_func(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path / "proj", marker="toml")
    (root / "src").mkdir()
    monkeypatch.chdir(root / "src")
    project = Project.locate()
    assert (project.root, project.func_dir) == (root, root / "func")
    assert project.settings_file == root / "faasm.toml"
    assert project.users() == []


def test_the_nearest_project_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outer = make_project(tmp_path / "outer")
    inner = make_project(outer / "vendor" / "inner", marker="toml")
    monkeypatch.chdir(inner)
    assert Project.locate().root == inner
    monkeypatch.chdir(outer / "vendor")
    assert Project.locate().root == outer


def test_func_dir_accepts_the_root_or_its_func(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj")
    assert Project.locate(root).func_dir == root / "func"
    assert Project.locate(root / "func").func_dir == root / "func"
    assert Project.locate(str(root / "func")).root == root


def test_func_dir_may_be_any_folder_of_users(tmp_path: Path) -> None:
    (tmp_path / "functions" / "demo").mkdir(parents=True)
    assert Project.locate(tmp_path / "functions").func_dir == (tmp_path / "functions").resolve()


def test_func_dir_variable_is_used_when_no_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path / "proj")
    monkeypatch.setenv("FAASM_FUNC_DIR", str(root))
    monkeypatch.chdir(tmp_path)
    assert Project.locate().func_dir == root / "func"


def test_missing_func_dir_is_named(tmp_path: Path) -> None:
    with pytest.raises(NotFound) as raised:
        Project.locate(tmp_path / "nope")
    assert raised.value.message == f"project directory {tmp_path / 'nope'} does not exist"
    assert "--func-dir" in raised.value.hint


def test_no_project_anywhere_above(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a" / "b")
    with pytest.raises(NotFound) as raised:
        Project.locate()
    here = (tmp_path / "a" / "b").resolve()
    assert raised.value.message == f"no faasm project in {here} or any folder above it"
    assert "faasm init" in raised.value.hint


def test_cli_without_a_project_is_one_line_and_exit_66(tmp_path: Path) -> None:
    result = run_cli("compile", "demo", "hello", cwd=tmp_path)
    assert result.returncode == 66
    assert one_line_error(result.stderr) == (
        f"error: no faasm project in {tmp_path.resolve()} or any folder above it "
        "(run `faasm init` to start one here, or pass --func-dir DIR)"
    )


def test_cli_compiles_from_a_subfolder(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj")
    (root / "func" / "demo" / "hello.c").write_text(
        '#include "faasm/faasm.h"\n'
        'FAASM_MAIN_FUNC() { faasmSetOutput((const unsigned char*)"hi", 2); return 0; }\n'
    )
    result = run_cli("run", "demo", "hello", cwd=root / "func" / "demo")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b"hi"
    assert (root / "build" / "func" / "demo" / "hello.wasm").is_file()


def test_find_is_none_where_there_is_no_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert Project.find() is None
    root = make_project(tmp_path / "proj")
    assert Project.find(root) == Project(root / "func")
    with pytest.raises(NotFound):
        Project.find(tmp_path / "nope")
