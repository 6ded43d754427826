"""Starting the system Chromium through Playwright: never a downloaded browser.

Used by the Chromium print engine and by the end-to-end tests of the preview. The
flags keep a headless Chromium from reaching out to the network at start-up (this
tool runs on machines with no network but package registries) and let it run as root.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..errors import EngineUnavailableError

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def chromium_path() -> str:
    """The system Chromium: ``$ALSECO_CHROMIUM``, else ``chromium`` on the PATH."""
    candidate = os.environ.get("ALSECO_CHROMIUM") or shutil.which("chromium")
    candidate = candidate or shutil.which("chromium-browser")
    if not candidate or not os.access(candidate, os.X_OK):
        raise EngineUnavailableError(
            "no system Chromium found: install the Debian package (apt-get install chromium) "
            "or set ALSECO_CHROMIUM to its path"
        )
    return candidate


@contextmanager
def launch_chromium() -> Iterator[Browser]:
    """A headless system Chromium, closed on exit."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dependency
        raise EngineUnavailableError("Playwright is missing: pip install playwright") from None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=list(CHROMIUM_FLAGS)
        )
        try:
            yield browser
        finally:
            browser.close()
