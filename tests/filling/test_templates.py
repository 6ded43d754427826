"""The template loader: what a stylesheet becomes on its way into every bill."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EXAMPLES

from alseco_bill import Renderer, TemplateError, Theme, load_bill
from alseco_bill.filling.templates import without_comments


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
