"""Bookmarks for merged print files, so that an operator can find a household's bill.

A merged file gets a title and one outline entry per bill, in page order, labelled
with the account and the short address (``9786142006 · Райымбек даңғылы, 125-үй,
166-пәтер``; region bills name the locality first, the city's is always Almaty). The
file is rewritten with pikepdf, with the same bytes for the same input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..bill.model import Bill, Variant
from .pages import joined, save


def bookmark(bill: Bill, labels: Mapping[str, str]) -> str:
    """The bill's outline label; ``labels`` are its language's (``labels.html``), whose
    patterns put house and flat numbers in that language's order."""
    address = bill.consumer.address
    parts = [address.street, labels["house"].format(number=address.house)]
    if address.flat:
        parts.append(labels["flat"].format(number=address.flat))
    if bill.variant == Variant.REGION:
        parts.insert(0, address.locality)
    return f"{bill.account} · {', '.join(parts)}"


def with_outline(pdf: bytes, title: str, bookmarks: Sequence[str]) -> bytes:
    """``pdf`` with ``title`` and its outline replaced by ``bookmarks[i]`` pointing at
    page ``i + 1``; the viewer opens with the outline shown."""
    return print_file([pdf], None, title, bookmarks)


def print_file(
    parts: Sequence[bytes],
    keep: Sequence[Sequence[int]] | None,
    title: str,
    bookmarks: Sequence[str],
) -> bytes:
    """The pages of ``parts`` in order (only the 0-based pages ``keep[i]`` of the i-th,
    when given) as one file with ``title`` and ``bookmarks``: joined and outlined in
    one save, since a print file's parts arrive together at the end of a run."""
    import pikepdf

    with joined(parts, keep) as document:
        if len(bookmarks) != len(document.pages):
            raise ValueError(f"{len(bookmarks)} bookmarks for {len(document.pages)} pages")
        with document.open_outline() as outline:
            outline.root[:] = [
                pikepdf.OutlineItem(label, page) for page, label in enumerate(bookmarks)
            ]
        document.docinfo["/Title"] = title
        document.Root.PageMode = pikepdf.Name.UseOutlines
        document.Root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
        return save(document)
