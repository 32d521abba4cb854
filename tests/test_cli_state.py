"""`faasm state` against the real local store, and state persisting between `faasm run`s."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faasm_cli.config import Project
from tests.helpers import run_cli


@pytest.fixture()
def cache(tmp_path: Path) -> dict[str, str]:
    return {"FAASM_CACHE_DIR": str(tmp_path / "cache")}


def test_set_get_list_delete(tmp_path: Path, cache: dict[str, str]) -> None:
    assert (
        run_cli("state", "set", "alice", "greeting", "hello", cwd=tmp_path, env=cache).returncode
        == 0
    )
    got = run_cli("state", "get", "alice", "greeting", cwd=tmp_path, env=cache)
    assert got.stdout == b"hello"
    listed = run_cli("state", "list", "alice", "--output", "json", cwd=tmp_path, env=cache)
    assert json.loads(listed.stdout) == [{"key": "greeting", "size": 5}]
    assert run_cli("state", "delete", "alice", "greeting", cwd=tmp_path, env=cache).returncode == 0
    gone = run_cli("state", "get", "alice", "greeting", cwd=tmp_path, env=cache)
    assert gone.returncode == 66
    assert "no state alice/greeting" in gone.stderr.decode()


def test_upload_and_get_to_file(tmp_path: Path, cache: dict[str, str]) -> None:
    blob = bytes(range(256)) * 100
    (tmp_path / "in.bin").write_bytes(blob)
    up = run_cli("state", "upload", "alice", "blob.v1", "--file", "in.bin", cwd=tmp_path, env=cache)
    assert up.returncode == 0, up.stderr.decode()
    run_cli("state", "get", "alice", "blob.v1", "--file", "out.bin", cwd=tmp_path, env=cache)
    assert (tmp_path / "out.bin").read_bytes() == blob


def test_users_do_not_see_each_others_keys(tmp_path: Path, cache: dict[str, str]) -> None:
    run_cli("state", "set", "alice", "secret", "s3cret", cwd=tmp_path, env=cache)
    other = run_cli("state", "get", "bob", "secret", cwd=tmp_path, env=cache)
    assert other.returncode == 66
    assert other.stdout == b""


@pytest.mark.parametrize("key", ["../escape", "a/b", "", "k" * 65])
def test_invalid_keys_are_rejected(tmp_path: Path, cache: dict[str, str], key: str) -> None:
    result = run_cli("state", "get", "alice", key, cwd=tmp_path, env=cache)
    assert result.returncode == 64
    assert "invalid state key name" in result.stderr.decode()


def test_missing_upload_file(tmp_path: Path, cache: dict[str, str]) -> None:
    result = run_cli("state", "upload", "alice", "k", "--file", "nope.bin", cwd=tmp_path, env=cache)
    assert result.returncode == 66
    assert "nope.bin" in result.stderr.decode()


def test_increment_counts_across_runs(demo_project: Project, cache: dict[str, str]) -> None:
    outputs = [
        run_cli("run", "demo", "increment", cwd=demo_project.root, env=cache).stdout
        for _ in range(3)
    ]
    assert outputs == [b"1", b"2", b"3"]
