"""`faasm init` and `faasm new` through the real CLI: the starters compile and run as written."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from faasm_cli import settings
from tests.helpers import one_line_error, run_cli
from tests.python_support import shared_runtime


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project made by `faasm init`, as a new user would start."""
    root = tmp_path_factory.mktemp("new") / "hello-faasm"
    made = run_cli("init", str(root), cwd=root.parent)
    assert made.returncode == 0, made.stderr.decode()
    return root


def test_init_makes_func_gitignore_and_faasm_toml(project: Path) -> None:
    assert (project / "func").is_dir()
    assert (project / ".gitignore").read_text() == "build/\n"
    text = (project / "faasm.toml").read_text()
    assert text == settings.starter_file()
    assert set(tomllib.loads(text)) == {"build", "limits", "cluster"}


@pytest.mark.parametrize(("lang", "suffix"), [("cpp", ".cpp"), ("c", ".c")])
def test_starter_runs_as_written_from_a_subfolder(project: Path, lang: str, suffix: str) -> None:
    made = run_cli("new", "demo", f"greet_{lang}", "--lang", lang, cwd=project)
    assert made.returncode == 0, made.stderr.decode()
    source = project / "func" / "demo" / f"greet_{lang}{suffix}"
    assert f"wrote {source}" in made.stderr.decode()
    assert f"faasm run demo greet_{lang}" in source.read_text()
    inside = project / "func" / "demo"
    greeted = run_cli("run", "demo", f"greet_{lang}", "--input", "Faasm", cwd=inside)
    assert greeted.returncode == 0, greeted.stderr.decode()
    assert greeted.stdout == b"Hello, Faasm!"
    plain = run_cli("run", "demo", f"greet_{lang}", cwd=inside)
    assert plain.stdout == b"Hello, world!"
    long_name = "x" * 5000
    long = run_cli("run", "demo", f"greet_{lang}", "--input", long_name, cwd=inside)
    assert long.stdout == f"Hello, {long_name}!".encode()


def test_cpp_is_the_default_language(project: Path) -> None:
    assert run_cli("new", "other", "first", cwd=project).returncode == 0
    assert (project / "func" / "other" / "first.cpp").is_file()


def test_python_starter_runs_as_written(project: Path, isolated_cache: Path) -> None:
    shared_runtime(isolated_cache)
    made = run_cli("new", "py", "greet", "--lang", "py", cwd=project)
    assert made.returncode == 0
    assert "next: faasm run py greet --input Faasm" in made.stderr.decode()
    assert "@faasm_main" in (project / "func" / "py" / "greet.py").read_text()
    ran = run_cli("run", "py", "greet", "--input", "Faasm", cwd=project)
    assert (ran.returncode, ran.stdout) == (0, b"Hello, Faasm!"), ran.stderr.decode()


def test_new_help_says_how_python_functions_run(tmp_path: Path) -> None:
    helped = run_cli("new", "--help", cwd=tmp_path)
    words = " ".join(helped.stdout.decode().replace("│", " ").split())
    assert "A py function runs on the Python runtime (`faasm python build` makes it once)." in words


def test_new_over_an_existing_function_is_refused(project: Path) -> None:
    assert run_cli("new", "demo", "twice", "--lang", "c", cwd=project).returncode == 0
    again = run_cli("new", "demo", "twice", "--lang", "cpp", cwd=project)
    assert again.returncode == 65
    existing = project / "func" / "demo" / "twice.c"
    assert one_line_error(again.stderr) == (
        f"error: function demo/twice already exists: {existing} "
        "(pick another name, or pass --force to replace it)"
    )
    assert not (project / "func" / "demo" / "twice.cpp").exists()


def test_force_replaces_every_source_of_the_function(project: Path) -> None:
    assert run_cli("new", "demo", "swap", "--lang", "c", cwd=project).returncode == 0
    (project / "func" / "demo" / "swap.c").write_text("edited")
    forced = run_cli("new", "demo", "swap", "--lang", "cpp", "--force", cwd=project)
    assert forced.returncode == 0, forced.stderr.decode()
    assert not (project / "func" / "demo" / "swap.c").exists()
    assert "FAASM_MAIN_FUNC" in (project / "func" / "demo" / "swap.cpp").read_text()


@pytest.mark.parametrize(
    ("user", "function", "kind", "name"),
    [
        ("demo", "bad name", "function", "'bad name'"),
        ("demo", "../escape", "function", "'../escape'"),
        ("de.mo", "ok", "user", "'de.mo'"),
    ],
)
def test_new_with_an_invalid_name(
    project: Path, user: str, function: str, kind: str, name: str
) -> None:
    result = run_cli("new", user, function, cwd=project)
    assert result.returncode == 64
    assert one_line_error(result.stderr) == (
        f"error: invalid {kind} name {name} (use 1-64 characters from A-Z a-z 0-9 _ -)"
    )
    assert not list(project.rglob("*escape*"))


def test_new_outside_any_project(tmp_path: Path) -> None:
    result = run_cli("new", "demo", "hello", cwd=tmp_path)
    assert result.returncode == 66
    assert "faasm init" in one_line_error(result.stderr)
    assert not (tmp_path / "func").exists()


def test_new_with_func_dir_as_root_or_func(project: Path, tmp_path: Path) -> None:
    for given, name in ((project, "by_root"), (project / "func", "by_func")):
        made = run_cli("new", "demo", name, "--func-dir", str(given), cwd=tmp_path)
        assert made.returncode == 0, made.stderr.decode()
        assert (project / "func" / "demo" / f"{name}.cpp").is_file()


def test_init_twice_is_refused_unless_forced(tmp_path: Path) -> None:
    assert run_cli("init", cwd=tmp_path).returncode == 0
    (tmp_path / "faasm.toml").write_text("[limits]\ntimeout = 3\n")
    again = run_cli("init", cwd=tmp_path)
    assert again.returncode == 65
    assert one_line_error(again.stderr) == (
        f"error: {tmp_path.resolve()} is already a faasm project "
        f"({tmp_path.resolve() / 'faasm.toml'} exists) (edit it, or pass --force to rewrite it)"
    )
    assert (tmp_path / "faasm.toml").read_text() == "[limits]\ntimeout = 3\n"
    assert run_cli("init", "--force", cwd=tmp_path).returncode == 0
    assert (tmp_path / "faasm.toml").read_text() == settings.starter_file()


def test_init_keeps_an_existing_project_and_gitignore(tmp_path: Path) -> None:
    (tmp_path / "func" / "demo").mkdir(parents=True)
    (tmp_path / "func" / "demo" / "mine.c").write_text("kept")
    (tmp_path / ".gitignore").write_text("*.o")
    made = run_cli("init", ".", cwd=tmp_path)
    assert made.returncode == 0, made.stderr.decode()
    assert f"kept {tmp_path.resolve() / 'func'}" in made.stderr.decode()
    assert (tmp_path / "func" / "demo" / "mine.c").read_text() == "kept"
    assert (tmp_path / ".gitignore").read_text() == "*.o\nbuild/\n"
    assert run_cli("init", "--force", cwd=tmp_path).returncode == 0
    assert (tmp_path / ".gitignore").read_text() == "*.o\nbuild/\n"


def test_init_on_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("")
    result = run_cli("init", "taken", cwd=tmp_path)
    assert result.returncode == 65
    assert one_line_error(result.stderr) == (
        f"error: {tmp_path.resolve() / 'taken'} is a file, not a directory "
        "(name a new or existing directory)"
    )
