"""Payment codes read as a scanner reads them: the page rasterised at 300 dpi by PDFium
and decoded by zxing-cpp, for every example and gallery case; too small or damaged
codes fail."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import cast

import pypdfium2 as pdfium
import pytest
import zxingcpp
from barcode import Code128
from conftest import ROOT, run_tool
from PIL import Image, ImageDraw

from alseco_bill import Bill, Renderer, Theme
from alseco_bill.filling.payment import barcode_digits, parse_payload, payload
from alseco_bill.theme import packaged_dir

DPI = 300
MM = DPI / 25.4  # pixels per millimetre
# The smallest modules we accept, whatever a decoder manages at 300 dpi: phone cameras
# need ~0.4 mm QR modules, handheld laser scanners ~0.19 mm bars.
MIN_QR_MODULE_MM = 0.4
MIN_BAR_MODULE_MM = 0.19
CASES = sorted([*ROOT.glob("examples/*.json"), *ROOT.glob("gallery/*.json")])


@dataclass
class Found:
    text: str
    box: tuple[int, int, int, int]  # left, top, right, bottom in pixels
    module_mm: float


def page_image(pdf: bytes) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    image: Image.Image = document[0].render(scale=DPI / 72).to_pil()
    document.close()
    return image


def scan(image: Image.Image) -> dict[str, list[Found]]:
    """What zxing-cpp reads on the page, by format ("QR", "Code128"), with each code's
    box and the size of its modules (QR: the symbol's width over its modules; Code 128:
    the bars' length over the modules its text takes)."""
    found: dict[str, list[Found]] = {"QR": [], "Code128": []}
    for code in zxingcpp.read_barcodes(image):
        p = code.position
        xs = [p.top_left.x, p.top_right.x, p.bottom_left.x, p.bottom_right.x]
        ys = [p.top_left.y, p.top_right.y, p.bottom_left.y, p.bottom_right.y]
        box = (min(xs), min(ys), max(xs), max(ys))
        if code.format == zxingcpp.BarcodeFormat.QRCode:
            extra = cast(dict[str, str], code.extra)
            modules = 17 + 4 * int(extra["Version"])
            found["QR"].append(Found(code.text, box, (box[2] - box[0]) / MM / modules))
        elif code.format == zxingcpp.BarcodeFormat.Code128:
            modules = len(Code128(code.text).build()[0])
            found["Code128"].append(Found(code.text, box, (box[2] - box[0]) / MM / modules))
    return found


def check_codes(image: Image.Image, bill: Bill) -> dict[str, list[Found]]:
    """Assert that the page carries the bill's codes, readable and not too small."""
    found = scan(image)
    assert len(found["QR"]) == 1, f"expected one QR code, read {found['QR']}"
    qr = found["QR"][0]
    fields = parse_payload(qr.text)
    assert fields["acc"] == bill.account
    assert fields["per"] == f"{bill.period:%Y-%m}"
    assert Decimal(fields["sum"]) == bill.totals.to_pay
    assert fields["sum"] == f"{bill.totals.to_pay:.2f}"  # to the tiyn, always two decimals
    assert fields["due"] == bill.payment_due.isoformat()
    assert qr.module_mm >= MIN_QR_MODULE_MM, f"QR modules of {qr.module_mm:.2f} mm"
    if bill.variant == "region":
        assert [b.text for b in found["Code128"]] == [f"{bill.account}{bill.period:%Y%m}"]
        bar = found["Code128"][0]
        assert bar.module_mm >= MIN_BAR_MODULE_MM, f"bars of {bar.module_mm:.2f} mm"
    else:
        assert not found["Code128"], "a city bill has no stub, so no barcode"
    return found


@pytest.fixture(scope="module")
def pages() -> dict[str, tuple[Bill, Image.Image, bytes]]:
    renderer = Renderer()
    result = {}
    for path in CASES:
        bill = renderer.load(path)
        pdf = renderer.pdf(bill)
        result[f"{path.parent.name}/{path.stem}"] = (bill, page_image(pdf), pdf)
    return result


@pytest.mark.parametrize("case", [f"{p.parent.name}/{p.stem}" for p in CASES])
def test_codes_decode_to_the_bills_fields(
    pages: dict[str, tuple[Bill, Image.Image, bytes]], case: str
) -> None:
    bill, image, _ = pages[case]
    found = check_codes(image, bill)
    # Beside the total: in the heading, at the right edge (below the suppliers, whose
    # contacts take up to a sixth of the sheet).
    left, _, _, bottom = found["QR"][0].box
    assert left > image.width * 0.75
    assert bottom < image.height / 3, "the QR code is not in the heading"


def test_codes_are_vector_not_raster(tmp_path: Path) -> None:
    renderer = Renderer()
    for name in ("city-ru", "region-kk"):
        pdf = tmp_path / f"{name}.pdf"
        pdf.write_bytes(renderer.pdf(renderer.load(ROOT / "examples" / f"{name}.json")))
        rows = run_tool("pdfimages", "-list", pdf).splitlines()[2:]
        assert rows == [], f"raster images in {name}: {rows}"


def test_payload_is_documented_text(pages: dict[str, tuple[Bill, Image.Image, bytes]]) -> None:
    bill = pages["examples/city-kk"][0]
    assert payload(bill) == (
        f"ALSECO1|acc={bill.account}|per=2025-02|sum={bill.totals.to_pay:.2f}|due=2025-03-25"
    )
    assert barcode_digits(bill) == f"{bill.account}202502"
    reference = (ROOT / "docs/codes.md").read_text("utf-8")
    assert "ALSECO1|acc=" in reference, "the payload format is not documented in docs/codes.md"


def test_payload_with_whole_and_negative_totals(
    pages: dict[str, tuple[Bill, Image.Image, bytes]],
) -> None:
    bill = pages["examples/city-ru"][0]
    for total, text in ((Decimal("100"), "100.00"), (Decimal("-12.5"), "-12.50")):
        totals = bill.totals.model_copy(update={"to_pay": total})
        changed = bill.model_copy(update={"totals": totals})
        assert parse_payload(payload(changed))["sum"] == text


@pytest.mark.parametrize(
    "text", ["ALSECO2|acc=1|per=2025-02|sum=1.00", "https://example.com", "ALSECO1|acc=1"]
)
def test_foreign_payloads_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"ALSECO1|lacks"):
        parse_payload(text)


