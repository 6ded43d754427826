"""Only characters the bill font can print: no control characters, noncharacters or
bidirectional controls in any text field, and no character the theme's font lacks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fontTools import subset
from fontTools.ttLib import TTFont
from typer.testing import CliRunner

from alseco_bill import Renderer, Theme
from alseco_bill.bill.glyphs import coverage, font_files
from alseco_bill.bill.validation import validate_data
from alseco_bill.cli import app as cli
from alseco_bill.errors import InvalidBillError
from alseco_bill.theme import packaged_dir

Data = Callable[[str], dict[str, Any]]
FORBIDDEN = [
    "\x00",  # NUL
    "\x1b",  # ESC
    "\t",
    "\n",
    "\x7f",  # DEL
    "\x85",  # NEL, a C1 control
    "\x9b",  # CSI, a C1 control
    "\ufffe",
    "\uffff",
    "\ufdd0",
    *map(chr, range(0x202A, 0x202F)),  # bidi embeddings and overrides
    *map(chr, range(0x2066, 0x206A)),  # bidi isolates
]
# Fields of every kind: a name, an address part, a supplier's, a service's, a notice.
FIELDS = [
    ("consumer", "name"),
    ("consumer", "address", "street"),
    ("consumer", "address", "house"),
    ("suppliers", 1, "name"),
    ("services", 0, "service"),
    ("notices", 0, "text"),
    ("alseco", "site"),
]


def put(data: dict[str, Any], where: tuple[str | int, ...], char: str) -> str:
    """Put ``char`` in the middle of the field at ``where``; its field path."""
    target: Any = data
    for part in where[:-1]:
        target = target[part]
    text = target[where[-1]]
    target[where[-1]] = text[:1] + char + text[1:]
    path = ""
    for part in where:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path


def problems(renderer: Renderer, data: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidBillError) as caught:
        renderer.parse(data, source="chars.json")
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("char", FORBIDDEN, ids=lambda c: f"U+{ord(c):04X}")
def test_control_and_bidi_characters_are_rejected(example_data: Data, char: str) -> None:
    """A rule of the data, whatever the font: even validation without a theme says so."""
    for where in FIELDS:
        data = example_data("city-ru")
        path = put(data, where, char)
        with pytest.raises(InvalidBillError) as caught:
            validate_data(data, source="chars.json")
        found = [str(p) for p in caught.value.problems]
        assert len(found) == 1, found
        assert found[0].startswith(f"{path}: the character U+{ord(char):04X} ")
        assert "chars.json" in str(caught.value)


@pytest.mark.parametrize("char", ["😀", "\u2212", "\u221a", "\U000f0000", "☃"])
def test_characters_the_font_lacks_are_rejected(
    renderer: Renderer, example_data: Data, char: str
) -> None:
    data = example_data("region-kk")
    path = put(data, ("consumer", "address", "street"), char)
    found = problems(renderer, data)
    assert len(found) == 1, found
    assert found[0].startswith(f"{path}: the character U+{ord(char):04X} ")
    assert found[0].endswith("(it would print in another font, or not at all)")


def test_what_the_packaged_font_has(renderer: Renderer, example_data: Data) -> None:
    """Typographic quotes, dashes, the tenge sign, Kazakh letters: all print."""
    data = example_data("city-kk")
    data["notices"][0]["text"] = "“Сөз” ‘сөз’ „сөз“ «сөз» — – … № ₸ әғқңөұүһі ÄÖ € ½ ° ²"
    renderer.parse(data)
    names = [path.name for path in font_files(Theme.create())]
    assert names == ["NotoSans-Bold.ttf", "NotoSans-Regular.ttf"]
    assert ord("қ") in coverage(Theme.create())


def test_the_designers_font_decides(tmp_path: Path, example_data: Data) -> None:
    """A designer's font (same name, in --static) that has only Latin letters."""
    static = tmp_path / "static"
    (static / "fonts").mkdir(parents=True)
    font = TTFont(packaged_dir("static") / "fonts/NotoSans-Regular.ttf")
    subsetter = subset.Subsetter(subset.Options())
    subsetter.populate(unicodes=range(0x20, 0x7F))
    subsetter.subset(font)
    font.save(static / "fonts/NotoSans-Regular.ttf")
    renderer = Renderer(Theme.create(static=static))
    found = problems(renderer, example_data("city-ru"))
    assert "consumer.name: the character U+0410 'А' (CYRILLIC CAPITAL LETTER A) is not in" in (
        "\n".join(found)
    )
    assert all("is not in the bill font" in p for p in found)


def test_an_unreadable_font_is_named_not_a_traceback(tmp_path: Path) -> None:
    fonts = tmp_path / "static" / "fonts"
    fonts.mkdir(parents=True)
    (fonts / "NotoSans-Regular.ttf").write_text("not a font")
    example = packaged_dir("templates").parent / "examples" / "city-ru.json"
    result = CliRunner().invoke(
        cli, ["validate", str(example), "--static", str(tmp_path / "static")]
    )
    assert result.exit_code == 2
    assert f"cannot read the font {fonts / 'NotoSans-Regular.ttf'}" in result.output
    assert "Traceback" not in result.output
