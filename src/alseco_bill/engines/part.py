"""Many filled bills as one HTML document: a part of a print run for the browser.

Chromium prints bills as one document in about a quarter of the time per bill it
needs for a document each (bench.py: 26 against 109 ms), so the Chromium engine
prints a part of a run as one document: every
bill's body in its own page-sized box with a page break after it. The bills' HTML
comes from our templates (data values are escaped, so a value cannot close a tag),
and only two things of it are used: the shared head (the stylesheet) and the body.
A bill whose head differs from its neighbours' starts a new document; a bill whose
``<body>`` carries attributes, or whose ``<html>`` carries more than ``lang`` (a
designer's older ``base.html``), cannot be moved into a box without losing them, and
is printed on its own. (A stylesheet that selects on ``html[lang]`` instead of
``:lang()`` would not match inside a box: README says to use ``:lang()``.)

Nothing of a bill's text is rewritten: the body is copied as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

_HEAD = re.compile(r"<head\b[^>]*>(.*?)</head\s*>", re.S | re.I)
_BODY_OPEN = re.compile(r"<body(\s[^>]*)?>", re.I)
_BODY_CLOSE = "</body>"
_HTML_LANG = re.compile(r"<html\b[^>]*?\slang=\"([^\"]*)\"", re.I)
_HTML_OPEN = re.compile(r"<html\b([^>]*)>", re.I)
_LANG_ATTRIBUTE = re.compile(r"\slang=\"[^\"]*\"", re.I)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.S | re.I)
_META = re.compile(r"<meta\b[^>]*>", re.I)
_META_NAMED = re.compile(r"<meta\s+name=\"([^\"]+)\"\s+content=\"([^\"]*)\"\s*/?>", re.I)
# Each bill's box ends its page; the last one must not add an empty page.
BOX_CLASS = "alseco-part-bill"
PART_CSS = (
    ".alseco-part-bill { break-after: page; }\n"
    ".alseco-part-bill:last-child { break-after: auto; }\n"
)


@dataclass(frozen=True)
class BillPage:
    """What one bill brings to a part: its body, and its document's metadata."""

    head: str  # the head without title and meta tags: the stylesheet, shared
    body: str
    lang: str
    title: str
    meta: dict[str, str] = field(default_factory=dict)
    boxable: bool = True  # False: its <body> has attributes a box would lose


def split_bill(html: str) -> BillPage | None:
    """The bill's head and body, or None when the document has neither."""
    head = _HEAD.search(html)
    opening = _BODY_OPEN.search(html)
    closing = html.rfind(_BODY_CLOSE)
    if head is None or opening is None or closing < opening.end():
        return None
    lang = _HTML_LANG.search(html)
    title = _TITLE.search(head[1])
    return BillPage(
        head=_META.sub("", _TITLE.sub("", head[1])).strip(),
        body=html[opening.end() : closing],
        lang=lang[1] if lang else "",
        title=title[1].strip() if title else "",
        meta={m[1]: m[2] for m in _META_NAMED.finditer(head[1])},
        boxable=not (opening[1] or "").strip() and _only_lang(html),
    )


def _only_lang(html: str) -> bool:
    """Whether ``<html>`` carries nothing but ``lang``, which the box takes over."""
    found = _HTML_OPEN.search(html)
    return not found or not _LANG_ATTRIBUTE.sub("", found[1]).strip()


def group_bills(pages: Sequence[BillPage | None]) -> list[list[int]]:
    """Indexes of ``pages`` in order, cut into runs that can share one document; a
    bill that cannot be boxed is a run of its own."""
    groups: list[list[int]] = []
    previous: BillPage | None = None
    for i, page in enumerate(pages):
        joins = (
            page is not None
            and previous is not None
            and page.boxable
            and previous.boxable
            and page.head == previous.head
        )
        if joins:
            groups[-1].append(i)
        else:
            groups.append([i])
        previous = page
    return groups


def compose(pages: Sequence[BillPage]) -> str:
    """One document holding every bill of ``pages`` (which share their head)."""
    boxes = "".join(
        f'<div class="alseco-part-bill" lang="{page.lang}">{page.body}</div>' for page in pages
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"{pages[0].head}<style>{PART_CSS}</style></head>\n<body>{boxes}</body></html>"
    )
