"""One background thread that runs jobs in the order they were given, so encoding overlaps the caller's work.

PyAV releases the GIL while x264 encodes and while swscale converts, so a
writer that hands each frame to this thread lets decoding and synthesis of
the next frames go on meanwhile. The queue is short, which keeps memory
bounded by a few frames. After an error in a job no later job runs, and every
later `submit` and `finish` raises: the first with that error, then a
RuntimeError that names it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

Job = Callable[[], None]
_STOP = None


class OrderedWorker:
    """Runs submitted jobs one at a time, in order, on a daemon thread."""

    def __init__(self, depth: int = 4, name: str = "tempo-encode") -> None:
        self._jobs: queue.Queue[Job | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._reported = False
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            if self._error is not None or self._cancelled.is_set():
                continue
            try:
                job()
            except BaseException as exc:  # handed over to the caller's thread
                self._error = exc

    @property
    def running(self) -> bool:
        """Whether the thread is still alive (a job may be running)."""
        return self._thread.is_alive()

    def _raise_pending(self) -> None:
        if self._error is None:
            return
        if not self._reported:
            self._reported = True
            raise self._error
        raise RuntimeError(f"an earlier job failed: {self._error}") from self._error

    def submit(self, job: Job) -> None:
        """Queue `job` (waits while the queue is full); raises the error of an earlier job, if any."""
        self._raise_pending()
        if not self.running:
            raise RuntimeError("the background worker has stopped")
        self._jobs.put(job)

    def finish(self) -> None:
        """Wait for every queued job to run; raises the first error among them."""
        if self.running:
            self._jobs.put(_STOP)
            self._thread.join()
        self._raise_pending()

    def cancel(self) -> None:
        """Drop the jobs not yet started and wait for the running one; raises nothing."""
        self._cancelled.set()
        while True:
            try:
                self._jobs.get_nowait()
            except queue.Empty:
                break
        if self.running:
            self._jobs.put(_STOP)
            self._thread.join()
