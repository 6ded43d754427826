"""Starting the system Chromium through Playwright: never a downloaded browser.

Used by the Chromium print engine and by the end-to-end tests of the preview. The
flags keep a headless Chromium from reaching out to the network at start-up (this
tool runs on machines with no network but package registries) and let it run as root;
one lets the print engine collect its pages' garbage.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
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
    # The print engine has its pages' garbage collected between documents
    # (``session.COLLECT_AFTER``); page scripts never run.
    "--js-flags=--expose-gc",
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


@functools.cache
def chromium_version() -> str:
    """The system Chromium's version (``156.0.8078.114``), from ``chromium --version``."""
    result = subprocess.run(
        [chromium_path(), "--version"], capture_output=True, text=True, check=False, timeout=30
    )
    found = re.search(r"\d+(\.\d+)+", result.stdout)
    return found[0] if found else result.stdout.strip() or "unknown"


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


@dataclass
class _SharedBrowser:
    stack: ExitStack
    browser: Browser
    users: int = 0


_threads = threading.local()


def acquire_browser() -> Browser:
    """This thread's browser, started on first use; ``release_browser`` when done.

    Playwright's sync API runs one instance per thread, so the engines of a thread
    share one browser, started by the first and closed with the last.
    """
    shared: _SharedBrowser | None = getattr(_threads, "browser", None)
    if shared is not None and not shared.browser.is_connected():
        # It died (killed, out of memory): its users start over with a new one.
        _threads.browser = None
        _close_quietly(shared.stack)
        users, shared = shared.users, None
    else:
        users = 0
    if shared is None:
        from playwright.sync_api import Error as PlaywrightError

        stack = ExitStack()
        try:
            browser = stack.enter_context(launch_chromium())
        except PlaywrightError as exc:
            stack.close()
            raise EngineUnavailableError(
                f"the system Chromium ({chromium_path()}) could not be started through "
                f"Playwright: {exc.message} (is it installed? apt-get install chromium, or "
                "set ALSECO_CHROMIUM)"
            ) from None
        shared = _threads.browser = _SharedBrowser(stack, browser, users)
    shared.users += 1
    return shared.browser


def release_browser() -> None:
    shared: _SharedBrowser | None = getattr(_threads, "browser", None)
    if shared is None:
        return
    shared.users -= 1
    if shared.users <= 0:
        _threads.browser = None
        _close_quietly(shared.stack)


def _close_quietly(stack: ExitStack) -> None:
    """Close the browser and Playwright's driver; a browser that died cannot say goodbye."""
    from playwright.sync_api import Error as PlaywrightError

    with suppress(PlaywrightError):
        stack.close()
