"""The print engines a ``Renderer`` can lay bills out with, by name.

WeasyPrint (``weasyprint``) is the print engine and the default. Other engines
implement the same small protocol and are created lazily, so a run that uses one
never imports the other.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from .errors import BillError
from .theme import Theme

DEFAULT_ENGINE = "weasyprint"
# A bill is one A4 sheet; the region variant's receipt stub is on the same sheet.
MAX_PAGES = 1
T = TypeVar("T")


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


def each_bill(
    bills: Sequence[tuple[str, str]], make: Callable[[str, str], T]
) -> tuple[list[T], list[BillError | None]]:
    """``make(html, label)`` for every bill; one that raises a ``BillError`` is left
    out and its error kept in its place, and the others go on."""
    made: list[T] = []
    errors: list[BillError | None] = []
    for html, label in bills:
        try:
            made.append(make(html, label))
            errors.append(None)
        except BillError as exc:
            errors.append(exc)
    return made, errors


def join_pdfs(pdfs: Sequence[bytes], keep: Sequence[Sequence[int]] | None = None) -> bytes:
    """The pages of ``pdfs`` in order (only the 0-based pages in ``keep[i]`` of the
    i-th, when given) as one PDF, with the same bytes for the same input.

    Each input keeps its own font subsets, so this is for joining parts of a file,
    or for engines that cannot lay many bills out in one document.
    """
    import pikepdf

    joined = pikepdf.Pdf.new()
    sources = [pikepdf.Pdf.open(io.BytesIO(pdf)) for pdf in pdfs]
    for i, source in enumerate(sources):
        pages = range(len(source.pages)) if keep is None else keep[i]
        joined.pages.extend(source.pages[p] for p in pages)
    buffer = io.BytesIO()
    joined.save(buffer, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
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
