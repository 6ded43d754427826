"""What rendering may read: templates and logos under the theme's folders only, symbolic
links resolved first; refusals inside a logo stop the bill instead of blanking it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from alseco_bill import Renderer, Theme
from alseco_bill.errors import TemplateError
from alseco_bill.theme import packaged_dir

Data = Callable[[str], dict[str, Any]]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside every theme folder, readable, with text that must never print."""
    secret = tmp_path / "secret" / "passwd.html"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:SECRET-OUTSIDE-THE-THEME\n", "utf-8")
    return secret


@pytest.mark.parametrize(
    ("name", "example"),
    [
        ("ru/labels.html", "city-ru"),  # imported
        ("partials/footer.html", "city-kk"),  # included
        ("bill.css", "region-ru"),  # included inside <style>
        ("kk/region.html", "region-kk"),  # the bill's own template
    ],
)
def test_a_template_symlink_leading_outside_is_refused(
    tmp_path: Path, outside: Path, example_data: Data, name: str, example: str
) -> None:
    folder = tmp_path / "templates"
    (folder / name).parent.mkdir(parents=True)
    (folder / name).symlink_to(outside)
    renderer = Renderer(Theme.create(templates=folder))
    bill = renderer.parse(example_data(example))
    with pytest.raises(TemplateError) as caught:
        renderer.html(bill)
    assert caught.value.template == name
    assert f"bill {bill.account}" in str(caught.value)
    assert "refused to load" in str(caught.value)
    assert "SECRET" not in str(caught.value)


def test_a_template_symlink_inside_the_theme_is_followed(
    tmp_path: Path, example_data: Data
) -> None:
    folder = tmp_path / "templates"
    (folder / "partials").mkdir(parents=True)
    original = folder / "footer-original.html"
    original.write_text(
        (packaged_dir("templates") / "partials/footer.html").read_text("utf-8") + "<!-- mine -->"
    )
    (folder / "partials/footer.html").symlink_to(original)
    renderer = Renderer(Theme.create(templates=folder))
    assert "<!-- mine -->" in renderer.html(renderer.parse(example_data("city-ru")))
