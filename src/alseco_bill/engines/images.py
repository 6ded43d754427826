"""What a theme's image may be: readable, and (an SVG) naming only files rendering may read.

WeasyPrint fetches the files an SVG names (``<image href>``, ``<use href>``, a
stylesheet's ``url()`` or ``@import``) only while drawing it, and swallows every
failure there, a refusal included: the logo would print blank. So an SVG is read when
it is fetched and every reference in it is checked first; one that may not be read,
or an image that cannot be read at all, stops the bill instead of leaving a hole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree

from PIL import Image, UnidentifiedImageError

# url(...) in a style attribute or a <style> element, and @import "..." without url().
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.S)
_HREF = ("href", "{http://www.w3.org/1999/xlink}href", "src")


class UnreadableImage(ValueError):
    """An image file that is not what its name says (a broken SVG, a corrupt PNG)."""


def image_references(path: Path, data: bytes) -> list[str]:
    """The URLs the image file at ``path`` names (an SVG's; none for other kinds).

    Raises ``UnreadableImage`` for an SVG that is not well-formed XML, or a PNG that
    Pillow cannot read: either would print blank. Both engines judge images by this.
    """
    suffix = path.suffix.lower()
    if suffix == ".svg":
        return svg_references(data)
    if suffix == ".png":
        check_raster(data)
    return []


def svg_references(data: bytes) -> list[str]:
    """Every URL an SVG document names, fragments (``#id``, internal) left out."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise UnreadableImage(f"not a readable SVG image ({exc})") from None
    found = dict.fromkeys(ref.strip() for ref in _references(root))
    return [ref for ref in found if ref and not ref.startswith("#")]


def check_raster(data: bytes) -> None:
    """Raises ``UnreadableImage`` unless Pillow can read the image's header and data."""
    try:
        with Image.open(BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnreadableImage(f"not a readable image ({exc})") from None


def _references(root: ElementTree.Element) -> Iterator[str]:
    for element in root.iter():
        for name, value in element.attrib.items():
            if name in _HREF:
                yield value
            yield from _css_urls(value)
        if element.text and element.tag.rpartition("}")[2] == "style":
            yield from _css_urls(element.text)


def _css_urls(text: str) -> Iterator[str]:
    for match in _CSS_URL.finditer(text):
        yield match[2] if match[0].startswith("url") else match[4]
