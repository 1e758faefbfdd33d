"""Turning expected failures into one line on stderr and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

T = TypeVar("T")

USAGE_EXIT = 2
INTERRUPT_EXIT = 130


class CliError(Exception):
    """An error meant for the user, with its exit code."""

    def __init__(self, message: str, code: int = USAGE_EXIT) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = USAGE_EXIT) -> NoReturn:
    """Print `tempo: error: message` on stderr and exit."""
    print(f"tempo: error: {message}", file=sys.stderr)
    raise SystemExit(code)


def user_errors() -> tuple[type[BaseException], ...]:
    """Exception types whose message is meant for the user."""
    from tempo_cli.errors import TempoError

    return (CliError, TempoError, FileNotFoundError)


def run_guarded(fn: Callable[[], T]) -> T:
    """Call fn; user errors and Ctrl-C become one line and an exit code, never a traceback."""
    try:
        return fn()
    except KeyboardInterrupt:
        print("tempo: interrupted; no output written", file=sys.stderr)
        raise SystemExit(INTERRUPT_EXIT) from None
    except user_errors() as exc:
        code = exc.code if isinstance(exc, CliError) else USAGE_EXIT
        message = str(exc)
        fail(message.splitlines()[0] if message else type(exc).__name__, code)
