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
from alseco_bill.pdf import subset
from alseco_bill.pdf.pages import DocumentInfo, split_pages
from alseco_bill.pdf.text import Widths, joined_text

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
    jobs = [(renderer.html(b), f"bill {b.account}") for b in sample_bills(4, seed=9)]
    merged, _ = engine.write_merged(jobs)  # the part as the browser printed it
    assert merged is not None
    part = engine.session.print("part")
    infos = [DocumentInfo()] * 4
    joined = split_pages(part, infos)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(subset, "joined_text", lambda content, widths_of: content)
        apart = split_pages(part, infos)
    with pikepdf.open(io.BytesIO(joined[2])) as document:
        content = document.pages[0].Contents.read_bytes()
    assert b" TJ\n" in content
    for i in range(4):
        assert len(joined[i]) < len(apart[i])
        texts = []
        for name, pdf in (("joined", joined[i]), ("apart", apart[i])):
            path = tmp_path / f"{name}-{i}.pdf"
            path.write_bytes(pdf)
            texts.append(run_tool("pdftotext", "-layout", path, "-"))
        assert texts[0] == texts[1]
        images = [
            pdfium.PdfDocument(pdf)[0].render(scale=300 / 72).to_pil().convert("L")
            for pdf in (joined[i], apart[i])
        ]
        histogram = ImageChops.difference(*images).histogram()
        # Float rounding moves an edge pixel by a grey level or two, nothing more.
        assert sum(histogram[3:]) == 0
