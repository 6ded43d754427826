"""A URL fetcher for WeasyPrint that loads only files under the allowed folders.

A template or a data value (a logo name, an address) must never make the renderer
read the machine's files or reach the network, so every other URL is refused, and
the refusal stops the render instead of leaving a silent hole in the bill.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from ..files import MEDIA_TYPES
from ..theme import Theme


class RefusedURL(FatalURLFetchingError):  # type: ignore[misc]
    """Raised inside WeasyPrint; it stops rendering and carries the refused URL."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{reason}: {url}")
        self.url = url
        self.reason = reason


class FolderFetcher(URLFetcher):  # type: ignore[misc]
    """Serves the ``file:`` URLs that ``Theme.allowed_file`` allows, refuses the rest."""

    def __init__(self, theme: Theme) -> None:
        super().__init__(allowed_protocols=("file",), fail_on_errors=True)
        self.theme = theme

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedURL(url, "only local files may be loaded")
        path = self.theme.allowed_file(Path(unquote(parts.path)))
        if path is None:
            raise RefusedURL(url, "not a file under the template and static folders")
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), _headers(path))


def _headers(path: Path) -> dict[str, str]:
    kind = MEDIA_TYPES.get(path.suffix.lower())
    return {"Content-Type": kind} if kind else {}
