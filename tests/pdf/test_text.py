"""Chromium's glyph-by-glyph text joined into strings, every glyph where it was."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from conftest import run_tool
from PIL import ImageChops

from alseco_bill import Renderer, sample_bills
from alseco_bill.engines.chromium import ChromiumEngine
from alseco_bill.pdf.text import Widths, joined_text, widths_in

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


def test_a_string_that_follows_on_entirely_is_one_tj() -> None:
    content = OBJECT.replace(b"4.5 0 Td", b"4 0 Td")
    assert b"\n<0001000200010003> Tj\n" in joined_text(content, widths)


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
        images = [
            pdfium.PdfDocument(pdf)[0].render(scale=300 / 72).to_pil().convert("L")
            for pdf in (joined, apart)
        ]
        histogram = ImageChops.difference(*images).histogram()
        # Float rounding moves an edge pixel by a grey level or two, nothing more.
        assert sum(histogram[3:]) == 0
