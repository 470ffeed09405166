"""A bounded pool of render threads with a FIFO queue, and the keeper thread that keeps every
live job's heartbeat fresh and notices cancel markers of queued jobs."""

from __future__ import annotations

import collections
import logging
import shutil
import threading
import time
from collections.abc import Callable

from .jobfiles import State
from .jobs import LocalJob

log = logging.getLogger(__name__)


class PoolClosed(RuntimeError):
    pass


class RenderPool:
    def __init__(
        self,
        max_parallel: int,
        *,
        heartbeat_every: float,
        tick: float = 0.25,
        housekeeping: Callable[[], None] | None = None,
        housekeeping_every: float = 600.0,
    ) -> None:
        if max_parallel < 1:
            raise ValueError("max_parallel must be at least 1")
        self._max_parallel = max_parallel
        self._heartbeat_every = heartbeat_every
        self._tick = tick
        self._housekeeping = housekeeping
        self._housekeeping_every = housekeeping_every
        self._cond = threading.Condition()
        self._renumber = threading.Lock()
        self._queue: collections.deque[LocalJob] = collections.deque()
        self._running: set[LocalJob] = set()
        self._jobs: dict[str, LocalJob] = {}  # queued and running
        self._threads: list[threading.Thread] = []
        self._closing = threading.Event()

    def get(self, job_id: str) -> LocalJob | None:
        return self._jobs.get(job_id)

    def submit(self, job: LocalJob) -> None:
        """Queue the job (its state file must exist) and record its position."""
        with self._cond:
            if self._closing.is_set():
                raise PoolClosed("the local provider is shutting down")
            self._start_threads()
            self._queue.append(job)
            self._jobs[job.id] = job
            self._cond.notify()
        self._renumber_queue()

    def withdraw(self, job: LocalJob) -> bool:
        """Take a job out of the queue before it starts; False if it is not waiting."""
        with self._cond:
            try:
                self._queue.remove(job)
            except ValueError:
                return False
            self._jobs.pop(job.id, None)
        self._renumber_queue()
        return True

    def shutdown(self, timeout: float) -> None:
        """Stop accepting jobs, abandon queued and running ones (their directories are removed,
        so pollers elsewhere see them gone), and wait up to `timeout` for the threads."""
        with self._cond:
            self._closing.set()
            queued = list(self._queue)
            self._queue.clear()
            for job in [*queued, *self._running]:
                job.abandon()
            self._cond.notify_all()
        for job in queued:
            shutil.rmtree(job.dir, ignore_errors=True)
            self._jobs.pop(job.id, None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    # -- threads ---------------------------------------------------------------------------

    def _start_threads(self) -> None:
        """Start the workers and the keeper on first use (called with the condition held)."""
        if self._threads:
            return
        for n in range(self._max_parallel):
            self._spawn(self._work, f"local-render-{n}")
        self._spawn(self._keep, "local-keeper")

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing.is_set():
                    self._cond.wait()
                if self._closing.is_set():
                    return
                job = self._queue.popleft()
                self._running.add(job)
            self._renumber_queue()
            try:
                job.run()
            except Exception:  # run() records its own failures; this is a bug
                log.exception("local job %s: unexpected error", job.id)
            finally:
                with self._cond:
                    self._running.discard(job)
                    self._jobs.pop(job.id, None)

    def _renumber_queue(self) -> None:
        """Write each waiting job's position (only where it changed)."""
        with self._renumber:
            with self._cond:
                waiting = list(self._queue)
            for position, job in enumerate(waiting):
                if job.record.queue_position != position and job.record.state is State.QUEUED:
                    job.save(queue_position=position)

    def _keep(self) -> None:
        next_housekeeping = time.monotonic()
        while not self._closing.wait(self._tick):
            with self._cond:
                queued, running = list(self._queue), list(self._running)
            for job in queued:  # a cancel marker from another process
                if job.marker_present() and self.withdraw(job):
                    job.finish(State.CANCELLED)
            for job in [*queued, *running]:
                job.refresh(self._heartbeat_every)
            if self._housekeeping is not None and time.monotonic() >= next_housekeeping:
                # In its own thread: a large directory must not delay the heartbeats.
                next_housekeeping = time.monotonic() + self._housekeeping_every
                threading.Thread(target=self._housekeep, name="local-sweep", daemon=True).start()

    def _housekeep(self) -> None:
        assert self._housekeeping is not None
        try:
            self._housekeeping()
        except Exception:
            log.exception("local jobs housekeeping failed")
