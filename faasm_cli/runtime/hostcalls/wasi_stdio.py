"""WASI `fd_write` for stdout and stderr, captured into the running call's context.

wasmtime's own custom-output streams call back into Python from a runtime thread, which costs
more than the rest of a call together; this host function shadows WASI's `fd_write` instead and
copies the iovecs straight from guest memory. There are no other writable descriptors (no
preopened files), so any other fd is EBADF.
"""

from __future__ import annotations

import struct

from faasm_cli.runtime.context import CallContext, HostHandler

WASI_MODULE = "wasi_snapshot_preview1"
ERRNO_SUCCESS = 0
ERRNO_BADF = 8
ERRNO_INVAL = 28
_MAX_IOVECS = 1024


def fd_write(ctx: CallContext, fd: int, iovs: int, iovs_len: int, nwritten: int) -> int:
    capture = ctx.stdout if fd == 1 else ctx.stderr if fd == 2 else None
    if capture is None:
        return ERRNO_BADF
    if not 0 <= iovs_len <= _MAX_IOVECS:
        return ERRNO_INVAL
    table = ctx.memory.read(iovs, 8 * iovs_len)
    total = 0
    for i in range(iovs_len):
        ptr, length = struct.unpack_from("<II", table, 8 * i)
        total += capture.write(ctx.memory.read(ptr, length))
    ctx.memory.write(nwritten, struct.pack("<I", total & 0xFFFFFFFF))
    return ERRNO_SUCCESS


# (name, params, result) of the WASI functions the runtime implements itself.
WASI_OVERRIDES: tuple[tuple[str, int, HostHandler], ...] = (("fd_write", 4, fd_write),)
