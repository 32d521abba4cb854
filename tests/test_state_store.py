"""The local state store: values, ranges, persistence, append, push/pull, names and bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from faasm_cli.errors import FaasmError, InvalidName
from faasm_cli.runtime.errors import CallFailed, StateUnavailable
from faasm_cli.runtime.state.memory import MemoryStateStore
from faasm_cli.runtime.state.store import (
    MAX_VALUE_BYTES,
    LocalStateStore,
    ReplicatedStateStore,
    StateError,
)

StoreFactory = Callable[[], ReplicatedStateStore]


@pytest.fixture
def open_store(tmp_path: Path) -> StoreFactory:
    """Each call: a new store over the same durable state, as another process would see it.
    tests/cluster/test_cluster_state_contract.py runs the tests using it over Redis."""
    return lambda: LocalStateStore(tmp_path / "state")


@pytest.fixture
def store(open_store: StoreFactory) -> ReplicatedStateStore:
    return open_store()


def test_missing_key_reads_zeros_and_has_size_zero(store: ReplicatedStateStore) -> None:
    assert store.size("demo", "nothing") == 0
    assert store.get("demo", "nothing") == b""
    assert store.read("demo", "nothing", 16, 4, 8) == bytes(8)
    assert store.keys("demo") == []


def test_set_get_and_size(store: ReplicatedStateStore) -> None:
    store.set("demo", "k", b"hello")
    assert store.get("demo", "k") == b"hello"
    assert store.size("demo", "k") == 5
    store.set("demo", "k", b"hi")
    assert store.get("demo", "k") == b"hi"
    # Bytes dropped by a shorter value never come back.
    assert store.read("demo", "k", 5, 0, 5) == b"hi\0\0\0"


def test_offset_write_grows_to_total_and_reads_back(store: ReplicatedStateStore) -> None:
    store.write("demo", "k", 10, 4, b"abc")
    assert store.size("demo", "k") == 10
    assert store.get("demo", "k") == b"\0\0\0\0abc\0\0\0"
    assert store.read("demo", "k", 10, 3, 5) == b"\0abc\0"
    store.write("demo", "k", 10, 0, b"xy")
    assert store.get("demo", "k") == b"xy\0\0abc\0\0\0"


@pytest.mark.parametrize(
    ("total", "offset", "length"),
    [(8, 6, 4), (8, 9, 0), (8, -1, 2), (8, 0, -1), (-1, 0, 0), (8, 0, 9)],
)
def test_out_of_range_offsets_fail_naming_everything(
    store: ReplicatedStateStore, total: int, offset: int, length: int
) -> None:
    attempts: list[Callable[[], object]] = [
        lambda: store.read("demo", "k", total, offset, length),
        lambda: store.flag_dirty("demo", "k", total, offset, length),
    ]
    if length >= 0:
        attempts.append(lambda: store.write("demo", "k", total, offset, bytes(length)))
    for attempt in attempts:
        with pytest.raises(StateError) as caught:
            attempt()
        assert str(caught.value) == (
            f"state key 'k': offset {offset} length {length} is outside the value's "
            f"total length {total}"
        )
    assert store.size("demo", "k") == 0


def test_state_error_is_both_a_failed_call_and_a_user_error(store: ReplicatedStateStore) -> None:
    with pytest.raises(CallFailed):
        store.read("demo", "k", 4, 2, 4)
    with pytest.raises(FaasmError):
        store.read("demo", "k", 4, 2, 4)


def test_value_size_is_limited(store: ReplicatedStateStore) -> None:
    with pytest.raises(StateError, match="exceeds the limit"):
        store.write("demo", "big", MAX_VALUE_BYTES + 1, 0, b"x")


@pytest.mark.parametrize("key", ["", "..", ".", "a/b", "../x", "k" * 65, "sp ace", "nul\0"])
def test_invalid_keys_are_rejected(store: ReplicatedStateStore, key: str) -> None:
    with pytest.raises(InvalidName):
        store.set("demo", key, b"x")
    with pytest.raises(InvalidName):
        store.get("demo", key)
    with pytest.raises(InvalidName):
        store.append("demo", key, b"x")


@pytest.mark.parametrize("user", ["", "..", "a/b", "x.y", "../demo"])
def test_invalid_users_are_rejected(store: ReplicatedStateStore, user: str) -> None:
    with pytest.raises(InvalidName):
        store.set(user, "k", b"x")
    with pytest.raises(InvalidName):
        store.lock_global(user, "k", 0.1)


def test_users_never_see_each_others_values(
    store: ReplicatedStateStore, open_store: StoreFactory
) -> None:
    store.set("alice", "secret", b"alice's")
    store.append("alice", "log", b"entry")
    store.flush()
    assert store.get("bob", "secret") == b""
    assert store.read_appended("bob", "log", 0) == []
    with pytest.raises(StateError):
        store.read_appended("bob", "log", 1)
    assert store.keys("bob") == []
    # Even a fresh process-level view of the same durable state keeps them apart.
    other = open_store()
    assert other.get("bob", "secret") == b""
    assert other.get("alice", "secret") == b"alice's"
    assert other.keys("bob") == [] and other.keys("alice") == ["log", "secret"]


def test_each_user_has_a_folder_of_its_own(store: ReplicatedStateStore, tmp_path: Path) -> None:
    store.set("alice", "secret", b"alice's")
    store.flush()
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["alice"]


def test_values_persist_across_store_instances(open_store: StoreFactory) -> None:
    first = open_store()
    first.set("demo", "pushed", b"one")
    first.push("demo", "pushed")
    first.set("demo", "flushed", b"two")
    first.write("demo", "ranged", 6, 2, b"ab")
    assert open_store().get("demo", "flushed") == b""  # not yet durable
    first.flush()
    second = open_store()
    assert second.get("demo", "pushed") == b"one"
    assert second.get("demo", "flushed") == b"two"
    assert second.get("demo", "ranged") == b"\0\0ab\0\0"
    assert second.keys("demo") == ["flushed", "pushed", "ranged"]


def test_default_root_is_under_the_cache_dir(isolated_cache: Path) -> None:
    assert LocalStateStore().root == isolated_cache / "state"


def test_reading_never_persists_anything(open_store: StoreFactory) -> None:
    store = open_store()
    store.read("demo", "k", 8, 0, 8)
    store.size("demo", "j")
    store.flush()
    assert open_store().keys("demo") == []


def test_pull_refreshes_from_another_process_writes(open_store: StoreFactory) -> None:
    reader = open_store()
    writer = open_store()
    assert reader.get("demo", "k") == b""
    writer.set("demo", "k", b"fresh value")
    writer.push("demo", "k")
    assert reader.get("demo", "k") == b""  # the local replica is not refreshed by itself
    reader.pull("demo", "k")
    assert reader.get("demo", "k") == b"fresh value"
    writer.set("demo", "k", b"short")
    writer.push("demo", "k")
    reader.pull("demo", "k")
    assert reader.get("demo", "k") == b"short"
    assert reader.read("demo", "k", 11, 0, 11) == b"short" + bytes(6)


def test_pull_of_a_key_never_pushed_keeps_the_local_value(store: ReplicatedStateStore) -> None:
    store.set("demo", "local", b"mine")
    store.pull("demo", "local")
    assert store.get("demo", "local") == b"mine"


def test_push_partial_keeps_other_writers_ranges(open_store: StoreFactory) -> None:
    left = open_store()
    right = open_store()
    left.write("demo", "shared", 8, 0, b"LLLL")
    right.write("demo", "shared", 8, 4, b"RRRR")
    left.push_partial("demo", "shared")
    right.push_partial("demo", "shared")
    assert open_store().get("demo", "shared") == b"LLLLRRRR"
    # A full push replaces the whole value, the other side's range included.
    left.push("demo", "shared")
    assert open_store().get("demo", "shared") == b"LLLL\0\0\0\0"


def test_push_partial_sends_only_flagged_ranges(open_store: StoreFactory) -> None:
    store = open_store()
    store.set("demo", "v", b"aaaaaaaa")
    store.push("demo", "v")
    other = open_store()
    other.write("demo", "v", 8, 0, b"bbbbbbbb")
    other.push("demo", "v")
    store.write("demo", "v", 8, 2, b"cc")
    store.flag_dirty("demo", "v", 8, 6, 1)
    store.push_partial("demo", "v")
    assert open_store().get("demo", "v") == b"bbccbbab"


def test_append_read_clear_in_order_and_persisted(open_store: StoreFactory) -> None:
    store = open_store()
    for element in (b"ab", b"", b"cdef", bytes(range(256)) * 4):
        store.append("demo", "log", element)
    other = open_store()
    assert other.read_appended("demo", "log", 2) == [b"ab", b""]
    assert other.read_appended("demo", "log", 4)[2:] == [b"cdef", bytes(range(256)) * 4]
    assert other.keys("demo") == ["log"]
    other.clear_appended("demo", "log")
    assert store.read_appended("demo", "log", 0) == []


def test_reading_more_appended_elements_than_exist_fails(store: ReplicatedStateStore) -> None:
    store.append("demo", "log", b"one")
    with pytest.raises(StateError, match="has 1 appended elements, 2 requested"):
        store.read_appended("demo", "log", 2)
    with pytest.raises(StateError, match="cannot read -1"):
        store.read_appended("demo", "log", -1)


def test_torn_trailing_append_record_is_ignored(tmp_path: Path) -> None:
    store = LocalStateStore(tmp_path / "state")
    store.append("demo", "log", b"whole")
    path = tmp_path / "state" / "demo" / "appended" / "log"
    with path.open("ab") as log:
        log.write(b"\x10\0\0\0par")  # a crash in the middle of the next record
    assert store.read_appended("demo", "log", 1) == [b"whole"]
    with pytest.raises(StateError, match="has 1 appended elements"):
        store.read_appended("demo", "log", 2)


def test_delete_forgets_value_and_appended(open_store: StoreFactory) -> None:
    store = open_store()
    store.set("demo", "k", b"value")
    store.append("demo", "k", b"element")
    store.flush()
    store.delete("demo", "k")
    assert store.get("demo", "k") == b""
    assert store.keys("demo") == []
    assert open_store().size("demo", "k") == 0


def test_close_flushes(open_store: StoreFactory) -> None:
    store = open_store()
    store.set("demo", "k", b"kept")
    store.close()
    assert open_store().get("demo", "k") == b"kept"


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from faasm_cli.runtime.state.store import LocalStateStore
    store = LocalStateStore(Path(sys.argv[1]))
    size = 1 << 20
    print("ready", flush=True)
    i = 0
    while True:
        store.set("demo", "big", bytes([65 + i % 2]) * size)
        store.push("demo", "big")
        i += 1
    """
)


