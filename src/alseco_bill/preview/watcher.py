"""Watching template, static and bill files with watchfiles, to re-render on save.

Folders are watched recursively; a data file outside them is watched through its
own folder, non-recursively, since that folder may be a whole project (``.venv``
and all). Editors save in several steps (a temporary file, a rename); watchfiles
groups them, and a short ``step`` keeps the save-to-page delay well under a second.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import anyio
from watchfiles import Change, DefaultFilter, awatch

log = logging.getLogger(__name__)

OnChange = Callable[[set[Path]], Awaitable[None]]


class Watcher:
    """Calls ``on_change`` with the changed paths until ``run``'s stop event is set."""

    def __init__(
        self,
        folders: Sequence[Path],
        files: Sequence[Path],
        on_change: OnChange,
        *,
        step_ms: int = 50,
        debounce_ms: int = 500,
    ) -> None:
        self.folders = tuple(folders)
        self.files = frozenset(path.resolve() for path in files)
        self.on_change = on_change
        self.step_ms = step_ms
        self.debounce_ms = debounce_ms

    async def run(self, stop: anyio.Event) -> None:
        async with anyio.create_task_group() as group:
            if self.folders:
                group.start_soon(self._watch, self.folders, True, DefaultFilter(), stop)
            if self.files:
                parents = tuple({path.parent for path in self.files})
                group.start_soon(self._watch, parents, False, self._is_chosen_file, stop)

    def _is_chosen_file(self, change: Change, path: str) -> bool:
        return Path(path) in self.files

    async def _watch(
        self,
        paths: Sequence[Path],
        recursive: bool,
        accept: Callable[[Change, str], bool],
        stop: anyio.Event,
    ) -> None:
        changes = awatch(
            *paths,
            watch_filter=accept,
            debounce=self.debounce_ms,
            step=self.step_ms,
            stop_event=stop,
            recursive=recursive,
        )
        try:
            async for batch in changes:
                changed = {Path(path) for _, path in batch}
                log.info("changed: %s", ", ".join(sorted(map(str, changed))))
                await self.on_change(changed)
        except OSError:
            # A watched folder removed while serving: the bills can still be viewed.
            log.exception("stopped watching %s", ", ".join(map(str, paths)))
