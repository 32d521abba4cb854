"""pyfaasm: the Faasm API for Python functions.

`pyfaasm.core` is the flat API (and Faasm's 2020 names), `pyfaasm.code` the decorators. Inside
the wasm interpreter they call the host through the built-in `_pyfaasm` module (the same
`env.__faasm_*` imports C functions use); under the host's CPython an in-process emulation stands
in, so a function file can be unit-tested with no wasm at all.
"""
