"""The HTTP client of a Faasm cluster: the upload server's and the invoke endpoint's routes.

It knows the HTTP API, the call message and the typed errors, nothing else: a refused connection
is `ClusterUnavailable` naming the URL, a 4xx is the server's own one-line message as `NotFound`
or `BadInput`, and files travel in pieces both ways (a state value of hundreds of MB is never
held whole).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import httpx

from faasm_cli.errors import BadConfig, BadInput, ClusterUnavailable, FaasmError, NotFound
from faasm_cli.message import Message

CHUNK_BYTES = 1 << 20
CONNECT_TIMEOUT_S = 5.0
_JSON = {"Accept": "application/json"}


class Sink(Protocol):
    """Where a streamed value goes: a binary file, or anything with `write(bytes)`."""

    def write(self, data: bytes, /) -> object: ...


class Client:
    """One cluster, reached at its upload server and its invoke endpoint."""

    def __init__(self, upload_url: str, invoke_url: str) -> None:
        self.upload_url = _base(upload_url, "upload")
        self.invoke_url = _base(invoke_url, "invoke")
        # No read timeout: a sync call lasts as long as its function, a value takes its size.
        self._http = httpx.Client(timeout=httpx.Timeout(None, connect=CONNECT_TIMEOUT_S))

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ---- functions ------------------------------------------------------------------------------

    def upload_wasm(self, user: str, function: str, wasm: Path) -> str:
        """Upload a compiled function (validated and compiled to machine code by the server)."""
        return self._put_file(f"{self.upload_url}/f/{user}/{function}", wasm).text.strip()

    def upload_python(self, user: str, function: str, source: Path) -> str:
        return self._put_file(f"{self.upload_url}/p/{user}/{function}", source).text.strip()

    def get_wasm(self, user: str, function: str) -> bytes:
        return self._send("GET", f"{self.upload_url}/f/{user}/{function}").content

    # ---- calls ----------------------------------------------------------------------------------

    def invoke(self, message: Message) -> dict[str, Any]:
        """Run a call and wait for it: the result JSON (`CallResult.to_json` and `status`)."""
        return self._json("POST", self.invoke_url, message.replaced(async_=False).to_json())

    def invoke_async(self, message: Message) -> int:
        """Submit a call without waiting: its id, for `status`."""
        answer = self._json("POST", self.invoke_url, message.replaced(async_=True).to_json())
        return int(answer["id"])

    def status(self, call_id: int) -> str:
        """Faasm's status line: `RUNNING`, `SUCCESS: <output>` or `FAILED: <message>`."""
        body = {"status": True, "id": call_id}
        return self._send("POST", self.invoke_url, json=body).text.rstrip("\n")

    def result(self, call_id: int) -> dict[str, Any]:
        """The status as JSON: the result document once the call has ended."""
        return self._json("POST", self.invoke_url, {"status": True, "id": call_id})

    # ---- state ----------------------------------------------------------------------------------

    def set_state(self, user: str, key: str, source: Path | bytes) -> None:
        url = f"{self.upload_url}/s/{user}/{key}"
        if isinstance(source, bytes):
            self._send("PUT", url, content=source)
        else:
            self._put_file(url, source)

    def get_state(self, user: str, key: str, sink: Sink) -> int:
        """Write a value to `sink` as it arrives; the number of bytes written."""
        written = 0
        with self._stream("GET", f"{self.upload_url}/s/{user}/{key}") as response:
            for piece in response.iter_bytes(CHUNK_BYTES):
                sink.write(piece)
                written += len(piece)
        return written

    def delete_state(self, user: str, key: str) -> None:
        """Delete a value and its appended elements; `NotFound` when the key has neither."""
        self._send("DELETE", f"{self.upload_url}/s/{user}/{key}")

    def list_state(self, user: str) -> list[tuple[str, int]]:
        """A user's keys and their value sizes in bytes, sorted by key."""
        url = f"{self.upload_url}/s/{user}"
        entries = _parse(url, self._send("GET", url, headers=_JSON))
        try:
            return [(str(entry["key"]), int(entry["size"])) for entry in entries]
        except (TypeError, KeyError, ValueError) as problem:
            raise _not_faasm(url, "JSON that is not a list of keys and sizes") from problem

    # ---- health ---------------------------------------------------------------------------------

    def ping(self) -> None:
        """Both endpoints answer `GET /ping`, or ClusterUnavailable names the one that does not."""
        for base in (self.upload_url, self.invoke_url):
            self._send("GET", f"{base}/ping")

    # ---- plumbing -------------------------------------------------------------------------------

    def _put_file(self, url: str, path: Path) -> httpx.Response:
        try:
            size = path.stat().st_size
        except OSError as problem:
            raise BadInput(f"cannot read {path}: {problem.strerror}", "check the path") from problem
        return self._send("PUT", url, content=_pieces(path), headers={"Content-Length": str(size)})

    def _json(self, method: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
        document = _parse(url, self._send(method, url, json=body, headers=_JSON))
        if not isinstance(document, dict):
            raise _not_faasm(url, "JSON that is not an object")
        return document

    def _send(self, method: str, url: str, **request: Any) -> httpx.Response:
        with self._stream(method, url, **request) as response:
            response.read()
        return response

    @contextmanager
    def _stream(self, method: str, url: str, **request: Any) -> Iterator[httpx.Response]:
        """A response whose status is a success; transport failures and 4xx/5xx become typed
        errors (the body is read only for them)."""
        try:
            with self._http.stream(method, url, **request) as response:
                if response.is_error:
                    response.read()
                    raise _refused(url, response)
                yield response
        except (httpx.ConnectError, httpx.ConnectTimeout) as problem:
            raise ClusterUnavailable(
                f"no Faasm cluster answers at {_origin(url)}",
                "start one with `faasm cluster up`, or point --upload-url/--invoke-url "
                "(or a --profile) at yours",
            ) from problem
        except httpx.TransportError as problem:
            raise ClusterUnavailable(
                f"{_origin(url)} dropped the connection: {problem}",
                "see `faasm cluster logs`",
            ) from problem


def _parse(url: str, response: httpx.Response) -> Any:
    try:
        return response.json()
    except json.JSONDecodeError as problem:
        raise _not_faasm(url, f"something other than JSON: {response.text[:80]!r}") from problem


def _not_faasm(url: str, answer: str) -> ClusterUnavailable:
    return ClusterUnavailable(f"{url} answered {answer}", "is that the URL of a Faasm server?")


def _refused(url: str, response: httpx.Response) -> FaasmError:
    """The server's one-line answer to a request it refused, as the matching typed error."""
    line = response.text.strip().splitlines()[0] if response.text.strip() else ""
    line = line or f"{response.status_code} {response.reason_phrase}"
    if response.status_code == httpx.codes.METHOD_NOT_ALLOWED:
        route = f"{response.request.method} {response.request.url.path}"
        return BadInput(f"{_origin(url)} has no route {route}", "is that the right server?")
    if response.status_code == httpx.codes.NOT_FOUND:
        return NotFound(line)
    if response.is_client_error:
        return BadInput(line)
    return ClusterUnavailable(
        f"{_origin(url)} failed ({response.status_code}): {line}", "see `faasm cluster logs`"
    )


def _pieces(path: Path) -> Iterator[bytes]:
    with path.open("rb") as stream:
        while piece := stream.read(CHUNK_BYTES):
            yield piece


def _base(url: str, which: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise BadConfig(
            f"the {which} URL {url!r} is not an http(s) URL",
            f"give --{which}-url, FAASM_{which.upper()}_URL or the profile as http://HOST:PORT",
        )
    return url.rstrip("/")


def _origin(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode()}"
