"""The `tempo` executable: stop signals and a Ctrl-C while the libraries load end cleanly too."""

from __future__ import annotations

from tempo_cli.cli.errors import exit_on_stop_signals, interrupted, stop_on_signals


def main() -> None:
    """Run the command line; the heavy imports (torch, PyAV) happen after the signal handlers are in place, and once
    the command is done, Ctrl-C ends the process without interrupting the interpreter's shutdown (a traceback)."""
    stop_on_signals()
    try:
        try:
            from tempo_cli.cli.app import main as run_app
        except KeyboardInterrupt as exc:
            interrupted(exc)
        run_app()
    finally:
        exit_on_stop_signals()
