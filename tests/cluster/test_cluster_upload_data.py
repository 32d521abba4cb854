"""The upload server's state (`/s`) and shared-file (`/file`) routes against a real uvicorn and
Redis: values streamed both ways in bounded memory, names and paths confined."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support import RedisServer
from upload_support import running_upload_server

from faasm_cli.cluster import keys
from faasm_cli.cluster.redis_state import RedisBackend
from faasm_cli.cluster.shared_files import SharedFiles
from faasm_cli.errors import BadInput

MIB = 1 << 20
KEY_RULE = "use 1-64 characters from A-Z a-z 0-9 _ - ."
PATH_RULE = "use a relative path of up to 1024 characters: names from A-Z a-z 0-9 _ - . joined by /"
SMALL_LIMIT = 64 << 10


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[tuple[Path, str]]:
    with running_upload_server(tmp_path_factory.mktemp("upload"), redis_server.url) as running:
        yield running[0].shared_files_dir, running[1]


@pytest.fixture(scope="module")
def small_server(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[str]:
    """A server that accepts bodies of up to `SMALL_LIMIT` bytes."""
    root = tmp_path_factory.mktemp("small")
    with running_upload_server(root, redis_server.url, max_body_bytes=SMALL_LIMIT) as running:
        yield running[1]


@pytest.fixture
def upload(server: tuple[Path, str], redis_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server[1], timeout=120) as client:
        yield client


@pytest.fixture
def shared(server: tuple[Path, str]) -> Path:
    return server[0]


# ---- state ---------------------------------------------------------------------------------


def test_state_put_is_what_functions_read_and_their_pushes_come_back(
    upload: httpx.Client, redis_url: str
) -> None:
    stored = upload.put("/s/user123/my_key", content=b"your data")
    assert (stored.status_code, stored.text) == (200, "OK")
    backend = RedisBackend(redis_url)
    assert backend.load("user123", "my_key") == b"your data"
    backend.save_ranges("user123", "my_key", 9, [(5, b"DATA")])
    fetched = upload.get("/s/user123/my_key")
    assert (fetched.status_code, fetched.content) == (200, b"your DATA")
    assert fetched.headers["content-type"] == "application/octet-stream"
    backend.close()


def test_state_from_curl_as_in_faasms_quick_start(
    upload: httpx.Client, tmp_path: Path, redis_url: str
) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    url = str(upload.base_url.join("/s/user123/my_key"))
    put = ["curl", "-sS", "--fail-with-body", url, "-X", "PUT", "-d", "your data"]
    assert subprocess.run(put, capture_output=True, check=True).stdout == b"OK"
    assert upload.get("/s/user123/my_key").content == b"your data"
    value = tmp_path / "value.bin"
    value.write_bytes(bytes(range(256)) * 1000)
    upload_file = ["curl", "-sS", "--fail-with-body", "-T", str(value), url]
    assert subprocess.run(upload_file, capture_output=True, check=True).stdout == b"OK"
    assert upload.get("/s/user123/my_key").content == value.read_bytes()


def test_unknown_state_key_is_404(upload: httpx.Client) -> None:
    answer = upload.get("/s/demo/nope")
    assert (answer.status_code, answer.text) == (
        404,
        "no state key demo/nope (set it: PUT /s/demo/nope)",
    )


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/s/demo/a%2Fb", f"invalid state key name 'a/b' ({KEY_RULE})"),
        ("/s/demo/a/b", f"invalid state key name 'a/b' ({KEY_RULE})"),
        ("/s/demo/%2E%2E", f"invalid state key name '..' ({KEY_RULE})"),
        ("/s/demo/k%00", f"invalid state key name 'k\\x00' ({KEY_RULE})"),
        ("/s/demo/k%C3%A9y", f"invalid state key name 'kéy' ({KEY_RULE})"),
        ("/s/demo/" + "k" * 65, f"invalid state key name '{'k' * 65}' ({KEY_RULE})"),
        ("/s/de.mo/key", "invalid user name 'de.mo' (use 1-64 characters from A-Z a-z 0-9 _ -)"),
        ("/s/%2E%2E/key", "invalid user name '..' (use 1-64 characters from A-Z a-z 0-9 _ -)"),
    ],
)
def test_bad_state_names_are_400(upload: httpx.Client, path: str, message: str) -> None:
    for method in ("GET", "PUT", "DELETE"):
        answer = upload.request(method, path, content=b"x")
        assert (answer.status_code, answer.text) == (400, message)


def test_state_list_names_values_and_appended_keys_sorted_with_sizes(
    upload: httpx.Client, redis_url: str
) -> None:
    assert upload.put("/s/lister/zeta", content=b"z" * 300).status_code == 200
    assert upload.put("/s/lister/alpha", content=b"abc").status_code == 200
    backend = RedisBackend(redis_url)
    backend.append("lister", "middle", b"only appended")
    backend.save("other", "not_mine", b"x")
    backend.close()
    listed = upload.get("/s/lister")
    assert (listed.status_code, listed.headers["content-type"]) == (200, "application/json")
    assert listed.json() == [
        {"key": "alpha", "size": 3},
        {"key": "middle", "size": 0},
        {"key": "zeta", "size": 300},
    ]
    empty = upload.get("/s/nobody")
    assert (empty.status_code, empty.json()) == (200, [])
    bad = upload.get("/s/de.mo")
    assert (bad.status_code, bad.text) == (
        400,
        "invalid user name 'de.mo' (use 1-64 characters from A-Z a-z 0-9 _ -)",
    )


def test_state_delete_removes_the_value_and_its_appended_elements(
    upload: httpx.Client, redis_url: str
) -> None:
    assert upload.put("/s/deleter/gone", content=b"value").status_code == 200
    assert upload.put("/s/deleter/kept", content=b"kept").status_code == 200
    backend = RedisBackend(redis_url)
    backend.append("deleter", "gone", b"element")
    deleted = upload.delete("/s/deleter/gone")
    assert (deleted.status_code, deleted.text) == (200, "OK")
    assert (backend.load("deleter", "gone"), backend.read_appended("deleter", "gone", 5)) == (
        None,
        [],
    )
    assert backend.load("deleter", "kept") == b"kept"
    backend.append("deleter", "list_only", b"element")
    assert upload.delete("/s/deleter/list_only").status_code == 200
    assert backend.keys("deleter") == ["kept"]
    backend.close()
    again = upload.delete("/s/deleter/gone")
    assert (again.status_code, again.text) == (
        404,
        "no state key deleter/gone (list the keys: GET /s/deleter)",
    )
    assert upload.get("/s/deleter/gone").status_code == 404


def test_empty_and_oversized_state_values_change_nothing(small_server: str, redis_url: str) -> None:
    with httpx.Client(base_url=small_server) as client:
        assert client.put("/s/demo/k", content=b"before").status_code == 200
        empty = client.put("/s/demo/k", content=b"")
        assert (empty.status_code, empty.text) == (
            400,
            "empty state value (send the state value as the request body)",
        )
        too_large = (
            f"state value larger than the server's limit of {SMALL_LIMIT} bytes "
            "(raise the upload server's --max-body-bytes)"
        )
        declared = client.put("/s/demo/k", content=bytes(SMALL_LIMIT + 1))
        assert (declared.status_code, declared.text) == (413, too_large)
        chunked = client.put("/s/demo/k", content=iter([bytes(SMALL_LIMIT)] * 2))
        assert (chunked.status_code, chunked.text) == (413, too_large)
        assert client.get("/s/demo/k").content == b"before"
    with RedisBackend(redis_url).client as redis_client:
        # The refused streams left no scratch copies behind.
        assert redis_client.keys(keys.state_temp("demo", "k", "*")) == []


class PeakRss:
    """This process's resident set, sampled every few ms: the server runs in a thread here."""

    def __init__(self) -> None:
        self.start = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * 4096

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, self._rss())

    def growth(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak - self.start


def test_a_300_mb_value_streams_both_ways_in_bounded_memory(
    upload: httpx.Client, redis_url: str
) -> None:
    size = 300 * MIB
    block = bytes(range(256)) * (MIB // 256)
    expected = hashlib.sha256()
    for _ in range(size // MIB):
        expected.update(block)

    def blocks() -> Iterator[bytes]:
        for _ in range(size // MIB):
            yield block

    rss = PeakRss()
    started = time.monotonic()
    stored = upload.put("/s/big/value", content=blocks())
    assert (stored.status_code, stored.text) == (200, "OK")
    put_s = time.monotonic() - started
    received = hashlib.sha256()
    length = 0
    started = time.monotonic()
    with upload.stream("GET", "/s/big/value") as answer:
        assert answer.status_code == 200
        for piece in answer.iter_bytes():
            received.update(piece)
            length += len(piece)
    get_s = time.monotonic() - started
    growth = rss.growth()
    assert (length, received.hexdigest()) == (size, expected.hexdigest())
    print(f"300 MiB: PUT {put_s:.1f} s, GET {get_s:.1f} s, peak RSS growth {growth / MIB:.1f} MiB")
    assert growth < 48 * MIB, f"server memory grew {growth / MIB:.0f} MiB for a 300 MiB value"


# ---- shared files --------------------------------------------------------------------------


def test_shared_file_round_trip(upload: httpx.Client, shared: Path) -> None:
    data = b"line one\nline two\n"
    stored = upload.put("/file", content=data, headers={"FilePath": "data/in.txt"})
    assert (stored.status_code, stored.text) == (200, "OK")
    assert (shared / "data" / "in.txt").read_bytes() == data
    fetched = upload.get("/file", headers={"FilePath": "data/in.txt"})
    assert (fetched.status_code, fetched.content) == (200, data)
    assert fetched.headers["content-length"] == str(len(data))
    replaced = upload.put("/file", content=b"new", headers={"FilePath": "data/in.txt"})
    assert replaced.status_code == 200
    assert upload.get("/file", headers={"FilePath": "data/in.txt"}).content == b"new"
    assert [p.name for p in (shared / "data").iterdir()] == ["in.txt"]  # no temp files left


@pytest.mark.parametrize(
    "file_path",
    [
        "../escape.txt",
        "/etc/passwd",
        "data/../../escape.txt",
        "data/./in.txt",
        "..",
        ".",
        "",
        "a//b",
        "data/",
        "back\\slash",
        "with space",
        "x" * 1025,
    ],
)
def test_file_paths_that_could_leave_the_root_are_400(
    upload: httpx.Client, shared: Path, file_path: str
) -> None:
    for method in ("GET", "PUT"):
        answer = upload.request(method, "/file", content=b"x", headers={"FilePath": file_path})
        shown = repr(file_path) if len(file_path) <= 100 else f"{file_path[:100]!r}..."
        assert (answer.status_code, answer.text) == (
            400,
            f"invalid file path {shown} ({PATH_RULE})",
        )
    assert not (shared.parent / "escape.txt").exists()


def test_non_ascii_and_nul_paths_are_refused(upload: httpx.Client, shared: Path) -> None:
    answer = upload.put("/file", content=b"x", headers={"FilePath": "dätä".encode()})
    assert answer.status_code == 400
    assert answer.text.startswith("invalid file path 'd")
    with pytest.raises(BadInput, match=r"invalid file path 'a\\x00b'"):
        SharedFiles(shared).path("a\x00b")


def test_symlinks_out_of_the_root_are_refused(
    upload: httpx.Client, shared: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"secret")
    shared.mkdir(parents=True, exist_ok=True)
    (shared / "dir_link").symlink_to(outside)
    (shared / "file_link").symlink_to(outside / "secret")
    for file_path in ("dir_link/secret", "dir_link/new", "file_link"):
        for method in ("GET", "PUT"):
            answer = upload.request(
                method, "/file", content=b"overwritten", headers={"FilePath": file_path}
            )
            assert (answer.status_code, answer.text) == (
                400,
                f"file path {file_path!r} goes through a symlink ({PATH_RULE})",
            )
    assert (outside / "secret").read_bytes() == b"secret"
    assert not (outside / "new").exists()


def test_file_errors(upload: httpx.Client, small_server: str) -> None:
    missing = upload.get("/file", headers={"FilePath": "data/none"})
    assert (missing.status_code, missing.text) == (
        404,
        "no shared file 'data/none' (upload it: PUT /file)",
    )
    upload.put("/file", content=b"x", headers={"FilePath": "dir/file"})
    directory = upload.get("/file", headers={"FilePath": "dir"})
    assert (directory.status_code, directory.text) == (
        404,
        "no shared file 'dir' (that path is a directory)",
    )
    collision = upload.put("/file", content=b"x", headers={"FilePath": "dir/file/below"})
    assert (collision.status_code, collision.text) == (
        400,
        "file path 'dir/file/below' collides with an existing file or directory "
        "(a file cannot also be a directory: choose another path)",
    )
    no_header = upload.put("/file", content=b"x")
    assert (no_header.status_code, no_header.text) == (422, "header FilePath: Field required")
    empty = upload.put("/file", content=b"", headers={"FilePath": "data/empty"})
    assert (empty.status_code, empty.text) == (
        400,
        "empty file (send the file as the request body)",
    )
    large = httpx.put(
        f"{small_server}/file", content=bytes(SMALL_LIMIT + 1), headers={"FilePath": "big"}
    )
    assert (large.status_code, large.text) == (
        413,
        f"file larger than the server's limit of {SMALL_LIMIT} bytes "
        "(raise the upload server's --max-body-bytes)",
    )
