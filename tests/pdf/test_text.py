"""Chromium's glyph-by-glyph text joined into strings, every glyph where it was."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from conftest import run_tool

from alseco_bill import Renderer, sample_bills
from alseco_bill.engines.chromium import ChromiumEngine
from alseco_bill.pdf.text import Memo, Widths, joined_text, widths_in

# Glyph 1 is 500 wide, glyph 2 is 250, everything else 1000 (/DW); size 8.
WIDTHS: Widths = {1: 500.0, 2: 250.0, -1: 1000.0}
OBJECT = b"""\
BT
/F1 8 Tf
1 0 0 -1 10 20 Tm
<0001> Tj
4 0 Td <0002> Tj
2 0 Td <0001> Tj
4.5 0 Td <0003> Tj
ET
"""


def widths(name: str) -> Widths | None:
    return WIDTHS if name == "/F1" else None


def test_glyphs_that_follow_on_join_and_the_others_keep_their_place() -> None:
    # 1 then 2 then 1 follow on (4 = 500 * 8 / 1000, 2 = 250 * 8 / 1000); glyph 3
    # starts 0.5 further than glyph 1's width: -62.5 thousandths of 8.
    assert joined_text(OBJECT, widths) == (
        b"BT\n/F1 8 Tf\n1 0 0 -1 10 20 Tm\n[<000100020001> -62.5 <0003>] TJ\nET\n"
    )


def test_a_memo_gives_each_repeated_object_the_same_array_at_its_own_place() -> None:
    elsewhere = OBJECT.replace(b"10 20 Tm", b"10 300 Tm")
    other_font = OBJECT.replace(b"/F1", b"/F2")
    memo: Memo = {}
    for content in (OBJECT, elsewhere, other_font, OBJECT):
        assert joined_text(content, widths, memo) == joined_text(content, widths)
    # One array for the first two (only their Tm differs); /F2 is not read.
    assert len(memo) == 1
    assert b"10 300 Tm" in joined_text(elsewhere, widths, memo)


def test_a_string_that_follows_on_entirely_is_one_tj() -> None:
    content = OBJECT.replace(b"4.5 0 Td", b"4 0 Td")
    assert b"\n<0001000200010003> Tj\n" in joined_text(content, widths)


def test_a_difference_below_the_tolerance_waits_until_it_adds_up() -> None:
    # Each glyph 0.002 further than glyph 1's width, a quarter of a thousandth of 8:
    # the second is 0.5 off where the viewer would put it, which is written.
    content = b"BT\n/F1 8 Tf\n1 0 0 -1 10 20 Tm\n<0001> Tj\n" + (
        b"4.002 0 Td <0001> Tj\n4.002 0 Td <0001> Tj\n4 0 Td <0003> Tj\nET\n"
    )
    assert b"\n[<00010001> -.5 <00010003>] TJ\n" in joined_text(content, widths)


@pytest.mark.parametrize(
    "content",
    [
        OBJECT.replace(b"/F1", b"/F2"),  # a font whose widths are unknown
        b"0.5 Tc\n" + OBJECT,  # character spacing changes every advance
        OBJECT.replace(b"<0002>", b"<002>"),  # not two bytes a glyph
        OBJECT.replace(b"ET", b"/P <</MCID 0>> BDC\nET"),  # more than glyphs and moves
    ],
)
def test_text_of_any_other_shape_is_left_as_it_is(content: bytes) -> None:
    assert joined_text(content, widths) == content


@pytest.mark.chromium
def test_a_bill_reads_and_looks_the_same_joined(engine: ChromiumEngine, tmp_path: Path) -> None:
    renderer = Renderer()
    for i, bill in enumerate(sample_bills(4, seed=9)):
        apart = engine.write_each([(renderer.html(bill), "bill")])[0]
        assert isinstance(apart, bytes)
        with pikepdf.open(io.BytesIO(apart)) as document:
            page = document.pages[0]
            content = page.Contents.read_bytes()
            page.Contents = document.make_stream(joined_text(content, widths_in(page.Resources)))
            buffer = io.BytesIO()
            document.save(buffer)
        joined = buffer.getvalue()
        with pikepdf.open(io.BytesIO(joined)) as document:
            assert b" TJ\n" in document.pages[0].Contents.read_bytes()
        assert len(joined) < len(apart)
        texts = []
        for name, pdf in (("joined", joined), ("apart", apart)):
            path = tmp_path / f"{name}-{i}.pdf"
            path.write_bytes(pdf)
            texts.append(run_tool("pdftotext", "-layout", path, "-"))
        assert texts[0] == texts[1]
        # Every glyph where it was, within the tolerance (0.004 pt at 8 pt; the
        # largest text is 16 pt), as the viewer places it.
        boxes = [glyph_boxes(pdf) for pdf in (joined, apart)]
        assert len(boxes[0]) == len(boxes[1]) > 500
        worst = max(
            abs(a - b)
            for (char, one), (other_char, other) in zip(*boxes, strict=True)
            if not (char.isspace() or other_char.isspace())
            for a, b in zip(one, other, strict=True)
        )
        assert worst < 0.01, worst


def glyph_boxes(pdf: bytes) -> list[tuple[str, tuple[float, ...]]]:
    """Every character of the first page with its box in points, as PDFium places
    it. A space's box is PDFium's guess from the gap (it may be one PDFium made up,
    or a no-break space's glyph), so the comparison leaves spaces out."""
    document = pdfium.PdfDocument(pdf)
    try:
        text = document[0].get_textpage()
        return [(text.get_text_range(i, 1), text.get_charbox(i)) for i in range(text.count_chars())]
    finally:
        document.close()
