"""Showing a print run's progress: a rich progress bar on a terminal, log lines elsewhere."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from .run import Progress as ProgressCallback


@contextmanager
def progress_display(every: float = 10.0) -> Iterator[ProgressCallback]:
    """A callback ``(finished, total)`` that shows progress on stderr."""
    if sys.stderr.isatty():
        with _bar(sys.stderr) as callback:
            yield callback
    else:
        yield _LogLines(every)


@contextmanager
def _bar(stream: TextIO) -> Iterator[ProgressCallback]:
    columns = (
        TextColumn("bills"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[progress.data.speed]{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    start = time.monotonic()
    with Progress(*columns, console=Console(file=stream)) as bar:
        task = bar.add_task("render", total=None, rate="")
        first: list[int] = []  # records an earlier run finished do not count in the rate

        def update(finished: int, total: int) -> None:
            if not first:
                first.append(finished)
            elapsed = time.monotonic() - start
            rate = (finished - first[0]) / elapsed if elapsed > 0 else 0.0
            bar.update(task, completed=finished, total=total, rate=f"{rate:.1f} bills/s")

        yield update


class _LogLines:
    """A line every ``every`` seconds, and one at the end, for logs and CI."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.start = self.last = time.monotonic()
        self.first: int | None = None

    def __call__(self, finished: int, total: int) -> None:
        now = time.monotonic()
        if self.first is None:
            self.first = finished
        if now - self.last < self.every and finished < total:
            return
        self.last = now
        rate = (finished - self.first) / (now - self.start) if now > self.start else 0.0
        eta = f", ETA {(total - finished) / rate:.0f} s" if rate > 0 and finished < total else ""
        # click.echo: it writes where the command line's stderr is, also under test.
        click.echo(f"{finished}/{total} bills ({rate:.1f} bills/s{eta})", err=True)
