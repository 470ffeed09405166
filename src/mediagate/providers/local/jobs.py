"""A job rendered by this process: its record in memory, written through to `state.json`."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from pathlib import Path

import av

from mediagate.media import RenderCancelled

from .jobfiles import JobRecord, State, cancel_requested, write_state
from .renders import RenderPlan

log = logging.getLogger(__name__)

_MARKER_CHECK_EVERY = 0.1  # seconds between looks for another process's cancel marker
_PROGRESS_WRITE_EVERY = 0.2  # seconds between progress writes
_PACE_STEP = 0.1  # seconds slept at a time while pacing a `render_seconds` job


class LocalJob:
    """One job owned by this process. Thread-safe: the render thread, the keeper thread and the
    provider's calls all go through the lock, and a final state is never overwritten."""

    def __init__(self, job_id: str, directory: Path, plan: RenderPlan, record: JobRecord) -> None:
        self.id = job_id
        self.dir = directory
        self.plan = plan
        self.record = record
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._abandon = threading.Event()  # shutdown or directory gone: drop, no final state
        self._marker_checked = 0.0
        self._written = 0.0  # time.monotonic() of the last write

    # -- state -----------------------------------------------------------------------------

    @property
    def final(self) -> bool:
        return self.record.state.final

    @property
    def abandoned(self) -> bool:
        return self._abandon.is_set()

    def save(self, **changes: object) -> bool:
        """Apply `changes` (unless the job is already final) and write the record with a fresh
        heartbeat. False if the job is final, abandoned or its directory has gone."""
        with self._lock:
            if self.record.state.final or self._abandon.is_set():
                return False
            for name, value in changes.items():
                setattr(self.record, name, value)
            return self._write()

    def finish(self, state: State, **changes: object) -> bool:
        """Move to a final state (once); False if it already was final."""
        assert state.final
        with self._lock:
            if self.record.state.final or self._abandon.is_set():
                return False
            self.record.state = state
            for name, value in changes.items():
                setattr(self.record, name, value)
            self._write()
            return True

    def refresh(self, older_than: float) -> None:
        """Rewrite the record if its heartbeat is older than `older_than` seconds."""
        if time.monotonic() - self._written >= older_than:
            self.save()

    def _write(self) -> bool:
        self.record.heartbeat = time.time()
        try:
            write_state(self.dir, self.record)
        except OSError as exc:  # the directory was removed (cleanup, sweep) or the disk failed
            log.warning("local job %s: cannot write its state (%s); dropping it", self.id, exc)
            self._abandon.set()
            return False
        self._written = time.monotonic()
        return True

    # -- cancellation ----------------------------------------------------------------------

    def cancel(self) -> None:
        self._cancel.set()

    def abandon(self) -> None:
        """Stop without a final state (the process is shutting down or the job was removed)."""
        self._abandon.set()

    def should_stop(self) -> bool:
        """Cancelled here, abandoned, or cancelled by any process through the marker file."""
        if self._cancel.is_set() or self._abandon.is_set():
            return True
        now = time.monotonic()
        if now - self._marker_checked >= _MARKER_CHECK_EVERY:
            self._marker_checked = now
            if cancel_requested(self.dir):
                self._cancel.set()
        return self._cancel.is_set()

    def marker_present(self) -> bool:
        return cancel_requested(self.dir)

    # -- rendering -------------------------------------------------------------------------

    def run(self) -> None:
        """Render (in the calling worker thread) and record how it ended."""
        if self.should_stop():
            self._end_stopped(None)
            return
        started = time.monotonic()
        if not self.save(state=State.RUNNING, started_at=time.time(), queue_position=None):
            self._end_stopped(None)
            return
        output = self.dir / self.plan.output_name
        pace = self.plan.render_seconds

        def progress(fraction: float) -> None:
            if pace > 0:
                fraction = min(fraction, (time.monotonic() - started) / pace)
            self._report(fraction)

        try:
            self.plan.run(output, progress, self.should_stop)
            while (left := pace - (time.monotonic() - started)) > 0:
                if self.should_stop():
                    raise RenderCancelled("render cancelled")
                time.sleep(min(_PACE_STEP, left))
                self._report((time.monotonic() - started) / pace)
        except RenderCancelled:
            self._end_stopped(output)
        except av.error.FFmpegError as exc:  # some are ValueErrors too: not the client's fault
            self._fail(output, "INTERNAL_ERROR", f"encoding failed: {exc}", exc)
        except ValueError as exc:  # the renderers' word for parameters they cannot honour
            self._fail(output, "INVALID_INPUT", str(exc), None)
        except Exception as exc:
            self._fail(output, "INTERNAL_ERROR", f"render failed: {exc}", exc)
        else:
            if not self.finish(State.SUCCEEDED, progress=100, output=self.plan.output_name):
                self._end_stopped(output)

    def _report(self, fraction: float) -> None:
        percent = min(99, max(0, int(fraction * 100)))
        if percent <= self.record.progress:
            return
        if time.monotonic() - self._written >= _PROGRESS_WRITE_EVERY:
            self.save(progress=percent)
        else:
            with self._lock:
                self.record.progress = max(self.record.progress, percent)

    def _fail(self, output: Path, code: str, message: str, exc: BaseException | None) -> None:
        if exc is not None:
            log.error("local job %s failed", self.id, exc_info=exc)
        output.unlink(missing_ok=True)
        if not self.finish(State.FAILED, error_code=code, error_message=message[:1000]):
            self._end_stopped(None)

    def _end_stopped(self, output: Path | None) -> None:
        """Stopped before success: cancelled (keep the record) or abandoned (remove the job)."""
        if output is not None:
            output.unlink(missing_ok=True)
        if self._abandon.is_set():
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            self.finish(State.CANCELLED)
