"""Chromium's PDF as this package writes it: the bill's metadata, nothing that changes.

Chromium stamps the time of printing and a random document ID (in the info
dictionary and the XMP packet); the same bills must give the same bytes, so both are
replaced from the bill's own head (its title, language, author and print date).
"""

from __future__ import annotations

import functools
import html
import io
from collections.abc import Callable
from typing import Any

from ..bill.model import Bill
from ..pdf.options import PdfOptions, make_archive
from ..pdf.pages import DocumentInfo, save
from ..pdf.structure import elements_of, number_ids
from ..pdf.subset import slim_fonts
from .drawings import compact
from .part import BillPage

PRODUCER = "alseco-bill (Chromium)"


def document_info(page: BillPage | None, title: str = "") -> DocumentInfo:
    """The bill's own title, language, author and dates, from its HTML head; ``title``
    alone for a document of many bills (``page`` None)."""
    if page is None:
        return DocumentInfo(title=title, producer=PRODUCER)
    return DocumentInfo(
        title=html.unescape(page.title),
        lang=page.lang,
        author=html.unescape(page.meta.get("author", "")),
        created=page.meta.get("dcterms.created", ""),
        producer=PRODUCER,
    )


# PDF/A-3 is based on PDF 1.7.
ARCHIVE_VERSION = "1.7"


def archiver(bill: Bill) -> Callable[[Any], None]:
    """What makes a ``pikepdf.Pdf`` whose metadata is already the bill's an archive
    copy of ``bill`` (``save``'s ``then``; saved with ``ARCHIVE_VERSION``)."""
    return functools.partial(make_archive, bill=bill)


def with_options(pdf: bytes, info: DocumentInfo, bill: Bill, options: PdfOptions) -> bytes:
    """A bill's ``pdf`` (one page, as printed, tagged if ``options.tagged``) with its
    metadata, made an archive copy of ``bill`` if ``options.archive``."""
    import pikepdf

    with pikepdf.Pdf.open(io.BytesIO(pdf)) as document:
        if options.tagged:
            renumber_structure_ids(document)
        if not options.archive:
            return save(document, info)
        return save(document, info, then=archiver(bill), min_version=ARCHIVE_VERSION)


def normalise(pdf: bytes, info: DocumentInfo, *, share: bool = False) -> bytes:
    """``pdf`` with ``info`` as its metadata and nothing that changes from run to run;
    with ``share`` (a print file), drawings repeated on many pages are written once
    (``drawings``) and fonts lose their hinting (``subset.slim_fonts``)."""
    import pikepdf

    with pikepdf.Pdf.open(io.BytesIO(pdf)) as document:
        if share:
            compact(document)
            slim_fonts(document)
        return save(document, info)


def renumber_structure_ids(document: Any) -> None:
    """Chromium names structure elements by its DOM node ids (``node00000626``),
    which depend on what the page laid out before and on the order nodes were first
    asked for: the same bill would get other IDs each time. They are renamed
    ``node00000000`` on in the structure tree's order (``structure.number_ids``)."""
    if "/StructTreeRoot" in document.Root:
        number_ids(document, elements_of(document))
