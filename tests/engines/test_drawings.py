"""Print files' repeated drawings shared and their numbers shortened."""

from __future__ import annotations

import pytest

from alseco_bill.engines.drawings import shortened


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        (b"12.3456789 0 Td", b"12.345 0 Td"),
        (b"-3.1415927 7.5 m", b"-3.141 7.5 m"),
        (b"10.0001 l", b"10.000 l"),  # two digits before the dot: 10 or more
        (b"1.2345 2.3456 l", b"1.234 2.345 l"),
        (b"123.456 l", b"123.456 l"),  # three decimals or fewer: as written
        (b".2400001 0 0 .2400001 0 0 cm", b".2400001 0 0 .2400001 0 0 cm"),  # below 1
        (b"0.12345 l", b"0.12345 l"),  # a zero alone before the dot: below 1 too
        (b"<01AB> Tj\n/G3 gs", b"<01AB> Tj\n/G3 gs"),
    ],
)
def test_numbers_of_one_or_more_keep_three_decimals(written: bytes, kept: bytes) -> None:
    assert shortened(written) == kept
