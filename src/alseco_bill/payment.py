"""What a bank scans on a bill: the payment QR code and the stub's Code 128 barcode.

The QR code carries a versioned key=value payload, built here and only here from a
validated ``Bill`` (README, "Payment QR code", documents it for banks):

    ALSECO1|acc=9786142006|per=2025-02|sum=24406.43|due=2025-03-25

``ALSECO1`` names the format and its version; ``acc`` is the 10-digit personal
account, ``per`` the billing month, ``sum`` the bill's total to pay in tenge with two
decimals and a point (negative: an advance, nothing to pay), ``due`` the payment
deadline. A reader must ignore keys it does not know, so fields can be added without
a new version; a changed meaning takes ``ALSECO2``.

The region stub's linear barcode (Code 128) is the 16 digits of account and period,
``9786142006202502``, for cashiers' scanners. Both are drawn as SVG, inline in the
bill's HTML, so they stay vector in the PDF.
"""

from __future__ import annotations

import io
import re

import segno
from barcode import Code128
from barcode.writer import SVGWriter
from markupsafe import Markup

from .model import Bill

PAYLOAD_VERSION = "ALSECO1"
# Printed size of the QR code, quiet zone included: modules stay ≥ 0.4 mm, which
# phone cameras read at arm's length, for payloads up to QR version 5 (37 modules).
QR_SIZE_MM = 20
QR_BORDER = 4  # modules of quiet zone, as the QR standard asks
# Code 128 bars: the narrowest 0.25 mm, within what handheld scanners read (≥ 0.19 mm),
# with the standard quiet zone of 10 narrow bars on each side.
BAR_MODULE_MM = 0.25
BAR_HEIGHT_MM = 8.0


def payload(bill: Bill) -> str:
    """The QR code's text for ``bill``."""
    fields = {
        "acc": bill.account,
        "per": f"{bill.period.year:04d}-{bill.period.month:02d}",
        "sum": f"{bill.totals.to_pay:.2f}",
        "due": bill.payment_due.isoformat(),
    }
    return "|".join([PAYLOAD_VERSION, *(f"{key}={value}" for key, value in fields.items())])


def parse_payload(text: str) -> dict[str, str]:
    """The fields of a scanned payload; raises ``ValueError`` if it is not one of ours."""
    version, *pairs = text.split("|")
    if version != PAYLOAD_VERSION:
        raise ValueError(f"not an {PAYLOAD_VERSION} payload: {text[:40]!r}")
    fields = dict(pair.partition("=")[::2] for pair in pairs)
    missing = {"acc", "per", "sum"} - fields.keys()
    if missing:
        raise ValueError(f"payload lacks {', '.join(sorted(missing))}")
    return fields


def barcode_digits(bill: Bill) -> str:
    """The stub barcode's content: account, then period as YYYYMM."""
    return f"{bill.account}{bill.period.year:04d}{bill.period.month:02d}"


def payment_qr(bill: Bill, title: str = "") -> Markup:
    """The payment QR code as inline SVG, for templates: ``{{ payment_qr(bill, t(...)) }}``;
    ``title`` is its text alternative (a tagged PDF's /Alt)."""
    # Error correction M (15 % of the symbol may be lost) is the floor; segno raises
    # it when the payload fits the same version anyway.
    code = segno.make_qr(payload(bill), error="M")
    svg = code.svg_inline(border=QR_BORDER, omitsize=True, svgclass="qr", lineclass=None)
    # The size is the template's (CSS), the drawing scales: mm given here only as a
    # default for a template that sets none.
    svg = svg.replace("<svg ", f'<svg width="{QR_SIZE_MM}mm" height="{QR_SIZE_MM}mm" ', 1)
    return _titled(svg, title)


def _titled(svg: str, title: str) -> Markup:
    if not title:
        return Markup(svg)
    start = svg.index(">") + 1
    return Markup(svg[:start]) + Markup("<title>%s</title>") % title + Markup(svg[start:])


def stub_barcode(bill: Bill, title: str = "") -> Markup:
    """The stub's Code 128 barcode as inline SVG (bars only: account and period are
    printed beside it in the bill's font)."""
    buffer = io.BytesIO()
    # Drawn in units of one narrow bar, then given a viewBox, so that the CSS size of
    # the element scales the bars instead of cropping them.
    Code128(barcode_digits(bill), writer=SVGWriter()).write(
        buffer,
        options={
            "module_width": 1,
            "module_height": BAR_HEIGHT_MM / BAR_MODULE_MM,
            "quiet_zone": 10,
            "margin_top": 0,
            "margin_bottom": 0,
            "write_text": False,
            "compress": False,
        },
    )
    svg = buffer.getvalue().decode()
    # Inline SVG takes the element only, without the XML declaration and doctype.
    svg = re.sub(r"<!--.*?-->", "", svg[svg.index("<svg") :])
    svg = re.sub(r'="(-?[0-9.]+)mm"', r'="\1"', svg)
    # Presentation attributes, not style: WeasyPrint reads an inline SVG's style
    # attributes as HTML CSS, where fill is unknown (and warned about for every bill).
    svg = re.sub(r'style="fill:(\w+);?"', r'fill="\1"', svg)
    # An id would become a named destination in the PDF, the same in every bill.
    svg = svg.replace(' id="barcode_group"', "")
    size = re.search(r'<svg [^>]*width="([0-9.]+)" height="([0-9.]+)"', svg)
    assert size is not None, "python-barcode wrote no SVG size"
    width, height = float(size[1]), float(size[2])
    svg = svg.replace(
        size[0],
        f'<svg class="barcode" viewBox="0 0 {width:g} {height:g}" '
        f'width="{width * BAR_MODULE_MM:g}mm" height="{BAR_HEIGHT_MM:g}mm"',
        1,
    )
    return _titled(svg, title)
