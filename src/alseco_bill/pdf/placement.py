"""A page cut from a Chromium document, drawn as if it were the document's first page.

Chromium paints a printed document in the coordinates of the whole document: page
``k``'s content opens with ``s 0 0 s e F cm`` where ``F`` is the first page's ``F``
less ``s`` times the page's offset ``D`` (in CSS pixels), and the boxes and text
under that matrix sit at ``y + D``. A bill cut from page 17 of a part therefore
differs from the same bill printed alone in a few hundred numbers, and its bytes
would depend on how many bills were printed before it.

``first_page`` moves such a page back: every matrix equal to the document's
(``s 0 0 s e F``) gets the first page's ``F``, and every ``y`` drawn under it (paths,
rectangles, text matrices, nested matrices) loses ``D``. Numbers are written as
Chromium's PDF writer (Skia's ``SkFloatToDecimal``) writes a float, so a moved page
has the bytes the first page would have had: the rewrite only holds when every moved
number is a float that Skia wrote and that stays exact without ``D``, and otherwise
(or for any operator it does not know under the document's matrix) the content is
left as it is, which is a correct page that merely depends on its place.

Matrices that are not the document's (an SVG's, an image's) are written by Skia as
whole products relative to the page, so they need nothing.
"""

from __future__ import annotations

import math
import re
import struct
from collections import Counter
from dataclasses import dataclass

# Numbers as plain characters (a grammar would backtrack): ``float`` and the check
# that Skia wrote them judge them.
_NUMBER = rb"[-.0-9]+"
# The lines that matter, in order: the graphics state's stack, matrices and the
# operators whose operands are points of the current space (Skia writes one operator
# a line, except ``Td`` and ``Tj`` together, which are relative to the ``Tm``).
# Each expression that scans a whole page begins with a newline, not ``^``: the
# content is scanned with a newline put before it, and the search then jumps from
# line to line instead of trying every byte (a page is some 80 KB).
_LINE = re.compile(rb"\n(?:([qQ])|([-. 0-9]+ )(cm|Tm|re|m|l|c|v|y))(?=\n|\Z)")
_CM = re.compile(rb" cm(?=\n|\Z)")
_MATRIX = re.compile(
    rb"(" + _NUMBER + rb") 0 0 (" + _NUMBER + rb") (" + _NUMBER + rb") (" + _NUMBER + rb")"
)
# Every text object as Skia begins it: its font, then its own matrix.
_TEXT_OBJECT = re.compile(rb"\nBT\n/[^\n]+ Tf\n[-. 0-9]+ Tm(?=\n|\Z)")
# Which operands are y coordinates, by operator.
_Y_OPERANDS = {b"re": (1,), b"m": (1,), b"l": (1,), b"c": (1, 3, 5), b"v": (1, 3), b"y": (1, 3)}
_Y_OPERANDS |= {b"Tm": (5,), b"cm": (5,)}
_ARITY = {b"re": 4, b"m": 2, b"l": 2, b"c": 6, b"v": 4, b"y": 4, b"Tm": 6, b"cm": 6}
_PAGE, _DOCUMENT, _OTHER = "page", "document", "other"


class Irregular(Exception):
    """Content this module cannot move exactly; the page is left where it is."""


@dataclass(frozen=True)
class DocumentMatrix:
    """A page's ``s 0 0 s e F``: the matrix of the document's own space."""

    scale: float
    x: float
    y: float


def document_matrix(content: bytes) -> DocumentMatrix | None:
    """The matrix of the document's space on a page: of the matrices with equal
    scales and no rotation, the one most groups are drawn with (the boxes and text;
    an SVG or an image has one of its own), or None."""
    counts: Counter[tuple[bytes, ...]] = Counter()
    for end in _CM.finditer(content):  # a few a page: found by their operator
        line = content[content.rfind(b"\n", 0, end.start()) + 1 : end.start()]
        matrix = _MATRIX.fullmatch(line)
        if matrix and matrix[1] == matrix[2] and not matrix[1].startswith(b"-"):
            counts[matrix.groups()] += 1
    if not counts:
        return None
    scale, _, x, y = counts.most_common(1)[0][0]
    return DocumentMatrix(_float32(float(scale)), _float32(float(x)), _float32(float(y)))


