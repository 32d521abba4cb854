"""The command's conventions: sysexits exit codes, JSON errors under `--output json`, shell
completion of users and functions, defaults in `--help`, a folder given as a file, and invoke
tasks that pass arguments as argv."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import typer

from faasm_cli.app import app
from faasm_cli.config import Project
from faasm_cli.errors import EXIT_CODE_MEANINGS, ExitCode
from tests.conftest import REPO
from tests.helpers import one_line_error, run_cli

WIDE = {"COLUMNS": "200"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose functions are never built: enough for errors and completion."""
    root = tmp_path / "proj"
    for user, names in {"demo": ["echo.c", "hello.cpp", "hex.c"], "alice": ["sum.c"]}.items():
        (root / "func" / user).mkdir(parents=True)
        for name in names:
            (root / "func" / user / name).write_text("int main() { return 0; }\n")
    return root


def test_exit_codes_are_sysexits_apart_from_ctrl_c() -> None:
    assert {code.name: int(code) for code in ExitCode} == {
        "USAGE": 64,
        "DATA": 65,
        "NOT_FOUND": 66,
        "UNAVAILABLE": 69,
        "INTERNAL": 70,
        "CANT_CREATE": 73,
        "CONFIG": 78,
        "INTERRUPTED": 130,
    }
    assert set(EXIT_CODE_MEANINGS) == set(ExitCode)


def test_help_lists_every_exit_code(tmp_path: Path) -> None:
    helped = run_cli("--help", cwd=tmp_path, env=WIDE).stdout.decode()
    for code, meaning in EXIT_CODE_MEANINGS.items():
        assert re.search(rf"^\s*{int(code)}  {re.escape(meaning)}\s*$", helped, re.M), meaning


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["run", "demo", "echo", "--bogus"], 64),
        (["run", "demo"], 64),
        (["run", "demo", "bad name"], 64),
        (["compile", "demo"], 65),
        (["run", "demo", "nosuch"], 66),
        (["run", "nobody", "echo"], 66),
    ],
)
def test_command_errors_use_sysexits(project: Path, argv: list[str], code: int) -> None:
    result = run_cli(*argv, cwd=project)
    assert result.returncode == code, result.stderr.decode()
    assert result.stdout == b""


@pytest.mark.parametrize(
    ("argv", "code", "error"),
    [
        (["run", "demo", "nosuch"], 66, "no function demo/nosuch in {func}"),
        (["run", "demo", "nosuch!"], 64, "invalid function name 'nosuch!'"),
        (["run", "demo"], 64, "Missing argument 'FUNCTION'."),
        (["compile", "demo"], 65, "name one function or pass --all"),
        (["state", "list", "demo"], 73, "cache directory {blocker} is unusable"),
    ],
)
def test_errors_are_json_on_stdout_under_output_json(
    project: Path, tmp_path: Path, argv: list[str], code: int, error: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {"FAASM_CACHE_DIR": str(blocker)} if code == 73 else {}
    result = run_cli(*argv, "--output", "json", cwd=project, env=env)
    assert result.returncode == code, result.stderr.decode()
    assert "error" not in result.stderr.decode()
    document = json.loads(result.stdout)
    assert set(document) == {"error", "hint", "exit_code"}
    assert document["exit_code"] == code
    assert document["error"].startswith(
        error.format(func=(project / "func").resolve(), blocker=blocker)
    )


def test_json_error_carries_the_hint(project: Path) -> None:
    result = run_cli("run", "demo", "nosuch", "-o", "json", cwd=project)
    assert json.loads(result.stdout)["hint"] == "functions of demo: echo, hello, hex"


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "demo", "echo", "--input-file", "{folder}"],
        ["run", "demo", "echo", "--wasm", "{folder}"],
        ["state", "upload", "demo", "key", "--file", "{folder}"],
        ["state", "get", "demo", "key", "--file", "{folder}"],
    ],
)
def test_a_folder_given_as_a_file_says_so(project: Path, argv: list[str]) -> None:
    folder = project / "func"
    result = run_cli(*(arg.format(folder=folder) for arg in argv), cwd=project)
    assert result.returncode == 65
    option = argv[-2]
    assert one_line_error(result.stderr) == (
        f"error: {folder} is a directory, not a file (give {option} a file's path)"
    )


