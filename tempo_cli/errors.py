"""The base of every error whose message is meant for the user, and a check that settings share."""

from typing import TypeGuard


class TempoError(ValueError):
    """Bad input or settings: the message says what is wrong in one line."""


def is_whole(value: object) -> TypeGuard[int]:
    """Whether `value` is an int: a count or factor (True, False and 2.0 are not)."""
    return isinstance(value, int) and not isinstance(value, bool)
