"""Errors as RFC 9457 problem details (``application/problem+json``), never a traceback."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from ..errors import (
    BillError,
    FetchRefusedError,
    InvalidBillError,
    LayoutOverflowError,
    TemplateError,
    TextOverflowError,
)

MEDIA_TYPE = "application/problem+json"
BASE = "https://alseco-bill.invalid/problems/"  # a name, not a page to fetch

TITLES = {
    "invalid-bill": "The bill data is not valid",
    "bill-overflow": "The bill does not fit its sheet",
    "text-overflow": "A text runs past its column",
    "not-json": "The body is not JSON",
    "body-too-large": "The body is over the limit",
    "unsupported-media-type": "The body must be application/json",
    "unauthorized": "A valid bearer token is needed",
    "queue-full": "Too many bills are waiting",
    "draining": "The server is shutting down",
    "deadline": "The bill was not done in time",
    "template-error": "A template of the theme is wrong",
    "refused-file": "The theme asked for a file it may not load",
    "engine-error": "The print engine failed",
    "bad-request": "The request's parameters are wrong",
    "not-found": "No such route",
    "internal": "Internal error",
    "client-gone": "The client went away",  # logged only: nobody is there to read it
}


class Problem(Exception):
    """A problem to answer with: ``status``, a ``kind`` of ``TITLES``, a ``detail``."""

    def __init__(self, status: int, kind: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.extra = extra

    def response(self, request_id: str, headers: dict[str, str] | None = None) -> JSONResponse:
        body = {
            "type": BASE + self.kind,
            "title": TITLES[self.kind],
            "status": self.status,
            "detail": self.detail,
            "request_id": request_id,
            **self.extra,
        }
        return JSONResponse(body, self.status, headers=headers, media_type=MEDIA_TYPE)


def from_bill_error(error: BillError) -> Problem:
    """The problem for what went wrong with one bill, with the CLI's messages."""
    if isinstance(error, InvalidBillError):
        problems = [{"path": p.path, "message": p.message} for p in error.problems]
        return Problem(422, "invalid-bill", error.message, problems=problems)
    if isinstance(error, TextOverflowError):
        paths = error.fields or ("",)
        problems = [{"path": path, "message": error.message} for path in paths]
        return Problem(422, "text-overflow", error.message, problems=problems)
    if isinstance(error, LayoutOverflowError):
        problems = [{"path": "", "message": error.message}]
        return Problem(422, "bill-overflow", error.message, problems=problems)
    if isinstance(error, TemplateError):  # the theme's fault, not the caller's
        return Problem(
            500, "template-error", error.message, template=error.template, line=error.line
        )
    if isinstance(error, FetchRefusedError):
        return Problem(500, "refused-file", error.message)
    return Problem(503, "engine-error", error.message)
