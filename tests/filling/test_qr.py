"""The payment QR code's mask, chosen as segno chooses it."""

from __future__ import annotations

import random

import pytest
import segno
from segno import encoder

from alseco_bill import sample_bills
from alseco_bill.filling.payment import payload
from alseco_bill.filling.qr import make_qr, penalty

# Digits, letters, Kazakh and Russian letters, our separators: numeric, alphanumeric
# and byte segments, versions 1 to about 20.
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:abcdefghiәғқңөұүһіЖы|="


def _random_texts(count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        length = rng.choice((rng.randint(1, 40), rng.randint(40, 120), rng.randint(120, 300)))
        text = "".join(rng.choice(ALPHABET) for _ in range(length))
        texts.append((text, rng.choice("LMQH")))
    return texts


def test_the_same_symbols_as_segno() -> None:
    cases = [(payload(bill), "M") for bill in sample_bills(60, seed=11)]
    cases += _random_texts(90, seed=12)
    masks = set()
    for text, error in cases:
        expected = segno.make_qr(text, error=error)
        made = make_qr(text, error)
        assert (made.version, made.error, made.mask) == (
            expected.version,
            expected.error,
            expected.mask,
        ), text
        assert made.matrix == expected.matrix, text
        masks.add(made.mask)
    assert len(masks) >= 6  # the trial mask and others: both ways through make_qr


@pytest.mark.parametrize("seed", range(4))
def test_the_penalty_is_segnos(seed: int) -> None:
    """Scored as segno scores a matrix, on random ones (every rule scores on them: runs,
    blocks, finder-like patterns, an imbalance) and on ones with long runs."""
    rng = random.Random(seed)
    for _ in range(40):
        width = rng.choice((21, 25, 33, 45, 57))
        dark = rng.choice((0.5, 0.3, 0.8))
        matrix = tuple(
            bytearray(int(rng.random() < dark) for _ in range(width)) for _ in range(width)
        )
        rows = [sum(bit << j for j, bit in enumerate(row)) for row in matrix]
        scores = encoder.mask_scores(matrix, width, width)  # type: ignore[no-untyped-call]
        assert penalty(rows, width) == sum(scores)


def test_without_segnos_layout_segno_makes_the_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """A segno whose encoder no longer lays symbols out as this module reads them."""
    monkeypatch.setattr("alseco_bill.filling.qr.READS_LAYOUT", False)
    text = payload(next(sample_bills(1, seed=3)))
    assert make_qr(text, "M").matrix == segno.make_qr(text, error="M").matrix