def test_state_get_into_a_missing_folder_names_it(project: Path, tmp_path: Path) -> None:
    target = tmp_path / "no" / "value.bin"
    result = run_cli("state", "get", "demo", "key", "--file", str(target), cwd=project)
    assert result.returncode == 66
    assert f"folder {target.parent} does not exist" in one_line_error(result.stderr)


def _options(command: click.Command, path: str) -> list[tuple[str, click.Option]]:
    found = [(path, p) for p in command.params if isinstance(p, click.Option)]
    if isinstance(command, click.Group):
        context = click.Context(command)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            assert sub is not None, name
            found += _options(sub, f"{path} {name}")
    return found


def test_every_option_default_is_shown_in_help() -> None:
    """An option with a default shows it; one without says in its help what happens instead,
    or is marked `show_default=False` where leaving it out simply means it is not used."""
    options = _options(typer.main.get_command(app), "faasm")
    assert any(path == "faasm run" for path, _ in options)
    silent = []
    for path, option in options:
        if option.is_flag or option.hidden or option.name in ("help", "version"):
            continue
        if option.default is None:
            said = "default" in (option.help or "") or option.show_default is False
            shown = said or option.required
        else:
            shown = option.show_default is not False
        if not shown:
            silent.append(f"{path} {option.opts[0]}")
    assert silent == []


def test_help_text_keeps_brackets(tmp_path: Path) -> None:
    helped = " ".join(run_cli("run", "--help", cwd=tmp_path, env=WIDE).stdout.decode().split())
    assert "faasm.toml's [build] toolchain" in helped
    assert "[default: text]" in helped


def complete(words: str, cwd: Path, env: dict[str, str] | None = None) -> list[str]:
    """What bash completion offers for the last of `words`, through Typer's completion hook."""
    faasm = shutil.which("faasm")
    assert faasm is not None, "the faasm script is not installed"
    done = subprocess.run(
        [faasm],
        cwd=cwd,
        env={
            **os.environ,
            **(env or {}),
            "_FAASM_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_completion_offers_the_projects_users(project: Path) -> None:
    assert complete("faasm run ", cwd=project) == ["alice", "demo"]
    assert complete("faasm compile d", cwd=project / "func" / "demo") == ["demo"]


def test_completion_offers_the_users_functions(project: Path) -> None:
    assert complete("faasm run demo ", cwd=project) == ["echo", "hello", "hex"]
    assert complete("faasm run demo he", cwd=project) == ["hello", "hex"]
    assert complete("faasm compile alice ", cwd=project) == ["sum"]


def test_completion_follows_func_dir(project: Path, tmp_path: Path) -> None:
    assert complete(f"faasm run --func-dir {project} demo e", cwd=tmp_path) == ["echo"]
    assert complete("faasm run demo ", cwd=tmp_path, env={"FAASM_FUNC_DIR": str(project)}) == [
        "echo",
        "hello",
        "hex",
    ]


def test_completion_outside_a_project_offers_nothing(tmp_path: Path) -> None:
    assert complete("faasm run ", cwd=tmp_path) == []
    assert complete("faasm run demo ", cwd=tmp_path) == []


def test_invoke_passes_input_as_argv(demo_project: Project) -> None:
    text = 'it\'s $HOME "quoted" `true`; ls'
    done = subprocess.run(
        [sys.executable, "-m", "invoke", "-r", str(REPO), "run", "demo", "echo", "--input", text],
        cwd=demo_project.root,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == text.encode()
