"""Fixtures shared by every test: an isolated cache, and a scratch copy of the example project.

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
