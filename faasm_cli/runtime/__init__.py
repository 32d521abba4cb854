"""The embedded runtime: run Faasm functions in-process on wasmtime.

from faasm_cli.runtime import Runtime
with Runtime() as rt:
    rt.register("demo", "hello", "build/func/demo/hello.wasm")
    result = rt.call("demo", "hello")
"""

from faasm_cli.runtime.result import CallResult, ChainedCall
from faasm_cli.runtime.runtime import Runtime

__all__ = ["CallResult", "ChainedCall", "Runtime"]
