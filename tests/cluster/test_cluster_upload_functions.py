"""The upload server's function routes (`/f`, `/p`, `/ping`) against a real uvicorn and Redis:
validation before storing, machine code compiled once for the workers, versions announced."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
import wasmtime
from helpers import build_or_skip
from support import RedisServer, free_port, serve_in_thread
from upload_support import running_upload_server

from faasm_cli.cluster import keys
from faasm_cli.cluster.config import ClusterConfig
from faasm_cli.cluster.server import upload_app
from faasm_cli.config import Project
from faasm_cli.runtime import Runtime

NAME_RULE = "use 1-64 characters from A-Z a-z 0-9 _ -"
BAD_IMPORTS = bytes(
    wasmtime.wat2wasm("""
(module
  (import "env" "__faasm_teleport" (func (param i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "other" "thing" (func))
  (memory (export "memory") 1)
  (func (export "__faasm_call") (param i32) (result i32) (i32.const 0)))""")
)


@pytest.fixture(scope="module")
def demo_wasm(demo_project: Project) -> dict[str, bytes]:
    paths = build_or_skip(demo_project, "demo", ["hello", "echo"])
    return {name: path.read_bytes() for name, path in paths.items()}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[tuple[ClusterConfig, str]]:
    root = tmp_path_factory.mktemp("upload")
    with running_upload_server(root, redis_server.url, max_body_bytes=1 << 20) as running:
        yield running


@pytest.fixture
def config(server: tuple[ClusterConfig, str], redis_url: str) -> ClusterConfig:
    """The server's config; Redis is emptied for each test."""
    return server[0]


@pytest.fixture
def upload(server: tuple[ClusterConfig, str], redis_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server[1]) as client:
        yield client


def test_ping_answers_pong(upload: httpx.Client) -> None:
    answer = upload.get("/ping")
    assert (answer.status_code, answer.text) == (200, "PONG")


def test_uploaded_wasm_comes_back_and_is_announced(
    upload: httpx.Client, config: ClusterConfig, demo_wasm: dict[str, bytes]
) -> None:
    client = redis.Redis.from_url(config.redis_url)
    subscriber = client.pubsub()
    subscriber.subscribe(keys.FUNCTIONS_CHANNEL)
    assert subscriber.get_message(timeout=5)["type"] == "subscribe"  # type: ignore[index]

    hello = demo_wasm["hello"]
    answer = upload.put("/f/demo/hello", content=hello)
    assert (answer.status_code, answer.text) == (200, hashlib.sha256(hello).hexdigest())
    fetched = upload.get("/f/demo/hello")
    assert (fetched.status_code, fetched.content) == (200, hello)
    assert fetched.headers["content-type"] == "application/wasm"
    assert (config.functions_dir / "demo" / "hello" / "function.wasm").read_bytes() == hello
    version = client.get(keys.function_version("demo", "hello"))
    assert version == hashlib.sha256(hello).hexdigest().encode()
    message = subscriber.get_message(timeout=5)
    assert message is not None and message["data"] == b"demo/hello"

    # Another module under the same name: a new version, announced again.
    echo = demo_wasm["echo"]
    assert upload.put("/f/demo/hello", content=echo).status_code == 200
    assert upload.get("/f/demo/hello").content == echo
    version = client.get(keys.function_version("demo", "hello"))
    assert version == hashlib.sha256(echo).hexdigest().encode()
    message = subscriber.get_message(timeout=5)
    assert message is not None and message["data"] == b"demo/hello"
    subscriber.close()
    client.close()


def test_workers_on_the_host_load_the_machine_code_compiled_at_upload(
    upload: httpx.Client, config: ClusterConfig, demo_wasm: dict[str, bytes], tmp_path: Path
) -> None:
    assert upload.put("/f/demo/hello", content=demo_wasm["hello"]).status_code == 200
    with Runtime(cache_dir=config.cache_dir) as worker:
        worker.register("demo", "hello", demo_wasm["hello"])
        assert worker.call("demo", "hello").output_data == b"Hello faasm!"
        shared = worker.cache_stats
    with Runtime(cache_dir=tmp_path / "elsewhere") as cold:
        cold.register("demo", "hello", demo_wasm["hello"])
        fresh = cold.cache_stats
    # The instrumented module and its machine code come from the server's work; only the
    # snapshot (made by running the zygote, which the server does not) is compiled.
    assert (shared.prepared, shared.prepared_loaded, shared.loaded) == (0, 1, 1)
    assert (fresh.prepared, fresh.prepared_loaded, fresh.loaded) == (1, 0, 0)
    assert fresh.compiled == shared.compiled + 1


def test_a_module_importing_unknown_host_functions_is_refused_naming_them(
    upload: httpx.Client, config: ClusterConfig
) -> None:
    answer = upload.put("/f/demo/odd", content=BAD_IMPORTS)
    assert answer.status_code == 400
    assert answer.text == (
        "demo/odd imports what the runtime does not provide: env.__faasm_teleport, other.thing "
        "(build it against faasm/faasm.h and WASI preview 1 only)"
    )
    assert upload.get("/f/demo/odd").status_code == 404
    with redis.Redis.from_url(config.redis_url) as client:
        assert client.get(keys.function_version("demo", "odd")) is None


def test_a_body_that_is_not_wasm_is_refused(upload: httpx.Client) -> None:
    answer = upload.put("/f/demo/fake", content=b"int main() { return 0; }")
    assert (answer.status_code, answer.text) == (
        400,
        "demo/fake is not a WebAssembly module (pass the .wasm that `faasm compile` builds)",
    )
    broken = upload.put("/f/demo/fake", content=b"\0asm\x01\0\0\0\x01\xff")
    assert broken.status_code == 400
    assert broken.text.startswith("demo/fake is not a valid WebAssembly module: ")
    assert "\n" not in broken.text


def test_unknown_function_is_404(upload: httpx.Client) -> None:
    answer = upload.get("/f/demo/nope")
    assert (answer.status_code, answer.text) == (
        404,
        "no function demo/nope (upload it: faasm upload)",
    )
    python = upload.get("/p/demo/nope")
    assert (python.status_code, python.text) == (
        404,
        "no Python function demo/nope (upload it: faasm upload --py)",
    )


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/f/demo/%2E%2E", "invalid function name '..'"),
        ("/f/%2E%2E/hello", "invalid user name '..'"),
        ("/f/demo/a%2Fb", "invalid function name 'a/b'"),
        ("/f/demo/a/b", "invalid function name 'a/b'"),
        ("/f/demo/", "invalid function name ''"),
        ("/f/demo/nul%00", "invalid function name 'nul\\x00'"),
        ("/f/demo/h%C3%A9llo", "invalid function name 'héllo'"),
        ("/f/demo/" + "a" * 65, f"invalid function name '{'a' * 65}'"),
        ("/f/de.mo/hello", "invalid user name 'de.mo'"),
        ("/p/demo/a%2Fb", "invalid function name 'a/b'"),
    ],
)
def test_bad_names_are_400_on_every_function_route(
    upload: httpx.Client, path: str, message: str
) -> None:
    for method in ("GET", "PUT"):
        answer = upload.request(method, path, content=b"\0asm\x01\0\0\0")
        assert (answer.status_code, answer.text) == (400, f"{message} ({NAME_RULE})")


