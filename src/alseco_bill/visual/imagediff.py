"""Comparing two page images with pixelmatch: how many pixels differ, and where.

pixelmatch counts the pixels whose perceived colour differs by more than a threshold,
leaving out anti-aliasing, and paints a diff image: differences red, anti-aliasing
yellow, everything else a faded copy of the expected page.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageChops
from pixelmatch.contrib.PIL import pixelmatch

# pixelmatch's default: small enough to see a changed grey, large enough to ignore
# the rounding of one anti-aliased edge pixel.
DEFAULT_THRESHOLD = 0.1
# pixelmatch's anti-aliasing test looks two pixels around a differing pixel; a wider
# margin around the changed area gives exactly the count of the whole page.
_MARGIN = 3


@dataclass(frozen=True)
class ImageDiff:
    """The outcome of one comparison; ``image`` is the diff picture (RGB)."""

    differing: int
    total: int
    image: Image.Image

    @property
    def percent(self) -> float:
        return percent(self.differing, self.total)


def percent(differing: int, total: int) -> float:
    """``differing`` of ``total`` pixels, in percent (0 of none)."""
    return 100 * differing / total if total else 0.0


def compare_images(
    expected: Image.Image, actual: Image.Image, threshold: float = DEFAULT_THRESHOLD
) -> ImageDiff:
    """Compare two pages; images of different sizes are compared on a white canvas
    of the larger size, so a changed page size counts as a difference."""
    size = (max(expected.width, actual.width), max(expected.height, actual.height))
    expected, actual = _on_canvas(expected, size), _on_canvas(actual, size)
    diff = Image.new("RGBA", size)
    # The faded background: pixelmatch draws it for identical images, cheaply.
    pixelmatch(expected, expected, diff)
    changed = ImageChops.difference(expected, actual).getbbox()
    differing = 0
    if changed is not None:
        # pixelmatch is pure Python, a few microseconds a pixel: compare only the area
        # that changed (often a few lines of a page), then paint it into the page.
        left, top, right, bottom = changed
        box = (
            max(left - _MARGIN, 0),
            max(top - _MARGIN, 0),
            min(right + _MARGIN, size[0]),
            min(bottom + _MARGIN, size[1]),
        )
        part = Image.new("RGBA", (box[2] - box[0], box[3] - box[1]))
        differing = pixelmatch(expected.crop(box), actual.crop(box), part, threshold=threshold)
        diff.paste(part, box[:2])
    return ImageDiff(differing, size[0] * size[1], diff.convert("RGB"))


def _on_canvas(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    image = image.convert("RGB")
    if image.size == size:
        return image
    canvas = Image.new("RGB", size, "white")
    canvas.paste(image, (0, 0))
    return canvas