def _blank(image: Image.Image, box: tuple[float, float, float, float]) -> Image.Image:
    damaged = image.copy()
    ImageDraw.Draw(damaged).rectangle(box, fill="white")
    return damaged


def test_a_damaged_qr_code_fails(pages: dict[str, tuple[Bill, Image.Image, bytes]]) -> None:
    bill, image, _ = pages["examples/city-kk"]
    left, top, right, bottom = scan(image)["QR"][0].box
    # A stain over the middle third: more than error correction level M restores.
    width, height = right - left, bottom - top
    stained = _blank(
        image,
        (left + width / 4, top + height / 3, right - width / 4, bottom - height / 3),
    )
    with pytest.raises(AssertionError, match="expected one QR code"):
        check_codes(stained, bill)


def test_a_damaged_barcode_fails(pages: dict[str, tuple[Bill, Image.Image, bytes]]) -> None:
    bill, image, _ = pages["examples/region-ru"]
    left, top, right, bottom = scan(image)["Code128"][0].box
    middle = (left + right) / 2
    # A 1.5 mm fold across the bars.
    scratched = _blank(image, (middle - 0.75 * MM, top - 5, middle + 0.75 * MM, bottom + 5))
    with pytest.raises(AssertionError):
        check_codes(scratched, bill)
    assert not scan(scratched)["Code128"]


def test_tiny_codes_fail(tmp_path: Path) -> None:
    """A designer who shrinks the codes (here to 8 mm and 12 mm) is stopped by the check,
    whether the decoder still reads them at 300 dpi or not."""
    folder = tmp_path / "templates"
    folder.mkdir()
    css = (packaged_dir("templates") / "bill.css").read_text("utf-8")
    css += "\n.payment-qr svg { width: 8mm; height: 8mm; }\n"
    css += ".stub-barcode svg { width: 12mm; height: 4mm; }\n"
    (folder / "bill.css").write_text(css, "utf-8")
    renderer = Renderer(Theme.create(folder))
    bill = renderer.load(ROOT / "examples/region-kk.json")
    image = page_image(renderer.pdf(bill))
    found = scan(image)
    assert all(q.module_mm < MIN_QR_MODULE_MM for q in found["QR"])
    assert all(b.module_mm < MIN_BAR_MODULE_MM for b in found["Code128"])
    with pytest.raises(AssertionError):
        check_codes(image, bill)


@pytest.mark.chromium
def test_codes_decode_from_the_chromium_engine_too() -> None:
    """The same inline SVG printed by Chromium scans the same."""
    with Renderer(engine="chromium") as renderer:
        for name in ("city-ru", "region-kk"):
            bill = renderer.load(ROOT / "examples" / f"{name}.json")
            check_codes(page_image(renderer.pdf(bill)), bill)
