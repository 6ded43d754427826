"""The print engines a ``Renderer`` can lay bills out with, by name.

WeasyPrint (``weasyprint``) is the print engine and the default. Other engines
implement the same small protocol and are created lazily, so a run that uses one
never imports the other.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Protocol

from .errors import BillError
from .theme import Theme

DEFAULT_ENGINE = "weasyprint"


class Engine(Protocol):
    """Filled bill HTML to PDF bytes; one engine instance serves many bills."""

    def write(self, html: str, label: str) -> bytes:
        """The PDF of one bill; raises ``BillError`` subclasses naming ``label``."""
        ...

    def write_merged(
        self, bills: Sequence[tuple[str, str]]
    ) -> tuple[bytes | None, list[BillError | None]]:
        """Many bills ``(html, label)`` in one PDF, one page each, in order.

        Returns the PDF (None when no bill could be laid out) and, per bill, None
        if it is in the PDF or the error that kept it out.
        """
        ...

    def close(self) -> None:
        """Release what the engine holds (a browser, caches)."""
        ...


def merge_pdfs(pdfs: Sequence[bytes]) -> bytes:
    """Concatenate PDFs page by page, with the same bytes for the same input.

    Each input keeps its own font subsets, so this is for joining parts of a file,
    or for engines that cannot lay many bills out in one document.
    """
    import pikepdf

    merged = pikepdf.Pdf.new()
    sources = [pikepdf.Pdf.open(io.BytesIO(pdf)) for pdf in pdfs]
    for source in sources:
        merged.pages.extend(source.pages)
    buffer = io.BytesIO()
    merged.save(
        buffer,
        deterministic_id=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
    )
    for source in sources:
        source.close()
    return buffer.getvalue()


def make_engine(name: str, theme: Theme) -> Engine:
    if name == "weasyprint":
        from .pdf import PdfWriter

        return PdfWriter(theme)
    if name == "chromium":
        from .chromium import ChromiumWriter

        return ChromiumWriter(theme)
    raise ValueError(f"unknown engine {name!r}; known: {', '.join(ENGINES)}")


ENGINES = ("weasyprint", "chromium")
