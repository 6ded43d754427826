"""Where templates and static files come from: ordered folders, first match wins.

Like MkDocs' theme loader, a designer's folder is searched before the packaged one,
so overriding one template, stylesheet or logo means copying just that file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from .errors import UsageError


@cache
def packaged_dir(name: str) -> Path:
    """The packaged ``templates`` or ``static`` folder.

    A wheel carries them inside the package; a source checkout (an editable
    install) keeps them at the repository root, where designers edit them.
    """
    inside = Path(str(resources.files("alseco_bill"))) / name
    if inside.is_dir():
        return inside
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"alseco-bill is installed without its {name}/ folder")


@dataclass(frozen=True)
class Theme:
    """The ordered template and static folders one rendering uses (resolved paths)."""

    template_dirs: tuple[Path, ...]
    static_dirs: tuple[Path, ...]

    @classmethod
    def create(
        cls,
        templates: Sequence[Path] | Path | None = None,
        static: Sequence[Path] | Path | None = None,
    ) -> Theme:
        """A theme whose own folders (if any) override the packaged ones."""
        return cls(
            template_dirs=(*_dirs(templates), packaged_dir("templates").resolve()),
            static_dirs=(*_dirs(static), packaged_dir("static").resolve()),
        )

    @property
    def roots(self) -> tuple[Path, ...]:
        """Every folder rendering may read from; nothing else is loaded."""
        return self.template_dirs + self.static_dirs

    def allowed_file(self, path: Path) -> Path | None:
        """``path`` resolved, if it is a file under one of ``roots``; else None.

        The one rule of what rendering may read, for every engine: resolving first
        means neither ``..`` nor a symbolic link can lead out of the folders.
        """
        resolved = path.resolve()
        inside = any(resolved.is_relative_to(root) for root in self.roots)
        return resolved if inside and resolved.is_file() else None

    def find_static(self, relative: str) -> Path | None:
        """The first static file at ``relative`` (e.g. ``logos/almaty-su.svg``).

        The first folder that has the name decides, whatever it is: a symbolic link
        there that leads outside the folders is returned as it is, for the engines to
        refuse (``allowed_file``), never passed over for the packaged file.
        """
        if PurePosixPath(relative).is_absolute() or ".." in PurePosixPath(relative).parts:
            return None
        for folder in self.static_dirs:
            candidate = folder / relative
            if candidate.is_symlink():
                return candidate
            if candidate.is_file():
                return candidate.resolve()
        return None

    def static_url(self, relative: str) -> str:
        """A root-relative URL for a static file: its absolute path. WeasyPrint reads
        it as a ``file:`` URL, the Chromium engine's made-up origin serves it by path,
        so neither engine rewrites any text. A missing file still gets a URL, so the
        renderer reports it by name instead of silently leaving a hole."""
        found = self.find_static(relative)
        return quote((found or self.static_dirs[-1] / relative).as_posix())

    def logo_exists(self, name: str) -> bool:
        # A link that leads outside "exists": rendering refuses it by name, rather than
        # the data being told that the logo is missing.
        return self.find_static(f"logos/{name}") is not None


def _dirs(value: Sequence[Path] | Path | None) -> tuple[Path, ...]:
    if value is None:
        return ()
    folders = (value,) if isinstance(value, Path) else tuple(value)
    for folder in folders:
        if not folder.is_dir():
            raise UsageError(f"not a folder: {folder}")
    return tuple(f.resolve() for f in folders)
