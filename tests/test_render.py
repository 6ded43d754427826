"""Rendering: page counts, extracted text, fonts, PDF validity, determinism, safety."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE_NAMES, ROOT, run_tool

from alseco_bill import (
    FetchRefusedError,
    LayoutOverflowError,
    Renderer,
    TemplateError,
    Theme,
)
from alseco_bill.filling.formatting import amount

Data = Callable[[str], dict[str, Any]]
KAZAKH_LETTERS = "әғқңөұүһі"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each example rendered once to a PDF file, for the tools to inspect."""
    folder = tmp_path_factory.mktemp("pdf")
    renderer = Renderer()
    paths = {}
    for name in EXAMPLE_NAMES:
        bill = renderer.load(ROOT / "examples" / f"{name}.json")
        paths[name] = folder / f"{name}.pdf"
        paths[name].write_bytes(renderer.pdf(bill))
    return paths


def text_of(pdf: Path) -> str:
    """The PDF's text with every run of white space (line breaks too) as one space."""
    return " ".join(run_tool("pdftotext", pdf, "-").replace("\u202f", " ").split())


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_one_a4_page_valid_and_fonts_embedded(rendered: dict[str, Path], name: str) -> None:
    info = run_tool("pdfinfo", rendered[name])
    assert "Pages:           1" in info
    assert "595.276 x 841.89 pts (A4)" in info
    run_tool("qpdf", "--check", rendered[name])
    fonts = run_tool("pdffonts", rendered[name]).splitlines()[2:]
    assert fonts, "no fonts listed"
    for row in fonts:
        assert row.split()[0].split("+")[-1].startswith("Bill-Sans"), f"fallback font: {row}"
        # columns: name type encoding emb sub uni object ID
        assert row.split()[-5] == "yes", f"font not embedded: {row}"


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_text_extracts_with_its_facts(
    rendered: dict[str, Path], name: str, example_data: Data
) -> None:
    data = example_data(name)
    text = text_of(rendered[name])
    assert data["account"] in text
    assert data["alseco"]["site"] in text
    for line in data["services"]:
        assert line["service"].split()[0] in text
    if data["language"] == "kk":
        assert "Коммуналдық қызметтерді төлеуге арналған шот" in text
        assert "Жеке шот" in text
        # The official form of Kazakh periods and dates, not CLDR's «2025 ж. ақпан».
        assert "2025 жылғы ақпан үшін" in text
        assert "Төлем мерзімі: 2025 жылғы 25 наурыз." in text
        assert " ж. ақпан" not in text
    else:
        assert "Счёт на оплату коммунальных услуг" in text
        assert "за февраль 2025 г." in text


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_negative_amounts_extract_with_the_one_sign(
    rendered: dict[str, Path], name: str, example_data: Data
) -> None:
    """Every negative amount prints, and reads back, with the en dash of the legends."""
    data = example_data(name)
    text = text_of(rendered[name])
    amounts = [
        Decimal(str(value))
        for record in [*data["services"], data["totals"]]
        for key, value in record.items()
        if key in ("opening_balance", "accrued", "recalculation", "paid", "to_pay")
    ]
    negative = [value for value in amounts if value < 0]
    if name != "city-ru":  # the one example without an advance or a credit
        assert negative, "the example lost its negative amounts"
    for value in negative:
        digits = amount(-value, "ru_KZ").replace("\xa0", " ")
        assert f"\u2013{digits}" in text, f"{value} does not read back as –{digits}"
        assert f"-{digits}" not in text
        assert f"\u2212{digits}" not in text
    assert "(\u2013)" in text  # the legend's sign is the same one


def test_a_large_negative_total_keeps_its_sign_with_its_digits(
    renderer: Renderer, example_data: Data, tmp_path: Path
) -> None:
    """Unlike a hyphen, the en dash is a break opportunity: the heading's total, the one
    amount outside a table cell, must not print the sign on a line of its own."""
    data = example_data("city-ru")
    line, target = data["services"][0], Decimal("-1234567.89")
    delta = target - Decimal(data["totals"]["to_pay"])
    for key in ("opening_balance", "to_pay"):
        line[key] = str(Decimal(line[key]) + delta)
        data["totals"][key] = str(Decimal(data["totals"][key]) + delta)
    pdf = tmp_path / "advance.pdf"
    pdf.write_bytes(renderer.pdf(renderer.parse(data)))
    lines = run_tool("pdftotext", "-layout", pdf, "-").replace("\xa0", " ").splitlines()
    assert any(row.rstrip().endswith("\u20131 234 567,89 ₸") for row in lines)
    assert not any(row.rstrip().endswith("\u2013") for row in lines)


def test_kazakh_letters_survive_extraction(rendered: dict[str, Path]) -> None:
    text = text_of(rendered["region-kk"]) + text_of(rendered["city-kk"])
    missing = [letter for letter in KAZAKH_LETTERS if letter not in text]
    assert not missing, f"Kazakh letters lost in the PDF text: {missing}"
    assert "Қаскелең" in text
    assert "Әбілқайыр" in text


