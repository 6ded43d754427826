"""Bearer tokens from a file: ``name:token`` a line (a bare token is named by its line)."""

from __future__ import annotations

import hmac
from pathlib import Path

from ..errors import UsageError


def load_tokens(path: Path) -> dict[str, str]:
    """Name → token of every non-empty, non-comment line of ``path``."""
    tokens: dict[str, str] = {}
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read the token file {path}: {exc.strerror}") from None
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, token = line.rpartition(":")
        tokens[name or f"line {number}"] = token
    if not tokens:
        raise UsageError(f"the token file {path} holds no token")
    return tokens


def token_name(header: str | None, tokens: dict[str, str]) -> str | None:
    """The name of the token in an ``Authorization: Bearer`` header, None if none
    matches; every token is compared, in constant time."""
    if not header or not header.startswith("Bearer "):
        return None
    given = header[len("Bearer ") :].strip().encode()
    found = None
    for name, token in tokens.items():
        if hmac.compare_digest(given, token.encode()):
            found = name
    return found
