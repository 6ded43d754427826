"""The headless-browser print engine: the same bill HTML printed by the system Chromium.

Chromium's cost is per document, not per bill, so a part of a run (up to a few
hundred bills) is laid out as one document (``part.compose``), printed once, and cut
into one PDF per bill when per-bill files are wanted (``pdf.pages.split_pages``).

It keeps WeasyPrint's rules: only the theme's files load (``origin``), scripts do not
run, and the bill's text is never rewritten (templates name theme files by
root-relative URLs, ``static_url``, which the page's origin answers by path).

The one-sheet rule holds per bill: before printing, each bill's box is measured
against the printable area of the page (``measure.js``, through ``session``); a bill
that is taller, or has text running past its column or the sheet, is taken out with
its error and the others print. The PDF is then checked: every box starts a page, so
one page per bill means none spilled over. When a part fails as a whole (a refused
file, a crash, lost boxes) or the print and the measurement disagree, its bills are
printed one by one, so each error names its own bill and no bill is guessed at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pypdfium2 as pdfium

from ..bill.model import Bill
from ..errors import (
    BillError,
    EngineError,
    EngineUnavailableError,
    FetchRefusedError,
    LayoutOverflowError,
    UsageError,
)
from ..pdf.options import PdfOptions
from ..pdf.pages import join_pdfs, split_pages
from ..pdf.structure import Irregular
from ..theme import Theme
from .browser import chromium_path, chromium_version
from .part import BillPage, compose, group_bills, split_bill
from .printed import ARCHIVE_VERSION, archiver, document_info, normalise, with_options
from .protocol import MAX_PAGES
from .registry import CHROMIUM
from .session import PageSession, finding_error


def version() -> str:
    """The version of what writes the PDF: a run under another one gives other bytes."""
    return f"Chromium {chromium_version()}"


class _BoxesLost(Exception):
    """The composed document has fewer bill boxes than bills."""


@dataclass
class _Laid:
    """A part as printed: its PDF (page ``i`` is ``printed[i]``) and each bill's fate."""

    pdf: bytes | None
    printed: list[int]
    errors: list[BillError | None]


@dataclass(frozen=True)
class _Member:
    """A bill of a part: its place in the part and its body."""

    index: int
    page: BillPage


