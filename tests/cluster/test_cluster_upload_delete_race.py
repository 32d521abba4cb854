"""`DELETE /s/{user}/{key}` is one Redis DEL: of two deletes racing for one key, exactly one
answers 200 and the other 404 (a check-then-delete answered 200 to both)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from support import RedisServer
from upload_support import running_upload_server

from faasm_cli.cluster.redis_state import RedisBackend

ROUNDS = 150
BOUND_S = 90.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer) -> Iterator[str]:
    with running_upload_server(tmp_path_factory.mktemp("race"), redis_server.url) as running:
        yield running[1]


def _racing_deletes(clients: list[httpx.Client], path: str) -> list[httpx.Response]:
    """Both clients' DELETE of `path`, sent as close together as two threads allow."""
    start = threading.Barrier(len(clients))
    answers: list[httpx.Response] = []

    def delete(client: httpx.Client) -> None:
        start.wait(10)
        answers.append(client.delete(path))

    threads = [threading.Thread(target=delete, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


def test_of_two_concurrent_deletes_exactly_one_answers_200(server: str, redis_url: str) -> None:
    backend = RedisBackend(redis_url)
    clients = [httpx.Client(base_url=server, timeout=30) for _ in range(2)]
    deadline = time.monotonic() + BOUND_S
    try:
        for client in clients:  # connections open before the first round
            assert client.get("/ping").text == "PONG"
        for round_ in range(ROUNDS):
            assert time.monotonic() < deadline, f"only {round_} rounds in {BOUND_S:g} s"
            if round_ % 3 == 2:  # a key with only appended elements is deleted the same way
                backend.append("racer", "k", b"element")
            else:
                backend.save("racer", "k", b"value")
            answers = _racing_deletes(clients, "/s/racer/k")
            codes = sorted(answer.status_code for answer in answers)
            assert codes == [200, 404], f"round {round_}: {[a.text for a in answers]}"
            texts = sorted(answer.text for answer in answers)
            assert texts == ["OK", "no state key racer/k (list the keys: GET /s/racer)"]
            assert backend.keys("racer") == []
    finally:
        for client in clients:
            client.close()
        backend.close()
