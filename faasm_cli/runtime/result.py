"""What a call gives back: output, return value, captured stdio, the tree of chained calls.

`CallResult.to_json` is the one JSON form of a call result (for `faasm run --output json`, the
invoke endpoint and the client): the finished call message in Faasm's field names
(`message.Message.to_json`) plus `status`, `stdout`, `stderr` and the `chained` tree.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

from faasm_cli.errors import BadInput
from faasm_cli.message import Message, json_name

EXEC_HOST = socket.gethostname()
"""The host calls run on, reported as the worker (`exec_host`) of each result."""


def _status(failed: bool) -> str:
    return "failed" if failed else "ok"


@dataclass
class ChainedCall:
    """One chained call in the tree under a call (for `faasm run -v` and `--output json`)."""

    id: int
    user: str
    function: str
    idx: int
    return_value: int
    duration_s: float
    failed: bool
    error: str | None
    children: list[ChainedCall] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            json_name("id"): self.id,
            json_name("user"): self.user,
            json_name("function"): self.function,
            json_name("idx"): self.idx,
            "status": _status(self.failed),
            json_name("return_value"): self.return_value,
            json_name("failed"): self.failed,
            json_name("error"): self.error,
            json_name("duration_s"): self.duration_s,
            "chained": [child.to_json() for child in self.children],
        }

    @classmethod
    def of(cls, message: Message, result: CallResult, children: list[ChainedCall]) -> ChainedCall:
        """The node of a chained call that ran: its request `message` and its `result`."""
        return cls(
            id=message.id,
            user=message.user,
            function=message.function,
            idx=message.idx,
            return_value=result.return_value,
            duration_s=result.duration_s,
            failed=result.failed,
            error=result.error,
            children=children,
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChainedCall:
        """Parse `to_json`'s form back (a cluster worker rebuilds trees from stored results)."""
        call = Message.from_json(data)
        return cls(
            id=call.id,
            user=call.user,
            function=call.function,
            idx=call.idx,
            return_value=call.return_value,
            duration_s=call.duration_s,
            failed=call.failed,
            error=call.error,
            children=[cls.from_json(child) for child in data.get("chained", [])],
        )


@dataclass(slots=True)
class CallResult:
    """The outcome of one call. A failed call is a result with `failed` and `error`, never an
    exception: traps, timeouts and limit hits all land here. `request` is the message that was
    run (its id, user, function, input, place in the tree and limits). Slotted: one is made per
    call."""

    output_data: bytes = b""
    return_value: int = 0
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    failed: bool = False
    error: str | None = None
    call_id: int = 0
    chained: list[ChainedCall] = field(default_factory=list)
    request: Message | None = None
    exec_host: str = EXEC_HOST
    finish_timestamp: float = 0.0  # seconds since the epoch

    def to_message(self) -> Message:
        """The request message with this result filled in."""
        request = self.request or Message(id=self.call_id, user="", function="")
        return request.finish(
            return_value=self.return_value,
            output_data=self.output_data,
            failed=self.failed,
            error=self.error,
            duration_s=self.duration_s,
            exec_host=self.exec_host,
            finish_timestamp=self.finish_timestamp or None,
        )

    def to_json(self) -> dict[str, Any]:
        out = self.to_message().to_json()
        out[json_name("id")] = self.call_id
        out["status"] = _status(self.failed)
        out["stdout"] = self.stdout
        out["stderr"] = self.stderr
        out["chained"] = [call.to_json() for call in self.chained]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallResult:
        """Parse `to_json`'s form back (results stored by a cluster worker); BadInput if it is
        not one."""
        message = Message.from_json(data)
        return cls(
            message.output_data,
            message.return_value,
            _text(data, "stdout"),
            _text(data, "stderr"),
            message.duration_s,
            message.failed,
            message.error,
            message.id,
            [ChainedCall.from_json(call) for call in data.get("chained", [])],
            message,
            message.exec_host,
            message.finish_timestamp,
        )


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise BadInput(f"result field {key!r} must be a string")
    return value
