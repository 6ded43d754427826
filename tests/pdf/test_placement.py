"""Moving a page cut from a Chromium document to where the first page is drawn."""

from __future__ import annotations

import io
import re

import pikepdf
import pytest

from alseco_bill import Renderer, sample_bills
from alseco_bill.engines.chromium import ChromiumEngine
from alseco_bill.pdf.placement import (
    DocumentMatrix,
    Irregular,
    document_matrix,
    first_page,
    skia_decimal,
)

FIRST = DocumentMatrix(3.125, 106.25, 81.25)
# Page 3 of a document of 1074 px pages: F = 81.25 - 3.125 * 3222.
PAGE_3 = b"""\
.23999999 0 0 -.23999999 0 841.91998 cm
q
106.25 81.25 2267.7246 3354.3457 re
W* n
q
3.125 0 0 3.125 106.25 -9987.5 cm
0 3222 38 1.5 re
f
10 3230.25 m
12.5 3240 l
1 3241 2 3242 3 3243 c
h
f
BT
/F1 8 Tf
1 0 0 -1 37.78125 3231 Tm
<01BB> Tj
4.4719391 0 Td <01B7> Tj
ET
Q
q
5.7605276 0 0 5.7605276 2137.5 250 cm
0 0 m
1 1 l
S
Q
q
3.125 0 0 3.125 106.25 -9987.5 cm
q
2 0 0 2 5 3300 cm
0 0 1 1 re
f
Q
Q
Q
"""
PAGE_0 = b"""\
.23999999 0 0 -.23999999 0 841.91998 cm
q
106.25 81.25 2267.7246 3354.3457 re
W* n
q
3.125 0 0 3.125 106.25 81.25 cm
0 0 38 1.5 re
f
10 8.25 m
12.5 18 l
1 19 2 20 3 21 c
h
f
BT
/F1 8 Tf
1 0 0 -1 37.78125 9 Tm
<01BB> Tj
4.4719391 0 Td <01B7> Tj
ET
Q
q
5.7605276 0 0 5.7605276 2137.5 250 cm
0 0 m
1 1 l
S
Q
q
3.125 0 0 3.125 106.25 81.25 cm
q
2 0 0 2 5 78 cm
0 0 1 1 re
f
Q
Q
Q
"""


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (0.0, b"0"),
        (-56975.0, b"-56975"),
        (0.24, b".23999999"),
        (841.92, b"841.91998"),
        (180.171875, b"180.17188"),
        (37.78125, b"37.78125"),
        (4.986207, b"4.986207"),
        (0.001, b".00100000005"),  # nine digits: float32(0.001) is 0.00100000004749...,
        (-0.5, b"-.5"),
        (1e9, b"1000000000"),
    ],
)
def test_numbers_are_written_as_chromium_writes_them(value: float, written: bytes) -> None:
    assert skia_decimal(value) == written


def test_a_page_is_drawn_where_the_first_page_is() -> None:
    assert document_matrix(PAGE_3) == DocumentMatrix(3.125, 106.25, -9987.5)
    assert first_page(PAGE_3, FIRST) == PAGE_0
    assert first_page(PAGE_0, FIRST) == PAGE_0  # the first page stays as it is


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ((b"h\nf\n", b"h\nf\n0 0 m /Sh1 sh\n"), "shading"),
        ((b"1 0 0 -1 37.78125 3231 Tm\n", b""), "without Tm"),
        ((b"12.5 3240 l", b"12.5 3240.0000001 l"), "exact|Skia"),
        ((b"12.5 3240 l", b"12.5 3240.0 l"), "Skia"),
        ((b"-9987.5 cm\n0 3222", b"-9987.6 cm\n0 3222"), "layout position"),
    ],
)
def test_what_cannot_be_moved_exactly_is_refused(change: tuple[bytes, bytes], reason: str) -> None:
    content = PAGE_3.replace(*change, 1)
    assert content != PAGE_3
    with pytest.raises(Irregular, match=reason):
        first_page(content, FIRST)


@pytest.mark.chromium
def test_chromium_writes_every_number_as_skia_decimal_does(engine: ChromiumEngine) -> None:
    """The formatter reproduces every coordinate of a real Chromium page, so what it
    writes in their place is what Chromium would have written. (Colours are written
    otherwise, with four decimals, and are never moved.)"""
    renderer = Renderer()
    bill = next(sample_bills(1, seed=8))
    pdf = engine.write_each([(renderer.html(bill), "bill")])[0]  # alone: nothing moved
    assert isinstance(pdf, bytes)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        page = document.pages[0].obj
        content = b"\n".join(s.read_bytes() for s in page.Contents.wrap_in_array())
    lines = re.findall(rb"(?m)^([-. \d]+) (?:cm|Tm|re|m|l|c|v|y)$", content)
    numbers = [token for line in lines for token in line.split()]
    assert len(numbers) > 1000
    for token in set(numbers):
        assert skia_decimal(float(token)) == token