def test_empty_and_oversized_bodies(upload: httpx.Client, config: ClusterConfig) -> None:
    empty = upload.put("/f/demo/hello", content=b"")
    assert (empty.status_code, empty.text) == (
        400,
        "empty wasm (send the wasm as the request body)",
    )
    too_large = f"larger than the server's limit of {config.max_body_bytes} bytes"
    hint = "(raise the upload server's --max-body-bytes)"
    declared = upload.put("/f/demo/hello", content=bytes(config.max_body_bytes + 1))
    assert (declared.status_code, declared.text) == (413, f"wasm {too_large} {hint}")

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(3):
            yield bytes(config.max_body_bytes // 2)

    streamed = upload.put("/p/demo/big", content=chunked())
    assert (streamed.status_code, streamed.text) == (413, f"Python source {too_large} {hint}")
    assert upload.get("/p/demo/big").status_code == 404


def test_python_source_is_stored_as_utf8_text(upload: httpx.Client) -> None:
    source = "def main(x):\n    return 'héllo'\n".encode()
    stored = upload.put("/p/demo/py", content=source)
    assert (stored.status_code, stored.text) == (200, "OK")
    fetched = upload.get("/p/demo/py")
    assert (fetched.status_code, fetched.content) == (200, source)
    latin1 = upload.put("/p/demo/py", content="# h\xe9llo\n".encode("latin-1"))
    assert (latin1.status_code, latin1.text) == (
        400,
        "the source of demo/py is not UTF-8 text (byte 3) (save the .py file as UTF-8)",
    )
    assert upload.get("/p/demo/py").content == source  # the refused upload changed nothing


def test_unknown_route_and_method_are_one_line(upload: httpx.Client) -> None:
    assert (upload.get("/nowhere").status_code, upload.get("/nowhere").text) == (404, "Not Found")
    answer = upload.post("/f/demo/hello", content=b"x")
    assert (answer.status_code, answer.text) == (405, "Method Not Allowed")


def test_redis_down_is_503_naming_it(tmp_path: Path, demo_wasm: dict[str, bytes]) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    config = ClusterConfig(redis_url=dead, data_dir=tmp_path / "data", cache_dir=tmp_path / "c")
    with serve_in_thread(upload_app(config)) as url:
        answer = httpx.put(f"{url}/f/demo/hello", content=demo_wasm["hello"])
        state = [
            httpx.put(f"{url}/s/demo/key", content=b"v"),
            httpx.get(f"{url}/s/demo/key"),
            httpx.delete(f"{url}/s/demo/key"),
            httpx.get(f"{url}/s/demo"),
        ]
    assert answer.status_code == 503
    assert answer.text.startswith("stored demo/hello but could not tell the workers: Redis failed:")
    assert answer.text.endswith("(start Redis (faasm cluster up) and upload again)")
    for refused in state:
        assert refused.status_code == 503
        assert refused.text.startswith(f"Redis at {dead} failed: ")
        assert refused.text.endswith(
            "(start Redis (`faasm cluster up`) or fix the cluster's Redis URL)"
        )


def test_openapi_describes_every_route_with_its_body(upload: httpx.Client) -> None:
    document = upload.get("/openapi.json").json()
    paths = document["paths"]
    assert {"/ping", "/f/{user}/{function}", "/p/{user}/{function}"} <= set(paths)
    wasm_body = paths["/f/{user}/{function}"]["put"]["requestBody"]
    assert wasm_body["required"] is True
    assert wasm_body["content"]["application/wasm"]["schema"]["format"] == "binary"
    responses = paths["/f/{user}/{function}"]["put"]["responses"]
    assert {"200", "400", "413", "503"} <= set(responses)
    assert "text/plain; charset=utf-8" in responses["400"]["content"]
    assert {"200", "400", "404"} <= set(paths["/f/{user}/{function}"]["get"]["responses"])
    assert {"200", "400", "404", "503"} <= set(paths["/s/{user}/{key}"]["delete"]["responses"])
    listing = paths["/s/{user}"]["get"]["responses"]
    assert {"200", "400", "503"} <= set(listing)
    entries = listing["200"]["content"]["application/json"]["schema"]
    assert entries["type"] == "array"
    entry = document["components"]["schemas"][entries["items"]["$ref"].rsplit("/", 1)[1]]
    assert (entry["required"], entry["properties"]["size"]["type"]) == (["key", "size"], "integer")


def test_server_process_serves_on_the_configured_port(tmp_path: Path, redis_url: str) -> None:
    port = free_port()
    config = ClusterConfig(redis_url=redis_url, upload_port=port, data_dir=tmp_path / "data")
    argv = [sys.executable, "-m", "faasm_cli.cluster.server", *config.to_argv()]
    env = {**os.environ, "FAASM_CACHE_DIR": str(tmp_path / "cache")}
    process = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/ping")
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert (answer.status_code, answer.text) == (200, "PONG")
    finally:
        process.terminate()
        process.wait(10)
