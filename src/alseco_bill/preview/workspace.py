"""The preview's state: the theme, the bills on offer and what each one renders to.

The Jinja environment caches compiled templates and only re-checks the file it
loaded, so a template newly added to an override folder would go unseen; hence
every change builds a fresh ``Renderer`` and forgets every rendered bill. Bills
render lazily, one at a time, always in the same thread: WeasyPrint and PDFium are
not shared across threads, and the Chromium engine must stay in the thread that
started its browser.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..engines import DEFAULT_ENGINE
from ..render import Renderer
from ..theme import Theme
from .catalog import BILL_FOLDERS, Entry, bill_files, catalog
from .outcome import Outcome, browser_environment, render_entry


class Workspace:
    """The theme and bills one preview serves; ``version`` counts the changes seen."""

    def __init__(
        self,
        theme: Theme,
        data: Sequence[Path] = (),
        project: Path | None = None,
        dpi: int = 100,
        engine: str = DEFAULT_ENGINE,
    ) -> None:
        self.theme = theme
        self.data = tuple(path.resolve() for path in data)
        self.project = (project or Path.cwd()).resolve()
        self.dpi = dpi
        self.version = 0
        self.engine = engine
        self._lock = threading.Lock()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="alseco-bill-render")
        self._renderer = Renderer(theme, engine=engine)
        self._browser_env = browser_environment(theme)
        self._entries = catalog(self.project, self.data)
        self._outcomes: dict[str, Outcome] = {}

    def refresh(self) -> int:
        """Forget everything rendered and start again from the files; the new version."""
        with self._lock:
            self._thread.submit(self._renderer.close).result()
            self._renderer = Renderer(self.theme, engine=self.engine)
            self._browser_env = browser_environment(self.theme)
            self._entries = catalog(self.project, self.data)
            self._outcomes.clear()
            self.version += 1
            return self.version

    def entries(self) -> list[Entry]:
        # No lock: the list is only ever replaced whole, and the event loop must not
        # wait here for a render in progress.
        return list(self._entries)

    def entry(self, entry_id: str) -> Entry | None:
        return next((entry for entry in self.entries() if entry.id == entry_id), None)

    def outcome(self, entry_id: str) -> tuple[int, Outcome] | None:
        """The version and outcome of one bill, rendered now if needed; None if unknown."""
        with self._lock:
            entry = next((e for e in self._entries if e.id == entry_id), None)
            if entry is None:
                return None
            if entry_id not in self._outcomes:
                self._outcomes[entry_id] = self._thread.submit(
                    render_entry, entry, self._renderer, self._browser_env, self.dpi
                ).result()
            return self.version, self._outcomes[entry_id]

    def watched_folders(self) -> list[Path]:
        """The folders whose every file can change a bill: templates, static, bill folders."""
        bills = [self.project / name for name in BILL_FOLDERS]
        folders = [*self.theme.template_dirs, *self.theme.static_dirs, *bills]
        return list(dict.fromkeys(folder.resolve() for folder in folders if folder.is_dir()))

    def watched_files(self) -> list[Path]:
        """The chosen data files that lie outside every watched folder."""
        folders = self.watched_folders()
        return [
            path
            for path in bill_files(self.project, self.data)
            if not any(path.is_relative_to(folder) for folder in folders)
        ]

    def close(self) -> None:
        with self._lock:
            self._thread.submit(self._renderer.close).result()
            self._thread.shutdown()
