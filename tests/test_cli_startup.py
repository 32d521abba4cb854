"""Start-up of the `faasm` command (issue 9): verbs are imported only when used, help unchanged."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import typer
from typer.testing import CliRunner

from faasm_cli.app import COMMANDS, app
from faasm_cli.config import Project
from faasm_cli.runtime.engine import WASMTIME_VERSION
from tests.helpers import build_or_skip

REPO = Path(__file__).resolve().parent.parent
# What `faasm run` of a fresh function must not import: the other verbs and their dependencies.
NOT_ON_THE_RUN_PATH = (
    "rich",
    "docker",
    "httpx",
    "faasm_cli.cache_info",
    "faasm_cli.toolchain.docker_backend",
    "importlib.metadata",  # 15-30 ms; the wasmtime version comes from its dist-info's name
    *(module for verb, (module, _) in COMMANDS.items() if verb != "run"),
)


def _imported(argv: list[str], cwd: Path) -> set[str]:
    """The modules a real `faasm` process imports (from `python -X importtime`, which does not
    list a module imported through importlib.import_module, such as the verb's own)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "faasm_cli", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip() for line in lines[1:]}


def test_run_of_a_fresh_function_imports_no_other_verb(tmp_path: Path) -> None:
    shutil.copytree(REPO / "func", tmp_path / "func")
    build_or_skip(Project(tmp_path / "func"), "demo", ["hello"])
    imported = _imported(["run", "demo", "hello"], tmp_path)
    assert "faasm_cli.local_run" in imported
    loaded = sorted(
        name
        for name in imported
        for unwanted in NOT_ON_THE_RUN_PATH
        if name == unwanted or name.startswith(unwanted + ".")
    )
    assert loaded == []


def test_version_imports_no_verb(tmp_path: Path) -> None:
    imported = _imported(["--version"], tmp_path)
    assert not {module for module, _ in COMMANDS.values()} & imported


def _eager_app() -> typer.Typer:
    """The same verbs registered the plain Typer way, to compare help with."""
    eager = typer.Typer(
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
        rich_markup_mode="rich",
    )
    eager.callback()(lambda: None)
    for verb, (module, attribute) in COMMANDS.items():
        target = getattr(__import__(module, fromlist=[attribute]), attribute)
        if isinstance(target, typer.Typer):
            eager.add_typer(target, name=verb)
        else:
            eager.command(verb)(target)
    return eager


def _verb_paths() -> list[list[str]]:
    root = typer.main.get_command(_eager_app())
    assert isinstance(root, click.Group)
    paths = []
    for verb in COMMANDS:
        command = root.commands[verb]
        paths.append([verb])
        if isinstance(command, click.Group):
            paths += [[verb, sub] for sub in command.commands]
    return paths


@pytest.mark.parametrize("path", _verb_paths(), ids=" ".join)
def test_help_of_every_verb_is_what_eager_registration_gives(path: list[str]) -> None:
    runner = CliRunner()
    lazy = runner.invoke(app, [*path, "--help"], prog_name="faasm", env={"COLUMNS": "100"})
    eager = runner.invoke(
        _eager_app(), [*path, "--help"], prog_name="faasm", env={"COLUMNS": "100"}
    )
    assert lazy.exit_code == eager.exit_code == 0
    assert lazy.output == eager.output
    assert "Usage: faasm " + " ".join(path) in lazy.output


def test_root_help_lists_the_verbs_in_order() -> None:
    result = CliRunner().invoke(app, ["--help"], prog_name="faasm", env={"COLUMNS": "100"})
    assert result.exit_code == 0
    rows = [line.split()[1] for line in result.output.splitlines() if line.startswith("│ ")]
    assert [row for row in rows if row in COMMANDS] == list(COMMANDS)


def test_unknown_verb_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["bogus"], prog_name="faasm")
    assert result.exit_code != 0
    assert "No such command 'bogus'" in result.output


def test_wasmtime_version_is_what_the_installed_package_says() -> None:
    """The machine-code cache key's version, read without importlib.metadata, is the real one."""
    assert importlib.metadata.version("wasmtime") == WASMTIME_VERSION
