"""Where WeasyPrint laid the bill's text: text that runs past its column or the page.

A word with no break opportunity is laid out on one line whatever its width; it then
runs over the next column or off the sheet, and the printed bill silently lacks part
of it. Vertical overflow shows as a second page; this finds the horizontal kind by
walking the laid-out box tree: every piece of text must lie inside the content box
of the block (a cell, a paragraph) that holds it, and inside the page's content area.
The same rule suits any engine that can tell where its text boxes are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from weasyprint.formatting_structure import boxes
from weasyprint.layout.absolute import AbsolutePlaceholder

# CSS pixels (1/96 in): rounding, not a line of text. Glyph advances are fractional;
# a clipped glyph is several px. The sheet's check (``sheet``) uses it too.
TOLERANCE = 0.5
PX_PER_MM = 96 / 25.4


@dataclass(frozen=True)
class Overflow:
    """A piece of text that lies beyond ``edge`` (its column, or the page) by ``by_mm``."""

    text: str
    page: int
    edge: str
    by_mm: float


def text_overflows(document: Any) -> Iterator[Overflow]:
    """Every text box of a laid-out WeasyPrint document that sticks out sideways."""
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        left = page_box.content_box_x()
        area = (left, left + page_box.width)
        yield from _walk(page_box, area, area, number)


def laid_out(box: Any) -> Any:
    """The box itself, or for a positioned box (the sheet's foot) the box laid out
    where its placeholder stands."""
    return box._box if isinstance(box, AbsolutePlaceholder) else box


def _walk(
    box: Any, column: tuple[float, float], area: tuple[float, float], page: int
) -> Iterator[Overflow]:
    box = laid_out(box)
    if isinstance(box, boxes.BlockContainerBox) and box.width is not None:
        left = box.content_box_x()
        column = (left, left + box.width)
    if isinstance(box, boxes.TextBox):
        start, end = box.position_x, box.position_x + box.margin_width()
        for edge, (low, high) in (("its column", column), ("the page", area)):
            beyond = max(low - start, end - high)
            if beyond > TOLERANCE and box.text.strip():
                yield Overflow(box.text, page, edge, beyond / PX_PER_MM)
                return
    elif isinstance(box, boxes.ParentBox):
        for child in box.children:
            yield from _walk(child, column, area, page)