def test_region_has_the_receipt_stub_and_city_does_not(rendered: dict[str, Path]) -> None:
    assert "Квитанция к счёту" in text_of(rendered["region-ru"])
    assert "кесу сызығы" in text_of(rendered["region-kk"])
    assert "Квитанция" not in text_of(rendered["city-ru"])
    assert "түбіртегі" not in text_of(rendered["city-kk"])


def test_region_footer_has_alseco_contacts(rendered: dict[str, Path], example_data: Data) -> None:
    text = text_of(rendered["region-ru"])
    assert example_data("region-ru")["alseco"]["phone"] in text


def test_same_input_gives_identical_bytes(renderer: Renderer) -> None:
    bill = renderer.load(ROOT / "examples" / "region-kk.json")
    first = renderer.pdf(bill)
    assert Renderer().pdf(bill) == first
    assert renderer.pdf(bill) == first


def test_pdf_metadata(rendered: dict[str, Path]) -> None:
    info = run_tool("pdfinfo", "-isodates", rendered["city-ru"])
    assert "Title:           Счёт на оплату коммунальных услуг · " in info
    assert "CreationDate:    2025-03-0" in info


def test_a_city_bill_that_overflows_is_refused(renderer: Renderer, example_data: Data) -> None:
    data = example_data("city-ru")
    notice = {"supplier": "aes", "kind": "info", "text": "Плановые работы в сетях. " * 14}
    data["notices"] = [notice] * 30
    bill = renderer.parse(data)
    with pytest.raises(LayoutOverflowError, match=f"bill {bill.account}: .* on [2-9] pages"):
        renderer.pdf(bill)


def override(tmp_path: Path, name: str, change: Callable[[str], str]) -> Theme:
    """A designer's folder overriding one packaged template."""
    source = ROOT / "templates" / name
    target = tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(change(source.read_text("utf-8")), "utf-8")
    return Theme.create(templates=tmp_path)


def test_a_designer_override_is_used(tmp_path: Path, example_data: Data) -> None:
    theme = override(tmp_path, "ru/labels.html", lambda s: s.replace("Лицевой счёт", "ЛС №"))
    renderer = Renderer(theme)
    html = renderer.html(renderer.parse(example_data("city-ru")))
    assert "ЛС №" in html
    assert "Лицевой счёт" not in html


def test_a_template_typo_names_template_line_and_variable(
    tmp_path: Path, example_data: Data
) -> None:
    theme = override(
        tmp_path, "partials/heading.html", lambda s: s.replace("bill.account", "bill.acount", 1)
    )
    renderer = Renderer(theme)
    with pytest.raises(TemplateError) as caught:
        renderer.html(renderer.parse(example_data("city-kk")))
    error = caught.value
    assert error.template == "partials/heading.html"
    assert error.line == 9
    assert "acount" in str(error)
    assert str(error).startswith(f"bill {example_data('city-kk')['account']}: template error in ")


def test_a_template_syntax_error(tmp_path: Path, example_data: Data) -> None:
    theme = override(tmp_path, "partials/notices.html", lambda s: s.replace("{% endfor %}", ""))
    renderer = Renderer(theme)
    with pytest.raises(TemplateError, match=r"partials/notices.html, line \d+: .*endfor"):
        renderer.html(renderer.parse(example_data("city-ru")))


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "http://127.0.0.1:9/logo.svg", "../../../../etc/hostname"],
)
def test_fetching_outside_the_allowed_folders_is_refused(
    tmp_path: Path, example_data: Data, url: str
) -> None:
    theme = override(
        tmp_path,
        "partials/footer.html",
        lambda s: s.replace("</footer>", f'<img src="{url}"></footer>'),
    )
    renderer = Renderer(theme)
    bill = renderer.parse(example_data("city-ru"))
    with pytest.raises(FetchRefusedError, match=f"bill {bill.account}: refused to load"):
        renderer.pdf(bill)


def test_a_logo_name_cannot_leave_the_logo_folder(renderer: Renderer, example_data: Data) -> None:
    data = example_data("city-ru")
    data["suppliers"][0]["logo"] = "../../../etc/passwd.svg"
    with pytest.raises(Exception, match=r"suppliers\[0\]\.logo"):
        renderer.parse(data)


def test_html_escapes_data(renderer: Renderer, example_data: Data) -> None:
    data = example_data("city-ru")
    data["notices"][0]["text"] = '<img src="file:///etc/passwd">'
    html = renderer.html(renderer.parse(json.dumps(data)))
    # The long word is marked breakable (a span around it), its text escaped all the same.
    assert "&lt;img " in html
    assert "src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert '<img src="file:///etc/passwd">' not in html
    assert '<img src="file' not in html


def test_a_missing_label_is_a_template_error(tmp_path: Path, example_data: Data) -> None:
    theme = override(tmp_path, "kk/labels.html", lambda s: s.replace('"meters":', '"meterz":'))
    renderer = Renderer(theme)
    with pytest.raises(TemplateError, match=r"partials/meters.html, line \d+: no label 'meters'"):
        renderer.html(renderer.parse(example_data("city-kk")))