def first_page(content: bytes, first: DocumentMatrix) -> bytes:
    """``content`` drawn as the document's first page (whose matrix is ``first``)
    would draw it; raises ``Irregular`` when it cannot be moved exactly."""
    current = document_matrix(content)
    if current is None or current == first:
        return content
    offset = _offset(current, first)
    if b" sh\n" in content or content.endswith(b" sh"):  # sh takes a name
        raise Irregular("a shading: its coordinates are in the shading's dictionary")
    scan = b"\n" + content  # (see _LINE)
    if content.count(b"BT\n") != len(_TEXT_OBJECT.findall(scan)):
        raise Irregular("a text object without Tm")
    # The document's matrix as this page writes it, and as the first page does.
    prefix = b" ".join(skia_decimal(v) for v in (first.scale, 0, 0, first.scale, first.x))
    here, there = prefix + b" " + skia_decimal(current.y), prefix + b" " + skia_decimal(first.y)
    moved: dict[bytes, bytes] = {}  # y as written here -> y as the first page writes it

    def move(token: bytes) -> bytes:
        found = moved.get(token)
        if found is None:
            value = _float32(float(token))
            if skia_decimal(value) != token:
                raise Irregular(f"{token!r} is not written as Skia writes numbers")
            shifted = value - offset
            if _float32(shifted) != shifted:
                raise Irregular(f"{shifted} is not exact as a float")
            found = moved[token] = skia_decimal(shifted)
        return found

    pieces: list[bytes] = []
    done = 1  # past the newline put before the content
    stack: list[str] = []
    space = _PAGE  # page: matrices are absolute; other: under a matrix of its own
    matrices = 0
    for match in _LINE.finditer(scan):
        state, operator = match[1], match[3]
        if state is not None:
            if state == b"q":
                stack.append(space)
            elif not stack:
                raise Irregular("Q without q")
            else:
                space = stack.pop()
            continue
        if space == _OTHER:
            continue
        if space == _PAGE:
            if operator != b"cm":
                continue
            matrices += 1
            if match[2][:-1] == here:
                pieces.append(scan[done : match.start(2)])
                pieces.append(there + b" ")
                done = match.start(3)
                space = _DOCUMENT
            else:
                space = _PAGE if matrices == 1 else _OTHER  # the first turns the page upright
            continue
        operands = match[2].split()
        if len(operands) != _ARITY[operator]:
            raise Irregular(f"{operator.decode()} with {len(operands)} operands")
        if operator == b"cm":
            space = _OTHER  # what follows is drawn in the concatenated space
        for i in _Y_OPERANDS[operator]:
            operands[i] = move(operands[i])
        pieces.append(scan[done : match.start(2)])
        pieces.append(b" ".join(operands) + b" ")
        done = match.start(3)
    pieces.append(scan[done:])
    return b"".join(pieces)


def _offset(current: DocumentMatrix, first: DocumentMatrix) -> float:
    """``D`` of a page whose matrix is ``current``: how far down the document its
    space starts."""
    if (current.scale, current.x) != (first.scale, first.x):
        raise Irregular("the page's matrix differs from the first page's")
    offset = (first.y - current.y) / first.scale
    # Chromium's layout positions are multiples of 1/64 px (its LayoutUnit).
    snapped = round(offset * 64) / 64
    if abs(snapped * first.scale - (first.y - current.y)) > 1e-3:
        raise Irregular(f"page offset {offset} is not a layout position")
    return snapped


def _float32(value: float) -> float:
    result: float = struct.unpack("f", struct.pack("f", value))[0]
    return result


def skia_decimal(value: float) -> bytes:
    """``value`` (a float32) as Skia's ``SkFloatToDecimal`` writes it: at most nine
    significant digits (eight past 2^24's), no exponent, no leading zero."""
    value = _float32(value)
    if value == 0 or not math.isfinite(value):
        return b"0"
    sign = "-" if value < 0 else ""
    value = abs(value)
    binary_exponent = math.frexp(value)[1]
    decimal_exponent = math.floor(0.3010299956639812 * binary_exponent)
    shift = decimal_exponent - 8
    power = _pow10(-shift)
    digits = int(value * power + 0.5)
    if digits > 167772159:  # one digit fewer is enough for 24 bits
        shift = decimal_exponent - 7
        digits = int(value * (power * 0.1) + 0.5)
    while digits % 10 == 0:
        digits //= 10
        shift += 1
    text = str(digits)
    if shift >= 0:
        return (sign + text + "0" * shift).encode()
    before = len(text) + shift
    if before > 0:
        return (sign + text[:before] + "." + text[before:]).encode()
    return (sign + "." + "0" * -before + text).encode()


def _pow10(exponent: int) -> float:
    """10**exponent computed as Skia computes it (exact up to 1e15, then by squaring)."""
    if 0 <= exponent <= 15:
        return float(10**exponent)
    if exponent > 15:
        return _by_squaring(1e15, 10.0, exponent - 15)
    return _by_squaring(1.0, 0.1, -exponent)


def _by_squaring(value: float, base: float, exponent: int) -> float:
    while True:
        if exponent & 1:
            value *= base
        exponent >>= 1
        if exponent == 0:
            return value
        base *= base
