"""The open preview pages, each told the new version when a file changes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager


class Hub:
    """Fans a version number out to every subscribed page; lives on one event loop."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[int]] = set()

    def publish(self, version: int) -> None:
        for queue in self._queues:
            queue.put_nowait(version)

    @contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[int]]:
        queue: asyncio.Queue[int] = asyncio.Queue()
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)
