"""Turning expected failures into one line on stderr and an exit code."""

from __future__ import annotations

import math
import os
import signal
import sys
import time
from collections.abc import Callable
from types import FrameType
from typing import NoReturn, TypeVar

from tempo_cli.stop_signals import STOP_SIGNALS

T = TypeVar("T")

USAGE_EXIT = 2
INTERRUPT_EXIT = 130


class Stopped(KeyboardInterrupt):
    """A stop signal (SIGTERM, SIGHUP) raised as an interrupt, so that Ctrl-C's clean-up runs for it too."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# A stop signal this soon after the last one is taken for the same request (a key held, signals sent to a process
# group) and ignored, so that it cannot interrupt the first one's clean-up; a later one stops the run again. The
# first can be lost (Python drops an interrupt raised in a fork hook): `raise_undelivered_stop` raises it again.
REPEAT_WINDOW = 1.0
_last_stop = [-math.inf]  # when the last stop signal was taken (time.monotonic)
_undelivered: list[int | None] = [None]  # the stop signal taken whose interrupt has not reached `interrupted` yet


def _interrupt(signum: int) -> KeyboardInterrupt:
    return KeyboardInterrupt() if signum == signal.SIGINT else Stopped(signum)


def _stop(signum: int, _frame: FrameType | None) -> None:
    now = time.monotonic()
    if now - _last_stop[0] < REPEAT_WINDOW:
        return
    _last_stop[0] = now
    _undelivered[0] = signum
    raise _interrupt(signum)


def raise_undelivered_stop() -> None:
    """Raise again the interrupt of a stop signal that never reached the command: Python drops an exception raised
    in a fork hook or a `__del__`, and the repeats that follow it are ignored. Called between frames, where the
    run can stop cleanly."""
    signum = _undelivered[0]
    if signum is not None:
        raise _interrupt(signum)


def stop_on_signals() -> None:
    """Make SIGTERM and SIGHUP interrupt the run like Ctrl-C: temporary files are deleted, nothing half-written.
    Repeats within REPEAT_WINDOW of the last one are ignored while that clean-up runs.

    A signal the process was started ignoring stays ignored (`nohup` ignores SIGHUP).
    """
    for signum in (signal.SIGINT, *STOP_SIGNALS):
        if signal.getsignal(signum) in (signal.SIG_DFL, signal.default_int_handler):
            signal.signal(signum, _stop)


def _exit_now(signum: int, _frame: FrameType | None) -> None:
    os._exit(128 + signum)


def exit_on_stop_signals() -> None:
    """Once the command is done: a stop signal ends the process at once, without interrupting the interpreter's
    shutdown (which printed a traceback)."""
    for signum in (signal.SIGINT, *STOP_SIGNALS):
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _exit_now)


def interrupted(exc: KeyboardInterrupt, outcome: str = "no output written") -> NoReturn:
    """One line for Ctrl-C or a stop signal with what became of the output, and the shell's exit code for it."""
    _undelivered[0] = None
    if isinstance(exc, Stopped):
        print(f"tempo: stopped by {exc.args[0]}; {outcome}", file=sys.stderr)
        raise SystemExit(128 + exc.signum)
    print(f"tempo: interrupted; {outcome}", file=sys.stderr)
    raise SystemExit(INTERRUPT_EXIT)


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

    return (CliError, TempoError, OSError)


def describe(exc: BaseException) -> str:
    """The first line of a user error's message; an OS error as its reason and path, without the errno."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    message = str(exc)
    return message.splitlines()[0] if message else type(exc).__name__


def run_guarded(fn: Callable[[], T], interrupted_outcome: str = "no output written") -> T:
    """Call fn; user errors and Ctrl-C become one line and an exit code, never a traceback."""
    try:
        return fn()
    except KeyboardInterrupt as exc:
        interrupted(exc, interrupted_outcome)
    except user_errors() as exc:
        fail(describe(exc), exc.code if isinstance(exc, CliError) else USAGE_EXIT)
