"""Realistic synthetic bills: Almaty suppliers, services, tariffs and balances.

Designers start a template from ``alseco-bill sample``; batch tests and benchmarks
draw thousands of them from a seed. Every sample is a valid bill: amounts are
computed the way the billing system does (accrued = tariff × consumption, to pay =
opening + accrued + recalculation − paid), so a sample never fails validation.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..filling.formatting import locale_for, money, short_date
from .model import TIYN, Bill, Language, NoticeKind, Unit, Variant

D = Decimal

# id: (ru name, kk name, logo, phones)
SUPPLIERS = {
    "aes": ("ТОО «АлматыЭнергоСбыт»", "«АлматыЭнергоСбыт» ЖШС", "aes.svg", ["+7 (727) 356 99 99"]),
    "alts": (
        "ТОО «Алматинские тепловые сети»",
        "«Алматы жылу желілері» ЖШС",
        "alts.svg",
        ["+7 (727) 341 07 77"],
    ),
    "almaty-su": ("ГКП «Алматы Су»", "«Алматы Су» МКК", "almaty-su.svg", ["+7 (727) 274 66 66"]),
    "gas": ("АО «КазТрансГаз Аймак»", "«ҚазТрансГаз Аймақ» АҚ", "gas.svg", ["104"]),
    "waste": ("ТОО «Тазалык Сервис»", "«Тазалық Сервис» ЖШС", "waste.svg", ["+7 (727) 300 15 15"]),
    "osi": ("ОСИ «Жетысу»", "«Жетісу» МИБ", "osi.svg", ["+7 (701) 555 12 34"]),
}
ALSECO = {
    "ru": {
        "site": "www.alseco.kz",
        "phone": "+7 (727) 341 07 00",
        "address": "г. Алматы, ул. Карасай батыра, 39",
    },
    "kk": {
        "site": "www.alseco.kz",
        "phone": "+7 (727) 341 07 00",
        "address": "Алматы қ., Қарасай батыр көшесі, 39",
    },
}
SERVICE_NAMES = {
    "electricity": ("Электроэнергия", "Электр энергиясы"),
    "heating": ("Отопление", "Жылыту"),
    "hot_water": ("Горячая вода", "Ыстық су"),
    "cold_water": ("Холодная вода", "Суық су"),
    "sewerage": ("Водоотведение", "Су бұру"),
    "gas": ("Газ", "Газ"),
    "waste": ("Вывоз твёрдых бытовых отходов", "Қатты тұрмыстық қалдықтарды шығару"),
    "maintenance": ("Содержание общего имущества (ОСИ)", "Ортақ мүлікті күтіп ұстау (МИБ)"),
}
STREETS = {
    "ru": [
        "пр. Абая",
        "ул. Толе би",
        "пр. Достык",
        "ул. Жандосова",
        "ул. Розыбакиева",
        "пр. Райымбека",
        "ул. Сатпаева",
        "ул. Тимирязева",
        "мкр. Аксай-4",
        "ул. Кахармана",
    ],
    "kk": [
        "Абай даңғылы",
        "Төле би көшесі",
        "Достық даңғылы",
        "Жандосов көшесі",
        "Розыбакиев көшесі",
        "Райымбек даңғылы",
        "Сәтбаев көшесі",
        "Тимирязев көшесі",
        "Ақсай-4 шағын ауданы",
        "Қаһарман көшесі",
    ],
}
REGION_LOCALITIES = {
    "ru": ["г. Каскелен", "г. Талгар", "пос. Боралдай", "с. Иргели", "г. Есик"],
    "kk": ["Қаскелең қ.", "Талғар қ.", "Боралдай к.", "Іргелі а.", "Есік қ."],
}
NAMES = {
    "ru": ["Иванова А. С.", "Ахметов Б. К.", "Ким В. Е.", "Сулейменова Д. М.", None],
    "kk": ["Сәрсенбаев Н. Қ.", "Әбілқызы Г. Ө.", "Нұрланұлы Ұ. Т.", "Жүсіпова Ә. Ғ.", None],
}
# Heating per m² of living area, by month of consumption (early-2022 notice).
HEATING_PER_M2 = {
    10: D("32.93"),
    11: D("152.05"),
    12: D("206.76"),
    1: D("228.48"),
    2: D("192.49"),
    3: D("154.40"),
    4: D("7.45"),
}


def sample_bill(
    variant: Variant | str = Variant.CITY,
    language: Language | str = Language.RU,
    *,
    seed: int = 0,
    period: date = date(2025, 2, 1),
) -> Bill:
    """One realistic, valid bill drawn from ``seed``."""
    rng = random.Random(seed)
    variant, language = Variant(variant), Language(language)
    lang = language.value
    print_date = _next_month(period) + timedelta(days=rng.randint(0, 4))
    residents = rng.choice([1, 2, 2, 3, 3, 4, 5])
    area = D(rng.randint(280, 1150)) / 10
    has_gas = rng.random() < 0.6
    metered_water = rng.random() < 0.8
    services = _services(rng, lang, period, residents, area, has_gas, metered_water)
    suppliers = sorted({s["supplier"] for s in services}, key=list(SUPPLIERS).index)
    locality = "Алматы" if variant is Variant.CITY else rng.choice(REGION_LOCALITIES[lang])
    data: dict[str, Any] = {
        "variant": variant.value,
        "language": lang,
        "period": f"{period.year:04d}-{period.month:02d}",
        "print_date": print_date.isoformat(),
        "payment_due": (_next_month(period) + timedelta(days=24)).isoformat(),
        "account": f"{rng.randrange(10**9, 10**10)}",
        "consumer": {
            "name": rng.choice(NAMES[lang]),
            "address": {
                "locality": locality,
                "street": rng.choice(STREETS[lang]),
                "house": f"{rng.randint(1, 250)}{rng.choice(['', '', '', 'А', 'Б'])}",
                "flat": str(rng.randint(1, 180)) if rng.random() < 0.85 else None,
            },
            "residents": residents,
            "living_area": str(area),
        },
        "alseco": ALSECO[lang],
        "suppliers": [_supplier(sid, lang) for sid in suppliers],
        "services": services,
        "meters": _meters(rng, lang, services, period, print_date),
        "notices": _notices(lang, services, period, print_date),
        "totals": {
            key: str(sum((D(s[key]) for s in services), D("0.00")))
            for key in ("opening_balance", "accrued", "recalculation", "paid", "to_pay")
        },
    }
    return Bill.model_validate(data)


def sample_bills(count: int, *, seed: int = 0) -> Iterator[Bill]:
    """``count`` bills of mixed variants and languages, the same for the same seed."""
    rng = random.Random(seed)
    for _ in range(count):
        yield sample_bill(
            rng.choice(list(Variant)), rng.choice(list(Language)), seed=rng.getrandbits(48)
        )


def _supplier(sid: str, lang: str) -> dict[str, Any]:
    ru, kk, logo, phones = SUPPLIERS[sid]
    return {"id": sid, "name": kk if lang == "kk" else ru, "logo": logo, "phones": phones}


def _services(
    rng: random.Random,
    lang: str,
    period: date,
    residents: int,
    area: Decimal,
    has_gas: bool,
    metered_water: bool,
) -> list[dict[str, Any]]:
    heating_month = _previous_month(period)  # heating is billed one month late
    lines: list[dict[str, Any]] = []

    def line(
        kind: str,
        supplier: str,
        unit: Unit,
        tariff: Decimal,
        consumption: Decimal,
        readings: tuple[Decimal, Decimal] | None = None,
        accrual_period: date | None = None,
    ) -> None:
        accrued = (tariff * consumption).quantize(TIYN, ROUND_HALF_UP)
        opening = _opening_balance(rng, accrued)
        paid = opening if opening > 0 and rng.random() < 0.8 else D("0.00")
        recalculation = -(accrued * D("0.1")).quantize(TIYN) if rng.random() < 0.05 else D("0.00")
        lines.append(
            {
                "service": SERVICE_NAMES[kind][lang == "kk"],
                "supplier": supplier,
                "unit": unit.value,
                "tariff": str(tariff),
                "previous_reading": str(readings[0]) if readings else None,
                "current_reading": str(readings[1]) if readings else None,
                "consumption": str(consumption),
                "accrual_period": accrual_period.strftime("%Y-%m") if accrual_period else None,
                "opening_balance": str(opening),
                "accrued": str(accrued),
                "recalculation": str(recalculation),
                "paid": str(paid),
                "to_pay": str(opening + accrued + recalculation - paid),
            }
        )

    kwh = D(rng.randint(80, 420))
    start = D(rng.randint(1000, 60000))
    line("electricity", "aes", Unit.KWH, D("22.94"), kwh, (start, start + kwh))
    heating = HEATING_PER_M2.get(heating_month.month)
    if heating is not None:
        line("heating", "alts", Unit.M2, heating, area, accrual_period=heating_month)
    if metered_water:
        hot, cold = D(rng.randint(20, 60)) / 10, D(rng.randint(30, 90)) / 10
        hot_start, cold_start = D(rng.randint(100, 900)), D(rng.randint(100, 1500))
        line("hot_water", "alts", Unit.M3, D("399.56"), hot, (hot_start, hot_start + hot))
        line("cold_water", "almaty-su", Unit.M3, D("92.00"), cold, (cold_start, cold_start + cold))
        line("sewerage", "almaty-su", Unit.M3, D("84.00"), hot + cold)
    else:
        line("hot_water", "alts", Unit.PERSON, D("2248.00"), D(residents))
        line("cold_water", "almaty-su", Unit.M3, D("92.00"), D("3.5") * residents)
        line("sewerage", "almaty-su", Unit.M3, D("84.00"), D("5.5") * residents)
    if has_gas:
        gas = D(rng.randint(8, 60))
        gas_start = D(rng.randint(500, 9000))
        line("gas", "gas", Unit.M3, D("32.15"), gas, (gas_start, gas_start + gas))
    line("waste", "waste", Unit.PERSON, D("264.24"), D(residents))
    line("maintenance", "osi", Unit.M2, D("45.00"), area)
    return lines


def _opening_balance(rng: random.Random, accrued: Decimal) -> Decimal:
    roll = rng.random()
    if roll < 0.6:
        return D("0.00")
    if roll < 0.85:  # last month's charge still unpaid
        return (accrued * D(rng.randint(80, 120)) / 100).quantize(TIYN)
    if roll < 0.95:  # an advance
        return -(accrued * D(rng.randint(20, 150)) / 100).quantize(TIYN)
    return (accrued * D(rng.randint(200, 600)) / 100).quantize(TIYN)  # a long debt


def _meters(
    rng: random.Random, lang: str, services: list[dict[str, Any]], period: date, print_date: date
) -> list[dict[str, Any]]:
    meters = []
    for line in services:
        if line["previous_reading"] is None:
            continue
        meters.append(
            {
                "service": line["service"],
                "supplier": line["supplier"],
                "serial": f"{rng.choice(['EM', 'SV', 'GS', 'HW'])}-{rng.randrange(10**7, 10**8)}",
                "previous": {"value": line["previous_reading"], "date": period.isoformat()},
                "current": {
                    "value": line["current_reading"],
                    "date": (_next_month(period) - timedelta(days=1)).isoformat(),
                },
                "next_verification": date(
                    print_date.year + rng.randint(1, 6), rng.randint(1, 12), 1
                ).isoformat(),
            }
        )
    return meters


def _notices(
    lang: str, services: list[dict[str, Any]], period: date, print_date: date
) -> list[dict[str, Any]]:
    locale = locale_for(lang)
    notices = []
    debts: dict[str, Decimal] = {}
    for line in services:
        if D(line["opening_balance"]) > 0 and D(line["paid"]) == 0:
            debts[line["supplier"]] = debts.get(line["supplier"], D(0)) + D(line["opening_balance"])
    for supplier, debt in debts.items():
        text = (
            f"{short_date(period, locale)} ж. жағдай бойынша берешек {money(debt, locale)}. "
            "Төленбеген жағдайда қызмет көрсету тоқтатылуы мүмкін."
            if lang == "kk"
            else f"Долг на {short_date(period, locale)} составляет {money(debt, locale)}. "
            "При неоплате подача услуги может быть приостановлена."
        )
        notices.append({"supplier": supplier, "kind": NoticeKind.DEBT.value, "text": text})
    heating = next((s for s in services if s["accrual_period"]), None)
    if heating:
        text = (
            "Жылыту бір айдан кейін есептеледі; маусым аяқталғаннан кейін жылдық қайта есептеу "
            "жүргізіледі."
            if lang == "kk"
            else "Отопление начисляется на месяц позже; после окончания сезона проводится годовой "
            "перерасчёт."
        )
        notices.append(
            {"supplier": heating["supplier"], "kind": NoticeKind.ACCRUAL_PERIOD.value, "text": text}
        )
    return notices


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _previous_month(day: date) -> date:
    return date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)
