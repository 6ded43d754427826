"""Every number, amount, reading, period and date on a bill, formatted by Babel.

Templates never format values themselves: they use these functions as Jinja
filters (``{{ line.to_pay|money }}``), which read the bill's locale from the
template context. Amounts are in tenge with the locale's grouping and decimal
comma; a negative amount (an advance) keeps its sign, printed as the en dash «–»
(U+2013), the sign the labels' legends use: the bill font, Noto Sans, has no minus
sign U+2212, and Babel's hyphen-minus would be a second sign on one sheet. Kazakh
periods and dates take the official form, «2025 жылғы ақпан», «2025 жылғы 25 наурыз»,
not CLDR's short «2025 ж. ақпан».
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import format_date, format_skeleton, get_month_names
from babel.numbers import (
    NumberPattern,
    format_currency,
    format_decimal,
    get_minus_sign_symbol,
    parse_pattern,
)
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

# ru_RU would print "KZT"; the Kazakhstan locales print the tenge sign.
LOCALES = {"kk": "kk_KZ", "ru": "ru_KZ"}
# The one negative sign of a bill (README, "The bill data"): Noto Sans lacks U+2212.
MINUS = "\u2013"
# Kazakh keeps a number with its word: «2025 жылғы», «25 наурыз» (no-break spaces).
NBSP = "\xa0"


def locale_for(language: str) -> str:
    return LOCALES[language]


@functools.cache
def _babel(locale: str) -> Locale:
    # Parsed once: Babel parses a locale's name again on every call it is given as
    # text, some 80 times a bill.
    return Locale.parse(locale)


@functools.lru_cache(maxsize=64)
def _pattern(text: str) -> NumberPattern:
    # Parsed once: given as text, Babel parses a pattern again for every number,
    # half of the time it takes to format one.
    return parse_pattern(text)


def money(value: Decimal, locale: str) -> str:
    """``16879.04`` → ``16 879,04 ₸`` (grouping and decimal comma of the locale)."""
    return _signed(format_currency(value, "KZT", locale=_babel(locale)), locale)


def amount(value: Decimal, locale: str) -> str:
    """An amount without the currency sign, for table columns headed «₸»."""
    return _signed(
        format_decimal(value, format=_pattern("#,##0.00"), locale=_babel(locale)), locale
    )


def quantity(value: Decimal, locale: str) -> str:
    """Consumption and areas: as many decimals as given (up to 3), never fewer than 0."""
    places = min(max(-value.normalize().as_tuple().exponent, 0), 3)  # type: ignore[operator]
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return _signed(format_decimal(value, format=_pattern(pattern), locale=_babel(locale)), locale)


def reading(value: Decimal, locale: str) -> str:
    """Meter readings keep the precision they were taken with, without grouping."""
    places = max(-value.as_tuple().exponent, 0)  # type: ignore[operator]
    pattern = "0" + ("." + "0" * places if places else "")
    return _signed(format_decimal(value, format=_pattern(pattern), locale=_babel(locale)), locale)


def tariff(value: Decimal, locale: str) -> str:
    """Tariffs: two decimals, or more when the tariff has them (7.4512 ₸/m²)."""
    places = min(max(-value.normalize().as_tuple().exponent, 2), 4)  # type: ignore[operator]
    return _signed(
        format_decimal(value, format=_pattern("#,##0." + "0" * places), locale=_babel(locale)),
        locale,
    )


def period(value: date, locale: str) -> str:
    """A billing month as a person writes it: «апрель 2020 г.», «2020 жылғы сәуір»."""
    if _is_kazakh(locale):
        return f"{value.year}{NBSP}жылғы {_kazakh_month(value, locale)}"
    return format_skeleton("yMMMM", value, locale=_babel(locale))


def short_date(value: date, locale: str) -> str:
    """``25.04.2020`` in both languages (the form used in tables and footers)."""
    return format_date(value, "dd.MM.yyyy", locale=_babel(locale))


def long_date(value: date, locale: str) -> str:
    """«25 апреля 2020 г.», «2020 жылғы 25 сәуір» (deadlines in sentences)."""
    if _is_kazakh(locale):
        return f"{value.year}{NBSP}жылғы {value.day}{NBSP}{_kazakh_month(value, locale)}"
    return format_date(value, "long", locale=_babel(locale))


def _signed(text: str, locale: str) -> str:
    """Babel's text with the bill's negative sign instead of the locale's."""
    return text.replace(get_minus_sign_symbol(_babel(locale)), MINUS)


def _is_kazakh(locale: str) -> bool:
    return locale.partition("_")[0] == "kk"


def _kazakh_month(value: date, locale: str) -> str:
    """The month as Kazakh official texts write it after «жылғы»: lower case, «наурыз»."""
    return str(get_month_names("wide", "format", locale=_babel(locale))[value.month])


FORMATTERS: dict[str, Callable[[Any, str], str]] = {
    "money": money,
    "amount": amount,
    "quantity": quantity,
    "reading": reading,
    "tariff": tariff,
    "period": period,
    "short_date": short_date,
    "long_date": long_date,
}


# A word this long may not fit the narrowest column that holds free text (a stub's
# service or supplier name, about 12 wide letters): it may break anywhere. Shorter
# words keep their whole width, and no cell pays for the rule (WeasyPrint spent about
# 90 ms a bill when every data cell had it). A wider column gives its own limit
# (``breakable(16)``): in a table cell WeasyPrint tries a break after every letter of
# a marked word to find the column's narrowest width, so each word marked without need
# costs it time.
LONG_WORD = 12
LONG_WORD_CLASS = "long-word"


@functools.cache
def _long_words(longest: int) -> re.Pattern[str]:
    return re.compile(rf"(\S{{{longest},}})")


def breakable(value: object, longest: int = LONG_WORD) -> Markup:
    """Free text (a name, an address, a notice) as HTML in which each word of
    ``longest`` characters or more is marked ``<span class="long-word">`` (bill.css
    lets it break anywhere), so a 200-letter word wraps instead of running over its
    column; the text itself, as printed and as extracted, is unchanged. ``longest`` is
    the column's: the fewest of the alphabets' widest letters (Ю, Щ, Ш) that do not fit
    its narrowest width."""
    if isinstance(value, Markup):
        return value  # already HTML: its words cannot be told from its tags
    if type(longest) is not int or longest < 1:
        raise ValueError(f"breakable() takes a word length of at least 1, not {longest!r}")
    # split() with a group: the long words at the odd places, escaped like the rest.
    pieces = _long_words(longest).split(str(value))
    return Markup("").join(
        Markup('<span class="%s">%s</span>') % (LONG_WORD_CLASS, piece) if i % 2 else escape(piece)
        for i, piece in enumerate(pieces)
    )


def jinja_filters() -> dict[str, Callable[..., str]]:
    """The formatters as Jinja filters that take the locale from the context, and
    ``breakable`` for free text."""
    filters = {name: _with_locale(function) for name, function in FORMATTERS.items()}
    filters["breakable"] = breakable
    return filters


def _with_locale(function: Callable[[Any, str], str]) -> Callable[..., str]:
    @pass_context
    def jinja_filter(context: Context, value: Any) -> str:
        return function(value, context["locale"])

    jinja_filter.__name__ = function.__name__
    return jinja_filter
