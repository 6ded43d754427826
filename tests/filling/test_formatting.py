"""Babel formatting of money, quantities, readings, periods and dates in kk and ru."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from alseco_bill.filling import formatting as f

KK, RU = f.locale_for("kk"), f.locale_for("ru")
NBSP = "\xa0"
NNBSP = "\u202f"  # CLDR's space before «г.», «ж.»


@pytest.mark.parametrize("locale", [KK, RU])
def test_money_in_tenge_with_grouping_and_decimal_comma(locale: str) -> None:
    assert f.money(Decimal("16879.04"), locale) == f"16{NBSP}879,04{NBSP}₸"
    assert f.money(Decimal("-1250.5"), locale) == f"-1{NBSP}250,50{NBSP}₸"
    assert f.amount(Decimal("1234567.8"), locale) == f"1{NBSP}234{NBSP}567,80"
    assert f.amount(Decimal("0"), locale) == "0,00"


def test_quantities_keep_their_decimals() -> None:
    assert f.quantity(Decimal("42.80"), RU) == "42,8"
    assert f.quantity(Decimal("1250"), KK) == f"1{NBSP}250"
    assert f.quantity(Decimal("2.125"), RU) == "2,125"


def test_readings_keep_their_precision_without_grouping() -> None:
    assert f.reading(Decimal("12345.600"), RU) == "12345,600"
    assert f.reading(Decimal("876"), KK) == "876"


def test_tariffs_have_two_to_four_decimals() -> None:
    assert f.tariff(Decimal("92"), RU) == "92,00"
    assert f.tariff(Decimal("7.4512"), KK) == "7,4512"
    assert f.tariff(Decimal("2248.00"), RU) == f"2{NBSP}248,00"


def test_period_as_a_person_writes_it() -> None:
    april = date(2020, 4, 1)
    # Russian: nominative month, the form that follows «за» («за апрель 2020 г.»).
    assert f.period(april, RU) == f"апрель 2020{NNBSP}г."
    assert f.period(date(2025, 2, 1), RU) == f"февраль 2025{NNBSP}г."
    # Kazakh writes the year first.
    assert f.period(april, KK) == f"2020{NNBSP}ж. сәуір"


def test_dates() -> None:
    day = date(2020, 5, 25)
    assert f.short_date(day, RU) == "25.05.2020"
    assert f.short_date(day, KK) == "25.05.2020"
    # Russian deadlines read «до 25 мая 2020 г.»: the genitive month.
    assert f.long_date(day, RU) == f"25 мая 2020{NNBSP}г."
    assert f.long_date(day, KK) == f"2020{NNBSP}ж. 25 мамыр"
