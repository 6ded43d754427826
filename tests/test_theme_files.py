"""What rendering may read: templates and logos under the theme's folders only, symbolic
links resolved first; refusals inside a logo stop the bill instead of blanking it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from alseco_bill import Renderer, Theme
from alseco_bill.errors import FetchRefusedError, TemplateError
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


def static_with_logo(tmp_path: Path, svg: str | bytes, name: str = "aes.svg") -> Theme:
    """A designer's static folder whose ``logos/<name>`` holds ``svg``."""
    logos = tmp_path / "static" / "logos"
    logos.mkdir(parents=True, exist_ok=True)
    data = svg.encode() if isinstance(svg, str) else svg
    (logos / name).write_bytes(data)
    return Theme.create(static=tmp_path / "static")


SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
    ' width="10" height="10" viewBox="0 0 10 10">{}</svg>'
)


@pytest.mark.parametrize(
    ("inside", "refused"),
    [
        ('<image href="file:///etc/passwd" width="10" height="10"/>', "file:///etc/passwd"),
        (
            '<image xlink:href="http://127.0.0.1:9/x.png" width="9" height="9"/>',
            "http://127.0.0.1:9/x.png",
        ),
        ('<image href="../../../../../../etc/hostname" width="9" height="9"/>', "/etc/hostname"),
        ('<use href="file:///etc/passwd#x"/>', "file:///etc/passwd#x"),
        (
            '<rect width="9" height="9" style="fill: url(file:///etc/passwd)"/>',
            "file:///etc/passwd",
        ),
        ("<style>@import url('http://example.com/a.css');</style>", "http://example.com/a.css"),
        ('<style>@import "file:///etc/passwd";</style>', "file:///etc/passwd"),
        ('<image href="data:image/png;base64,iVBORw0KGgo=" width="9" height="9"/>', "data:"),
    ],
)
def test_a_refused_url_inside_an_svg_logo_stops_the_bill(
    tmp_path: Path, example_data: Data, inside: str, refused: str
) -> None:
    renderer = Renderer(static_with_logo(tmp_path, SVG.format(inside)))
    bill = renderer.parse(example_data("city-ru"))
    with pytest.raises(FetchRefusedError) as caught:
        renderer.pdf(bill)
    message = str(caught.value)
    assert message.startswith(f"bill {bill.account}: refused to load '")
    assert refused in caught.value.url
    assert "named inside file://" in message
    assert message.endswith("static/logos/aes.svg)")


def test_an_svg_may_name_files_of_the_theme(tmp_path: Path, example_data: Data) -> None:
    """A relative reference to another file of the static folders is fine, and drawn."""
    static_with_logo(tmp_path, (packaged_dir("static") / "logos/gas.svg").read_bytes(), "inner.svg")
    theme = static_with_logo(
        tmp_path, SVG.format('<image href="inner.svg" width="10" height="10"/>')
    )
    renderer = Renderer(theme)
    assert renderer.pdf(renderer.parse(example_data("city-ru"))).startswith(b"%PDF")


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("aes.svg", '<svg xmlns="http://www.w3.org/2000/svg"><rect', "not a readable SVG image"),
        ("aes.svg", b"\x89PNG\r\n\x1a\n", "not a readable SVG image"),
        ("aes.png", b"\x89PNG\r\n\x1a\nbroken", "not a readable image"),
        ("aes.png", "<svg/>", "not a readable image"),
    ],
)
def test_an_unreadable_logo_is_an_error_naming_it(
    tmp_path: Path, example_data: Data, name: str, content: str | bytes, why: str
) -> None:
    renderer = Renderer(static_with_logo(tmp_path, content, name))
    data = example_data("city-ru")
    data["suppliers"][0]["logo"] = name
    bill = renderer.parse(data)
    with pytest.raises(FetchRefusedError, match=why) as caught:
        renderer.pdf(bill)
    assert caught.value.url.endswith(f"static/logos/{name}")


def test_a_logo_symlink_leading_outside_is_refused_not_replaced(
    tmp_path: Path, outside: Path, example_data: Data
) -> None:
    logo = outside.with_name("logo.svg")
    logo.write_text(SVG.format('<rect width="5" height="5"/>'))
    (tmp_path / "static/logos").mkdir(parents=True)
    (tmp_path / "static/logos/aes.svg").symlink_to(logo)
    theme = Theme.create(static=tmp_path / "static")
    renderer = Renderer(theme)
    bill = renderer.parse(example_data("city-ru"))
    with pytest.raises(FetchRefusedError) as caught:
        renderer.pdf(bill)
    assert caught.value.url == (tmp_path / "static/logos/aes.svg").as_uri()
    # Nor is it served by the preview.
    assert theme.allowed_file(theme.find_static("logos/aes.svg") or tmp_path) is None


@pytest.mark.parametrize(
    "inside",
    [
        '<image href="file:///etc/passwd" width="10" height="10"/>',
        '<image href="data:image/png;base64,iVBORw0KGgo=" width="9" height="9"/>',
        '<rect width="9" height="9" style="fill: url(file:///etc/passwd)"/>',
    ],
)
@pytest.mark.chromium
def test_chromium_refuses_an_svg_logo_that_names_other_files(
    tmp_path: Path, example_data: Data, inside: str
) -> None:
    with Renderer(static_with_logo(tmp_path, SVG.format(inside)), engine="chromium") as renderer:
        bill = renderer.parse(example_data("city-ru"))
        with pytest.raises(FetchRefusedError) as caught:
            renderer.pdf(bill)
    assert caught.value.url == (tmp_path / "static/logos/aes.svg").as_uri()
    assert "an SVG image must hold everything it draws" in str(caught.value)


@pytest.mark.chromium
def test_chromium_refuses_unreadable_and_outside_logos(
    tmp_path: Path, outside: Path, example_data: Data
) -> None:
    theme = static_with_logo(tmp_path, '<svg xmlns="http://www.w3.org/2000/svg"><rect')
    with Renderer(theme, engine="chromium") as renderer:
        with pytest.raises(FetchRefusedError, match="not a readable SVG image"):
            renderer.pdf(renderer.parse(example_data("city-ru")))
        # The same engine prints the next bill once the logo is fixed.
        (tmp_path / "static/logos/aes.svg").write_text(SVG.format('<rect width="5" height="5"/>'))
        assert renderer.pdf(renderer.parse(example_data("city-ru"))).startswith(b"%PDF")
    other = tmp_path / "other"
    (other / "logos").mkdir(parents=True)
    (other / "logos/aes.svg").symlink_to(outside)
    renderer = Renderer(Theme.create(static=other), engine="chromium")
    with renderer, pytest.raises(FetchRefusedError) as caught:
        renderer.pdf(renderer.parse(example_data("city-ru")))
    assert caught.value.url == (other / "logos/aes.svg").as_uri()
