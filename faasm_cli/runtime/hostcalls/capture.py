"""Per-call capture of a function's stdout and stderr, bounded so a chatty guest cannot exhaust
the host: past the limit bytes are dropped and the text says it was truncated."""

from __future__ import annotations


class Capture:
    __slots__ = ("_parts", "dropped", "limit", "size")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.dropped = 0
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        room = self.limit - self.size
        if room > 0:
            kept = data[:room]
            self._parts.append(kept)
            self.size += len(kept)
        self.dropped += max(0, len(data) - max(room, 0))
        return len(data)

    def text(self) -> str:
        if not self.size and not self.dropped:
            return ""  # most calls print nothing
        text = b"".join(self._parts).decode("utf-8", "replace")
        if self.dropped:
            text += f"\n[{self.dropped} more bytes dropped: output limit of {self.limit} bytes]\n"
        return text
