"""PDF pages to images with pypdfium2 (PDFium), for previews and visual checks."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from ..files import write_atomic


def rasterize(pdf: bytes, dpi: int = 100) -> list[Image.Image]:
    """Every page of ``pdf`` as an RGB image at ``dpi``."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72).to_pil().convert("RGB") for page in document]
    finally:
        document.close()


def write_pngs(pdf: bytes, stem: Path, dpi: int = 100) -> list[Path]:
    """Write ``<stem>-1.png``, ``<stem>-2.png``, … and return their paths."""
    paths = []
    for number, image in enumerate(rasterize(pdf, dpi), start=1):
        path = stem.with_name(f"{stem.name}-{number}.png")
        write_png(path, image)
        paths.append(path)
    return paths


def png_bytes(image: Image.Image, *, fast: bool = False) -> bytes:
    """The image as PNG: small (for files kept on disk), or ``fast`` (for a look)."""
    buffer = BytesIO()
    if fast:
        image.save(buffer, format="PNG", compress_level=1)
    else:
        image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def write_png(path: Path, image: Image.Image) -> None:
    """Write the image as a small PNG, atomically."""
    write_atomic(path, png_bytes(image))
