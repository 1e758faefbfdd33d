"""The writer's background thread: jobs run in order, errors reach the caller, cancel drops what is queued."""

from __future__ import annotations

import threading

import pytest

from tempo_cli.video.background import OrderedWorker


def test_jobs_run_in_submission_order() -> None:
    done: list[int] = []
    worker = OrderedWorker(depth=2)
    for i in range(50):
        worker.submit(lambda i=i: done.append(i))
    worker.finish()
    assert done == list(range(50))


def test_an_error_is_raised_at_finish_and_no_later_job_ever_runs() -> None:
    done: list[int] = []
    worker = OrderedWorker()

    def fail() -> None:
        raise ValueError("encoder refused the frame")

    worker.submit(fail)
    worker.submit(lambda: done.append(1))
    with pytest.raises(ValueError, match="encoder refused"):
        worker.finish()
    with pytest.raises(RuntimeError, match="an earlier job failed: encoder refused"):
        worker.submit(lambda: done.append(2))
    assert done == []


def test_an_error_is_raised_at_the_next_submit() -> None:
    failed = threading.Event()
    worker = OrderedWorker()

    def fail() -> None:
        failed.set()
        raise OSError("disk full")

    worker.submit(fail)
    failed.wait(5)
    with pytest.raises(OSError, match="disk full"):
        for _ in range(100):  # the error is stored just after the event; a few submits may pass first
            worker.submit(lambda: None)
    worker.cancel()


def test_cancel_drops_queued_jobs_and_waits_for_the_running_one() -> None:
    started, release = threading.Event(), threading.Event()
    done: list[str] = []

    def slow() -> None:
        started.set()
        release.wait(5)
        done.append("slow")

    worker = OrderedWorker(depth=8)
    worker.submit(slow)
    started.wait(5)
    for _ in range(5):
        worker.submit(lambda: done.append("queued"))
    threading.Timer(0.05, release.set).start()
    worker.cancel()
    assert done == ["slow"]
