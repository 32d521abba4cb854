"""pytest fixtures for testing a project's functions in the embedded runtime.

Loaded by pytest through the `pytest11` entry point, so a project's tests need no conftest:

    def test_hello(faasm_runtime):
        assert faasm_runtime.call("demo", "hello").output_data == b"Hello faasm!"

Each test gets a `Runtime` whose state lives under its own `tmp_path` (a test never sees
another's state, nor the user's), and machine code is cached under pytest's session temp folder,
never in the user's cache. Functions are built once per session from the project pytest runs in
(found as `faasm` finds it: FAASM_FUNC_DIR, else from the working directory up), with its
`faasm.toml` toolchain and limits. Override `faasm_project` to test another project.

Nothing is autouse and nothing heavy is imported until a fixture is used: the plugin is loaded
into every pytest run of an environment where faasm_cli is installed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from faasm_cli.config import Project
    from faasm_cli.runtime import Runtime
    from faasm_cli.settings import Settings

Compiled = Callable[[str, str], Path]


@pytest.fixture(scope="session")
def faasm_project() -> Project:
    """The project under test."""
    from faasm_cli.config import Project

    return Project.locate()


@pytest.fixture(scope="session")
def faasm_settings(faasm_project: Project) -> Settings:
    """The project's settings (faasm.toml, the user config, FAASM_*), as `faasm run` sees them."""
    from faasm_cli import settings

    return settings.load(faasm_project)


@pytest.fixture(scope="session")
def faasm_compiled(faasm_project: Project, faasm_settings: Settings) -> Compiled:
    """`faasm_compiled(user, function)` builds a function (if its sources changed) at most once
    per session and gives its wasm path; a compile error fails the test with its diagnostics."""
    from faasm_cli.errors import CompileFailed
    from faasm_cli.toolchain import build_function

    built: dict[tuple[str, str], Path] = {}

    def compiled(user: str, function: str) -> Path:
        if (user, function) not in built:
            lines: list[str] = []
            try:
                result = build_function(
                    faasm_project,
                    user,
                    function,
                    backend=faasm_settings.toolchain,
                    on_log=lines.append,
                )
            except CompileFailed as failure:
                pytest.fail(f"{failure}\n" + "\n".join(lines), pytrace=False)
            built[(user, function)] = result.path
        return built[(user, function)]

    return compiled


@pytest.fixture(scope="session")
def faasm_machine_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Machine code shared by the session's runtimes: each module is compiled once per run."""
    return tmp_path_factory.mktemp("faasm-machine-code")


@pytest.fixture
def faasm_runtime(
    tmp_path: Path,
    faasm_machine_code: Path,
    faasm_compiled: Compiled,
    faasm_settings: Settings,
) -> Iterator[Runtime]:
    """A runtime with its state in `tmp_path/faasm-state` that builds the functions it is asked
    to call (chained ones too), closed after the test."""
    from faasm_cli.runtime import Runtime

    with Runtime(
        cache_dir=faasm_machine_code,
        state_store=tmp_path / "faasm-state",
        resolver=faasm_compiled,
        **faasm_settings.runtime_limits(),
    ) as runtime:
        yield runtime


@pytest.fixture
def pyfaasm_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """pyfaasm under the host's CPython, for testing Python functions with no wasm at all:
    `pyfaasm_emulator.run("func/demo/x.py", b"input")` runs the file as a call does (state in
    a dict, chained calls inline). Its emulated host is reset around each test."""
    from faasm_cli.toolchain.python import recipe_dir

    monkeypatch.syspath_prepend(str(recipe_dir()))
    from pyfaasm import _emulator  # type: ignore[import-not-found]

    _emulator.reset()
    yield _emulator
    _emulator.reset()
