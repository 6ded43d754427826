"""Chromium's text as strings of glyphs instead of a move before every glyph.

Skia writes each text object as a font, a text matrix, and then every glyph on its
own line with a move from the previous one::

    BT /F1 8 Tf 1 0 0 -1 37.78 9 Tm <01BB> Tj 4.4719391 0 Td <01B7> Tj ... ET

which is half the bytes of a bill's page. ``joined_text`` writes the same glyphs at
the same places as one ``TJ`` array: a glyph that starts where the previous one ends
(by the font's own widths, ``/W``, which is what a viewer advances by) joins its
string, and one that does not gets the difference as a ``TJ`` adjustment, in
thousandths of the font size.

Skia places glyphs a few millionths of the font size away from where ``/W`` would:
written out, those differences were a third of a print file's bytes. A difference
is written once it reaches ``TOLERANCE`` (half a thousandth of the font size: 0.004 pt
for 8-pt text, a sixtieth of a pixel at 300 dpi), measured against where the viewer
will have put the glyph, so every glyph stays that close to where Skia put it and
nothing drifts along a line. Glyphs, their order and their fonts stay as they are,
so the text a reader extracts does too.

Only text objects of exactly that shape are rewritten; where the content sets what
changes how far a glyph advances (character or word spacing, horizontal scaling),
none are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# Numbers as plain characters, not a grammar (which backtracks): ``float`` judges them.
_N = rb"[-.0-9]+"
_TEXT_OBJECT = re.compile(
    rb"^BT\n(/[A-Za-z0-9_.+-]+) (" + _N + rb") Tf\n((?:" + _N + rb" ){6}Tm)\n"
    rb"((?:(?:" + _N + rb" 0 Td )?<[0-9A-Fa-f]*> Tj\n)+)ET$",
    re.M,
)
_MOVE = b" 0 Td <"
TOLERANCE = 0.5  # thousandths of the font size
# Operators that change a glyph's advance, which the rewrite would then misjudge.
_SPACING = re.compile(rb"\s(?:Tc|Tw|Tz)\n")

Widths = dict[int, float]


def joined_text(content: bytes, widths_of: Callable[[str], Widths | None]) -> bytes:
    """``content`` with its text objects as ``TJ`` arrays; ``widths_of`` gives a font
    resource's glyph widths (None: a font this does not read, left as it is)."""
    if _SPACING.search(content):
        return content
    fonts: dict[str, tuple[Widths, dict[bytes, float]] | None] = {}

    def join(match: re.Match[bytes]) -> bytes:
        name = match[1].decode()
        if name not in fonts:
            widths = widths_of(name)
            fonts[name] = None if widths is None else (widths, {})
        font = fonts[name]
        try:
            size = float(match[2])
            if font is None or size <= 0:
                return match[0]
            array = _array(match[4].split(b"\n")[:-1], *font, size)
        except ValueError:
            return match[0]
        return b"BT\n" + match[1] + b" " + match[2] + b" Tf\n" + match[3] + b"\n" + array + b"ET"

    return _TEXT_OBJECT.sub(join, content)


def _array(lines: list[bytes], widths: Widths, advances: dict[bytes, float], size: float) -> bytes:
    """The ``TJ`` (or ``Tj``) showing the glyph strings of ``lines`` (each
    ``<glyphs> Tj`` or ``dx 0 Td <glyphs> Tj``) where each was; ``advances`` caches
    each string's width. Raises ``ValueError`` for a line it does not read."""
    parts: list[bytes] = []
    current = b""
    line = 0.0  # where the last move put the line, in text space
    end = 0.0  # where the previous string ended
    lead = b""
    to_thousandths = 1000 / size
    for index, text in enumerate(lines):
        if text[:1] == b"<":
            glyphs = text[1:-4]
            start = end
        else:
            at = text.index(_MOVE)
            glyphs = text[at + len(_MOVE) : -4]
            line += float(text[:at])
            start = line
            if index == 0:  # the first glyph moved: the move stays, before the array
                lead = text[: at + len(_MOVE) - 1]
                end = start
        if len(glyphs) % 4:
            raise ValueError("not two bytes a glyph")
        # ``end`` is where the viewer will have put the glyphs so far: what is not
        # written now is in the next difference, so nothing drifts along a line.
        adjustment = round((end - start) * to_thousandths, 3)
        if index and abs(adjustment) >= TOLERANCE:
            parts.append(b"<" + current + b">")
            parts.append(_number(adjustment))
            current = b""
            end -= adjustment / to_thousandths
        current += glyphs
        advance = advances.get(glyphs)
        if advance is None:
            advance = advances[glyphs] = _advance(glyphs, widths)
        end += advance / to_thousandths
    parts.append(b"<" + current + b">")
    if len(parts) == 1:
        return lead + parts[0] + b" Tj\n"
    return lead + b"[" + b" ".join(parts) + b"] TJ\n"


def _advance(glyphs: bytes, widths: Widths) -> float:
    """The string's width in thousandths of the font size."""
    default = widths.get(-1, 1000.0)
    return sum(widths.get(int(glyphs[i : i + 4], 16), default) for i in range(0, len(glyphs), 4))


def _number(value: float) -> bytes:
    text = (b"%.3f" % value).rstrip(b"0").rstrip(b".")
    return text.removeprefix(b"0").replace(b"-0.", b"-.")


def font_widths(font: Any) -> Widths | None:
    """A ``Type0``/``Identity-H`` font's glyph widths (its ``/DW`` under -1), None
    for any other font."""
    from .subset import read_widths_of

    if font.get("/Subtype") != "/Type0" or font.get("/Encoding") != "/Identity-H":
        return None
    if not font.get("/DescendantFonts"):
        return None
    widths = read_widths_of(font)
    widths[-1] = float(font.DescendantFonts[0].get("/DW", 1000))
    return widths


def widths_in(resources: Any) -> Callable[[str], Widths | None]:
    """The widths of a font of ``resources`` (a page's) by its name, as
    ``joined_text`` asks for them."""

    def widths_of(name: str) -> Widths | None:
        fonts = resources.get("/Font")
        font = None if fonts is None else fonts.get(name)
        return None if font is None else font_widths(font)

    return widths_of
