"""A URL fetcher for WeasyPrint that loads only files under the allowed folders.

A template or a data value (a logo name, an address) must never make the renderer
read the machine's files or reach the network, so every other URL is refused, and
the refusal stops the render instead of leaving a silent hole in the bill. Images are
checked as they are served (``images``): the URLs inside an SVG obey the same rule,
and an image that cannot be read is refused too, rather than printed blank.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from ..files import MEDIA_TYPES
from ..theme import Theme
from .images import UnreadableImage, image_references


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
        path = self.allowed(url)
        data = path.read_bytes()
        try:
            references = image_references(path, data)
        except UnreadableImage as exc:
            raise RefusedURL(url, str(exc)) from None
        for reference in references:
            # Checked now: WeasyPrint fetches these while drawing, and swallows a
            # refusal there, printing the image blank.
            self.allowed(urljoin(path.as_uri(), reference), inside=url)
        return URLFetcherResponse(path.as_uri(), data, _headers(path))

    def allowed(self, url: str, inside: str | None = None) -> Path:
        """The file ``url`` names, if rendering may read it; else ``RefusedURL``."""
        where = f" (named inside {inside})" if inside else ""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise RefusedURL(url, f"only local files may be loaded{where}")
        path = self.theme.allowed_file(Path(unquote(parts.path)))
        if path is None:
            raise RefusedURL(url, f"not a file under the template and static folders{where}")
        return path


def _headers(path: Path) -> dict[str, str]:
    kind = MEDIA_TYPES.get(path.suffix.lower())
    return {"Content-Type": kind} if kind else {}
