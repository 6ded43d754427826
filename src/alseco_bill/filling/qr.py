"""QR codes as segno makes them, with the mask chosen in a fraction of the time.

An encoder XORs a QR code's data with one of eight masks and keeps the one whose
symbol scores the lowest penalty (ISO/IEC 18004, 7.8.3: long runs, 2×2 blocks,
finder-like patterns, too much dark or light). segno scores the eight module by
module in Python: about four fifths of the 5–7 ms a bill's payment code took, some
5 % of a bill's CPU in a Chromium print run. ``make_qr`` makes the code once with a
trial mask, reads the data back out of it, scores every mask by segno's own rules on
the matrix segno scores (rows as integers: runs and blocks by bit operations, the
finder-like patterns by ``str.find``), and has segno make the code again only if
another mask wins. The result is the same symbol, module for module, as
``segno.make_qr`` gives (tests compare the two on random payloads, and the scores
with segno's on random matrices).
"""

from __future__ import annotations

from functools import lru_cache
from itertools import pairwise

import segno
from segno import encoder

# The mask segno most often picks for our payloads (version 4, level M or Q): the
# trial is then most often the code itself.
TRIAL_MASK = 2
_FINDER_LIKE = "1011101"  # 1:1:3:1:1, dark first
# What of segno's encoder lays out a symbol as its mask search does: not its public
# API, so a segno without it makes every code itself (the same code, slower).
_LAYOUT = (
    "make_matrix",
    "add_finder_patterns",
    "add_alignment_patterns",
    "get_data_mask_functions",
)
READS_LAYOUT = all(callable(getattr(encoder, name, None)) for name in _LAYOUT)


def make_qr(content: str, error: str) -> segno.QRCode:
    """``segno.make_qr(content, error=error)``, faster."""
    if not READS_LAYOUT:
        return segno.make_qr(content, error=error)
    trial = segno.make_qr(content, error=error, mask=TRIAL_MASK)
    best = best_mask(trial.matrix, TRIAL_MASK)
    return trial if best == TRIAL_MASK else segno.make_qr(content, error=error, mask=best)


def best_mask(symbol: tuple[bytearray, ...], mask: int) -> int:
    """The mask segno would choose for the data of ``symbol``, a QR code (not a
    micro one) made with ``mask``: the first of the lowest penalty."""
    width = len(symbol)
    region, function, masks = _layout(width)
    rows = [_row_bits(row) for row in symbol]
    data = [(row ^ masks[mask][i]) & region[i] for i, row in enumerate(rows)]
    scores = [
        penalty([function[i] | ((d ^ pattern[i]) & region[i]) for i, d in enumerate(data)], width)
        for pattern in masks
    ]
    return scores.index(min(scores))


def _row_bits(row: bytearray) -> int:
    """A row of modules (0 or 1 each) as an integer whose bit ``j`` is column ``j``."""
    return int(bytes(row[::-1]).translate(_DIGITS), 2)


_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def penalty(rows: list[int], width: int) -> int:
    """segno's penalty score (``encoder.mask_scores``, summed) of the matrix whose
    row ``i`` is ``rows[i]`` (bit ``j``: column ``j``, 1 dark)."""
    full = (1 << width) - 1
    # Rows' neighbours along the row (bit j: modules j and j + 1 agree), and rows
    # against the next row (bit j: the two agree in column j).
    along = [~(row ^ (row >> 1)) & (full >> 1) for row in rows]
    down = [~(a ^ b) & full for a, b in pairwise(rows)]
    # N1: a run of n ≥ 5 scores n - 2, that is one for each window of five in it
    # (n - 4) and two for its first window.
    runs = _runs(along, down)
    # N2: 3 for each 2×2 block of one colour (bit j: columns j - 1 and j).
    blocks = sum((d & (d << 1) & (a << 1)).bit_count() for d, a in zip(down, along, strict=False))
    # N3, as segno searches each row and column; only those that hold the pattern.
    rowwise = [i for i, row in enumerate(rows) if _pattern_at(row)]
    columns = 0
    for i in range(width - 6):
        r = rows[i : i + 7]
        columns |= r[0] & ~r[1] & r[2] & r[3] & r[4] & ~r[5] & r[6]
    every = [format(row, f"0{width}b")[::-1] for row in rows] if rowwise or columns else []
    lines = [every[i] for i in rowwise] + [
        "".join(column) for j, column in enumerate(zip(*every, strict=True)) if columns >> j & 1
    ]
    finder_like = sum(_finder_like(line, width) for line in lines)
    dark = sum(row.bit_count() for row in rows)
    balance = 10 * int(abs(float(dark) / width**2 * 100 - 50) / 5)
    return runs + 3 * blocks + finder_like + balance


def _runs(along: list[int], down: list[int]) -> int:
    """N1 from the agreeing neighbours along each row and down each column: for each
    window of five modules of one colour 1, and 2 more for the first of a run."""
    score = 0
    for a in along:
        windows = a & a >> 1 & a >> 2 & a >> 3  # bit j: modules j to j + 4 agree
        score += windows.bit_count() + 2 * (windows & ~(windows << 1)).bit_count()
    before = 0
    for i in range(len(down) - 3):
        windows = down[i] & down[i + 1] & down[i + 2] & down[i + 3]  # rows i to i + 4
        score += windows.bit_count() + 2 * (windows & ~before).bit_count()
        before = windows
    return score


def _pattern_at(row: int) -> int:
    """Bits j where the row holds 1011101 from column j."""
    return row & ~row >> 1 & row >> 2 & row >> 3 & row >> 4 & ~row >> 5 & row >> 6


def _finder_like(line: str, width: int) -> int:
    """segno's N3 of one row or column: 40 for each 1:1:3:1:1 pattern at an edge or
    with four light modules before or after it, searched as segno searches."""
    score = 0
    found = line.find(_FINDER_LIKE)
    while found != -1:
        after = found + 7
        if (
            found in (0, width - 7)
            or "1" not in line[max(found - 4, 0) : found]
            or "1" not in line[after : after + 4]
        ):
            score += 40
        else:
            after = found + 4  # the next pattern may start at this one's fourth dark module
        found = line.find(_FINDER_LIKE, after)
    return score


@lru_cache(maxsize=8)
def _layout(width: int) -> tuple[list[int], list[int], list[list[int]]]:
    """For a QR code ``width`` modules wide, as segno lays it out before masking
    (``encoder.find_and_apply_best_mask``): the data modules by row, the function
    modules' colours by row (the format and version areas still light), and each
    mask's modules by row, within the data modules."""
    matrix = encoder.make_matrix(width, width)  # type: ignore[no-untyped-call]
    encoder.add_finder_patterns(matrix, width, width)  # type: ignore[no-untyped-call]
    encoder.add_alignment_patterns(matrix, width, width)  # type: ignore[no-untyped-call]
    matrix[-8][8] = 0x1  # the dark module: never masked, light while scored
    region = [sum(1 << j for j, v in enumerate(row) if v > 0x1) for row in matrix]
    function = [sum(1 << j for j, v in enumerate(row) if v == 0x1) for row in matrix]
    function[width - 8] &= ~(1 << 8)
    masks = [
        [sum(1 << j for j in range(width) if mask(i, j)) & region[i] for i in range(width)]
        for mask in encoder.get_data_mask_functions(False)  # type: ignore[no-untyped-call]
    ]
    return region, function, masks
