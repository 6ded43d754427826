"""Babel formatting of money, quantities, readings, periods and dates in kk and ru."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from conftest import ROOT

from alseco_bill.filling import formatting as f

KK, RU = f.locale_for("kk"), f.locale_for("ru")
NBSP = "\xa0"
NNBSP = "\u202f"  # CLDR's space before «г.»
EN_DASH = "\u2013"  # the bill's one negative sign: Noto Sans has no U+2212


@pytest.mark.parametrize("locale", [KK, RU])
def test_money_in_tenge_with_grouping_and_decimal_comma(locale: str) -> None:
    assert f.money(Decimal("16879.04"), locale) == f"16{NBSP}879,04{NBSP}₸"
    assert f.money(Decimal("-1250.5"), locale) == f"{EN_DASH}1{NBSP}250,50{NBSP}₸"
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
    # Kazakh writes the year first, in the official form («2025 жылғы желтоқсан үшін»),
    # not CLDR's «2020 ж. сәуір».
    assert f.period(april, KK) == f"2020{NBSP}жылғы сәуір"
    assert f.period(date(2025, 2, 1), KK) == f"2025{NBSP}жылғы ақпан"


def test_dates() -> None:
    day = date(2020, 5, 25)
    assert f.short_date(day, RU) == "25.05.2020"
    assert f.short_date(day, KK) == "25.05.2020"
    # Russian deadlines read «до 25 мая 2020 г.»: the genitive month.
    assert f.long_date(day, RU) == f"25 мая 2020{NNBSP}г."
    # Kazakh: the official «2023 жылғы 2 қазан» form, a number kept with its word.
    assert f.long_date(day, KK) == f"2020{NBSP}жылғы 25{NBSP}мамыр"
    assert f.long_date(date(2025, 3, 1), KK) == f"2025{NBSP}жылғы 1{NBSP}наурыз"


KAZAKH_MONTHS = [
    *("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым"),
    *("шілде", "тамыз", "қыркүйек", "қазан", "қараша", "желтоқсан"),
]


@pytest.mark.parametrize("month", range(1, 13))
def test_kazakh_periods_and_dates_in_the_official_form(month: int) -> None:
    name = KAZAKH_MONTHS[month - 1]
    assert f.period(date(2025, month, 1), KK) == f"2025{NBSP}жылғы {name}"
    assert f.long_date(date(2025, month, 28), KK) == f"2025{NBSP}жылғы 28{NBSP}{name}"
    assert "ж." not in f.period(date(2025, month, 1), KK)


@pytest.mark.parametrize("locale", [KK, RU])
@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("money", "-694.58", f"{EN_DASH}694,58{NBSP}₸"),
        ("amount", "-694.58", f"{EN_DASH}694,58"),
        ("amount", "-0.01", f"{EN_DASH}0,01"),
        ("amount", "-1234567.8", f"{EN_DASH}1{NBSP}234{NBSP}567,80"),
        ("quantity", "-2.5", f"{EN_DASH}2,5"),
        ("tariff", "-7.45", f"{EN_DASH}7,45"),
        ("reading", "-3", f"{EN_DASH}3"),
    ],
)
def test_one_negative_sign_the_en_dash(locale: str, name: str, value: str, text: str) -> None:
    """The legends' «(–)» and the amounts use the same sign; none is the hyphen-minus
    Babel prints, nor U+2212, which the bill font lacks."""
    formatted = f.FORMATTERS[name](Decimal(value), locale)
    assert formatted == text
    assert "-" not in formatted
    assert "\u2212" not in formatted


def test_positive_amounts_have_no_sign() -> None:
    assert f.amount(Decimal("694.58"), KK) == "694,58"
    assert f.money(Decimal("0"), RU) == f"0,00{NBSP}₸"


def test_the_negative_sign_is_in_the_bill_font_and_u2212_is_not() -> None:
    from fontTools.ttLib import TTFont

    fonts = sorted((ROOT / "static" / "fonts").glob("*.ttf"))
    assert fonts
    for font in fonts:
        cmap = TTFont(font).getBestCmap()
        assert ord(f.MINUS) in cmap, font.name
        assert 0x2212 not in cmap, f"{font.name} has U+2212 now: use the true minus sign"


def test_breakable_marks_the_words_of_its_limit_and_longer() -> None:
    text = "ТОО «АлматыЭнергоСбыт» <b>"
    marked = 'ТОО <span class="long-word">«АлматыЭнергоСбыт»</span> &lt;b&gt;'
    assert f.breakable(text) == marked
    assert f.breakable(text, 18) == marked
    assert f.breakable(text, 19) == "ТОО «АлматыЭнергоСбыт» &lt;b&gt;"
    with pytest.raises(ValueError, match="at least 1"):
        f.breakable(text, 0)
