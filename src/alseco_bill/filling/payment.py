"""What a bank scans on a bill: the payment QR code and the stub's Code 128 barcode.

The QR code carries a versioned key=value payload, built here and only here from a
validated ``Bill`` (README, "Payment QR code", documents it for banks):

    ALSECO1|acc=9786142006|per=2025-02|sum=24406.43|due=2025-03-25

``ALSECO1`` names the format and its version; ``acc`` is the 10-digit personal
account, ``per`` the billing month, ``sum`` the bill's total to pay in tenge with two
decimals and a point (negative: an advance, nothing to pay), ``due`` the payment
deadline. A reader must ignore keys it does not know, so fields can be added without
a new version; a changed meaning takes ``ALSECO2``.

The region stub's linear barcode (Code 128, encoded by python-barcode) is the 16
digits of account and period, ``9786142006202502``, for cashiers' scanners. Both are
drawn as SVG, inline in the bill's HTML, so they stay vector in the PDF.
"""

from __future__ import annotations

import re

from barcode import Code128
from markupsafe import Markup

from ..bill.model import Bill
from .qr import make_qr

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
    code = make_qr(payload(bill), "M")
    svg = code.svg_inline(border=QR_BORDER, omitsize=True, svgclass="qr", lineclass=None)
    # The size is the template's (CSS), the drawing scales: mm given here only as a
    # default for a template that sets none.
    svg = svg.replace("<svg ", f'<svg width="{QR_SIZE_MM}mm" height="{QR_SIZE_MM}mm" ', 1)
    return _titled(svg, title)


def _titled(svg: str, title: str) -> Markup:
    if not title:
        return Markup(svg)
    start = svg.index(">")
    # The title names the drawing for WeasyPrint's tags; Chromium's come from the
    # accessibility tree, where an SVG is an image with a name only by its role.
    named = Markup(' role="img" aria-label="%s">') % title
    return (
        Markup(svg[:start]) + named + Markup("<title>%s</title>") % title + Markup(svg[start + 1 :])
    )


def stub_barcode(bill: Bill, title: str = "") -> Markup:
    """The stub's Code 128 barcode as inline SVG (bars only: account and period are
    printed beside it in the bill's font)."""
    # python-barcode encodes (start code, code set C for the digit pairs, check
    # symbol, stop), one character per module; the bars are drawn here as one path in
    # units of a module, because its SVG writer draws a rect per bar with CSS
    # styles WeasyPrint warns about, and an id that would become a PDF destination.
    modules = Code128(barcode_digits(bill)).build()[0]
    quiet = 10
    bars = [(run.start() + quiet, len(run.group())) for run in re.finditer("1+", modules)]
    width = len(modules) + 2 * quiet
    height = BAR_HEIGHT_MM / BAR_MODULE_MM
    path = "".join(f"M{x} 0h{w}v{height:g}h-{w}z" for x, w in bars)
    svg = (
        f'<svg class="barcode" viewBox="0 0 {width} {height:g}" '
        f'width="{width * BAR_MODULE_MM:g}mm" height="{BAR_HEIGHT_MM:g}mm">'
        f'<rect width="{width}" height="{height:g}" fill="white"/>'
        f'<path d="{path}" fill="black"/></svg>'
    )
    return _titled(svg, title)
