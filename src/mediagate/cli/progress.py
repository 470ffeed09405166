"""A live progress line on stderr while a task runs.

On a terminal: one line redrawn in place (spinner, status, progress %, queue position, ETA),
gone when the task ends. Piped: a line each time the status changes, for logs.
"""

from __future__ import annotations

from types import TracebackType

from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from mediagate.cli.common import err
from mediagate.cli.remote import EXIT_INTERRUPTED, progress_text, stop
from mediagate.client import Client, Task


class ProgressLine:
    def __init__(self) -> None:
        self._live: Live | None = None
        self._spinner = Spinner("dots", Text(""))
        self._last_status: str | None = None

    def __enter__(self) -> ProgressLine:
        if err.is_terminal:
            self._live = Live(self._spinner, console=err, transient=True, refresh_per_second=10)
            self._live.start()
        return self

    def update(self, task: Task) -> None:
        """Show `task` (the client's `wait` calls this on each change the task's event stream
        brings, or after each poll of a gateway without streams)."""
        if self._live is not None:
            self._spinner.update(text=Text(progress_text(task)))
        elif task.status != self._last_status:
            err.print(Text(progress_text(task)))
        self._last_status = task.status

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.stop()


def follow(client: Client, task: Task, timeout: float | None) -> Task:
    """Wait for `task` with a progress line: the succeeded task, or the client's errors. Ctrl-C
    ends the command (130) and says how to follow the task, which goes on."""
    with ProgressLine() as line:
        line.update(task)
        try:
            return client.tasks.wait(task, timeout=timeout, on_update=line.update)
        except KeyboardInterrupt:
            raise stop(
                f"interrupted; task {task.id} goes on: `mediagate tasks wait {task.id}`",
                EXIT_INTERRUPTED,
            ) from None
