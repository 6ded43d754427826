"""Chromium's PDF as this package writes it: the bill's metadata, nothing that changes.

Chromium stamps the time of printing and a random document ID (in the info
dictionary and the XMP packet); the same bills must give the same bytes, so both are
replaced from the bill's own head (its title, language, author and print date).
"""

from __future__ import annotations

import html
import io

from ..pdf.pages import DocumentInfo, save
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


def normalise(pdf: bytes, info: DocumentInfo, *, share: bool = False) -> bytes:
    """``pdf`` with ``info`` as its metadata and nothing that changes from run to run;
    with ``share``, drawings repeated on many pages are written once (``drawings``)."""
    import pikepdf

    with pikepdf.Pdf.open(io.BytesIO(pdf)) as document:
        if share:
            compact(document)
        return save(document, info)
