"""A rich progress display that implements the loaders' ``Progress`` protocol."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class RichProgress:
    """One bar per step; steps without a total show a spinner."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<28}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._last: TaskID | None = None
        self._last_total: int | None = None

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finish_last()
        self._progress.stop()

    def _finish_last(self) -> None:
        if self._last is not None:
            if self._last_total is None:
                self._progress.update(self._last, total=1, completed=1)
            else:
                self._progress.update(self._last, completed=self._last_total)
            self._last = None

    def task(self, label: str, total: int | None) -> Callable[[int], None]:
        self._finish_last()
        task_id = self._progress.add_task(label, total=total)
        self._last = task_id
        self._last_total = total

        def advance(rows: int) -> None:
            self._progress.advance(task_id, rows)

        return advance
