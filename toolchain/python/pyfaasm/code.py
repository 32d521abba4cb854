"""Decorators for Python functions: `@faasm_main`, `@faasm_func(idx)`, `chain_this`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from . import core

F = TypeVar("F", bound=Callable[[], object])


def faasm_main(function: F) -> F:
    """The function a call to index 0 runs."""
    core.register_function(0, function)
    return function


def faasm_func(idx: int) -> Callable[[F], F]:
    """The function a chained call to index `idx` of this file runs."""

    def register(function: F) -> F:
        core.register_function(idx, function)
        return function

    return register


def chain_this(idx: int, input_data: bytes | str = b"") -> int:
    """Call `@faasm_func(idx)` of this file in a new call; its call id."""
    return core.chain_this_with_input(idx, input_data)


def await_call(call_id: int) -> int:
    """Wait for a chained call; its return value (non-zero when it failed)."""
    return core.await_call(call_id)
