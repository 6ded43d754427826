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
# It begins with the newline before ``BT``, not ``^``: the search then jumps to each
# ``BT`` instead of trying every byte of the content (which is given a newline first).
_TEXT_OBJECT = re.compile(
    rb"\nBT\n(/[A-Za-z0-9_.+-]+) (" + _N + rb") Tf\n((?:" + _N + rb" ){6}Tm)\n"
    rb"((?:(?:" + _N + rb" 0 Td )?<[0-9A-Fa-f]*> Tj\n)+)ET(?=\n|\Z)"
)
# One line of a text object's glyphs: its move (if any) and its glyphs.
_GLYPHS = re.compile(rb"(?:(" + _N + rb") 0 Td )?<((?:[0-9A-Fa-f]{4})*)> Tj\n")
TOLERANCE = 0.5  # thousandths of the font size
# Operators that change a glyph's advance, which the rewrite would then misjudge
# (each after a space or a newline: searched for by their letters, which is faster).
_SPACING = re.compile(rb"T[cwz]\n")

Widths = dict[int, float]


# A text object's glyph lines, by their font's widths (the dictionary itself, by its
# id: one per font of a document) and size → those widths and its ``TJ``. A print
# file's bills share their labels: four in five text objects of a part are one seen
# before on another bill. The widths are kept in the value so that no other
# dictionary can take their id while the memo lives.
Memo = dict[tuple[int, bytes, bytes], tuple[Widths, bytes]]


def joined_text(
    content: bytes, widths_of: Callable[[str], Widths | None], memo: Memo | None = None
) -> bytes:
    """``content`` with its text objects as ``TJ`` arrays; ``widths_of`` gives a font
    resource's glyph widths (None: a font this does not read, left as it is). ``memo``
    keeps each array for the next page of the same document, whose fonts give the
    same widths' dictionaries (``widths_in``'s ``known``)."""
    for found in _SPACING.finditer(content):
        if found.start() and content[found.start() - 1] in b" \t\n\r\f\v":
            return content
    fonts: dict[str, tuple[Widths, dict[bytes, float]] | None] = {}

    def join(match: re.Match[bytes]) -> bytes:
        name = match[1].decode()
        if name not in fonts:
            widths = widths_of(name)
            fonts[name] = None if widths is None else (widths, {})
        font = fonts[name]
        if font is None:
            return match[0]
        key = (id(font[0]), match[2], match[4])
        cached = memo.get(key) if memo is not None else None
        if cached is not None:
            array = cached[1]
        else:
            try:
                size = float(match[2])
                if size <= 0:
                    return match[0]
                array = _array(match[4], *font, size)
            except ValueError:
                return match[0]
            if memo is not None:
                memo[key] = (font[0], array)
        return b"\nBT\n" + match[1] + b" " + match[2] + b" Tf\n" + match[3] + b"\n" + array + b"ET"

    return _TEXT_OBJECT.sub(join, b"\n" + content)[1:]


def _array(lines: bytes, widths: Widths, advances: dict[bytes, float], size: float) -> bytes:
    """The ``TJ`` (or ``Tj``) showing the glyph strings of ``lines`` (each
    ``<glyphs> Tj`` or ``dx 0 Td <glyphs> Tj``) where each was; ``advances`` caches
    each string's width. Raises ``ValueError`` for a line it does not read."""
    found = _GLYPHS.findall(lines)
    if len(found) != lines.count(b"\n"):
        raise ValueError("a line that is not a glyph string, or not two bytes a glyph")
    parts: list[bytes] = []
    current: list[bytes] = []
    line = 0.0  # where the last move put the line, in text space
    end = 0.0  # where the previous string ended
    lead = b""
    to_thousandths = 1000 / size
    # Below this a difference rounds to less than TOLERANCE: no need to round it.
    negligible = TOLERANCE * 0.98 / to_thousandths
    for index, (move, glyphs) in enumerate(found):
        if move:
            line += float(move)
            start = line
            if index == 0:  # the first glyph moved: the move stays, before the array
                lead = move + b" 0 Td "
                end = start
        else:
            start = end
        # ``end`` is where the viewer will have put the glyphs so far: what is not
        # written now is in the next difference, so nothing drifts along a line.
        if index and not -negligible < end - start < negligible:
            adjustment = round((end - start) * to_thousandths, 3)
            if abs(adjustment) >= TOLERANCE:
                parts.append(b"<" + b"".join(current) + b">")
                parts.append(_number(adjustment))
                current = []
                end -= adjustment / to_thousandths
        current.append(glyphs)
        advance = advances.get(glyphs)
        if advance is None:
            advance = advances[glyphs] = _advance(glyphs, widths)
        end += advance / to_thousandths
    parts.append(b"<" + b"".join(current) + b">")
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


def widths_in(
    resources: Any, known: dict[tuple[int, int], Widths | None] | None = None
) -> Callable[[str], Widths | None]:
    """The widths of a font of ``resources`` (a page's) by its name, as
    ``joined_text`` asks for them; ``known`` keeps them by font object for the next
    page of the same document (a print file's pages share a part's fonts)."""

    def widths_of(name: str) -> Widths | None:
        fonts = resources.get("/Font")
        font = None if fonts is None else fonts.get(name)
        if font is None:
            return None
        if known is None or not font.is_indirect:
            return font_widths(font)
        if font.objgen not in known:
            known[font.objgen] = font_widths(font)
        return known[font.objgen]

    return widths_of
