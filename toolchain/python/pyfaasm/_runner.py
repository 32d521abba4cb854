"""Runs a Python function inside the wasm interpreter; toolchain/python/entry.c calls it.

The interpreter's zygote imports this module (the base snapshot every function shares); then
`load` gets `PATH\\0SOURCE` as its input, compiles the source (a syntax error fails the load, so
every call fails with it) and runs its top-level imports once, before the function's pages are
recorded.
Each call then runs the file (as `__main__` in the main call: Faasm's script style runs there)
and the function registered for the call's index (`@faasm_main`, `@faasm_func(idx)`,
`registerFunction`).
`exit(n)` with n != 0 and an uncaught exception end the call as C's `exit(n)` does, the
traceback on stderr.
"""

from __future__ import annotations

import ast
import builtins
import gc
import linecache
import os
import sys
import traceback
import types

import _pyfaasm  # type: ignore[import-not-found]

from . import core

_code: types.CodeType | None = None
_filename = "<function>"


def start() -> None:
    """The base's share of the work: what every load step would otherwise do first (the
    compiler's first run), then the interpreter's objects frozen out of the cyclic GC, so that
    neither a load step nor a call writes to their pages (a collection relinks what it scans)."""
    # exit() and quit() as `site` would define them (the interpreter runs without site).
    builtins.exit = builtins.quit = sys.exit  # type: ignore[assignment]
    _compile("<start>", "import sys\n")
    gc.collect()
    gc.freeze()


def load() -> int:
    """Compile the function and run its imports; 1 (the error on stderr) when either fails."""
    global _code, _filename
    name, _, source = _pyfaasm.read_input().partition(b"\0")
    _filename = name.decode()
    text = source.decode("utf-8")
    linecache.cache[_filename] = (len(text), None, text.splitlines(True), _filename)
    try:
        _code, imports = _compile(_filename, text)
    except SyntaxError as error:
        _print_syntax_error(error)
        return 1
    try:
        exec(imports, {"__name__": "__faasm_zygote__", "__builtins__": builtins})
    except BaseException as error:
        _print_user_traceback(error)
        return 1
    sys.argv = [_filename]
    generator = sys.modules.get("random")
    if generator is not None:
        generator.seed(0)  # its state is in the function's pages: the same in every process
    gc.collect()
    gc.freeze()
    return 0


def _compile(filename: str, text: str) -> tuple[types.CodeType, types.CodeType]:
    """The file's code, and the code of its top-level imports alone."""
    tree = ast.parse(text, filename)
    code = compile(tree, filename, "exec", dont_inherit=True)
    imports: list[ast.stmt] = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    module = ast.Module(imports, type_ignores=[])
    return code, compile(module, filename, "exec", dont_inherit=True)


def _reseed() -> None:
    """Calls restored from one snapshot draw different numbers (seeded from WASI random_get)."""
    generator = sys.modules.get("random")
    if generator is not None:
        generator.seed()


def call(idx: int) -> int:
    _reseed()
    core._reset()
    main = types.ModuleType("__main__" if idx == 0 else core.CHAINED_NAME)
    main.__file__ = _filename
    main.__builtins__ = builtins  # type: ignore[attr-defined]
    sys.modules["__main__"] = main
    code = 0
    value: object = None
    try:
        assert _code is not None, "the zygote did not run"
        exec(_code, main.__dict__)
        function = core._registered(idx)
        if function is not None:
            value = function()
        elif idx != 0:
            raise LookupError(f"{_filename} registers no function at index {idx}")
    except SystemExit as stop:
        code = core._exit_code(stop.code)
    except BaseException as error:
        _print_user_traceback(error)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    if code:
        os._exit(code)
    return core._return_value(value)


def _print_user_traceback(error: BaseException) -> None:
    """The traceback from the user's code down (the runner's own frames left out)."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb)


def _print_syntax_error(error: SyntaxError) -> None:
    """Python's report of a syntax error, its first line naming the column too."""
    lines = traceback.format_exception_only(type(error), error)
    where = f'  File "{error.filename}", line {error.lineno}, column {error.offset}\n'
    sys.stderr.write(where + "".join(lines[1:]))
