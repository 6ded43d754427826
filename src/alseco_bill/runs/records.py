"""Reading a print run's input: JSON Lines (one bill a line) or a folder of JSON files.

Records are streamed, never loaded whole: a record is its number, where it came
from, and its raw text. ``delivery_key`` orders bills the way a postman walks:
by locality, street, house and flat, comparing numbers as numbers (house 9 before
house 10, «12А» after «12»).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Record:
    """One input bill: ``number`` is its line in a JSONL file (from 1) or its position
    among a folder's files (sorted by name)."""

    number: int
    source: str
    text: str
    offset: int = 0  # where the line starts in a JSONL file, to read it again cheaply
    problem: str | None = None  # why it cannot even be read as text; it is rejected


def read_records(source: Path) -> Iterator[Record]:
    """Stream the records of a JSONL file or of a folder of ``*.json`` files."""
    if source.is_dir():
        for number, path in enumerate(sorted(source.glob("*.json")), start=1):
            try:
                yield _decoded(number, str(path), path.read_bytes())
            except OSError as exc:
                yield Record(number, str(path), "", problem=f"cannot read: {exc.strerror}")
        return
    with source.open("rb") as lines:
        offset = 0
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield _decoded(number, f"{source}:{number}", line, offset)
            offset += len(line)


def _decoded(number: int, source: str, data: bytes, offset: int = 0) -> Record:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x})"
        return Record(number, source, "", offset, problem)
    # A byte-order mark starts a file (a JSON file, or a JSONL file's first line), as
    # some editors save them; render and validate accept it there too.
    return Record(number, source, text.removeprefix("\ufeff") if offset == 0 else text, offset)


def read_again(source: Path, records: list[tuple[int, str, int]]) -> list[Record]:
    """Records seen before, by (number, source, offset), read again from the input."""
    if source.is_dir():
        return [_decoded(n, src, Path(src).read_bytes()) for n, src, _ in records]
    found = []
    with source.open("rb") as handle:
        for number, src, offset in records:
            handle.seek(offset)
            found.append(_decoded(number, src, handle.readline(), offset))
    return found


def count_records(source: Path) -> int:
    """How many records ``read_records`` will yield, without parsing them."""
    if source.is_dir():
        return sum(1 for _ in source.glob("*.json"))
    with source.open("rb") as lines:
        return sum(1 for line in lines if line.strip())


def peek(text: str) -> dict[str, Any] | None:
    """The record's JSON object, or None when it is not one (validation will say why)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        return None
    return data if isinstance(data, dict) else None


def account_of(data: dict[str, Any] | None) -> str | None:
    account = data.get("account") if data else None
    return account if isinstance(account, str) else None


DeliveryKey = tuple[str, str, tuple[tuple[int, str], ...], tuple[tuple[int, str], ...]]


def delivery_key(data: dict[str, Any] | None) -> DeliveryKey:
    """Locality, street, house, flat; records without an address sort last."""
    consumer = (data or {}).get("consumer")
    address = consumer.get("address") if isinstance(consumer, dict) else None
    if not isinstance(address, dict):
        return ("\uffff", "", (), ())
    return (
        str(address.get("locality", "")).casefold(),
        str(address.get("street", "")).casefold(),
        _natural(address.get("house")),
        _natural(address.get("flat")),
    )


def _natural(value: object) -> tuple[tuple[int, str], ...]:
    """«12А» → ((12, ''), (0, 'а')): digits compare as numbers, letters as text."""
    # ASCII digits only: str.isdigit also takes «²», which int() cannot read, and \d
    # takes Arabic-Indic digits; anything else compares as text.
    parts = re.findall(r"[0-9]+|[^0-9]+", str(value or "").casefold())
    return tuple((int(p), "") if p[0] in "0123456789" else (0, p) for p in parts)
