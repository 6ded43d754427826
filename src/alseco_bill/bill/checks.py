"""The rules a billing clerk checks that relate several fields of a bill.

Each rule yields ``Problem``s at the exact field path (``services[3].to_pay``), so a
data producer can go straight to the wrong value. Amounts must agree to the tiyn.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection, Iterator
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from ..errors import Problem
from .model import TIYN, Bill

_SUMMED = ("opening_balance", "accrued", "recalculation", "paid", "to_pay")


# Characters that would print nothing, or reorder what is printed around them: the
# bidirectional embeddings, overrides (U+202A-202E) and isolates (U+2066-2069).
BIDI_CONTROLS = frozenset([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def check_bill(
    bill: Bill,
    logo_exists: Callable[[str], bool] | None = None,
    glyphs: Collection[int] | None = None,
) -> list[Problem]:
    """Every cross-field problem of ``bill``; ``logo_exists`` checks logo files and
    ``glyphs`` (the code points the bill font has) the characters of its text."""
    return [
        *_characters(bill, glyphs),
        *_suppliers(bill, logo_exists),
        *_services(bill),
        *_meters(bill),
        *_totals(bill),
        *_dates(bill),
    ]


def _suppliers(bill: Bill, logo_exists: Callable[[str], bool] | None) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, supplier in enumerate(bill.suppliers):
        if supplier.id in seen:
            yield Problem(f"suppliers[{i}].id", f"supplier id {supplier.id!r} is listed twice")
        seen.add(supplier.id)
        if logo_exists is not None and not logo_exists(supplier.logo):
            yield Problem(
                f"suppliers[{i}].logo", f"no logo file static/logos/{supplier.logo} was found"
            )
    for section in ("services", "meters", "notices"):
        for i, item in enumerate(getattr(bill, section)):
            if item.supplier not in seen:
                known = ", ".join(sorted(seen))
                yield Problem(
                    f"{section}[{i}].supplier",
                    f"unknown supplier id {item.supplier!r} (the bill lists: {known})",
                )


def _services(bill: Bill) -> Iterator[Problem]:
    for i, line in enumerate(bill.services):
        at = f"services[{i}]"
        previous, current = line.previous_reading, line.current_reading
        if (previous is None) != (current is None):
            missing = "current_reading" if current is None else "previous_reading"
            yield Problem(f"{at}.{missing}", "a metered line needs both readings")
        elif previous is not None and current is not None:
            if current < previous:
                yield Problem(
                    f"{at}.current_reading",
                    f"current reading {current} is below the previous reading {previous}",
                )
            elif line.consumption != current - previous:
                yield Problem(
                    f"{at}.consumption",
                    f"consumption {line.consumption} is not current − previous reading "
                    f"({current} − {previous} = {current - previous})",
                )
        expected_accrued = (line.tariff * line.consumption).quantize(TIYN, ROUND_HALF_UP)
        if line.accrued != expected_accrued:
            yield Problem(
                f"{at}.accrued",
                f"accrued {line.accrued} is not tariff × consumption "
                f"({line.tariff} × {line.consumption} = {expected_accrued})",
            )
        expected = line.opening_balance + line.accrued + line.recalculation - line.paid
        if line.to_pay != expected:
            yield Problem(
                f"{at}.to_pay",
                f"to_pay {line.to_pay} is not opening_balance + accrued + recalculation − paid "
                f"({line.opening_balance} + {line.accrued} + {line.recalculation} − {line.paid}"
                f" = {expected})",
            )


def _meters(bill: Bill) -> Iterator[Problem]:
    for i, meter in enumerate(bill.meters):
        at = f"meters[{i}]"
        if meter.current.value < meter.previous.value:
            yield Problem(
                f"{at}.current.value",
                f"current reading {meter.current.value} is below the previous reading "
                f"{meter.previous.value}",
            )
        if meter.current.date < meter.previous.date:
            yield Problem(f"{at}.current.date", "the current reading is dated before the previous")
        if meter.current.date > bill.print_date:
            yield Problem(f"{at}.current.date", "the reading is dated after the print date")
        if meter.next_verification is not None and meter.next_verification < meter.current.date:
            yield Problem(
                f"{at}.next_verification", "the verification date has passed before the reading"
            )


def _totals(bill: Bill) -> Iterator[Problem]:
    for name in _SUMMED:
        expected = sum((getattr(s, name) for s in bill.services), Decimal("0.00"))
        actual = getattr(bill.totals, name)
        if actual != expected:
            yield Problem(
                f"totals.{name}", f"total {actual} is not the sum of the service lines ({expected})"
            )


def _dates(bill: Bill) -> Iterator[Problem]:
    if bill.print_date < bill.period:
        yield Problem("print_date", "the bill is printed before its billing period starts")
    elif bill.print_date > bill.period + timedelta(days=92):
        yield Problem("print_date", "the bill is printed more than 92 days after its period starts")
    if bill.payment_due < bill.print_date:
        yield Problem("payment_due", "the payment deadline is before the print date")
    for i, line in enumerate(bill.services):
        if line.accrual_period is not None and line.accrual_period > bill.period:
            yield Problem(
                f"services[{i}].accrual_period", "a charge cannot be for a month after the bill's"
            )


def text_fields(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every text of a bill (or part of one) with its field path."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from text_fields(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from text_fields(item, f"{path}[{i}]")
    elif isinstance(value, str) and not isinstance(value, Enum):
        yield path, value


def _characters(bill: Bill, glyphs: Collection[int] | None) -> Iterator[Problem]:
    for path, text in text_fields(bill):
        for char in dict.fromkeys(text):
            why = unprintable(char)
            if why is None and glyphs is not None and ord(char) not in glyphs:
                why = "is not in the bill font (it would print in another font, or not at all)"
            if why is not None:
                yield Problem(path, f"the character {describe(char)} {why}")


def unprintable(char: str) -> str | None:
    """Why ``char`` may not be in a bill's text at all, whatever the font; or None."""
    code = ord(char)
    category = unicodedata.category(char)
    if category == "Cc":
        return "is a control character, which a bill cannot print; remove it"
    if code in BIDI_CONTROLS:
        return "is a bidirectional control, which reorders the printed text; remove it"
    if category == "Cs" or (code & 0xFFFE) == 0xFFFE or 0xFDD0 <= code <= 0xFDEF:
        return "is not a character (a noncharacter or a lone surrogate); remove it"
    return None


def describe(char: str) -> str:
    """``U+1F600 '😀' (GRINNING FACE)``: the code, and the character if it can be shown."""
    name = unicodedata.name(char, "")
    shown = f" {char!r}" if unicodedata.category(char)[0] not in "CZ" else ""
    return f"U+{ord(char):04X}{shown}" + (f" ({name})" if name else "")
