"""Never a clipped word: long words wrap, and text that still cannot fit its column or
the page stops the bill (``TextOverflowError``) instead of printing in part."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdfium2
import pytest

from alseco_bill import Renderer, render_batch
from alseco_bill.engines.boxes import text_overflows
from alseco_bill.errors import TextOverflowError

Data = Callable[[str], dict[str, Any]]
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ("city-ru", "city-kk", "region-ru", "region-kk")
# Every free-text field a bill prints, at its length limit, as one unbreakable word.
WRAPPED = {
    "consumer.name": 200,
    "consumer.address.locality": 200,
    "consumer.address.street": 200,
    "consumer.address.house": 20,
    "consumer.address.flat": 20,
    "alseco.site": 200,
    "alseco.phone": 200,
    "alseco.address": 200,
    "services.0.service": 200,
    "meters.0.service": 200,
    "notices.0.text": 400,
}
# The suppliers' row keeps names whole (a squeezed column would split names that fit),
# and phones stay on one line: too long for their column, they are refused.
REFUSED = {"suppliers.0.name": 200, "suppliers.0.phones.0": 200, "suppliers.0.site": 200}
# The longest words a column leaves unmarked (its ``breakable`` limit in the templates,
# less one), of the alphabets' widest letter: they must fit the column whole.
UNMARKED = {
    "services.0.service": 15,
    "meters.0.service": 15,
    "consumer.name": 21,
    "suppliers.0.name": 19,  # under each service, at 6 pt
}
WIDEST = "Ю"  # 1.052 em in the regular face; Щ and Ш are next


def set_field(data: dict[str, Any], path: str, value: str) -> None:
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target[int(part)] if part.isdecimal() else target[part]
    if last.isdecimal():
        target[int(last)] = value
    else:
        target[last] = value


def hostile(example: dict[str, Any], path: str, length: int, letter: str = "Ж") -> dict[str, Any]:
    """``example`` with the field at ``path`` one word of ``length`` letters."""
    data: dict[str, Any] = json.loads(json.dumps(example))
    supplier = data["suppliers"][0]["id"]
    data["notices"] = data["notices"][:1] or [{"supplier": supplier, "text": "x"}]
    data["suppliers"][0]["phones"] = data["suppliers"][0].get("phones") or ["x"]
    # Both variants print every field; short enough to stay on one sheet when wrapped.
    data["services"] = data["services"][:4]
    data["meters"] = data["meters"][:1]
    totals = ("opening_balance", "accrued", "recalculation", "paid", "to_pay")
    for name in totals:
        data["totals"][name] = str(
            sum((Decimal(line.get(name, "0.00")) for line in data["services"]), Decimal("0.00"))
        )
    set_field(data, path, letter * length)
    return data


def printed(renderer: Renderer, data: dict[str, Any]) -> str:
    """The text on the rendered sheet (within its edges) as PDFium reads it, no spaces;
    text drawn past the edge is in the PDF too, but not on the paper."""
    pdf = renderer.pdf(renderer.parse(data))
    document = pypdfium2.PdfDocument(pdf)
    try:
        text = "".join(page.get_textpage().get_text_bounded() for page in document)
    finally:
        document.close()
    return "".join(text.split())


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("path", WRAPPED)
def test_long_words_wrap_and_are_printed_whole(
    renderer: Renderer, example_data: Data, example: str, path: str
) -> None:
    data = hostile(example_data(example), path, WRAPPED[path])
    if path.startswith("alseco.") and path != "alseco.site" and data["variant"] == "city":
        # The city bill prints only ALSECO's site; still, nothing may overflow.
        renderer.pdf(renderer.parse(data))
        return
    assert "Ж" * WRAPPED[path] in printed(renderer, data)


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("path", UNMARKED)
def test_words_a_column_leaves_unmarked_fit_it_whole(
    renderer: Renderer, example_data: Data, example: str, path: str
) -> None:
    """A word one letter short of its column's limit is not marked breakable: it must
    fit the column on one line, or it would be refused (or, unchecked, clipped)."""
    word = WIDEST * UNMARKED[path]
    data = hostile(example_data(example), path, UNMARKED[path], letter=WIDEST)
    # Six such names do not fit the suppliers' row, which keeps its names whole (and
    # refuses them): the bill has the suppliers of its lines only.
    used = {line["supplier"] for line in data["services"]} | {data["notices"][0]["supplier"]}
    data["suppliers"] = [s for s in data["suppliers"] if s["id"] in used]
    bill = renderer.parse(data)
    html = renderer.html(bill)
    # Unmarked in its column (a region stub, whose limit is 12, marks its own copy).
    assert html.count(word) > html.count(f'<span class="long-word">{word}')
    document = pypdfium2.PdfDocument(renderer.pdf(bill))
    try:
        lines = document[0].get_textpage().get_text_bounded().splitlines()
    finally:
        document.close()
    # A supplier's name is printed whole in the suppliers' row and under its service.
    assert sum(word in line for line in lines) >= (2 if path.startswith("suppliers") else 1)


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("path", REFUSED)
def test_text_that_cannot_fit_is_refused(
    renderer: Renderer, example_data: Data, example: str, path: str
) -> None:
    data = hostile(example_data(example), path, REFUSED[path])
    bill = renderer.parse(data)
    with pytest.raises(TextOverflowError) as caught:
        renderer.pdf(bill)
    assert caught.value.text.startswith("ЖЖЖЖ")
    assert str(caught.value).startswith(f"bill {bill.account}: the text 'ЖЖЖ")
    field = path.replace(".0.", "[0].").replace(".0", "[0]")
    assert caught.value.fields == (field,)
    assert f"...' ({field}) runs " in str(caught.value)
    assert "mm past the page" in str(caught.value)


def huge_amounts(data: dict[str, Any]) -> dict[str, Any]:
    """One service line whose every amount has the most digits a field allows."""
    line = data["services"][0]
    line |= {
        "opening_balance": "-999999999999.99",
        "recalculation": "999999999999.99",
        "paid": "99999999999.99",
        "tariff": "9999999999.9999",
        "consumption": "0",
        "accrued": "0.00",
    }
    line.pop("previous_reading", None)
    line.pop("current_reading", None)
    line["to_pay"] = "-99999999999.99"
    data["services"] = [line]
    data["totals"] = {k: line[k] for k in data["totals"]}
    return data


@pytest.mark.parametrize("example", EXAMPLES)
def test_amounts_too_wide_for_the_sheet_are_refused(
    renderer: Renderer, example_data: Data, example: str
) -> None:
    bill = renderer.parse(huge_amounts(example_data(example)))
    with pytest.raises(TextOverflowError, match="past the page"):
        renderer.pdf(bill)


@pytest.mark.parametrize("path", sorted((ROOT / "gallery").glob("*.json")), ids=lambda p: p.stem)
def test_no_false_alarm_on_the_gallery(renderer: Renderer, path: Path) -> None:
    bill = renderer.load(path)
    document = renderer.engine.render(renderer.html(bill), "gallery")  # type: ignore[attr-defined]
    assert list(text_overflows(document)) == []


def test_text_past_its_column_but_on_the_page_is_found() -> None:
    """A word too wide for its fixed-width cell overlaps the next one: found, by column."""
    from weasyprint import HTML

    html = (
        "<style>td { width: 20mm; white-space: nowrap; }"
        "table { table-layout: fixed; width: 60mm; }"
        "</style>"
        "<table><tr><td>ЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖ</td><td>next</td></tr></table>"
    )
    found = list(text_overflows(HTML(string=html).render()))
    assert [(o.text, o.edge, o.page) for o in found] == [("ЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖ", "its column", 1)]
    assert found[0].by_mm > 10


def test_a_batch_rejects_the_bill_and_goes_on(tmp_path: Path, example_data: Data) -> None:
    good = example_data("city-ru")
    bad = hostile(example_data("city-kk"), "suppliers.0.name", 200)
    source = tmp_path / "bills.jsonl"
    source.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in (bad, good)) + "\n")
    summary = render_batch(source, tmp_path / "run", workers=1)
    assert (summary.rendered, summary.rejected) == (1, 1)
    rejected = json.loads((tmp_path / "run" / "rejected.jsonl").read_text("utf-8"))
    assert rejected["number"] == 1
    assert "runs" in rejected["errors"][0]["message"]
    assert "past the page" in rejected["errors"][0]["message"]
