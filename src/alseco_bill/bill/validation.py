"""Turning raw bill data (JSON text, a file, a dict) into a valid ``Bill``.

All problems are collected, not just the first: pydantic's field errors and the
cross-field checks alike, each with its path, in one ``InvalidBillError``. JSON text
is read strictly, the same for every command (``read_json``): UTF-8, and no key given
twice in one object, since "the last one wins" would print a value nobody checked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import InvalidBillError, Problem
from .checks import check_bill
from .model import Bill


def bill_ref(data: object, source: str | None = None) -> str:
    """A name for a bill in messages: its account number if it has one, and its source."""
    account = data.get("account") if isinstance(data, Mapping) else None
    ref = f"bill {account}" if isinstance(account, str) and account else "bill"
    return f"{ref} ({source})" if source else ref


def validate_data(
    data: Mapping[str, Any] | str | bytes,
    *,
    source: str | None = None,
    logo_exists: Callable[[str], bool] | None = None,
    glyphs: Collection[int] | None = None,
) -> Bill:
    """Validate ``data`` (a mapping or JSON text) and return the ``Bill``; ``glyphs``
    are the code points the theme's font has (``glyphs.coverage``).

    Raises ``InvalidBillError`` listing every problem with its field path.
    """
    if isinstance(data, str | bytes):
        data = read_json(data, source)
    ref = bill_ref(data, source)
    if not isinstance(data, Mapping):
        raise InvalidBillError(ref, [Problem("", "a bill must be a JSON object")])
    try:
        bill = Bill.model_validate(data)
    except ValidationError as exc:
        raise InvalidBillError(ref, [_problem(e) for e in exc.errors()]) from None
    problems = check_bill(bill, logo_exists, glyphs)
    if problems:
        raise InvalidBillError(ref, problems)
    return bill


class _Object(dict[str, Any]):
    """A JSON object as read, remembering the keys it was given more than once."""

    duplicates: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    found = _Object(pairs)
    if len(found) < len(pairs):
        keys = [key for key, _ in pairs]
        found.duplicates = tuple(dict.fromkeys(k for k in keys if keys.count(k) > 1))
    return found


def read_json(text: str | bytes, source: str | None = None) -> Any:
    """JSON text as a clerk means it: UTF-8 (a leading byte-order mark is allowed), and
    every key of an object given once; a repeated key is an error naming it, never
    "the last one wins". Raises ``InvalidBillError``."""
    try:
        if isinstance(text, bytes):
            # Explicitly UTF-8: json.loads would also guess UTF-16 and UTF-32 from bytes.
            text = text.decode("utf-8-sig")
        data = json.loads(text.removeprefix("\ufeff"), object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        problem = Problem("", f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
        raise InvalidBillError(bill_ref(None, source), [problem]) from None
    except UnicodeDecodeError as exc:
        problem = Problem("", f"not UTF-8 text (at byte {exc.start})")
        raise InvalidBillError(bill_ref(None, source), [problem]) from None
    except RecursionError:
        problem = Problem("", "not a bill: the JSON is nested absurdly deep")
        raise InvalidBillError(bill_ref(None, source), [problem]) from None
    except ValueError:
        # Python refuses to read an integer of more than 4300 digits (a DoS guard).
        problem = Problem("", "not a bill: a number in it has thousands of digits")
        raise InvalidBillError(bill_ref(None, source), [problem]) from None
    try:
        problems = list(_duplicate_keys(data, ()))
    except RecursionError:
        problems = [Problem("", "not a bill: the JSON is nested absurdly deep")]
    if problems:
        raise InvalidBillError(bill_ref(data, source), problems)
    return data


def _duplicate_keys(value: Any, loc: tuple[int | str, ...]) -> Iterator[Problem]:
    if isinstance(value, dict):
        for key in getattr(value, "duplicates", ()):
            yield Problem(
                field_path((*loc, key)),
                f"the key {key!r} is given more than once in this object; give it once",
            )
        for key, item in value.items():
            yield from _duplicate_keys(item, (*loc, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _duplicate_keys(item, (*loc, i))


def validate_file(
    path: Path,
    *,
    logo_exists: Callable[[str], bool] | None = None,
    glyphs: Collection[int] | None = None,
) -> Bill:
    """Read and validate one bill from a JSON file."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise InvalidBillError(
            f"bill ({path})", [Problem("", f"cannot read: {exc.strerror}")]
        ) from None
    return validate_data(text, source=str(path), logo_exists=logo_exists, glyphs=glyphs)


def field_path(loc: tuple[int | str, ...]) -> str:
    """``('services', 3, 'to_pay')`` → ``services[3].to_pay``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _problem(error: Any) -> Problem:
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if error["type"] not in {"missing", "extra_forbidden"} and not isinstance(value, dict | list):
        shown = repr(value)
        message += f" (got {shown if len(shown) <= 60 else shown[:57] + '...'})"
    return Problem(field_path(tuple(error["loc"])), message)
