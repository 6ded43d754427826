"""Page surgery on finished PDFs with pikepdf: joining parts, deterministic bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence


def join_pdfs(pdfs: Sequence[bytes], keep: Sequence[Sequence[int]] | None = None) -> bytes:
    """The pages of ``pdfs`` in order (only the 0-based pages in ``keep[i]`` of the
    i-th, when given) as one PDF, with the same bytes for the same input.

    Each input keeps its own font subsets, so this is for joining parts of a file.
    """
    import pikepdf

    joined = pikepdf.Pdf.new()
    sources = [pikepdf.Pdf.open(io.BytesIO(pdf)) for pdf in pdfs]
    for i, source in enumerate(sources):
        pages = range(len(source.pages)) if keep is None else keep[i]
        joined.pages.extend(source.pages[p] for p in pages)
    buffer = io.BytesIO()
    joined.save(buffer, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    for source in sources:
        source.close()
    return buffer.getvalue()
