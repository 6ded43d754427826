"""Smaller print files from Chromium: drawings that repeat on every page, drawn once.

Chromium (Skia) draws an SVG logo into the page's content stream, so a print file of
500 bills holds every logo 500 times; WeasyPrint writes each once and reuses it. Skia
writes an image as a clipped block, always in the same shape:

    q  x y w h re  W* n  q  s 0 0 s x y cm  <the drawing>  Q  Q

and the drawing does not depend on where it is placed (the ``cm`` places it), while
resource names (``/G3``) are the document's own. A drawing found more than once in a
document becomes one form XObject, and each block draws that instead. Nothing else
is touched: a stream with inline images or literal strings is left as it is, and
output of another shape is simply not shared (a bigger file, never a different one).
Skia also writes positions with seven decimals of a 1/300-inch unit; three are kept.
And its text, a move before every glyph, becomes strings of glyphs (``pdf.text``).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ..pdf.text import Memo, Widths, joined_text, widths_in

_BLOCK = re.compile(rb"(?m)^q\n[-0-9. ]+ re\nW\* n\nq\n[-0-9. ]+ cm\n")
_NESTING = re.compile(rb"(?m)^[qQ]$")
# A dot and four or more digits: a number whose digits past the third decimal go
# (``shortened``). Searched from the dot, a literal the regex engine jumps to; the
# same rule as a look-behind tried at every byte took two and a half times as long.
_LONG_DECIMALS = re.compile(rb"\.[0-9]{4,}")
_DIGITS = frozenset(b"0123456789")
SMALLEST = 200  # bytes: sharing a smaller drawing saves nothing
# A pattern (a gradient) or shading is placed by the page's space, not the drawing's:
# drawn inside a form it would land elsewhere, so such a drawing is left in place.
_PAINTS_BY_PAGE = re.compile(rb"\b(?:scn|SCN|sh)\b|/Pattern")


def compact(document: Any) -> None:
    """Share repeated drawings of ``document`` (a ``pikepdf.Pdf``) and shorten numbers."""
    import pikepdf

    first = document.pages[0].obj.get("/Resources") if len(document.pages) else None
    pages: list[tuple[Any, bytes, list[tuple[int, int, bytes]]]] = []
    known: dict[tuple[int, int], Widths | None] = {}  # each font's widths, read once
    memo: Memo = {}  # text objects that repeat from bill to bill, joined once
    for page in document.pages:
        contents = page.obj.get("/Contents")
        resources = page.obj.get("/Resources")
        if not isinstance(contents, pikepdf.Stream) or resources is None or first is None:
            continue
        data = joined_text(contents.read_bytes(), widths_in(resources, known), memo)
        # Inline images and literal strings could hold bytes that look like operators
        # or numbers; names must mean the same objects on every page that shares.
        if b"BI\n" in data or b"(" in data or _names(resources) != _names(first):
            continue
        pages.append((page, data, _drawings(data)))
    counts = Counter(drawing for _, _, found in pages for _, _, drawing in found)
    forms: dict[bytes, Any] = {}
    for page, data, found in pages:
        pieces: list[bytes] = []
        done = 0
        for start, end, drawing in found:
            if start < done or counts[drawing] < 2 or len(drawing) < SMALLEST:
                continue
            if _PAINTS_BY_PAGE.search(drawing):
                continue
            if drawing not in forms:
                forms[drawing] = _form(document, drawing, first)
            # Named by its number, not pikepdf's random names: the same bills must
            # give the same bytes. Skia's own names (/G3, /F4, /X7) never start so.
            name = f"/AlsecoDrawing{list(forms).index(drawing)}"
            xobjects = page.obj.Resources.get("/XObject")
            if xobjects is None:
                xobjects = page.obj.Resources.XObject = pikepdf.Dictionary()
            xobjects[name] = forms[drawing]
            pieces += [data[done:start], f"{name} Do\n".encode()]
            done = end
        pieces.append(data[done:])
        page.obj.Contents = pikepdf.Stream(document, shortened(b"".join(pieces)))


def shortened(data: bytes) -> bytes:
    """``data`` with three decimals kept of every number of 1 or more (Skia writes
    .24, not 0.24, so a scale below 1 keeps all its digits); a digit must precede
    the dot, so hex strings (glyph codes) and names never change."""
    pieces = []
    done = 0
    for found in _LONG_DECIMALS.finditer(data):
        dot = found.start()
        if dot and (
            data[dot - 1] in b"123456789"
            or (dot > 1 and data[dot - 1] in _DIGITS and data[dot - 2] in _DIGITS)
        ):
            pieces.append(data[done : dot + 4])
            done = found.end()
    pieces.append(data[done:])
    return b"".join(pieces)


def _form(document: Any, drawing: bytes, resources: Any) -> Any:
    """A form XObject of ``drawing`` with the pages' resources (copied: ours grow)."""
    import pikepdf

    own = pikepdf.Dictionary()
    for kind in resources:
        value = resources[kind]
        own[kind] = (
            pikepdf.Dictionary(dict(value.items()))
            if isinstance(value, pikepdf.Dictionary)
            else value
        )
    form = pikepdf.Stream(document, shortened(drawing))
    form.Type = pikepdf.Name.XObject
    form.Subtype = pikepdf.Name.Form
    # The block's clip still applies; the form's own box must not clip anything.
    form.BBox = pikepdf.Array([-100000, -100000, 100000, 100000])
    form.Resources = own
    return document.make_indirect(form)


def _drawings(data: bytes) -> list[tuple[int, int, bytes]]:
    """(start, end, bytes) of each placed drawing in a content stream, in order."""
    closing: dict[int, int] = {}  # where each q line starts → where its Q line starts
    opened: list[int] = []
    for mark in _NESTING.finditer(data):
        if mark[0] == b"q":
            opened.append(mark.start())
        elif opened:
            closing[opened.pop()] = mark.start()
    found = []
    for block in _BLOCK.finditer(data):
        inner = data.rindex(b"\nq\n", block.start(), block.end()) + 1
        end = closing.get(inner)
        if end is not None:
            found.append((block.end(), end, data[block.end() : end]))
    return found


def _names(resources: Any) -> dict[str, dict[str, tuple[int, int]]]:
    """Each resource name with the object it stands for."""
    return {
        str(kind): {str(name): value.objgen for name, value in resources[kind].items()}
        for kind in resources
        if kind != "/ProcSet"
    }
