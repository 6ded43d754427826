"""JSON as a billing clerk means it: one value a key, a byte-order mark accepted alike by
render, validate and batch, ASCII digits only, and float artifacts named as such."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from alseco_bill import Renderer, render_batch
from alseco_bill.cli import app
from alseco_bill.errors import InvalidBillError
from alseco_bill.runs.records import delivery_key

Data = Callable[[str], dict[str, Any]]
runner = CliRunner()
BOM = b"\xef\xbb\xbf"


def problems(renderer: Renderer, data: dict[str, Any] | str | bytes) -> list[str]:
    with pytest.raises(InvalidBillError) as caught:
        renderer.parse(data, source="hostile.json")
    assert "hostile.json" in str(caught.value)
    return [str(p) for p in caught.value.problems]


def test_duplicate_keys_are_named_with_their_path(renderer: Renderer, example_data: Data) -> None:
    text = json.dumps(example_data("city-ru"), ensure_ascii=False)
    twice = '{"account": "9999999999", ' + text[1:]
    found = problems(renderer, twice)
    assert found == [
        "account: the key 'account' is given more than once in this object; give it once"
    ]
    nested = text.replace('"paid": ', '"paid": "0.00", "paid": ', 1)
    assert any(p.startswith("services[0].paid: the key 'paid'") for p in problems(renderer, nested))


def test_duplicate_keys_in_every_command(tmp_path: Path, example_data: Data) -> None:
    text = json.dumps(example_data("city-kk"), ensure_ascii=False)
    twice = text.replace('"locality": ', '"locality": "Астана", "locality": ', 1)
    source = tmp_path / "twice.json"
    source.write_text(twice, "utf-8")
    for args in (["validate", str(source)], ["render", str(source), "-o", str(tmp_path / "x.pdf")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, result.output
        assert "consumer.address.locality: the key 'locality' is given more than once" in (
            result.output
        )
    lines = tmp_path / "bills.jsonl"
    lines.write_text(twice + "\n", "utf-8")
    summary = render_batch(lines, tmp_path / "run", workers=1)
    assert (summary.rendered, summary.rejected) == (0, 1)
    rejected = (tmp_path / "run" / "rejected.jsonl").read_text("utf-8")
    assert "consumer.address.locality" in rejected


def test_a_byte_order_mark_is_accepted_by_every_command(tmp_path: Path, example_data: Data) -> None:
    body = json.dumps(example_data("region-kk"), ensure_ascii=False).encode()
    source = tmp_path / "bom.json"
    source.write_bytes(BOM + body)
    assert runner.invoke(app, ["validate", str(source)]).exit_code == 0
    result = runner.invoke(app, ["render", str(source), "-o", str(tmp_path / "bom.pdf")])
    assert result.exit_code == 0, result.output
    lines = tmp_path / "bills.jsonl"
    lines.write_bytes(BOM + body + b"\n")
    assert render_batch(lines, tmp_path / "run-lines", workers=1).rendered == 1
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.json").write_bytes(BOM + body)
    assert render_batch(folder, tmp_path / "run-folder", workers=1).rendered == 1


def test_utf16_is_not_taken_for_utf8(renderer: Renderer, example_data: Data) -> None:
    text = json.dumps(example_data("city-ru"), ensure_ascii=False)
    assert problems(renderer, text.encode("utf-16")) == ["(bill): not UTF-8 text (at byte 0)"]


FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize(
    "path",
    [
        "period",
        "print_date",
        "account",
        "services.0.accrued",
        "totals.paid",
        "consumer.living_area",
        "services.0.tariff",
    ],
)
@pytest.mark.parametrize("digits", [FULLWIDTH, ARABIC_INDIC], ids=["fullwidth", "arabic-indic"])
def test_digits_are_ascii(
    renderer: Renderer, example_data: Data, path: str, digits: dict[int, str]
) -> None:
    """The same value in other digits: Python reads them as numbers, the schema does not."""
    data = example_data("city-ru")
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target[int(part)] if part.isascii() and part.isdecimal() else target[part]
    target[last] = str(target[last]).translate(digits)
    shown = path.replace(".0.", "[0].")
    assert [p for p in problems(renderer, data) if not p.startswith(shown + ":")] == []


def test_float_artifact_is_about_decimal_places(renderer: Renderer, example_data: Data) -> None:
    data = example_data("city-ru")
    data["services"][0]["recalculation"] = 0.1 + 0.2
    found = problems(renderer, data)
    recalculation = [p for p in found if p.startswith("services[0].recalculation:")]
    assert len(recalculation) == 1
    assert "at most 2 decimal places" in recalculation[0]
    assert "digits in total" not in recalculation[0]
    # The same as JSON text, and as a string
    text = json.dumps(example_data("city-ru"), ensure_ascii=False)
    text = text.replace('"paid": "0.00"', '"paid": 0.30000000000000004', 1)
    assert any("at most 2 decimal places" in p for p in problems(renderer, text))
    data = example_data("city-ru")
    data["services"][0]["tariff"] = "12.123456789012345"
    assert any("at most 4 decimal places" in p for p in problems(renderer, data))


def test_house_numbers_compare_by_ascii_digits_only() -> None:
    """«1²» is a valid house (any text); str.isdigit takes «²» and int() then fails."""

    def key(house: str) -> Any:
        address = {"locality": "A", "street": "B", "house": house}
        return delivery_key({"consumer": {"address": address}})

    assert key("1²")[2] == ((1, ""), (0, "²"))
    assert key("١٢")[2] == ((0, "١٢"),)  # Arabic-Indic digits are text, not twelve
    assert sorted(["10", "9", "1²", "12А", "12"], key=key) == ["1²", "9", "10", "12", "12А"]


def test_a_merged_run_orders_any_house_text(tmp_path: Path, example_data: Data) -> None:
    bills = [example_data("city-ru"), example_data("city-kk")]
    bills[0]["consumer"]["address"]["house"] = "1²"
    source = tmp_path / "bills.jsonl"
    source.write_text("\n".join(json.dumps(b, ensure_ascii=False) for b in bills) + "\n")
    summary = render_batch(source, tmp_path / "run", merge=10, workers=1)
    assert (summary.rendered, summary.rejected) == (2, 0)


def test_a_number_of_thousands_of_digits_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    text = '{"account": "1234567890", "consumer": {"residents": ' + "1" * 5000 + "}}"
    source = tmp_path / "big.json"
    source.write_text(text)
    result = runner.invoke(app, ["validate", str(source)])
    assert result.exit_code == 1
    assert "not a bill: a number in it has thousands of digits" in result.output
    lines = tmp_path / "big.jsonl"
    lines.write_text(text + "\n")
    summary = render_batch(lines, tmp_path / "run", workers=1)
    assert (summary.rendered, summary.rejected) == (0, 1)
