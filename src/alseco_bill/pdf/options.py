"""PDF options beyond the print file: the archive copy and the tagged PDF.

The archive copy is PDF/A-3b (WeasyPrint's ``pdf/a-3b``: XMP identification, the sRGB
output intent, every font embedded) with the validated bill as JSON embedded as an
associated file (``/AF``, ``/AFRelationship /Data``), so an archive keeps the picture
and the data it was made from. The tagged PDF carries a structure tree (headings,
tables with header cells, figures with alternative text) in the bill's language for
screen readers. The two combine. An engine says whether it writes them
(``Capabilities.archive``, ``.tagged``); today only WeasyPrint does.

Both are as deterministic as the print file: dates come from the bill's print date
and the file identifier is a digest of the content.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from importlib.resources import files
from typing import Any

from ..bill.model import Bill
from ..errors import UsageError

# Bills are printed in Almaty; the HTML's metadata dates are midnight there too.
ALMATY = timezone(timedelta(hours=5))
OUTPUT_INTENT = "alseco-srgb"


@dataclass(frozen=True)
class PdfOptions:
    """Which PDF to write: the plain print file, an archive copy, tagged, or both.

    (Not to be confused with a bill's variant, city or region: ``model.Variant``.)
    """

    archive: bool = False
    tagged: bool = False

    @property
    def plain(self) -> bool:
        return not (self.archive or self.tagged)

    @property
    def flags(self) -> str:
        """The command-line options that ask for these, e.g. ``--archive and --tagged``."""
        on = (("--archive", self.archive), ("--tagged", self.tagged))
        return " and ".join(name for name, wanted in on if wanted)

    def check_merge(self, merge: int | None) -> None:
        """Refuse archive or tagged print files, before anything is rendered."""
        if merge and not self.plain:
            raise UsageError(
                f"{self.flags} writes one file per bill (each with its own data and "
                "structure); leave out --merge"
            )


PLAIN = PdfOptions()


def attachment_name(bill: Bill) -> str:
    return f"alseco-bill-{bill.account}-{bill.period:%Y-%m}.json"


def bill_json(bill: Bill) -> str:
    """The bill as the JSON an archive keeps: the input schema, validated values."""
    return bill.model_dump_json(indent=2, exclude_none=True)


def write_options(document: Any, bill: Bill, options: PdfOptions) -> bytes:
    """Write a laid-out WeasyPrint ``document`` of ``bill`` with ``options``."""
    from weasyprint import Attachment

    arguments: dict[str, Any] = {"pdf_tags": options.tagged}
    if options.archive:
        printed = datetime.combine(bill.print_date, datetime.min.time(), ALMATY)
        arguments["pdf_variant"] = "pdf/a-3b"
        # WeasyPrint's own "srgb" intent leaves its ICC file open for every PDF; the
        # same profile, read once, under another name, is the output intent instead.
        document.color_profiles[OUTPUT_INTENT] = _srgb_profile()
        arguments["output_intent"] = OUTPUT_INTENT
        arguments["attachments"] = [
            Attachment(
                string=bill_json(bill),
                name=attachment_name(bill),
                description=f"ALSECO bill data (JSON): account {bill.account}, "
                f"period {bill.period:%Y-%m}",
                created=printed.astimezone(UTC),
                modified=printed.astimezone(UTC),
                relationship="Data",
            )
        ]
    pdf: bytes = document.write_pdf(finisher=_one_entry_per_file, **arguments)
    return pdf


@cache
def _srgb_bytes() -> bytes:
    return (files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()


def _srgb_profile() -> Any:
    from weasyprint.css import ColorProfile

    return ColorProfile(
        io.BytesIO(_srgb_bytes()), "sRGB2014.icc", "relative-colorimetric", ["r", "g", "b"]
    )


def _one_entry_per_file(document: Any, pdf: Any) -> None:
    # WeasyPrint 70 lists each attachment twice in the catalog's /AF (from the name
    # tree and from the file specifications); an associated file is listed once.
    associated = pdf.catalog.get("AF")
    if associated:
        unique = list(dict.fromkeys(associated))
        associated.clear()
        associated.extend(unique)
