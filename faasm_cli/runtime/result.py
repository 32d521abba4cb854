"""What a call gives back: output, return value, captured stdio, the tree of chained calls."""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass
class CallResult:
    """The outcome of one call. A failed call is a result with `failed` and `error`, never an
    exception: traps, timeouts and limit hits all land here."""

    output_data: bytes = b""
    return_value: int = 0
    stdout: str = ""
    stderr: str = ""
    duration_s: float = 0.0
    failed: bool = False
    error: str | None = None
    call_id: int = 0
    chained: list[ChainedCall] = field(default_factory=list)
