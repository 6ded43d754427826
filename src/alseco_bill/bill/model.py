"""The bill data model: what one household's consolidated bill carries.

Money is ``Decimal`` in tenge with at most two decimals (tiyn), never float. A
positive balance is a debt, a negative one an advance or overpayment. Field-level
rules live here; the rules that relate several fields (sums, readings, supplier
references) live in ``checks.py`` so that each problem is reported at its own path.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

ACCOUNT_PATTERN = r"^[0-9]{10}$"
TIYN = Decimal("0.01")  # money has two decimals: tenge and tiyn


def _year_month(value: Any) -> Any:
    """Accept ``"2020-04"`` and turn it into the first day of that month."""
    if isinstance(value, str):
        # [0-9], not \d: Python's \d also matches Arabic-Indic and fullwidth digits.
        match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", value)
        if not match:
            raise ValueError("must be a year and month like 2020-04")
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(f"there is no month {month}")
        return date(year, month, 1)
    return value


def _account(value: str) -> str:
    if not re.fullmatch(ACCOUNT_PATTERN, value):
        raise ValueError("must be exactly 10 digits, e.g. 1234567890")
    return value


def _decimal(places: int) -> BeforeValidator:
    """A number's own rules, checked before pydantic's: ASCII digits only, and too many
    decimal places said as such (``0.30000000000000004``, a float artifact, has 17
    digits, but what is wrong with it is its decimals)."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and not value.isascii():
            raise ValueError("must be written with the digits 0-9 (ASCII), like 16879.04")
        if isinstance(value, float | str | Decimal) and not isinstance(value, bool):
            try:
                number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
            except InvalidOperation:
                return value  # not a number at all: pydantic says so
            exponent = number.normalize().as_tuple().exponent
            if isinstance(exponent, int) and -exponent > places:
                float_hint = isinstance(value, float)
                hint = '; write amounts as strings, like "0.30"' if float_hint else ""
                raise ValueError(f"must have at most {places} decimal places{hint}")
        return value

    return BeforeValidator(check)


YearMonth = Annotated[
    date,
    BeforeValidator(_year_month),
    PlainSerializer(lambda d: f"{d.year:04d}-{d.month:02d}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$"}),
]
Money = Annotated[Decimal, Field(max_digits=14, decimal_places=2), _decimal(2)]
Tariff = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=4), _decimal(4)]
Quantity = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=4), _decimal(4)]
Reading = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=3), _decimal(3)]
Account = Annotated[
    str,
    AfterValidator(_account),
    WithJsonSchema({"type": "string", "pattern": ACCOUNT_PATTERN}),
]
SupplierId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class Variant(StrEnum):
    """Which bill layout: Almaty city (one sheet) or Almaty region (with receipt stub)."""

    CITY = "city"
    REGION = "region"


class Language(StrEnum):
    KK = "kk"
    RU = "ru"


class Unit(StrEnum):
    """Units a service is charged in; each language folder labels them."""

    KWH = "kwh"
    M3 = "m3"
    GCAL = "gcal"
    M2 = "m2"
    PERSON = "person"
    FLAT = "flat"


class NoticeKind(StrEnum):
    DEADLINE = "deadline"
    ACCRUAL_PERIOD = "accrual_period"
    DEBT = "debt"
    INFO = "info"


class _Model(BaseModel):
    # Unknown keys are usually typos in a producer's export: reject them, never drop.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contacts(_Model):
    """ALSECO's own contacts, printed on the last line of the bill."""

    site: Text
    phone: Text
    address: Text


class Supplier(_Model):
    id: SupplierId
    name: Text
    logo: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-][A-Za-z0-9._-]*\.(svg|png)$")] = Field(
        description="A file name under static/logos/."
    )
    phones: list[Text] = Field(default_factory=list, max_length=3)
    site: Text | None = None


class Address(_Model):
    locality: Text = Field(description="City or village, e.g. «Алматы», «Қаскелең».")
    street: Text = Field(description="Street with its kind, as written in the bill language.")
    house: Annotated[str, Field(min_length=1, max_length=20)]
    flat: Annotated[str, Field(min_length=1, max_length=20)] | None = None
    postcode: Annotated[str, Field(pattern=r"^[A-Z0-9]{6}$")] | None = None


class Consumer(_Model):
    name: Text | None = None
    address: Address
    residents: Annotated[int, Field(ge=0, le=50)]
    living_area: Annotated[Decimal, Field(gt=0, le=2000, decimal_places=2), _decimal(2)] = Field(
        description=(
            "The flat's area in m² as the bill prints it («Пәтердің ауданы» / «Площадь»,"
            " площадь квартиры), on which heating without a meter is charged per m²;"
            " not the living rooms only (жилая площадь)."
        )
    )


class ServiceLine(_Model):
    """One service on the bill, with its account movement for the period."""

    service: Text
    supplier: SupplierId
    unit: Unit
    tariff: Tariff
    previous_reading: Reading | None = None
    current_reading: Reading | None = None
    consumption: Quantity
    accrual_period: YearMonth | None = Field(
        default=None, description="When the charge is for another month (heating is billed late)."
    )
    opening_balance: Money = Field(description="Debt (positive) or advance (negative).")
    accrued: Money
    recalculation: Money = Decimal("0.00")
    paid: Money = Decimal("0.00")
    to_pay: Money


class MeterReading(_Model):
    value: Reading
    date: date


class Meter(_Model):
    service: Text
    supplier: SupplierId
    serial: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,20}$")]
    previous: MeterReading
    current: MeterReading
    next_verification: date | None = None


class Notice(_Model):
    supplier: SupplierId
    kind: NoticeKind = NoticeKind.INFO
    text: Annotated[str, Field(min_length=1, max_length=400)]


class Totals(_Model):
    opening_balance: Money
    accrued: Money
    recalculation: Money
    paid: Money
    to_pay: Money


class Bill(_Model):
    """One consolidated bill for one personal account and one billing period."""

    variant: Variant
    language: Language
    period: YearMonth
    print_date: date
    payment_due: date
    account: Account
    consumer: Consumer
    alseco: Contacts
    suppliers: Annotated[list[Supplier], Field(min_length=1)]
    services: Annotated[list[ServiceLine], Field(min_length=1)]
    meters: list[Meter] = Field(default_factory=list)
    notices: list[Notice] = Field(default_factory=list)
    totals: Totals

    def supplier(self, supplier_id: str) -> Supplier:
        """The supplier with this id (validated bills always have it)."""
        return next(s for s in self.suppliers if s.id == supplier_id)


def bill_schema() -> dict[str, Any]:
    """The JSON Schema of a bill, for data producers."""
    schema = Bill.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ALSECO consolidated utility bill"
    return schema
