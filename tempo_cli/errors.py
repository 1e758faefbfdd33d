"""The base of every error whose message is meant for the user, and a check that settings share."""

import numbers
from typing import TypeGuard


class TempoError(ValueError):
    """Bad input or settings: the message says what is wrong in one line."""


def is_whole(value: object) -> TypeGuard[int]:
    """Whether `value` is a whole number, an int or a NumPy integer: a count or factor (True, False and 2.0 are not).
    Callers keep `int(value)`."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
