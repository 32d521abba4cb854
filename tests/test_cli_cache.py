"""`faasm cache info` and `faasm cache clear` on a real cache, filled by real runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from faasm_cli.cache_info import KIND_NAMES
from faasm_cli.config import Project
from tests.helpers import one_line_error, run_cli


@pytest.fixture(scope="module")
def built(demo_project: Project) -> Path:
    result = run_cli("compile", "demo", "hello", cwd=demo_project.root)
    assert result.returncode == 0, result.stderr.decode()
    return demo_project.root


@pytest.fixture
def cache(tmp_path: Path, built: Path) -> dict[str, str]:
    """A cache of this test only, holding machine code, state and a file that is not ours."""
    root = tmp_path / "cache"
    env = {"FAASM_CACHE_DIR": str(root)}
    assert run_cli("run", "demo", "hello", cwd=built, env=env).returncode == 0
    assert run_cli("state", "set", "demo", "greeting", "hello", cwd=built, env=env).returncode == 0
    (root / "notes.txt").write_text("not ours")
    return env


def info(cwd: Path, env: dict[str, str]) -> dict[str, dict[str, object]]:
    result = run_cli("cache", "info", "--output", "json", cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr.decode()
    document = json.loads(result.stdout)
    assert document["root"] == env["FAASM_CACHE_DIR"]
    assert document["set_by"] == "FAASM_CACHE_DIR"
    kinds = {row["kind"]: row for row in document["kinds"]}
    assert document["total_bytes"] == sum(row["bytes"] for row in kinds.values())
    return kinds


def test_info_sizes_each_kind(cache: dict[str, str], tmp_path: Path) -> None:
    kinds = info(tmp_path, cache)
    assert list(kinds) == [*KIND_NAMES, "other"]
    root = Path(cache["FAASM_CACHE_DIR"])
    machine = kinds["machine-code"]
    assert machine["path"] == str(root / "modules")
    on_disk = [p for p in (root / "modules").rglob("*") if p.is_file()]
    assert machine["files"] == len(on_disk) > 0
    assert machine["bytes"] == sum(p.stat().st_size for p in on_disk) > 100_000
    assert kinds["state"]["files"] >= 1
    assert int(str(kinds["state"]["bytes"])) >= len("hello")
    assert kinds["toolchain"]["files"] == 1
    assert (kinds["python"]["files"], kinds["python"]["bytes"]) == (0, 0)
    assert (kinds["other"]["files"], kinds["other"]["bytes"]) == (1, len("not ours"))


def test_info_as_a_table(cache: dict[str, str], tmp_path: Path) -> None:
    result = run_cli("cache", "info", cwd=tmp_path, env=cache)
    assert result.returncode == 0
    text = result.stdout.decode()
    assert f"Cache {cache['FAASM_CACHE_DIR']} (FAASM_CACHE_DIR)" in text
    for kind in (*KIND_NAMES, "other"):
        assert f"│ {kind} " in text
    assert "│ 8 B " in text  # notes.txt


def test_clear_takes_machine_code_by_default_and_keeps_state(
    cache: dict[str, str], built: Path
) -> None:
    before = info(built, cache)
    cleared = run_cli("cache", "clear", cwd=built, env=cache)
    assert cleared.returncode == 0, cleared.stderr.decode()
    files = before["machine-code"]["files"]
    said = cleared.stderr.decode()
    assert re.fullmatch(rf"✓ cleared machine-code: \d+\.\d (KiB|MiB) in {files} files\n", said)
    after = info(built, cache)
    assert after["machine-code"]["files"] == 0
    assert after["state"] == before["state"]
    got = run_cli("state", "get", "demo", "greeting", cwd=built, env=cache)
    assert got.stdout == b"hello"
    rerun = run_cli("run", "demo", "hello", cwd=built, env=cache)
    assert rerun.stdout == b"Hello faasm!"
    assert int(str(info(built, cache)["machine-code"]["files"])) > 0


def test_clear_state_only_when_asked(cache: dict[str, str], built: Path) -> None:
    result = run_cli("cache", "clear", "--state", "--output", "json", cwd=built, env=cache)
    assert result.returncode == 0, result.stderr.decode()
    assert [row["kind"] for row in json.loads(result.stdout)] == ["state"]
    after = info(built, cache)
    assert after["state"]["files"] == 0
    assert int(str(after["machine-code"]["files"])) > 0
    missing = run_cli("state", "get", "demo", "greeting", cwd=built, env=cache)
    assert missing.returncode == 66


def test_clear_all_keeps_what_is_not_ours(cache: dict[str, str], tmp_path: Path) -> None:
    result = run_cli("cache", "clear", "--all", cwd=tmp_path, env=cache)
    assert result.returncode == 0, result.stderr.decode()
    after = info(tmp_path, cache)
    assert all(after[kind]["files"] == 0 for kind in KIND_NAMES)
    root = Path(cache["FAASM_CACHE_DIR"])
    assert (root / "notes.txt").read_text() == "not ours"


@pytest.mark.parametrize("command", [["cache", "info"], ["run", "demo", "hello"]])
@pytest.mark.parametrize("below", ["", "sub"])
def test_an_unusable_cache_dir_is_one_line(
    built: Path, tmp_path: Path, command: list[str], below: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    root = blocker / below if below else blocker
    result = run_cli(*command, cwd=built, env={"FAASM_CACHE_DIR": str(root)})
    assert result.returncode == 73
    reason = "Not a directory" if below else "a file, not a directory"
    assert one_line_error(result.stderr) == (
        f"error: cache directory {root} is unusable: {reason} (FAASM_CACHE_DIR points there) "
        "(set FAASM_CACHE_DIR to a writable directory)"
    )
