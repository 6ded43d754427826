"""One Chromium page's life: load a document, measure its bills, print it.

A ``PageSession`` keeps one page (and its browser context) for all it prints, served
by a ``ThemeOrigin``; it has the page's garbage collected after ``COLLECT_AFTER``
bills and replaces the page after at most ``FRESH_PAGE_AFTER``, and drops a page
that failed (crashed, hung) so the next document gets a fresh one. When the browser or the
page's renderer died, that is no bill's fault: it raises
``EngineCrashedError`` (the part is printed again by whoever asked) and the next page
comes from a new browser if the old one is gone. It must stay in the thread that made
it (Playwright's sync API).

A document whose head is the one the page already holds (the next part of a run,
the next bill of the service or of a tagged run) does not navigate: its body replaces
the page's body (``_Frame``). A navigation loads the theme's fonts again, a megabyte
through the driver and a cold font cache, which was two thirds of printing a lone
bill. A body that could load anything but images by ``<img src>`` navigates, since
only a navigation's load event waits for every file. A page's first document is
loaded as its head alone and then given its body the same way, so that its bills are
laid out once, at the printed width its stylesheet gives (``_fit_viewport``).

What ``measure.js`` reports comes back typed: the printable area, and per bill box
nothing (it fits) or a ``Finding``: too tall (``HeightFinding``) or text past its
column or the sheet (``WidthFinding``).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Literal, TypedDict

from ..errors import (
    BillError,
    EngineCrashedError,
    EngineError,
    LayoutOverflowError,
    TextOverflowError,
)
from ..theme import Theme
from .browser import acquire_browser, release_browser
from .origin import ThemeOrigin
from .part import BOX_CLASS
from .protocol import MAX_PAGES

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

# A body replaced in place leaves its nodes and layout to Blink's garbage collector,
# which, with no script running, lets them pile up to half a gigabyte (about 2 MB a
# bill) before it runs. Collected after this many bills (about 150 ms each time),
# a renderer's own memory stays flat: 325-390 MB from 250 bills to 10,000 (parts of 50).
COLLECT_AFTER = 100
# A page lives at most this many bills, at least three quarters of it (``drawn_life``:
# at 32 clients two workers once renewed theirs at the same moment, and the requests
# of both documents waited 3 s). In one process, a page's renderer stays flat to
# 10,000 bills, yet a service whose pages lived that long grew by 16-18 % from 1,000
# requests to 5,000 (all its processes' RSS). A new page stops its engine for
# 0.6-0.9 s (a renderer, the fonts; 2-3 s on a loaded machine).
FRESH_PAGE_AFTER = 2000
MEASURE_JS = resources.files(__package__).joinpath("measure.js").read_text(encoding="utf-8")
# The page's new body, once its images are loaded (or failed: the origin says why)
# and the fonts its text asks for are ready.
SWAP_JS = """async (body) => {
  document.body.innerHTML = body;
  await Promise.all([...document.images].map((image) => image.decode().catch(() => null)));
  await document.fonts.ready;
  return true;
}"""
# ``gc`` is there because the browser is started with --expose-gc (``browser``); the
# bill's page runs no script of its own, so nothing else can call it.
COLLECT_JS = "() => { gc(); return true; }"
# What could load a file other than an image by <img src>, whose load nothing awaits
# without a navigation (the theme's own markup; a bill's data is escaped). Plain
# substrings of the lower-cased body: a part's 600 KB are scanned in about a
# millisecond, where the same test as one case-blind regex took 40. A word of a
# bill's text that matches costs a navigation, nothing more.
_LOADS_MORE = (
    "url(", "srcset", "@import", "background", "poster", "<link", "<style", "<script",
    "<object", "<embed", "<iframe", "<frame", "<image", "<svg:image", "<use", "<video",
    "<audio", "<source", "<input", "<meta", "<base",
)  # fmt: skip


@dataclass(frozen=True)
class _Frame:
    """A document as what surrounds its body (head and body tag) and the body, and
    whether a page showing it can take another body in place."""

    outside: tuple[str, str]
    body: str
    swappable: bool

    @classmethod
    def of(cls, document: str) -> _Frame | None:
        """``document`` split at its body, None if it has no body to replace."""
        start = document.find("<body")
        opened = document.find(">", start) + 1
        closing = document.rfind("</body>")
        if start < 0 or not opened or closing < opened:
            return None
        body = document[opened:closing]
        lowered = body.lower()
        swappable = not any(mark in lowered for mark in _LOADS_MORE)
        return cls((document[:opened], document[closing:]), body, swappable)


class Area(TypedDict):
    """The page's printable area in CSS pixels (from the stylesheet's ``@page``)."""

    width: float
    height: float


class HeightFinding(TypedDict):
    kind: Literal["height"]
    pages: int  # how many pages the bill would take


class WidthFinding(TypedDict):
    kind: Literal["width"]
    text: str
    edge: str  # "its column" or "the page"
    mm: float


Finding = HeightFinding | WidthFinding


def drawn_life(limit: int) -> int:
    """How many bills something renewed after at most ``limit`` lives: at least three
    quarters of it, drawn, so that workers that share a load equally do not renew
    theirs (a page, an engine) at the same moment."""
    return limit - random.randrange(limit // 4 + 1)


def finding_error(ref: str, finding: Finding | None) -> BillError | None:
    """The error of bill ``ref`` that ``finding`` describes (None: it fits)."""
    if finding is None:
        return None
    if finding["kind"] == "height":
        return LayoutOverflowError(ref, max(int(finding["pages"]), MAX_PAGES + 1), MAX_PAGES)
    return TextOverflowError(ref, str(finding["text"]), str(finding["edge"]), finding["mm"])


class PageSession:
    """A page of this thread's browser, loading, measuring and printing documents."""

    def __init__(self, theme: Theme) -> None:
        self.origin = ThemeOrigin(theme)
        self._browser: Browser | None = None
        self._page: Page | None = None
        self._context: BrowserContext | None = None
        self._bills_on_page = 0
        self._page_life = drawn_life(FRESH_PAGE_AFTER)
        self._bills_uncollected = 0
        self._viewport = 0
        self._shown: _Frame | None = None  # what the page shows, if a body may replace it

    def load(self, document: str, ref: str) -> list[Finding | None]:
        """Load ``document`` into the page and measure its bills' boxes (one finding
        per box, None where it fits); raises ``FetchRefusedError`` or ``EngineError``
        naming bill ``ref``, or ``EngineCrashedError``."""
        from playwright.sync_api import Error as PlaywrightError

        if self._bills_on_page >= self._page_life:
            self._close_page()
        try:
            page = self._open_page()
            if self._bills_uncollected >= COLLECT_AFTER:
                page.evaluate(COLLECT_JS)
                self._bills_uncollected = 0
        except PlaywrightError as exc:
            raise self._failure(ref, exc) from None
        bills = document.count(f'class="{BOX_CLASS}"') or 1
        self._bills_on_page += bills
        self._bills_uncollected += bills
        frame = _Frame.of(document)
        shown, self._shown = self._shown, None  # none while the page changes
        try:
            if frame and frame.swappable and shown and shown.outside == frame.outside:
                self.origin.serve_in_place()
                page.evaluate(SWAP_JS, frame.body)
            elif frame and frame.swappable and not self._viewport:
                # A browser's first document: its head alone gives the printed width
                # (the stylesheet's @page), so the bills are laid out once, at that
                # width, not at the browser's and again (0.3 s of a part of 50).
                page.goto(self.origin.serve("".join(frame.outside)), wait_until="load")
                refusal = self.origin.refusal(ref)
                if refusal is not None:
                    raise refusal
                self._fit_viewport(page)
                self.origin.serve_in_place()
                page.evaluate(SWAP_JS, frame.body)
            else:
                page.goto(self.origin.serve(document), wait_until="load")
                # The load event does not wait for web fonts that layout asks for late.
                page.evaluate("document.fonts.ready.then(() => true)")
            area = self._fit_viewport(page)
            findings: list[Finding | None] = page.evaluate(
                MEASURE_JS, {"step": "measure", "height": area["height"]}
            )
        except PlaywrightError as exc:  # a crashed or hung browser: this part fails
            refusal = self.origin.refusal(ref)
            if refusal is not None:
                raise refusal from None
            raise self._failure(ref, exc) from None
        refusal = self.origin.refusal(ref)
        if refusal is not None:
            raise refusal
        self._shown = frame if frame and frame.swappable else None
        return findings

    def _fit_viewport(self, page: Page) -> Area:
        """The printable area of ``page``'s document, the page laid out at its width."""
        area: Area = page.evaluate(MEASURE_JS, {"step": "area"})
        width = math.floor(area["width"])
        if width != self._viewport:  # lay out at the printed width before measuring
            page.set_viewport_size({"width": width, "height": 1000})
            self._viewport = width
        return area

    def print(self, ref: str, *, tagged: bool = False) -> bytes:
        """The loaded document as PDF (``tagged``: with its structure tree and an
        outline from its headings); raises as ``load`` does."""
        from playwright.sync_api import Error as PlaywrightError

        assert self._page is not None
        try:
            pdf = self._page.pdf(
                prefer_css_page_size=True, print_background=True, tagged=tagged, outline=tagged
            )
        except PlaywrightError as exc:
            raise self._failure(ref, exc) from None
        refusal = self.origin.refusal(ref)
        if refusal is not None:
            raise refusal
        return pdf

    def close(self) -> None:
        try:
            self._abandon_page()
        finally:
            if self._browser is not None:
                self._browser = None
                release_browser()

    def _failure(self, ref: str, exc: Exception) -> EngineError | EngineCrashedError:
        """The error of a failed load or print (a Playwright error), the page dropped: a
        crash when the browser or the page's renderer died (the browser is let go)."""
        message = str(getattr(exc, "message", exc))
        crashed = self._page is not None and self._page.is_closed()
        crashed = crashed or "crash" in message.lower()
        browser = self._browser
        self._abandon_page()
        if browser is not None and not browser.is_connected():
            self._browser = None
            release_browser()
            return EngineCrashedError(f"the browser (Chromium) died: {message}")
        if crashed:
            return EngineCrashedError(f"a Chromium renderer died: {message}")
        return EngineError(ref, f"Chromium failed: {message}")

    def _open_page(self) -> Page:
        if self._page is not None:
            return self._page
        if self._browser is None:
            self._browser = acquire_browser()
        # A fresh page starts at the printed width once it is known: its first
        # document is then laid out once, not at a browser's width and again.
        viewport: ViewportSize | None = (
            {"width": self._viewport, "height": 1000} if self._viewport else None
        )
        context = self._browser.new_context(java_script_enabled=False, viewport=viewport)
        try:
            page = context.new_page()
            page.emulate_media(media="print")
            page.route("**/*", self.origin.answer)
            page.on("requestfailed", self.origin.failed)
            page.on("console", self.origin.console)
        except BaseException:
            context.close()
            raise
        self._context, self._page = context, page
        return page

    def _abandon_page(self) -> None:
        """Drop a page that failed: the next document gets a fresh one."""
        from playwright.sync_api import Error as PlaywrightError

        try:
            self._close_page()
        except PlaywrightError:
            self._context = self._page = None

    def _close_page(self) -> None:
        """Close the page and its context; the browser stays for the next page."""
        context, self._context, self._page = self._context, None, None
        self._bills_on_page = self._bills_uncollected = 0
        self._page_life = drawn_life(FRESH_PAGE_AFTER)
        self._shown = None
        if context is not None:
            context.close()
