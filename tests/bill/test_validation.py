"""Validation: every problem a billing clerk would catch, named by its field path."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from alseco_bill import InvalidBillError, Renderer
from alseco_bill.bill.validation import field_path

Data = Callable[[str], dict[str, Any]]


def problems(renderer: Renderer, data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidBillError) as caught:
        renderer.parse(data, source="test.json")
    assert "test.json" in caught.value.bill
    return {p.path: p.message for p in caught.value.problems}


def test_examples_are_valid(renderer: Renderer, example_data: Data) -> None:
    for name in ("city-kk", "city-ru", "region-kk", "region-ru"):
        bill = renderer.parse(example_data(name))
        assert bill.totals.to_pay == sum(line.to_pay for line in bill.services)


def test_to_pay_must_add_up_to_the_tiyn(renderer: Renderer, example_data: Data) -> None:
    data = example_data("city-ru")
    to_pay = Decimal(data["services"][3]["to_pay"])
    data["services"][3]["to_pay"] = str(to_pay + Decimal("0.01"))
    found = problems(renderer, data)
    assert "opening_balance + accrued + recalculation − paid" in found["services[3].to_pay"]
    # The total no longer matches the lines either, and says so at its own path.
    assert "sum of the service lines" in found["totals.to_pay"]


def test_consumption_must_be_current_minus_previous(renderer: Renderer, example_data: Data) -> None:
    data = example_data("city-ru")
    data["services"][0]["consumption"] = "191"
    assert "current − previous" in problems(renderer, data)["services[0].consumption"]


def test_current_reading_below_previous(renderer: Renderer, example_data: Data) -> None:
    data = example_data("city-ru")
    line = data["services"][0]
    line["previous_reading"], line["current_reading"] = line["current_reading"], "1"
    assert "below the previous" in problems(renderer, data)["services[0].current_reading"]
    data = example_data("city-ru")
    data["meters"][1]["current"]["value"] = "0"
    assert "below the previous" in problems(renderer, data)["meters[1].current.value"]


def test_accrued_must_be_tariff_times_consumption(renderer: Renderer, example_data: Data) -> None:
    data = example_data("city-kk")
    data["services"][1]["accrued"] = "1.00"
    assert "tariff × consumption" in problems(renderer, data)["services[1].accrued"]


def test_unknown_supplier_and_missing_logo(renderer: Renderer, example_data: Data) -> None:
    data = example_data("region-kk")
    data["services"][2]["supplier"] = "nobody"
    data["suppliers"][0]["logo"] = "missing.svg"
    found = problems(renderer, data)
    assert "unknown supplier id 'nobody'" in found["services[2].supplier"]
    assert "static/logos/missing.svg" in found["suppliers[0].logo"]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("account",), "12345", "10 digits"),
        (("period",), "2020-13", "no month 13"),
        (("period",), "April 2020", "year and month"),
        (("print_date",), "2025-02-30", "date"),
        (("consumer", "residents"), -1, "greater than or equal to 0"),
        (("services", 0, "tariff"), "22.94x", "decimal"),
        (("services", 0, "paid"), "1.001", "2 decimal places"),
    ],
)
def test_field_errors_name_the_path(
    renderer: Renderer, example_data: Data, path: tuple[Any, ...], value: Any, expected: str
) -> None:
    data = example_data("city-ru")
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    found = problems(renderer, data)
    assert expected in found[field_path(path)]
    assert repr(value) in found[field_path(path)]  # the message shows what it got


def test_unknown_and_missing_fields(renderer: Renderer, example_data: Data) -> None:
    data = example_data("city-ru")
    data["consumer"]["adress"] = data["consumer"].pop("address")
    found = problems(renderer, data)
    assert found["consumer.adress"] == "Extra inputs are not permitted"
    assert found["consumer.address"] == "Field required"


def test_impossible_dates(renderer: Renderer, example_data: Data) -> None:
    data = example_data("city-ru")
    data["payment_due"] = "2024-12-01"
    data["print_date"] = "2024-12-31"
    found = problems(renderer, data)
    assert "before its billing period" in found["print_date"]
    assert "before the print date" in found["payment_due"]


def test_every_problem_is_reported_at_once(renderer: Renderer, example_data: Data) -> None:
    data = example_data("city-ru")
    for line in data["services"]:
        line["to_pay"] = "0.00"
    found = problems(renderer, data)
    assert {f"services[{i}].to_pay" for i in range(len(data["services"]))} <= set(found)


def test_not_json(renderer: Renderer) -> None:
    with pytest.raises(InvalidBillError, match=r"not valid JSON: .* line 1"):
        renderer.parse('{"account": ', source="broken.json")


def test_message_is_for_a_person(renderer: Renderer, example_data: Data) -> None:
    data = example_data("city-ru")
    data["services"][0]["consumption"] = "1"
    with pytest.raises(InvalidBillError) as caught:
        renderer.parse(data, source="in.json")
    text = str(caught.value)
    assert text.startswith(f"bill {data['account']} (in.json): ")
    assert "\n  - services[0].consumption: consumption 1 is not current − previous" in text


def test_samples_pass_every_check(renderer: Renderer) -> None:
    from alseco_bill import sample_bills

    bills = list(sample_bills(60, seed=3))
    for bill in bills:
        renderer.parse(bill.model_dump(mode="json"))
    assert {(b.variant, b.language) for b in bills} == {
        (v, lang) for v in ("city", "region") for lang in ("kk", "ru")
    }
