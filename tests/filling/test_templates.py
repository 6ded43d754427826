"""The template loader: what a stylesheet becomes on its way into every bill."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest
from conftest import EXAMPLES

from alseco_bill import Renderer, TemplateError, Theme, load_bill
from alseco_bill.filling import templates
from alseco_bill.filling.templates import compact_markup, without_comments


def test_comments_go_and_strings_stay() -> None:
    css = 'a { color: red; } /* one\ntwo */ b::before { content: "/* kept */"; }\n'
    css += "/* a comment's apostrophe */ i::after { content: '*/'; }"
    assert without_comments(css) == (
        "a { color: red; } \n b::before { content: \"/* kept */\"; }\n i::after { content: '*/'; }"
    )


def test_the_filled_bill_carries_no_css_comment() -> None:
    renderer = Renderer()
    html = renderer.html(load_bill(EXAMPLES / "city-kk.json"))
    assert "/*" not in html
    assert "@font-face" in html  # the rules themselves are all there
    assert ".long-word { overflow-wrap: anywhere; }" in html


def test_an_error_after_a_comment_names_its_own_line(tmp_path: Path) -> None:
    packaged = Theme.create().template_dirs[-1] / "bill.css"
    folder = tmp_path / "t"
    folder.mkdir()
    # Line 4 of the designer's bill.css, after a comment of three lines.
    (folder / "bill.css").write_text(
        "/* a\n   b\n   c */\n{{ no_such_name }}\n" + packaged.read_text("utf-8"), "utf-8"
    )
    renderer = Renderer(Theme.create(folder))
    with pytest.raises(TemplateError) as caught:
        renderer.html(load_bill(EXAMPLES / "city-ru.json"))
    assert (caught.value.template, caught.value.line) == ("bill.css", 4)


def test_indentation_beside_block_tags_goes() -> None:
    html = '<tr>\n    <td>a</td>\n    <td class="x">b\n      <div>c</div>\n    </td>\n</tr>'
    assert compact_markup(html) == '<tr><td>a</td><td class="x">b\n      <div>c</div></td></tr>'
    # Where the tag is cut by a Jinja expression, the next tag decides.
    assert compact_markup('">\n  <div>') == '"><div>'


@pytest.mark.parametrize(
    "html",
    [
        "<span>a</span>\n<span>b</span>",  # between inline tags: may be printed
        "<div>a</div> <div>b</div>",  # a space on one line is the author's
        "<div>\n  a\n</div>",  # beside text
        "<b>x</b>\n  <!-- a comment -->",
    ],
)
def test_white_space_that_may_be_printed_stays(html: str) -> None:
    assert compact_markup(html) == html


def test_an_error_after_compacted_lines_names_its_own_line(tmp_path: Path) -> None:
    folder = tmp_path / "t" / "partials"
    folder.mkdir(parents=True)
    footer = "<div>\n  <p>x</p>\n</div>\n<p>{{ no_such_name }}</p>\n"
    (folder / "footer.html").write_text(footer, "utf-8")
    renderer = Renderer(Theme.create(tmp_path / "t"))
    with pytest.raises(TemplateError) as caught:
        renderer.html(load_bill(EXAMPLES / "city-ru.json"))
    assert (caught.value.template, caught.value.line) == ("partials/footer.html", 4)


def pixels(pdf: bytes) -> bytes:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return bytes(document[0].render(scale=150 / 72).to_pil().tobytes())
    finally:
        document.close()


@pytest.mark.parametrize("example", ["city-ru", "region-kk"])
def test_compacted_templates_print_the_same_page(
    example: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bill = load_bill(EXAMPLES / f"{example}.json")
    compact = Renderer()
    html = compact.html(bill)
    monkeypatch.setattr(templates, "compact_markup", lambda text: text)
    as_written = Renderer()
    assert len(as_written.html(bill)) > len(html) + 1000
    assert pixels(as_written.pdf(bill)) == pixels(compact.pdf(bill))
