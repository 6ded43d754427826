"""Whether a bill laid out by WeasyPrint fits its sheet: the top ends above the foot.

The sheet has the height of the page's printable area and its foot is placed at the
bottom (``bill.css``), so a bill with more lines than the sheet holds does not make a
second page: its top runs into its foot, or below the page, where nothing is printed.
This measures by how much; the Chromium engine measures the same in ``measure.js``.
A design without a ``sheet-foot`` is judged by its page count alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from weasyprint.formatting_structure import boxes

from .boxes import TOLERANCE, laid_out


def overrun(document: Any, root: Any) -> float:
    """CSS pixels by which anything of the first page ends below its printable area or
    runs into the sheet's foot (0 when it fits).

    ``root`` is the parsed HTML. Everything of the sheet but the foot counts, not just
    the top part: a designer's extra block must not slip behind the foot either. A
    foot taller than the page is not laid out at all (WeasyPrint moves a positioned
    box that does not fit to a next page, and there is none): a foot the HTML has and
    the page lacks is an overrun without measure.
    """
    page = document.pages[0]._page_box if document.pages else None
    if page is not None:
        # Nothing may end below the page's printable area: a block of fixed height
        # does not make a second page, what sticks out of it is simply not printed.
        bottom: float = page.content_box_y() + page.height
        lowest: float = max(
            (b.position_y + b.margin_height() for b in _boxes(page) if b is not page), default=0.0
        )
        if lowest - bottom > TOLERANCE:
            return lowest - bottom
    if not any(_named(element, "sheet-foot") for element in root.iter()):
        return 0.0
    sheet = next((b for b in _boxes(page) if _named(b.element, "sheet")), None) if page else None
    foot = next((b for b in _boxes(sheet) if _named(b.element, "sheet-foot")), None)
    if foot is None:
        return math.inf
    assert sheet is not None
    bottoms = [b.position_y + b.margin_height() for b in _boxes(sheet, skip=foot) if b is not sheet]
    beyond = max(bottoms, default=0.0) - foot.position_y
    return beyond if beyond > TOLERANCE else 0.0


def _named(element: Any, name: str) -> bool:
    return element is not None and name in str(element.get("class", "")).split()


def _boxes(box: Any, skip: Any = None) -> Iterator[Any]:
    """``box`` and every box inside it, but ``skip`` and what is inside that."""
    if box is None:
        return
    box = laid_out(box)
    if box is skip:
        return
    yield box
    if isinstance(box, boxes.ParentBox):
        for child in box.children:
            yield from _boxes(child, skip)
