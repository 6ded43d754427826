"""Which characters the bill font can print, read from the theme's font files.

A character the bill font lacks makes WeasyPrint take it from some system font (or
print a blank box): the PDF then depends on the machine and carries a font that is
not the bill's. The fonts are the theme's ``fonts/*.ttf`` and ``*.otf`` (a designer's
``--static`` folder overrides a file of the same name); a character must be in every
one of them, since a field may be printed regular or bold. Each file's character map
is read once (fontTools) and kept while the file is unchanged.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

from ..errors import UsageError
from ..theme import Theme

FONT_SUFFIXES = (".ttf", ".otf")


def font_files(theme: Theme) -> tuple[Path, ...]:
    """The theme's font files by name, the first folder that has a name winning."""
    found: dict[str, Path] = {}
    for folder in theme.static_dirs:
        fonts = folder / "fonts"
        if not fonts.is_dir():
            continue
        for path in sorted(fonts.iterdir()):
            if path.suffix.lower() in FONT_SUFFIXES and path.name not in found:
                allowed = theme.allowed_file(path)
                if allowed is not None:
                    found[path.name] = allowed
    return tuple(found[name] for name in sorted(found))


def coverage(theme: Theme) -> frozenset[int]:
    """The code points every font of the theme has a glyph for."""
    keys = []
    for path in font_files(theme):
        stat = path.stat()
        keys.append((str(path), stat.st_mtime_ns, stat.st_size))
    return _common(tuple(keys))


@lru_cache(maxsize=16)
def _common(keys: tuple[tuple[str, int, int], ...]) -> frozenset[int]:
    if not keys:
        return frozenset()
    maps = [_code_points(*key) for key in keys]
    return frozenset.intersection(*maps)


@lru_cache(maxsize=32)
def _code_points(path: str, mtime_ns: int, size: int) -> frozenset[int]:
    # mtime and size are part of the key: a designer's saved font is read again.
    try:
        # Opened here, so that a file fontTools rejects is closed all the same.
        with open(path, "rb") as handle, TTFont(handle, lazy=True) as font:
            cmap = font.getBestCmap()
    except (OSError, TTLibError, AssertionError) as exc:
        raise UsageError(f"cannot read the font {path}: {exc}") from None
    if not cmap:
        raise UsageError(f"the font {path} has no Unicode character map")
    return frozenset(cmap)