class ChromiumEngine:
    """Filled bill HTML to PDF bytes with the system Chromium, through Playwright."""

    capabilities = CHROMIUM.capabilities

    def __init__(self, theme: Theme) -> None:
        # Fail when the engine is chosen, not in the middle of a batch.
        chromium_path()
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            raise EngineUnavailableError(
                "the chromium engine needs Playwright: pip install playwright "
                "(the browser itself is the system one: apt-get install chromium)"
            ) from None
        self.session = PageSession(theme)

    def write(self, html: str, ref: str) -> bytes:
        """The PDF of one bill; refuses foreign URLs and more than ``MAX_PAGES`` pages."""
        outcome = self.write_each([(html, ref)])[0]
        if isinstance(outcome, BillError):
            raise outcome
        return outcome

    def write_with(self, html: str, ref: str, bill: Bill, options: PdfOptions) -> bytes:
        """The PDF of one bill with ``options``: an archive copy, tagged, or both."""
        outcome = self.write_each_with([(html, ref, bill)], options)[0]
        if isinstance(outcome, BillError):
            raise outcome
        return outcome

    def write_each_with(
        self, bills: Sequence[tuple[str, str, Bill]], options: PdfOptions
    ) -> list[bytes | BillError]:
        """One PDF per bill with ``options``, cut from a part as print files are, each
        given its own data and identification (an archive copy) or its own part of the
        structure tree (tagged) as it is cut. A part whose tree cannot be cut
        (``structure.Irregular``) is printed again one bill a document."""
        if options.plain:
            raise UsageError("write_each_with is for archive and tagged files")
        jobs = [(html, ref) for html, ref, _ in bills]
        pages = [split_bill(html) for html, _ in jobs]
        archived = [bill for _, _, bill in bills] if options.archive else []
        if not options.tagged:
            return self._cut(jobs, pages, archived)
        try:
            return self._cut(jobs, pages, archived, tagged=True)
        except Irregular:
            if len(jobs) > 1:
                return [self.write_each_with([bill], options)[0] for bill in bills]
        # One bill whose tree has another shape: its file as printed, made steady.
        laid = self._lay_out(jobs, pages, tagged=True)
        outcome = laid.errors[0] or laid.pdf or b""
        if isinstance(outcome, bytes):
            outcome = with_options(outcome, document_info(pages[0]), bills[0][2], options)
        return [outcome]

    def write_merged(
        self, bills: Sequence[tuple[str, str]]
    ) -> tuple[bytes | None, list[BillError | None]]:
        """Many bills in one PDF, one page each, in order: laid out as one document,
        so fonts and logos are in the file once."""
        laid = self._lay_out(bills, [split_bill(html) for html, _ in bills])
        if laid.pdf is None:
            return None, laid.errors
        info = document_info(None, title=f"ALSECO print file: {len(laid.printed)} bills")
        return normalise(laid.pdf, info, share=True), laid.errors

    def write_each(self, bills: Sequence[tuple[str, str]]) -> list[bytes | BillError]:
        """One PDF per bill, each with its own title and dates, cut from one document."""
        return self._cut(bills, [split_bill(html) for html, _ in bills])

    def _cut(
        self,
        bills: Sequence[tuple[str, str]],
        pages: Sequence[BillPage | None],
        archived: Sequence[Bill] = (),
        *,
        tagged: bool = False,
    ) -> list[bytes | BillError]:
        """The bills laid out together and cut into one PDF each; archive copies of
        ``archived`` (the same bills as data) when given; ``tagged``, each with its
        structure tree."""
        laid = self._lay_out(bills, pages, tagged=tagged)
        results: list[bytes | BillError] = [
            error if error is not None else b"" for error in laid.errors
        ]
        if laid.pdf is not None:
            infos = [document_info(pages[i]) for i in laid.printed]
            then = [archiver(archived[i]) for i in laid.printed] if archived else []
            version = ARCHIVE_VERSION if archived else ""
            files = split_pages(laid.pdf, infos, then=then, min_version=version, tagged=tagged)
            for i, pdf in zip(laid.printed, files, strict=True):
                results[i] = pdf
        return results

    def close(self) -> None:
        self.session.close()

    def _lay_out(
        self,
        bills: Sequence[tuple[str, str]],
        pages: Sequence[BillPage | None],
        *,
        tagged: bool = False,
    ) -> _Laid:
        """Every bill that fits, printed in order: one document per group of bills
        that share a stylesheet (normally the whole part)."""
        errors: list[BillError | None] = [None] * len(bills)
        pdfs: list[bytes] = []
        printed: list[int] = []
        for group in group_bills(pages):
            members = [_Member(i, page) for i in group if (page := pages[i]) and page.boxable]
            if members:
                laid = self._print_part(members, [bills[i][1] for i in group], tagged)
            else:  # a bill that cannot be boxed: printed as it is, alone
                html, ref = bills[group[0]]
                laid = self._print_alone(html, ref, group[0], tagged)
            for i, error in zip(group, laid.errors, strict=True):
                errors[i] = error
            if laid.pdf is not None:
                pdfs.append(laid.pdf)
                printed.extend(laid.printed)
        pdf = None if not pdfs else pdfs[0] if len(pdfs) == 1 else join_pdfs(pdfs)
        return _Laid(pdf, printed, errors)

    def _print_part(self, members: list[_Member], refs: list[str], tagged: bool = False) -> _Laid:
        if len(members) == 1:
            return self._print_boxes(members, refs, tagged)
        try:
            return self._print_boxes(members, refs, tagged)
        except (FetchRefusedError, EngineError, _BoxesLost):
            # Which bill asked for the refused file (a logo is the data's choice), or
            # whose markup broke the boxes: each alone says, naming its own bill.
            return self._one_by_one(members, refs)

    def _one_by_one(self, members: list[_Member], refs: list[str]) -> _Laid:
        laid = [self._print_part([m], [ref]) for m, ref in zip(members, refs, strict=True)]
        pdfs = [part.pdf for part in laid if part.pdf is not None]
        return _Laid(
            join_pdfs(pdfs) if pdfs else None,
            [i for part in laid for i in part.printed],
            [part.errors[0] for part in laid],
        )

    def _print_boxes(self, members: list[_Member], refs: list[str], tagged: bool = False) -> _Laid:
        findings = self.session.load(compose([m.page for m in members]), refs[0])
        if len(findings) != len(members):  # a tag left open swallowed the next box
            if len(members) == 1:
                raise EngineError(refs[0], "the bill's HTML does not close its elements")
            raise _BoxesLost
        errors = [finding_error(ref, f) for ref, f in zip(refs, findings, strict=True)]
        kept = [m.index for m, error in zip(members, errors, strict=True) if not error]
        if not kept:
            return _Laid(None, [], errors)
        pdf = self.session.print(refs[0], tagged=tagged)
        # Every box starts a page, so as many pages as boxes means none spilled over.
        pages = _page_count(pdf)
        if pages == len(kept):
            return _Laid(pdf, kept, errors)
        if len(members) == 1:  # measured as fitting, printed on more pages
            return _Laid(None, [], [LayoutOverflowError(refs[0], pages, MAX_PAGES)])
        # The measurement and the print disagree: never guess which bill is where.
        return self._one_by_one(members, refs)

    def _print_alone(self, html: str, ref: str, index: int, tagged: bool = False) -> _Laid:
        error = finding_error(ref, self.session.load(html, ref)[0])
        if error is not None:
            return _Laid(None, [], [error])
        pdf = self.session.print(ref, tagged=tagged)
        pages = _page_count(pdf)
        if pages > MAX_PAGES:
            return _Laid(None, [], [LayoutOverflowError(ref, pages, MAX_PAGES)])
        return _Laid(pdf, [index], [None])


def _page_count(pdf: bytes) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()
