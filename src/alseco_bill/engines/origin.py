"""The made-up origin a Chromium page is served from: the theme's files and nothing else.

The document's URL is on a host that never resolves (``.invalid``, RFC 6761) and
every request the page makes is answered here: the document itself, files under the
theme's folders by their path (``Theme.allowed_file``, read once and then answered
from memory), nothing else. What was refused or failed to load is remembered, so the
page's owner can stop the part with a ``FetchRefusedError`` naming it; a load the
security policy blocks (a ``data:`` URL, another host) makes no request and is only
reported on the console, which is read too. Scripts never run (WeasyPrint does not
run them either).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from ..errors import FetchRefusedError
from ..files import MEDIA_TYPES
from ..theme import Theme
from .images import UnreadableImage, image_references

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Request, Route

ORIGIN = "http://alseco-bill.invalid"
# Only the origin itself may be loaded: a data: URL or another host is refused before
# any request is made, and scripts never run.
CONTENT_SECURITY_POLICY = f"default-src {ORIGIN}; style-src {ORIGIN} 'unsafe-inline'"
# The first quoted URL in Chromium's console message about a blocked load.
_QUOTED_URL = re.compile(r"'([^']+)'")
_LOCAL_RESOURCE = "Not allowed to load local resource:"


class ThemeOrigin:
    """Answers a page's requests from the theme's folders, and keeps what it refused."""

    def __init__(self, theme: Theme) -> None:
        self.theme = theme
        # WeasyPrint resolves relative URLs against the last static folder; so does
        # the page, whose URL is a made-up file in that folder.
        self.base_path = theme.static_dirs[-1].resolve().as_uri().removeprefix("file://") + "/"
        self.document_url = ""
        self._document = b""
        self._count = 0
        self.refused: dict[str, str | None] = {}  # URL → why, if more than the rule
        self._files: dict[Path, tuple[int, int, bytes, str | None]] = {}

    def serve(self, document: str) -> str:
        """Serve ``document`` at a new URL (returned) and forget earlier refusals."""
        self._count += 1
        self.document_url = f"{ORIGIN}{self.base_path}alseco-bill-{self._count}.html"
        self._document = document.encode()
        self.refused = {}
        return self.document_url

    def serve_in_place(self) -> None:
        """A new document in the page's current one (its body replaced): only the
        refusals from now on are its own."""
        self.refused = {}

    def refusal(self, ref: str) -> FetchRefusedError | None:
        """The first load refused since ``serve``, as the error of bill ``ref``."""
        if not self.refused:
            return None
        url, reason = next(iter(self.refused.items()))
        return FetchRefusedError(ref, url, reason)

    def answer(self, route: Route) -> None:
        url = route.request.url
        if url == self.document_url:
            route.fulfill(
                status=200,
                body=self._document,
                headers={
                    "Content-Type": "text/html; charset=utf-8",
                    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                },
            )
            return
        path = self._allowed_file(url)
        if path is None:
            self._refuse(url)
            route.abort("blockedbyclient")
            return
        data, problem = self._read(path)
        if problem is not None:
            self._refuse(url, problem)
            route.abort("blockedbyclient")
            return
        kind = MEDIA_TYPES.get(path.suffix.lower())
        route.fulfill(
            status=200, body=data, headers={"Content-Type": kind or "application/octet-stream"}
        )

    def failed(self, request: Request) -> None:
        self._refuse(request.url)

    def console(self, message: ConsoleMessage) -> None:
        # A load the security policy blocks makes no request: Chromium only says so.
        if message.type != "error":
            return
        if "Content Security Policy" in message.text:
            found = _QUOTED_URL.search(message.text)
            self._refuse(found[1] if found else message.text)
        elif message.text.startswith(_LOCAL_RESOURCE):  # a file: URL, never served
            self._refuse(message.text.removeprefix(_LOCAL_RESOURCE).strip())

    def _read(self, path: Path) -> tuple[bytes, str | None]:
        """The file's bytes and what is wrong with it as an image, if anything; read
        and checked again only when it changed (the preview edits them)."""
        stat = path.stat()
        cached = self._files.get(path)
        if cached is None or cached[:2] != (stat.st_mtime_ns, stat.st_size):
            data = path.read_bytes()
            cached = (stat.st_mtime_ns, stat.st_size, data, _image_problem(path, data))
            self._files[path] = cached
        return cached[2], cached[3]

    def _allowed_file(self, url: str) -> Path | None:
        """The file a page URL names, if the theme allows it (``Theme.allowed_file``)."""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != ORIGIN:
            return None
        return self.theme.allowed_file(Path(unquote(parts.path)))

    def _refuse(self, url: str, reason: str | None = None) -> None:
        # A theme path asked of the made-up origin is named as the file it would be,
        # as WeasyPrint names it.
        if url.startswith(ORIGIN + "/"):
            url = "file://" + url.removeprefix(ORIGIN)
        self.refused.setdefault(url, reason)


def _image_problem(path: Path, data: bytes) -> str | None:
    """Why a theme image may not print, as ``images`` judges it for WeasyPrint too.

    Chromium draws an SVG image in a mode that loads nothing it names: a logo built
    from other files would print blank, so any such reference is refused.
    """
    try:
        references = image_references(path, data)
    except UnreadableImage as exc:
        return str(exc)
    if references:
        return (
            f"the SVG names {references[0]!r}; an SVG image must hold "
            "everything it draws (Chromium loads nothing an image names)"
        )
    return None