def test_writes_are_atomic_even_when_the_writer_is_killed(tmp_path: Path) -> None:
    root = tmp_path / "state"
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(root)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        value = root / "demo" / "values" / "big"
        seen: set[bytes] = set()
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            if value.exists():
                data = value.read_bytes()
                assert len(data) == 1 << 20
                assert data.count(data[:1]) == len(data)  # never a mix of two versions
                seen.add(data[:1])
        assert seen == {b"A", b"B"}
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.kill()
        writer.wait(10)
    data = value.read_bytes()
    assert len(data) == 1 << 20 and data.count(data[:1]) == len(data)
    assert LocalStateStore(root).get("demo", "big") == data


@pytest.fixture(params=["local", "memory"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> ReplicatedStateStore:
    if request.param == "local":
        return LocalStateStore(tmp_path / "state")
    return MemoryStateStore()


def test_both_stores_keep_the_same_contract(any_store: ReplicatedStateStore) -> None:
    store = any_store
    store.set("demo", "k", b"hello")
    store.write("demo", "k", 8, 6, b"!!")
    assert store.read("demo", "k", 8, 0, 8) == b"hello\0!!"
    store.append("demo", "log", b"a")
    store.append("demo", "log", b"bc")
    assert store.read_appended("demo", "log", 2) == [b"a", b"bc"]
    store.flush()
    assert store.backend.load("demo", "k") == b"hello\0!!"
    assert store.backend.size("demo", "k") == 8
    assert store.backend.read_range("demo", "k", 6, 10) == b"!!"
    assert store.keys("demo") == ["k", "log"]
    store.delete("demo", "k")
    assert (store.size("demo", "k"), store.keys("demo")) == (0, ["log"])
    store.close()


def test_size_and_range_reads_do_not_load_the_value(open_store: StoreFactory) -> None:
    store = open_store()
    store.set("demo", "big", bytes(range(256)) * 64)
    store.flush()
    reader = open_store()
    assert reader.size("demo", "big") == 16384
    assert reader.read("demo", "big", 16384, 300, 4) == bytes([44, 45, 46, 47])
    # Not replicated: a value changed on disk since is seen as it is now.
    store.set("demo", "big", b"short")
    store.flush()
    assert reader.size("demo", "big") == 5
    assert reader.read("demo", "big", 8, 3, 5) == b"rt\0\0\0"


def test_a_failing_disk_is_state_unavailable_naming_the_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_bytes(b"")
    store = LocalStateStore(blocker)
    with pytest.raises(StateUnavailable) as caught:
        store.set("demo", "k", b"v")
        store.flush()
    assert f"state storage under {blocker} failed" in str(caught.value)
    assert isinstance(caught.value, CallFailed) and isinstance(caught.value, FaasmError)
    assert "writable" in caught.value.hint
