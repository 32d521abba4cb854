"""Where a memory image differs from another, in 4 KiB pages: the one scan behind a snapshot's
data segments (differences from zeros) and a Python function's page diff (differences from the
interpreter's base image)."""

from __future__ import annotations

PAGE_BYTES = 4096
"""The unit compared: the host's page, which is also what copy-on-write copies."""
_SCAN = 16 * PAGE_BYTES  # compared whole first: most of an image is unchanged


def changed_runs(image: bytes, base: bytes = b"") -> list[tuple[int, bytes]]:
    """(offset, bytes) runs of the pages of `image` that differ from `base` (zeros past the
    base's end, so an empty base finds the non-zero pages), consecutive pages merged."""
    runs: list[tuple[int, bytes]] = []
    start = -1
    for scan in range(0, len(image), _SCAN):
        chunk = image[scan : scan + _SCAN]
        if chunk == _padded(base, scan, len(chunk)):
            if start >= 0:
                runs.append((start, image[start:scan]))
                start = -1
            continue
        for offset in range(scan, min(scan + _SCAN, len(image)), PAGE_BYTES):
            page = image[offset : offset + PAGE_BYTES]
            same = page == _padded(base, offset, len(page))
            if not same and start < 0:
                start = offset
            elif same and start >= 0:
                runs.append((start, image[start:offset]))
                start = -1
    if start >= 0:
        runs.append((start, image[start:]))
    return runs


def _padded(base: bytes, offset: int, length: int) -> bytes:
    """`base[offset:offset+length]`, zeros past its end."""
    part = base[offset : offset + length]
    return part + bytes(length - len(part)) if len(part) < length else part
