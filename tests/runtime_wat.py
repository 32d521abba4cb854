"""WAT test modules that follow the Faasm ABI, for precise runtime tests without a toolchain.

`wat_function(body)` wraps a `__faasm_call` body in a module importing every host function
(named `$read_input`, `$chain_this`, ...) plus WASI `fd_write` and `proc_exit`.
"""

from __future__ import annotations

import wasmtime

from faasm_cli.runtime.hostcalls.interface import HOST_FUNCTIONS


def _imports() -> str:
    lines = []
    for f in HOST_FUNCTIONS:
        params = " ".join("i32" for _ in f.params)
        result = f" (result {f.result})" if f.result else ""
        short = f.name.removeprefix("__faasm_")
        lines.append(f'(import "env" "{f.name}" (func ${short} (param {params}){result}))')
    lines.append(
        '(import "wasi_snapshot_preview1" "fd_write" '
        "(func $fd_write (param i32 i32 i32 i32) (result i32)))"
    )
    lines.append('(import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))')
    return "\n  ".join(lines)


def wat_function(
    body: str,
    *,
    zygote: str = "(i32.const 0)",
    extra: str = "",
    pages: int = 2,
    max_pages: int | None = None,
) -> bytes:
    limits = f"{pages} {max_pages}" if max_pages is not None else str(pages)
    return wasmtime.wat2wasm(f"""
(module
  {_imports()}
  (memory (export "memory") {limits})
  (global $g (mut i32) (i32.const 0))
  (func (export "__faasm_zygote") (result i32) {zygote})
  (func (export "__faasm_call") (param $idx i32) (result i32) {body})
  {extra}
)""")


# Writes the bytes of a data string at `ptr` as the call's output, returns 0.
def output_of(ptr: int, length: int) -> str:
    return f"(call $write_output (i32.const {ptr}) (i32.const {length})) (i32.const 0)"


def spin(iterations: int) -> str:
    """The start of a body that counts an i64 to `iterations` with nothing else (10**9: about a
    second here), so a call is still running when it is looked at."""
    return f"""
  (local $i i64)
  (loop $l (local.set $i (i64.add (local.get $i) (i64.const 1)))
    (br_if $l (i64.lt_u (local.get $i) (i64.const {iterations}))))"""


# Spins for about a second, then outputs its input.
SLOW_ECHO = wat_function(
    spin(1_000_000_000)
    + "\n  (call $write_output (i32.const 64) (call $read_input (i32.const 64) (i32.const 1024)))"
    + "\n  (i32.const 0)"
)


# Input: a u32 n. Chains itself with n-1 and awaits it; returns the depth below it.
CHAIN_DEPTH = wat_function("""
  (local $n i32)
  (drop (call $read_input (i32.const 100) (i32.const 4)))
  (local.set $n (i32.load (i32.const 100)))
  (if (result i32) (i32.eqz (local.get $n))
    (then (i32.const 0))
    (else
      (i32.store (i32.const 100) (i32.sub (local.get $n) (i32.const 1)))
      (i32.add (call $await_call (call $chain_this (i32.const 0) (i32.const 100) (i32.const 4)))
               (i32.const 1))))""")
