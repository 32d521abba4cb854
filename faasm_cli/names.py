"""The one definition of the naming rules for users, functions and state keys.

Every entry point (CLI, runtime, server) validates through here, so a name that is accepted in one
place is accepted everywhere and nothing can escape its directory or user scope.
"""

from __future__ import annotations

import re

from faasm_cli.errors import InvalidName

MAX_NAME_LENGTH = 64
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _check(kind: str, value: str, pattern: re.Pattern[str], allowed: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value) or value in {".", ".."}:
        raise InvalidName(
            f"invalid {kind} name {value!r}",
            f"use 1-{MAX_NAME_LENGTH} characters from {allowed}",
        )
    return value


def check_user(user: str) -> str:
    return _check("user", user, _NAME, "A-Z a-z 0-9 _ -")


def check_function(function: str) -> str:
    return _check("function", function, _NAME, "A-Z a-z 0-9 _ -")


def check_key(key: str) -> str:
    return _check("state key", key, _KEY, "A-Z a-z 0-9 _ - .")
