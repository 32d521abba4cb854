"""The naming rules at their exact edges: the one definition every entry point validates with."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from faasm_cli.errors import InvalidName
from faasm_cli.names import MAX_NAME_LENGTH, check_function, check_key, check_user

NAME_CHECKS: list[tuple[str, Callable[[str], str]]] = [
    ("user", check_user),
    ("function", check_function),
    ("state key", check_key),
]


@pytest.mark.parametrize(("kind", "check"), NAME_CHECKS)
@pytest.mark.parametrize("good", ["a", "Z", "0", "_", "-", "demo-user_01", "x" * MAX_NAME_LENGTH])
def test_accepted_names_come_back_unchanged(
    kind: str, check: Callable[[str], str], good: str
) -> None:
    assert check(good) == good


@pytest.mark.parametrize(("kind", "check"), NAME_CHECKS)
@pytest.mark.parametrize(
    "bad",
    [
        "",
        "x" * (MAX_NAME_LENGTH + 1),
        ".",
        "..",
        "a/b",
        "../etc",
        "a\0b",
        "a b",
        "é",
        "a\n",
        "名前",
        "a\\b",
    ],
)
def test_rejected_names_say_which_kind_and_the_rule(
    kind: str, check: Callable[[str], str], bad: str
) -> None:
    with pytest.raises(InvalidName) as caught:
        check(bad)
    assert caught.value.message == f"invalid {kind} name {bad!r}"
    assert caught.value.hint.startswith(f"use 1-{MAX_NAME_LENGTH} characters from A-Z a-z 0-9 _ -")
    assert caught.value.exit_code == 64


def test_only_state_keys_may_hold_a_dot() -> None:
    assert check_key("weights.v2") == "weights.v2"
    assert check_key("...") == "..."
    assert check_key("a..b") == "a..b"
    for check in (check_user, check_function):
        with pytest.raises(InvalidName):
            check("weights.v2")
    with pytest.raises(InvalidName) as caught:
        check_key("..")
    assert caught.value.hint == f"use 1-{MAX_NAME_LENGTH} characters from A-Z a-z 0-9 _ - ."


@pytest.mark.parametrize("value", [None, 7, b"demo", ["demo"]])
def test_a_name_that_is_not_text_is_invalid(value: object) -> None:
    for check in (check_user, check_function, check_key):
        with pytest.raises(InvalidName):
            check(value)  # type: ignore[arg-type]
