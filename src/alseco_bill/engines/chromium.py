"""The headless-browser print engine: the same bill HTML printed by the system Chromium.

It keeps WeasyPrint's rules. Chromium will not load ``file:`` URLs into a web page,
nor fonts into a page that is itself a ``file:`` URL, so the bill is served from a
made-up origin that never resolves (``.invalid``, RFC 6761) and every request the
page makes is answered here: files under the theme's folders by their path, nothing
else. Whatever was refused or failed to load is reported after the print as a
``FetchRefusedError``, as WeasyPrint's fetcher would have stopped the render.

One ``ChromiumEngine`` keeps one page for all the bills it prints, as a batch worker
calls ``write`` many times; it must stay in the thread that made it. Playwright's
sync API runs one instance per thread, so the writers of a thread share one browser,
started by the first and closed with the last.
"""

from __future__ import annotations

import mimetypes
import re
import threading
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

import pypdfium2 as pdfium

from ..errors import (
    BillError,
    EngineError,
    EngineUnavailableError,
    FetchRefusedError,
    LayoutOverflowError,
)
from ..files import MEDIA_TYPES
from ..theme import Theme
from .browser import chromium_path, launch_chromium
from .pages import join_pdfs
from .protocol import MAX_PAGES, each_bill

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request, Route

ORIGIN = "http://alseco-bill.invalid"
# Only the origin itself may be loaded: a data: URL or another host is refused before
# any request is made, and scripts never run (WeasyPrint does not run them either).
CONTENT_SECURITY_POLICY = f"default-src {ORIGIN}; style-src {ORIGIN} 'unsafe-inline'"
# A file: URL where a URL is expected (src="…", url(…)); text that merely mentions
# one is left alone, and anything not rewritten is blocked by Chromium and reported.
_FILE_URL = re.compile(r"""(?<=["'(])file://(?:localhost)?(?=/)""")
# The first quoted URL in Chromium's console message about a blocked load.
_QUOTED_URL = re.compile(r"'([^']+)'")


class ChromiumEngine:
    """Filled bill HTML to PDF bytes with the system Chromium, through Playwright."""

    def __init__(self, theme: Theme) -> None:
        self.theme = theme
        # Fail when the engine is chosen, not in the middle of a batch.
        self.executable = chromium_path()
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            raise EngineUnavailableError(
                "the chromium engine needs Playwright: pip install playwright "
                "(the browser itself is the system one: apt-get install chromium)"
            ) from None
        # WeasyPrint resolves relative URLs against the last static folder; so does
        # the page, whose URL is a made-up file in that folder.
        self.base_path = quote(theme.static_dirs[-1].resolve().as_posix()) + "/"
        self._page: Page | None = None
        self._context: BrowserContext | None = None
        self._count = 0
        self._document_url = ""
        self._html = b""
        self._refused: list[str] = []

    def write(self, html: str, label: str) -> bytes:
        """The PDF of one bill; refuses foreign URLs and more than ``MAX_PAGES`` pages."""
        page = self._open_page()
        self._count += 1
        self._document_url = f"{ORIGIN}{self.base_path}alseco-bill-{self._count}.html"
        self._html = _FILE_URL.sub(ORIGIN, html).encode()
        self._refused = []
        from playwright.sync_api import Error as PlaywrightError

        try:
            page.goto(self._document_url, wait_until="load")
            # The load event does not wait for web fonts that layout asks for late.
            page.evaluate("document.fonts.ready.then(() => true)")
            pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        except PlaywrightError as exc:  # a crashed or hung browser: this bill fails
            raise EngineError(label, f"Chromium failed: {exc.message}") from None
        if self._refused:
            raise FetchRefusedError(label, self._refused[0])
        pages = _page_count(pdf)
        if pages > MAX_PAGES:
            raise LayoutOverflowError(label, pages, MAX_PAGES)
        return pdf

    def write_merged(
        self, bills: Sequence[tuple[str, str]]
    ) -> tuple[bytes | None, list[BillError | None]]:
        """Many bills ``(html, label)`` in one PDF, one page each, in order; Chromium
        prints one document at a time, so their PDFs are joined page by page."""
        pdfs, errors = each_bill(bills, self.write)
        return (join_pdfs(pdfs) if pdfs else None), errors

    def write_each(self, bills: Sequence[tuple[str, str]]) -> list[bytes | BillError]:
        results: list[bytes | BillError] = []
        for html, label in bills:
            try:
                results.append(self.write(html, label))
            except BillError as exc:
                results.append(exc)
        return results

    def close(self) -> None:
        if self._context is None:
            return
        context, self._context, self._page = self._context, None, None
        try:
            context.close()
        finally:
            _release_browser()

    def _open_page(self) -> Page:
        if self._page is not None:
            return self._page
        browser = _acquire_browser(self.executable)
        try:
            context = browser.new_context(java_script_enabled=False)
        except BaseException:
            _release_browser()
            raise
        self._context = context
        page = context.new_page()
        page.route("**/*", self._answer)
        page.on("requestfailed", self._failed)
        page.on("console", self._console)
        self._page = page
        return page

    def _answer(self, route: Route) -> None:
        url = route.request.url
        if url == self._document_url:
            route.fulfill(
                status=200,
                body=self._html,
                headers={
                    "Content-Type": "text/html; charset=utf-8",
                    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                },
            )
            return
        path = self._allowed_file(url)
        if path is None:
            self._refuse(url)
            route.abort("blockedbyclient")
            return
        kind = MEDIA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
        route.fulfill(
            status=200,
            path=path,
            headers={"Content-Type": kind or "application/octet-stream"},
        )

    def _allowed_file(self, url: str) -> Path | None:
        """The file a page URL names, if the theme allows it (``Theme.allowed_file``)."""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != ORIGIN:
            return None
        return self.theme.allowed_file(Path(unquote(parts.path)))

    def _failed(self, request: Request) -> None:
        self._refuse(request.url)

    def _console(self, message: ConsoleMessage) -> None:
        # A load the security policy blocks (a data: URL, another host) makes no
        # request: Chromium only says so on the console.
        if message.type == "error" and "Content Security Policy" in message.text:
            found = _QUOTED_URL.search(message.text)
            self._refuse(found[1] if found else message.text)

    def _refuse(self, url: str) -> None:
        # Name a rewritten file URL as the template wrote it.
        if url.startswith(ORIGIN + "/"):
            url = "file://" + url.removeprefix(ORIGIN)
        if url not in self._refused:
            self._refused.append(url)


@dataclass
class _SharedBrowser:
    stack: ExitStack
    browser: Browser
    users: int = 0


_threads = threading.local()


def _acquire_browser(executable: str) -> Browser:
    """This thread's browser, started on first use."""
    shared: _SharedBrowser | None = getattr(_threads, "browser", None)
    if shared is None:
        from playwright.sync_api import Error as PlaywrightError

        stack = ExitStack()
        try:
            browser = stack.enter_context(launch_chromium())
        except PlaywrightError as exc:
            stack.close()
            raise EngineUnavailableError(
                f"the system Chromium ({executable}) could not be started through Playwright: "
                f"{exc.message} (is it installed? apt-get install chromium, or set "
                "ALSECO_CHROMIUM)"
            ) from None
        shared = _threads.browser = _SharedBrowser(stack, browser)
    shared.users += 1
    return shared.browser


def _release_browser() -> None:
    shared: _SharedBrowser = _threads.browser
    shared.users -= 1
    if shared.users == 0:
        _threads.browser = None
        shared.stack.close()


def _page_count(pdf: bytes) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()
