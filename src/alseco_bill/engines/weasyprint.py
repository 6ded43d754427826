"""WeasyPrint, the print engine: filled HTML to a print-ready A4 PDF.

One ``WeasyPrintEngine`` is meant to live as long as a worker: its font configuration and
image cache are reused across bills, which is where a one-off render spends time.

Engines of different threads take turns (``_ONE_AT_A_TIME``): Pango, fontconfig and
HarfBuzz share state across a process, and cffi lets their calls from two threads run
at once; four threads rendering together corrupted the heap now and then
(``tests/test_api.py``). WeasyPrint's own work is Python, under the GIL anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from ..bill.model import Bill
from ..errors import BillError, FetchRefusedError, LayoutOverflowError, TextOverflowError
from ..pdf.options import PdfOptions, write_options
from ..theme import Theme
from .boxes import text_overflows
from .fetch import FolderFetcher, RefusedURL
from .protocol import MAX_PAGES, each_bill
from .registry import WEASYPRINT
from .sheet import overrun

_ONE_AT_A_TIME = threading.Lock()


def version() -> str:
    """The version of what writes the PDF: a run under another one gives other bytes."""
    import weasyprint

    return f"WeasyPrint {weasyprint.__version__}"


class WeasyPrintEngine:
    """Filled bill HTML to PDF bytes with WeasyPrint, one document a bill."""

    capabilities = WEASYPRINT.capabilities

    def __init__(self, theme: Theme) -> None:
        self.theme = theme
        self.fetcher = FolderFetcher(theme)
        self.font_config = FontConfiguration()
        self.image_cache: dict[str, Any] = {}

    def render(self, html: str, ref: str) -> Any:
        """Lay the bill out (a WeasyPrint document); refuses foreign URLs, a second page
        and text that runs past its column or the page (it would not all be printed)."""
        source = HTML(
            string=html,
            base_url=self.theme.static_dirs[-1].as_uri() + "/",
            url_fetcher=self.fetcher,
        )
        try:
            with _ONE_AT_A_TIME:
                document = source.render(font_config=self.font_config, cache=self.image_cache)
        except RefusedURL as exc:
            raise FetchRefusedError(ref, exc.url, exc.reason) from None
        if len(document.pages) > MAX_PAGES:
            raise LayoutOverflowError(ref, len(document.pages), MAX_PAGES)
        if overrun(document, source.etree_element):  # more than the sheet holds
            raise LayoutOverflowError(ref, MAX_PAGES + 1, MAX_PAGES)
        for overflow in text_overflows(document):
            raise TextOverflowError(ref, overflow.text, overflow.edge, overflow.by_mm)
        return document

    def write(self, html: str, ref: str) -> bytes:
        """The PDF bytes; the same HTML always gives the same bytes."""
        document = self.render(html, ref)
        with _ONE_AT_A_TIME:
            pdf: bytes = document.write_pdf()
        return pdf

    def write_with(self, html: str, ref: str, bill: Bill, options: PdfOptions) -> bytes:
        """The PDF with ``options``: an archive copy, tagged, or both."""
        document = self.render(html, ref)
        with _ONE_AT_A_TIME:
            return write_options(document, bill, options)

    def write_each_with(
        self, bills: Sequence[tuple[str, str, Bill]], options: PdfOptions
    ) -> list[bytes | BillError]:
        """One PDF per bill with ``options``, each laid out on its own."""
        results: list[bytes | BillError] = []
        for html, ref, bill in bills:
            try:
                results.append(self.write_with(html, ref, bill, options))
            except BillError as exc:
                results.append(exc)
        return results

    def write_merged(
        self, bills: Sequence[tuple[str, str]]
    ) -> tuple[bytes | None, list[BillError | None]]:
        """Lay each bill out on its own, then write all pages as one PDF: fonts and
        logos are embedded once for the file instead of once per bill."""
        documents, errors = each_bill(bills, self.render)
        if not documents:
            return None, errors
        pages = [page for document in documents for page in document.pages]
        merged = documents[0].copy(pages)
        # The copy has the first bill's title and language; the file is a print file.
        merged.metadata.title = f"ALSECO print file: {len(pages)} bills"
        merged.metadata.lang = None
        with _ONE_AT_A_TIME:
            pdf: bytes = merged.write_pdf()
        return pdf, errors

    def write_each(self, bills: Sequence[tuple[str, str]]) -> list[bytes | BillError]:
        """One PDF per bill; WeasyPrint lays out one document at a time anyway."""
        results: list[bytes | BillError] = []
        for html, ref in bills:
            try:
                results.append(self.write(html, ref))
            except BillError as exc:
                results.append(exc)
        return results

    def close(self) -> None:
        self.image_cache.clear()
