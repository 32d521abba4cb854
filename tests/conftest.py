"""Fixtures shared by every test: an isolated cache, a scratch copy of the example project, and
the built Python runtime.

Tests build into a temporary copy of `func/` so they never race each other or touch the
developer's own `build/`, and every cache lives under a session temp dir.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from faasm_cli.config import Project
from faasm_cli.toolchain.python import PythonRuntime
from tests.python_support import shared_runtime

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    cache = tmp_path_factory.mktemp("cache")
    previous = os.environ.get("FAASM_CACHE_DIR")
    os.environ["FAASM_CACHE_DIR"] = str(cache)
    yield cache
    if previous is None:
        os.environ.pop("FAASM_CACHE_DIR", None)
    else:
        os.environ["FAASM_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def demo_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A scratch copy of the repository's func/ tree, shared by the whole session."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(REPO / "func", root / "func")
    return Project(root / "func")


@pytest.fixture(scope="session")
def python(isolated_cache: Path) -> PythonRuntime:
    """The built Python runtime, seen from the session's cache (skips, or fails under
    FAASM_TEST_PYTHON=1, when it is not built)."""
    return shared_runtime(isolated_cache)
