"""The Chromium engine prints a part of a run as one document; each bill keeps its rules."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from conftest import ROOT, run_tool
from PIL import ImageChops

from alseco_bill import (
    FetchRefusedError,
    LayoutOverflowError,
    Renderer,
    Theme,
    render_batch,
    render_pdf,
    sample_bills,
)
from alseco_bill.engines.chromium import ChromiumEngine
from alseco_bill.engines.part import split_bill
from alseco_bill.errors import BillError, TextOverflowError

pytestmark = pytest.mark.chromium

GALLERY = sorted((ROOT / "gallery").glob("*.json"))
TOO_TALL = '<div style="height: 250mm"></div>'  # more than any bill leaves free


@pytest.fixture(scope="module")
def bills() -> list[tuple[str, str, str]]:
    """Eight sample bills: (account, html, ref)."""
    renderer = Renderer()
    return [
        (bill.account, renderer.html(bill), f"bill {bill.account}")
        for bill in sample_bills(8, seed=5)
    ]


def overflowing(html: str) -> str:
    """The bill with a block inside its sheet that no A4 page holds."""
    return html.replace('<div class="sheet-foot">', TOO_TALL + '<div class="sheet-foot">', 1)


def page_texts(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


@pytest.mark.parametrize("bad", [0, 3, 7], ids=["first", "middle", "last"])
def test_an_overflowing_bill_is_taken_out_of_its_part(
    engine: ChromiumEngine, bills: list[tuple[str, str, str]], bad: int
) -> None:
    part = [
        (overflowing(html) if i == bad else html, ref) for i, (_, html, ref) in enumerate(bills)
    ]
    pdf, errors = engine.write_merged(part)
    assert isinstance(errors[bad], LayoutOverflowError)
    assert str(errors[bad]).startswith(f"{bills[bad][2]}: the bill lays out on 2 pages")
    assert [e for i, e in enumerate(errors) if i != bad] == [None] * 7
    assert pdf is not None
    texts = page_texts(pdf)
    expected = [account for i, (account, _, _) in enumerate(bills) if i != bad]
    assert len(texts) == len(expected)
    for text, account in zip(texts, expected, strict=True):
        assert account in text
        assert all(other not in text for other, _, _ in bills if other != account)


def test_per_bill_files_are_cut_from_one_document(
    engine: ChromiumEngine, bills: list[tuple[str, str, str]], tmp_path: Path
) -> None:
    part = [(overflowing(html) if i == 2 else html, ref) for i, (_, html, ref) in enumerate(bills)]
    outcomes = engine.write_each(part)
    assert isinstance(outcomes[2], LayoutOverflowError)
    for i, ((account, _, _), outcome) in enumerate(zip(bills, outcomes, strict=True)):
        if i == 2:
            continue
        assert isinstance(outcome, bytes)
        path = tmp_path / f"{account}.pdf"
        path.write_bytes(outcome)
        info = run_tool("pdfinfo", path)
        assert "Pages:           1" in info
        assert f"· {account} ·" in info.split("\n")[0], "each file has its own title"
        assert "CreationDate:" in info
        assert account in run_tool("pdftotext", path, "-")
        run_tool("qpdf", "--check", path)


def test_the_same_bills_give_the_same_bytes(bills: list[tuple[str, str, str]]) -> None:
    part = [(html, ref) for _, html, ref in bills]
    first, second = ChromiumEngine(Theme.create()), ChromiumEngine(Theme.create())
    try:
        merged = first.write_merged(part)[0]
        each = first.write_each(part)
        assert merged is not None
        # Another engine and page, printed at another time: the same files.
        assert second.write_merged(part)[0] == merged
        assert second.write_each(part) == each
    finally:
        first.close()
        second.close()


def test_text_running_past_its_column_is_refused(
    engine: ChromiumEngine, bills: list[tuple[str, str, str]]
) -> None:
    squeezed = '<p style="width: 20mm; white-space: nowrap">Ақтөбе-Қызылорда-Өскемен-Шымкент</p>'
    _, html, ref = bills[1]
    part = [(html.replace('<div class="sheet-foot">', squeezed + '<div class="sheet-foot">'), ref)]
    part.append((bills[0][1], bills[0][2]))
    pdf, errors = engine.write_merged(part)
    assert isinstance(errors[0], TextOverflowError)
    assert "Ақтөбе-Қызылорда" in str(errors[0])
    assert errors[1] is None
    assert pdf is not None
    assert len(page_texts(pdf)) == 1


def test_data_text_that_looks_like_a_url_prints_as_written(engine: ChromiumEngine) -> None:
    renderer = Renderer()
    data = json.loads((ROOT / "examples" / "city-ru.json").read_text("utf-8"))
    data["notices"][0]["text"] = "См. (file:///etc/passwd) и url(file:///tmp/x)"
    bill = renderer.parse(data)
    text = " ".join(page_texts(engine.write(renderer.html(bill), "bill"))[0].split())
    assert "(file:///etc/passwd) и url(file:///tmp/x)" in text


def words(pdf: bytes) -> list[str]:
    return sorted(" ".join(page_texts(pdf)).split())


@pytest.mark.parametrize("case", GALLERY, ids=[p.stem for p in GALLERY])
def test_chromium_prints_the_same_text_as_weasyprint(engine: ChromiumEngine, case: Path) -> None:
    renderer = Renderer()
    bill = renderer.load(case)
    weasy = words(render_pdf(bill))
    chromium = words(engine.write(renderer.html(bill), "bill"))
    assert chromium == weasy


def test_batch_with_chromium_merges_parts_and_lists_pages_right(tmp_path: Path) -> None:
    bills = list(sample_bills(12, seed=21))
    heavy = json.loads(bills[4].model_dump_json())
    heavy["notices"] = (
        heavy["notices"] * 1
        + [{"supplier": heavy["suppliers"][0]["id"], "kind": "info", "text": "Ә" * 150 + " x"}] * 40
    )
    lines = [b.model_dump_json() for b in bills]
    lines[4] = json.dumps(heavy, ensure_ascii=False)
    source = tmp_path / "bills.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "run"
    summary = render_batch(source, out, merge=5, engine="chromium", workers=2)
    assert summary.complete
    assert summary.rendered == 11
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
    assert [r["number"] for r in rejected] == [5]
    assert "lays out on" in json.dumps(rejected[0], ensure_ascii=False)
    entries = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    checked = 0
    for entry in entries:
        texts = page_texts((out / entry["file"]).read_bytes())
        assert len(texts) == len(entry["bills"])
        for listed in entry["bills"]:
            assert listed["account"] in texts[listed["page"] - 1]
            checked += 1
    assert checked == 11


def test_batch_with_chromium_per_bill_equals_its_own_rerun(tmp_path: Path) -> None:
    source = tmp_path / "bills.jsonl"
    source.write_text(
        "".join(b.model_dump_json() + "\n" for b in sample_bills(6, seed=3)), encoding="utf-8"
    )
    runs = []
    for name in ("one", "two"):
        summary = render_batch(source, tmp_path / name, engine="chromium", workers=1)
        assert summary.rendered == 6
        runs.append({p.name: p.read_bytes() for p in (tmp_path / name / "bills").glob("*.pdf")})
    assert len(runs[0]) == 6
    assert runs[0] == runs[1]
    for pdf in runs[0].values():
        assert pdf.startswith(b"%PDF-")


def test_every_bill_is_an_error_or_a_pdf(engine: ChromiumEngine) -> None:
    outcomes = engine.write_each([])
    assert outcomes == []
    pdf, errors = engine.write_merged([])
    assert pdf is None
    assert errors == []
    assert issubclass(TextOverflowError, BillError)


def test_pdffonts_lists_only_the_embedded_bill_font(
    engine: ChromiumEngine, bills: list[tuple[str, str, str]], tmp_path: Path
) -> None:
    pdf, _ = engine.write_merged([(html, ref) for _, html, ref in bills])
    assert pdf is not None
    path = tmp_path / "part.pdf"
    path.write_bytes(pdf)
    rows = run_tool("pdffonts", path).splitlines()[2:]
    assert sorted(row.split()[0].split("+")[-1] for row in rows) == [
        "NotoSans-Bold",
        "NotoSans-Regular",
    ]
    assert all(row.split()[-5] == "yes" for row in rows)
    assert subprocess.run(["qpdf", "--check", str(path)], capture_output=True).returncode == 0


def test_merged_files_draw_each_logo_once_and_look_the_same(
    engine: ChromiumEngine, bills: list[tuple[str, str, str]]
) -> None:
    import io

    import pikepdf

    from alseco_bill.engines.printed import normalise
    from alseco_bill.pdf.pages import DocumentInfo

    part = [(html, ref) for _, html, ref in bills]
    laid = engine._lay_out(part, [split_bill(html) for html, _ in part])
    assert laid.pdf is not None
    plain = normalise(laid.pdf, DocumentInfo())
    shared = normalise(laid.pdf, DocumentInfo(), share=True)
    assert len(shared) < 0.85 * len(plain)
    with pikepdf.open(io.BytesIO(shared)) as document:
        forms = {
            xobject.objgen
            for page in document.pages
            for xobject in page.Resources.get("/XObject", {}).values()
        }
    logos = {name for _, html, _ in bills for name in re.findall(r'logos/([^"]+)"', html)}
    assert 1 <= len(forms) <= 2 * len(logos)
    before, after = pdfium.PdfDocument(plain), pdfium.PdfDocument(shared)
    try:
        for page_before, page_after in zip(before, after, strict=True):
            a = page_before.render(scale=100 / 72).to_pil().convert("L")
            b = page_after.render(scale=100 / 72).to_pil().convert("L")
            moved = (
                ImageChops.difference(a, b).point(lambda v: 255 if v > 64 else 0).histogram()[255]
            )
            # Positions keep three decimals of 1/300 inch: a few anti-aliased edge
            # pixels may change, a missing or moved logo changes thousands.
            assert moved < 200, moved
    finally:
        before.close()
        after.close()


@pytest.mark.parametrize("engine_name", ["weasyprint", "chromium"])
def test_a_batch_never_prints_a_clipped_supplier_name(tmp_path: Path, engine_name: str) -> None:
    bills = list(sample_bills(3, seed=8))
    long_name = json.loads(bills[1].model_dump_json())
    long_name["suppliers"][0]["name"] = "Ә" * 60
    source = tmp_path / "bills.jsonl"
    lines = [bills[0].model_dump_json(), json.dumps(long_name), bills[2].model_dump_json()]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = render_batch(source, tmp_path / "run", merge=3, engine=engine_name, workers=1)
    assert summary.complete
    rejected = (tmp_path / "run" / "rejected.jsonl").read_text("utf-8")
    if summary.rejected:
        # Refused, naming the field of the text pushed out (the long name widens the
        # suppliers' row, so another supplier's name runs off the sheet): never
        # printed in part.
        row = json.loads(rejected)
        assert row["number"] == 2
        assert row["errors"][0]["path"].startswith("suppliers[")
        assert row["errors"][0]["path"].endswith("].name")
        assert "past the page" in row["errors"][0]["message"]
    else:
        pdf = (tmp_path / "run" / "print" / "print-00001.pdf").read_bytes()
        texts = page_texts(pdf)
        page = next(t for t in texts if long_name["account"] in t)
        assert page.replace("\r", "").replace("\n", "").count("Ә") >= 60
    assert summary.rejected == 1 or engine_name == "chromium"


def test_a_body_with_attributes_is_printed_alone_with_the_same_rules(
    engine: ChromiumEngine, bills: list[tuple[str, str, str]], tmp_path: Path
) -> None:
    """A designer's older base.html (attributes on <body>) still prints, one document
    per such bill, with its own title; overflow is still refused."""
    older = [(html.replace("<body>", '<body class="bill">', 1), ref) for _, html, ref in bills]
    older[2] = (overflowing(older[2][0]), older[2][1])
    outcomes = engine.write_each(older[:4])
    assert isinstance(outcomes[2], LayoutOverflowError)
    for (account, _, _), outcome in zip(bills[:4], outcomes, strict=True):
        if isinstance(outcome, bytes):
            path = tmp_path / f"{account}.pdf"
            path.write_bytes(outcome)
            assert f"· {account} ·" in run_tool("pdfinfo", path).split("\n")[0]
            assert account in page_texts(outcome)[0]
    pdf, errors = engine.write_merged(older[:4])
    assert [type(e).__name__ if e else None for e in errors] == [
        None,
        None,
        "LayoutOverflowError",
        None,
    ]
    assert pdf is not None
    texts = page_texts(pdf)
    assert len(texts) == 3
    assert all(bills[i][0] in text for i, text in zip((0, 1, 3), texts, strict=True))


@pytest.mark.parametrize("engine_name", ["weasyprint", "chromium"])
def test_the_foot_of_the_sheet_is_checked_like_the_rest(
    bills: list[tuple[str, str, str]], engine_name: str
) -> None:
    """The foot (notices, last line, stub) is positioned at the bottom: text running off
    it is refused, and so is a top that runs into it, or a foot taller than the page."""
    from alseco_bill.engines import make_engine

    _, html, ref = bills[0]
    foot = '<div class="sheet-foot">'
    off_the_page = '<p style="white-space: nowrap">' + "Қысқаша хабарлама " * 30 + "</p>"
    cases = {
        "text": html.replace(foot, foot + off_the_page, 1),
        "top": html.replace(foot, TOO_TALL + foot, 1),
        "foot": html.replace(foot, foot + '<div style="height: 290mm"></div>', 1),
    }
    engine = make_engine(engine_name, Theme.create())
    try:
        with pytest.raises(TextOverflowError, match="past its column"):
            engine.write(cases["text"], ref)
        for case in ("top", "foot"):
            with pytest.raises(LayoutOverflowError, match="must fit 1 A4 sheet"):
                engine.write(cases[case], ref)
        assert engine.write(html, ref).startswith(b"%PDF-")
    finally:
        engine.close()


@pytest.mark.parametrize("engine_name", ["weasyprint", "chromium"])
def test_nothing_may_end_below_the_page(
    bills: list[tuple[str, str, str]], engine_name: str
) -> None:
    """A sheet pushed down by a designer's top margin, or a design without a foot whose
    text outgrows a sheet of fixed height: refused, not printed in part."""
    from alseco_bill.engines import make_engine

    _, html, ref = bills[0]
    pushed = html.replace(
        '<div class="sheet-top">', '<div class="sheet-top"><h1 style="margin-top: 12mm">x</h1>', 1
    )
    no_foot = html.replace('class="sheet-foot"', 'class="designer-foot"', 1).replace(
        '<div class="sheet-top">', '<div class="sheet-top">' + "<p>строка</p>" * 400, 1
    )
    engine = make_engine(engine_name, Theme.create())
    try:
        for case in (pushed, no_foot):
            with pytest.raises(LayoutOverflowError):
                engine.write(case, ref)
    finally:
        engine.close()


def test_a_refusal_in_a_part_names_the_bill_that_caused_it(
    engine: ChromiumEngine, bills: list[tuple[str, str, str]]
) -> None:
    part = [(html, ref) for _, html, ref in bills[:4]]
    part[2] = (part[2][0].replace("</p>", '<img src="file:///etc/passwd"></p>', 1), part[2][1])
    with pytest.raises(FetchRefusedError) as caught:
        engine.write_merged(part)
    assert caught.value.bill == bills[2][2]
    assert engine.write_merged(part[:2])[0] is not None  # the page is still good


def test_a_tag_left_open_does_not_move_bills(
    engine: ChromiumEngine, bills: list[tuple[str, str, str]]
) -> None:
    part = [(html, ref) for _, html, ref in bills[:3]]
    part[0] = (part[0][0].replace("</body>", "<div><div></body>", 1), part[0][1])
    pdf, errors = engine.write_merged(part)
    assert errors == [None, None, None]
    assert pdf is not None
    texts = page_texts(pdf)
    assert [bills[i][0] in texts[i] for i in range(3)] == [True, True, True]
