"""A progress bar on stderr for long loads (an nsys export of millions of events), for the command line.

The parsers report progress through a ``progress(stage, done, total)`` callback and never draw anything; this
module turns such calls into a rich progress bar when stderr is a terminal.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

Progress = Callable[[str, int, int], None]


@contextlib.contextmanager
def terminal_progress(description: str = "reading nsys export") -> Iterator[Progress | None]:
    """A ``progress`` callback drawing a rich progress bar on stderr; None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, TaskID, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as RichProgress

    with RichProgress(
        TextColumn("{task.description}", markup=False),     # stage names are printed as they are
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{description}: {stage}", total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        yield update
