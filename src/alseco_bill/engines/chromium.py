"""The headless-browser print engine: the same bill HTML printed by the system Chromium.

Chromium's cost is per document, not per bill, so a part of a run (up to a few
hundred bills) is laid out as one document (``part.compose``), printed once, and cut
into one PDF per bill when per-bill files are wanted (``pages.split_pages``).

It keeps WeasyPrint's rules. The document is served from a made-up origin that
never resolves (``.invalid``, RFC 6761) and every request the page makes is answered
here: files under the theme's folders by their path (``Theme.allowed_file``, read
once and then answered from memory), nothing else; what was refused or failed to load
stops the part with a ``FetchRefusedError``. Scripts do not run. The bill's text is
never rewritten: templates name theme files by root-relative URLs (``static_url``),
which this origin answers by path.

The one-sheet rule holds per bill: before printing, each bill's box is measured
against the printable area of the page (``measure.js``); a bill that is taller, or
has text running past its column or the sheet, is taken out with its error and the
others print. The PDF is then checked: every box starts a page, so one page per bill
means none spilled over; if not, the part's bills are printed one by one.

One ``ChromiumEngine`` keeps one page for all it prints and must stay in the thread
that made it. Playwright's sync API runs one instance per thread, so the engines of a
thread share one browser, started by the first and closed with the last.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import pypdfium2 as pdfium

from ..errors import (
    BillError,
    EngineError,
    EngineUnavailableError,
    FetchRefusedError,
    LayoutOverflowError,
    TextOverflowError,
)
from ..files import MEDIA_TYPES
from ..theme import Theme
from .browser import chromium_path, launch_chromium
from .images import UnreadableImage, check_raster, svg_references
from .pages import DocumentInfo, join_pdfs, normalise, split_pages
from .part import BillPage, compose, group_bills, split_bill
from .protocol import MAX_PAGES

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        ConsoleMessage,
        Page,
        Request,
        Route,
        ViewportSize,
    )

ORIGIN = "http://alseco-bill.invalid"
# Only the origin itself may be loaded: a data: URL or another host is refused before
# any request is made, and scripts never run (WeasyPrint does not run them either).
CONTENT_SECURITY_POLICY = f"default-src {ORIGIN}; style-src {ORIGIN} 'unsafe-inline'"
# The first quoted URL in Chromium's console message about a blocked load.
# A page's renderer keeps memory from every document it laid out; a fresh page after
# this many bills keeps a run of a million bills as small as a run of a thousand.
FRESH_PAGE_AFTER = 250
_QUOTED_URL = re.compile(r"'([^']+)'")
_LOCAL_RESOURCE = "Not allowed to load local resource:"
MEASURE_JS = resources.files(__package__).joinpath("measure.js").read_text(encoding="utf-8")


class _BoxesLost(Exception):
    """The composed document has fewer bill boxes than bills."""


@dataclass
class _Laid:
    """A part as printed: its PDF (page ``i`` is ``printed[i]``) and each bill's fate."""

    pdf: bytes | None
    printed: list[int]
    errors: list[BillError | None]


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
        self.base_path = theme.static_dirs[-1].resolve().as_uri().removeprefix("file://") + "/"
        self._browser: Browser | None = None
        self._page: Page | None = None
        self._context: BrowserContext | None = None
        self._count = 0
        self._bills_on_page = 0
        self._document_url = ""
        self._document = b""
        self._refused: dict[str, str | None] = {}  # URL → why, if more than the rule
        self._files: dict[Path, tuple[int, int, bytes, str | None]] = {}
        self._viewport = 0

    def write(self, html: str, label: str) -> bytes:
        """The PDF of one bill; refuses foreign URLs and more than ``MAX_PAGES`` pages."""
        outcome = self.write_each([(html, label)])[0]
        if isinstance(outcome, BillError):
            raise outcome
        return outcome

    def write_merged(
        self, bills: Sequence[tuple[str, str]]
    ) -> tuple[bytes | None, list[BillError | None]]:
        """Many bills in one PDF, one page each, in order: laid out as one document,
        so fonts and logos are in the file once."""
        laid = self._lay_out(bills, [split_bill(html) for html, _ in bills])
        if laid.pdf is None:
            return None, laid.errors
        title = f"ALSECO print file: {len(laid.printed)} bills"
        return normalise(laid.pdf, DocumentInfo(title=title), share=True), laid.errors

    def write_each(self, bills: Sequence[tuple[str, str]]) -> list[bytes | BillError]:
        """One PDF per bill, each with its own title and dates, cut from one document."""
        pages = [split_bill(html) for html, _ in bills]
        laid = self._lay_out(bills, pages)
        results: list[bytes | BillError] = [
            error if error is not None else b"" for error in laid.errors
        ]
        if laid.pdf is not None:
            infos = [DocumentInfo.of(pages[i]) for i in laid.printed]
            for i, pdf in zip(laid.printed, split_pages(laid.pdf, infos), strict=True):
                results[i] = pdf
        return results

    def close(self) -> None:
        try:
            self._close_page()
        finally:
            if self._browser is not None:
                self._browser = None
                _release_browser()

    def _abandon_page(self) -> None:
        """Drop a page that failed (crashed, hung): the next part gets a fresh one."""
        from playwright.sync_api import Error as PlaywrightError

        try:
            self._close_page()
        except PlaywrightError:
            self._context = self._page = None

    def _close_page(self) -> None:
        """Close the page and its context; the browser stays for the next page."""
        context, self._context, self._page = self._context, None, None
        self._bills_on_page = 0
        if context is not None:
            context.close()

    def _lay_out(self, bills: Sequence[tuple[str, str]], pages: Sequence[BillPage | None]) -> _Laid:
        """Every bill that fits, printed in order: one document per group of bills
        that share a stylesheet (normally the whole part)."""
        errors: list[BillError | None] = [None] * len(bills)
        pdfs: list[bytes] = []
        printed: list[int] = []
        for group in group_bills(pages):
            members = [(i, page) for i in group if (page := pages[i]) and page.boxable]
            if members:
                laid = self._print_part(members, [bills[i][1] for i in group])
            else:  # a bill that cannot be boxed: printed as it is, alone
                laid = self._print_alone(bills[group[0]][0], bills[group[0]][1], group[0])
            for i, error in zip(group, laid.errors, strict=True):
                errors[i] = error
            if laid.pdf is not None:
                pdfs.append(laid.pdf)
                printed.extend(laid.printed)
        pdf = None if not pdfs else pdfs[0] if len(pdfs) == 1 else join_pdfs(pdfs)
        return _Laid(pdf, printed, errors)

    def _print_part(self, members: list[tuple[int, BillPage]], labels: list[str]) -> _Laid:
        if len(members) == 1:
            return self._print_boxes(members, labels)
        try:
            return self._print_boxes(members, labels)
        except (FetchRefusedError, EngineError, _BoxesLost):
            # Which bill asked for the refused file (a logo is the data's choice), or
            # whose markup broke the boxes: each alone says, naming its own bill.
            return self._one_by_one(members, labels)

    def _one_by_one(self, members: list[tuple[int, BillPage]], labels: list[str]) -> _Laid:
        laid = [
            self._print_part([member], [label])
            for member, label in zip(members, labels, strict=True)
        ]
        pdfs = [part.pdf for part in laid if part.pdf is not None]
        return _Laid(
            join_pdfs(pdfs) if pdfs else None,
            [i for part in laid for i in part.printed],
            [part.errors[0] for part in laid],
        )

    def _print_boxes(self, members: list[tuple[int, BillPage]], labels: list[str]) -> _Laid:
        findings = self._load(compose([page for _, page in members]), labels[0])
        if len(findings) != len(members):  # a tag left open swallowed the next box
            if len(members) == 1:
                raise EngineError(labels[0], "the bill's HTML does not close its elements")
            raise _BoxesLost
        errors: list[BillError | None] = [
            _finding_error(label, finding) for label, finding in zip(labels, findings, strict=True)
        ]
        kept = [(i, page) for (i, page), error in zip(members, errors, strict=True) if not error]
        if not kept:
            return _Laid(None, [], errors)
        pdf = self._print(labels[0])
        # Every box starts a page, so as many pages as boxes means none spilled over.
        if _page_count(pdf) == len(kept):
            return _Laid(pdf, [i for i, _ in kept], errors)
        if len(members) == 1:  # measured as fitting, printed on more pages
            pages = _page_count(pdf)
            return _Laid(None, [], [LayoutOverflowError(labels[0], pages, MAX_PAGES)])
        # The measurement and the print disagree: never guess which bill is where.
        return self._one_by_one(members, labels)

    def _print_alone(self, html: str, label: str, index: int) -> _Laid:
        findings = self._load(html, label)
        error = _finding_error(label, findings[0])
        if error is not None:
            return _Laid(None, [], [error])
        pdf = self._print(label)
        pages = _page_count(pdf)
        if pages > MAX_PAGES:
            return _Laid(None, [], [LayoutOverflowError(label, pages, MAX_PAGES)])
        return _Laid(pdf, [index], [None])

    def _load(self, document: str, label: str) -> list[dict[str, Any] | None]:
        """Load ``document`` into the page and measure its bills' boxes."""
        if self._bills_on_page >= FRESH_PAGE_AFTER:
            self._close_page()
        page = self._open_page()
        self._count += 1
        self._bills_on_page += document.count('class="alseco-part-bill"') or 1
        self._document_url = f"{ORIGIN}{self.base_path}alseco-bill-{self._count}.html"
        self._document = document.encode()
        self._refused = {}
        from playwright.sync_api import Error as PlaywrightError

        try:
            page.goto(self._document_url, wait_until="load")
            # The load event does not wait for web fonts that layout asks for late.
            page.evaluate("document.fonts.ready.then(() => true)")
            area = page.evaluate(MEASURE_JS, {"step": "area"})
            width = math.floor(area["width"])
            if width != self._viewport:  # lay out at the printed width before measuring
                page.set_viewport_size({"width": width, "height": 1000})
                self._viewport = width
            findings: list[dict[str, Any] | None] = page.evaluate(
                MEASURE_JS, {"step": "measure", "height": area["height"]}
            )
        except PlaywrightError as exc:  # a crashed or hung browser: this part fails
            if self._refused:
                raise self._refusal(label) from None
            self._abandon_page()
            raise EngineError(label, f"Chromium failed: {exc.message}") from None
        if self._refused:
            raise self._refusal(label)
        return findings

    def _print(self, label: str) -> bytes:
        from playwright.sync_api import Error as PlaywrightError

        assert self._page is not None
        try:
            pdf = self._page.pdf(prefer_css_page_size=True, print_background=True)
        except PlaywrightError as exc:
            self._abandon_page()
            raise EngineError(label, f"Chromium failed: {exc.message}") from None
        if self._refused:
            raise self._refusal(label)
        return pdf

    def _open_page(self) -> Page:
        if self._page is not None:
            return self._page
        if self._browser is None:
            self._browser = _acquire_browser(self.executable)
        # A fresh page starts at the printed width once it is known: its first
        # document is then laid out once, not at a browser's width and again.
        viewport: ViewportSize | None = (
            {"width": self._viewport, "height": 1000} if self._viewport else None
        )
        context = self._browser.new_context(java_script_enabled=False, viewport=viewport)
        try:
            page = context.new_page()
            page.emulate_media(media="print")
            page.route("**/*", self._answer)
            page.on("requestfailed", self._failed)
            page.on("console", self._console)
        except BaseException:
            context.close()
            raise
        self._context, self._page = context, page
        return page

    def _answer(self, route: Route) -> None:
        url = route.request.url
        if url == self._document_url:
            route.fulfill(
                status=200,
                body=self._document,
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
        data, problem = self._read(path)
        if problem is not None:
            self._refuse(url, problem)
            route.abort("blockedbyclient")
            return
        kind = MEDIA_TYPES.get(path.suffix.lower())
        route.fulfill(
            status=200, body=data, headers={"Content-Type": kind or "application/octet-stream"}
        )

    def _read(self, path: Path) -> tuple[bytes, str | None]:
        """The file's bytes and what is wrong with it as an image, if anything; read
        and checked again only when it changed (the preview edits them)."""
        stat = path.stat()
        cached = self._files.get(path)
        if cached is None or cached[:2] != (stat.st_mtime_ns, stat.st_size):
            data = path.read_bytes()
            cached = (stat.st_mtime_ns, stat.st_size, data, _image_problem(path, data))
            self._files[path] = cached
        return cached[2], cached[3]

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
        if message.type != "error":
            return
        if "Content Security Policy" in message.text:
            found = _QUOTED_URL.search(message.text)
            self._refuse(found[1] if found else message.text)
        elif message.text.startswith(_LOCAL_RESOURCE):  # a file: URL, never served
            self._refuse(message.text.removeprefix(_LOCAL_RESOURCE).strip())

    def _refuse(self, url: str, reason: str | None = None) -> None:
        # A theme path asked of the made-up origin is named as the file it would be,
        # as WeasyPrint names it.
        if url.startswith(ORIGIN + "/"):
            url = "file://" + url.removeprefix(ORIGIN)
        self._refused.setdefault(url, reason)

    def _refusal(self, label: str) -> FetchRefusedError:
        url, reason = next(iter(self._refused.items()))
        return FetchRefusedError(label, url, reason)


def _image_problem(path: Path, data: bytes) -> str | None:
    """Why a theme image may not print, as ``images`` judges it for WeasyPrint too.

    Chromium draws an SVG image in a mode that loads nothing it names: a logo built
    from other files would print blank, so any such reference is refused.
    """
    try:
        if path.suffix.lower() == ".svg":
            references = svg_references(data)
            if references:
                return (
                    f"the SVG names {references[0]!r}; an SVG image must hold "
                    "everything it draws (Chromium loads nothing an image names)"
                )
        elif path.suffix.lower() == ".png":
            check_raster(data)
    except UnreadableImage as exc:
        return str(exc)
    return None


def _finding_error(label: str, finding: dict[str, Any] | None) -> BillError | None:
    if finding is None:
        return None
    if finding["kind"] == "height":
        return LayoutOverflowError(label, max(int(finding["pages"]), MAX_PAGES + 1), MAX_PAGES)
    return TextOverflowError(label, str(finding["text"]), str(finding["edge"]), finding["mm"])


def _page_count(pdf: bytes) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


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
