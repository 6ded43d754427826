"""Writing output files so that a half-written file never looks complete."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _read_umask() -> int:
    # os.umask can only be read by setting it; do it once, at import, not per file.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


# What rendering serves, by file ending; both engines answer with these types.
MEDIA_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff2": "font/woff2",
    ".css": "text/css",
}


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename it into place.

    An ``OSError`` names ``path`` (a full disk says so only of a file descriptor).
    """
    with naming(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            # mkstemp makes the file private (0600); output is for others too.
            os.chmod(temp, 0o666 & ~_UMASK)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


@contextmanager
def naming(path: Path) -> Iterator[None]:
    """An ``OSError`` in the block that names no file is raised again naming ``path``."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None


def remove_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files ``write_atomic`` left under ``folder`` when it was
    interrupted (killed, or the disk full); returns them."""
    left = [p for p in folder.rglob(".*.part") if p.is_file()]
    for temp in left:
        temp.unlink(missing_ok=True)
    return left
