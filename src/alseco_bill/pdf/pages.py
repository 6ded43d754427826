"""Surgery on finished PDFs with pikepdf: joining parts, cutting pages out, metadata.

Every file this package writes with pikepdf goes through ``save``, so that the same
pages give the same bytes (a file identifier from the content, no timestamps).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@contextmanager
def joined(pdfs: Sequence[bytes], keep: Sequence[Sequence[int]] | None = None) -> Iterator[Any]:
    """The pages of ``pdfs`` in order (only the 0-based pages in ``keep[i]`` of the
    i-th, when given) as one ``pikepdf.Pdf``, open while the block runs.

    Each input keeps its own font subsets, so this is for joining parts of a file.
    """
    import pikepdf

    sources = [pikepdf.Pdf.open(io.BytesIO(pdf)) for pdf in pdfs]
    try:
        if len(sources) == 1 and keep is None:
            yield sources[0]
            return
        with pikepdf.Pdf.new() as document:
            for i, source in enumerate(sources):
                pages = range(len(source.pages)) if keep is None else keep[i]
                document.pages.extend(source.pages[p] for p in pages)
            yield document
    finally:
        for source in sources:
            source.close()


def join_pdfs(pdfs: Sequence[bytes], keep: Sequence[Sequence[int]] | None = None) -> bytes:
    """``joined`` as bytes, the same for the same input."""
    with joined(pdfs, keep) as document:
        return save(document)


@dataclass(frozen=True)
class DocumentInfo:
    """What a PDF says about itself; ``created`` is an ISO date-time (the print date)."""

    title: str = ""
    lang: str = ""
    author: str = ""
    created: str = ""
    producer: str = ""


def split_pages(
    pdf: bytes,
    infos: Sequence[DocumentInfo],
    *,
    then: Sequence[Callable[[Any], None]] = (),
    min_version: str = "",
    tagged: bool = False,
) -> list[bytes]:
    """One PDF per page of ``pdf``, page ``i`` with ``infos[i]`` as its metadata,
    carrying only what its own page uses and drawn as the first page of ``pdf``
    would be (``subset.own_glyphs``): its bytes do not depend on the other pages of
    ``pdf``, nor on where in it the page was. ``then[i]``, when given, finishes page
    ``i``'s file before it is saved (as ``save``'s ``then``: an archive copy's own
    parts), so a file is written once, not cut and then opened again.

    ``tagged``: each file carries its page's part of the structure tree
    (``structure.carry``); raises ``structure.Irregular`` if the tree cannot be cut."""
    import pikepdf

    from .placement import document_matrix
    from .structure import Irregular, carry, read_tree
    from .subset import own_glyphs

    results: list[bytes] = []
    with pikepdf.Pdf.open(io.BytesIO(pdf)) as document:
        tree = read_tree(document) if tagged else None
        if tagged and tree is None:
            raise Irregular("the document is not tagged")
        first = None
        if len(document.pages) > 1:
            contents = document.pages[0].obj.Contents.wrap_in_array()
            first = document_matrix(b"\n".join(s.read_bytes() for s in contents))
        for i, (page, info) in enumerate(zip(document.pages, infos, strict=True)):
            with pikepdf.Pdf.new() as single:
                single.pages.append(page)
                if tree is not None:
                    carry(tree, i, page.obj, single)
                own_glyphs(single, first)
                finish = then[i] if then else None
                results.append(save(single, info, then=finish, min_version=min_version))
    return results


def save(
    document: Any,
    info: DocumentInfo | None = None,
    *,
    then: Callable[[Any], None] | None = None,
    min_version: str = "",
) -> bytes:
    """``document`` (a ``pikepdf.Pdf``) as bytes that depend only on its content; with
    ``info``, its metadata replaced by that (the XMP packet and language dropped), and
    ``then`` called on it after that (an archive copy's own XMP packet)."""
    import pikepdf

    if info is not None:
        _set_info(document, info)
    if then is not None:
        then(document)
    buffer = io.BytesIO()
    document.save(
        buffer,
        deterministic_id=True,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        compress_streams=True,
        min_version=min_version,
    )
    return buffer.getvalue()


def _set_info(document: Any, info: DocumentInfo) -> None:
    import pikepdf

    if "/Metadata" in document.Root:
        del document.Root["/Metadata"]
    if "/Lang" in document.Root:
        del document.Root["/Lang"]
    if info.lang:
        document.Root.Lang = pikepdf.String(info.lang)
    document.docinfo = document.make_indirect(pikepdf.Dictionary())
    fields = {"/Title": info.title, "/Author": info.author, "/Producer": info.producer}
    if info.created:
        fields["/CreationDate"] = fields["/ModDate"] = _pdf_date(info.created)
    for key, value in fields.items():
        if value:
            document.docinfo[key] = pikepdf.String(value)


def _pdf_date(iso: str) -> str:
    """``2025-03-02T00:00:00+05:00`` as a PDF date, ``D:20250302000000+05'00'``."""
    moment = datetime.fromisoformat(iso)
    text = moment.strftime("D:%Y%m%d%H%M%S")
    offset = moment.utcoffset()
    if offset is None:
        return text
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{text}{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"
