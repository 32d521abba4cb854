"""The call message: the one definition of a call request and its result, in Faasm's JSON names.

The runtime runs messages, the HTTP client sends them and the cluster queues them, all through
`to_json` / `from_json`, so the field names are Faasm's where Faasm has the field (faabric's
`messageToJson`: `id`, `user`, `function`, `func_ptr`, `input_data`, `output_data`, `async`,
`python`, `py_user`, `py_func`, `timestamp`, `finished`, `exec_host`). Ours on top: `parent_id`
and `depth` place a chained call in its tree; `timeout_s`, `memory_bytes`, `output_bytes` are the
limits it runs under (0: the runtime's default); `return_value`, `failed`, `error`, `duration_s`.
Bytes travel as text when they are UTF-8, otherwise base64 under `<field>_b64`.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass, field, fields
from typing import Any

from faasm_cli.errors import BadInput


@dataclass(frozen=True)
class Message:
    id: int
    user: str
    function: str
    idx: int = 0
    input_data: bytes = b""
    async_: bool = False
    python: bool = False
    py_user: str = ""
    py_func: str = ""
    # Where the call sits: the call that chained it (0 for a top-level call) and how deep.
    parent_id: int = 0
    depth: int = 0
    # The limits it runs under; 0 means the runtime's default. Chained calls inherit them.
    timeout_s: float = 0.0
    memory_bytes: int = 0
    output_bytes: int = 0
    # Result fields, filled when the call has finished.
    return_value: int = 0
    output_data: bytes = b""
    failed: bool = False
    error: str | None = None
    timestamp: float = 0.0  # when the call was submitted (seconds since the epoch)
    finish_timestamp: float = 0.0  # when it finished; 0 while it has not
    exec_host: str = ""  # the host that ran it
    duration_s: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.finish_timestamp > 0

    @classmethod
    def submitted(cls, **values: Any) -> Message:
        """A new call's message, `values` by field name, the rest defaulted, submitted now.

        The runtime makes one per call: this is a fraction of the cost of the generated
        `__init__`, which sets each frozen field through `object.__setattr__`. Fields left out
        read their default from the class (a dataclass keeps plain defaults there). The values
        are not checked.
        """
        message = object.__new__(cls)
        fields_ = message.__dict__
        fields_.update(values)
        fields_["timings"] = {}
        fields_["timestamp"] = time.time()
        return message

    def replaced(self, **changes: Any) -> Message:
        """This message with `changes` (by field name): `dataclasses.replace` without its
        checks, at a fifth of the cost (the runtime and dispatcher copy messages per call)."""
        message = object.__new__(type(self))
        fields_ = message.__dict__
        fields_.update(self.__dict__)
        fields_.update(changes)
        return message

    def child(self, function: str, idx: int, input_data: bytes) -> Message:
        """A call this one chains: same user and limits, one level deeper, no id yet."""
        return Message.submitted(
            id=0,
            user=self.user,
            function=function,
            idx=idx,
            input_data=input_data,
            parent_id=self.id,
            depth=self.depth + 1,
            timeout_s=self.timeout_s,
            memory_bytes=self.memory_bytes,
            output_bytes=self.output_bytes,
        )

    def finish(
        self,
        *,
        return_value: int,
        output_data: bytes,
        failed: bool,
        error: str | None,
        duration_s: float,
        exec_host: str = "",
        finish_timestamp: float | None = None,
    ) -> Message:
        """This message with its result fields set (finished now unless told when)."""
        return self.replaced(
            return_value=return_value,
            output_data=output_data,
            failed=failed,
            error=error,
            duration_s=duration_s,
            exec_host=exec_host,
            finish_timestamp=time.time() if finish_timestamp is None else finish_timestamp,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in fields(self):
            put_json(out, json_name(item.name), getattr(self, item.name))
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Message:
        """Parse a message; a missing user/function or a field of the wrong type is BadInput."""
        if not isinstance(data, dict):
            raise BadInput("a call message must be a JSON object")
        values: dict[str, Any] = {}
        for item in fields(cls):
            key = json_name(item.name)
            if f"{key}_b64" in data:
                try:
                    values[item.name] = base64.b64decode(data[f"{key}_b64"], validate=True)
                except (binascii.Error, TypeError) as error:
                    raise BadInput(f"message field {key}_b64 is not base64") from error
            elif key in data:
                values[item.name] = _coerce(key, item.type, data[key])
        for required in ("user", "function"):
            if not values.get(required):
                raise BadInput(
                    f"message has no {required!r}", 'send {"user": ..., "function": ...}'
                )
        values.setdefault("id", 0)
        return cls(**values)


_JSON_NAMES = {"async_": "async", "idx": "func_ptr", "finish_timestamp": "finished"}


def json_name(name: str) -> str:
    """The JSON name of a message field (Faasm's where they differ from ours)."""
    return _JSON_NAMES.get(name, name)


def put_json(out: dict[str, Any], key: str, value: object) -> None:
    """Set `key` in a JSON object; bytes as text when UTF-8, else base64 under `<key>_b64`."""
    if isinstance(value, bytes):
        try:
            out[key] = value.decode("utf-8")
        except UnicodeDecodeError:
            out[f"{key}_b64"] = base64.b64encode(value).decode()
    else:
        out[key] = value


def _coerce(key: str, kind: object, value: Any) -> Any:
    expected = str(kind)
    if expected == "bytes":
        if not isinstance(value, str):
            raise BadInput(f"message field {key!r} must be a string")
        return value.encode()
    if expected == "bool":
        if not isinstance(value, bool):
            raise BadInput(f"message field {key!r} must be true or false")
        return value
    if expected == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadInput(f"message field {key!r} must be an integer")
        return value
    if expected == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadInput(f"message field {key!r} must be a number")
        return float(value)
    if expected == "str":
        if not isinstance(value, str):
            raise BadInput(f"message field {key!r} must be a string")
        return value
    if expected == "str | None":
        if value is not None and not isinstance(value, str):
            raise BadInput(f"message field {key!r} must be a string or null")
        return value
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, int | float) for k, v in value.items()
    ):
        raise BadInput(f"message field {key!r} must be an object of numbers")
    return {k: float(v) for k, v in value.items()}
