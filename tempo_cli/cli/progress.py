"""Progress bar and closing summary on stderr."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from tempo_cli.api import RunSummary
from tempo_cli.cli.errors import raise_undelivered_stop

console = Console(stderr=True)


def frame_progress(quiet: bool, label: str) -> AbstractContextManager[Callable[[int, int | None], None]]:
    """A callback (done, total) that drives a rich progress bar with frames, fps and ETA."""
    return progress_bar(quiet, label, "fps")


@contextmanager
def progress_bar(quiet: bool, label: str, unit: str) -> Iterator[Callable[[int, int | None], None]]:
    """A callback (done, total) that drives a rich progress bar with a count, a rate in `unit` and ETA.

    The bar appears at the first callback, so that an error found before any work is the only line printed. Each
    callback first raises a stop signal's interrupt that Python dropped.
    """
    if quiet:
        yield lambda _done, _total: raise_undelivered_stop()
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[fps]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    bar = Progress(*columns, console=console, transient=False)
    task = bar.add_task(label, total=None, fps="")

    def update(done: int, total: int | None) -> None:
        raise_undelivered_stop()
        bar.start()
        speed = bar.tasks[0].speed
        bar.update(task, completed=done, total=total, fps=f"{speed:5.1f} {unit}" if speed else "")

    try:
        yield update
    finally:
        bar.stop()


def print_summary(summary: RunSummary, quiet: bool) -> None:
    """One block: frames in and out, synthesized, cuts, time, output size."""
    if quiet:
        return
    size_mb = summary.output_bytes / 1e6
    console.print(
        f"[bold green]done[/] {summary.output}: {summary.frames_in} frames in, {summary.frames_out} out "
        f"({summary.synthesized} synthesized), cuts {summary.scene_cuts} scene + {summary.model_cuts} model, "
        f"{summary.seconds:.1f} s ({summary.frames_out / max(summary.seconds, 1e-9):.1f} fps), {size_mb:.2f} MB"
        + (f", {summary.duplicates} duplicated frames synthesized anew" if summary.duplicates else "")
        + (f", {summary.skipped_packets} corrupt packets skipped" if summary.skipped_packets else ""),
        soft_wrap=True,
    )


def warn(message: str) -> None:
    """A warning line on stderr."""
    console.print(f"[yellow]warning:[/] {message}", soft_wrap=True)
