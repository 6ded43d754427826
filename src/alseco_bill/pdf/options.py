"""PDF options beyond the print file: the archive copy and the tagged PDF.

The archive copy is PDF/A-3b (WeasyPrint's ``pdf/a-3b``: XMP identification, the sRGB
output intent, every font embedded) with the validated bill as JSON embedded as an
associated file (``/AF``, ``/AFRelationship /Data``), so an archive keeps the picture
and the data it was made from. The tagged PDF carries a structure tree (headings,
tables with header cells, figures with alternative text) in the bill's language for
screen readers. The two combine. An engine says whether it writes them
(``Capabilities.archive``, ``.tagged``): WeasyPrint writes them itself
(``write_options``), the Chromium engine adds PDF/A-3b to what it printed (``make_archive``).

Both are as deterministic as the print file: dates come from the bill's print date
and the file identifier is a digest of the content.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from html import escape
from importlib.util import find_spec
from pathlib import Path
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
    """WeasyPrint's sRGB profile, found without importing WeasyPrint: a Chromium
    worker would otherwise load all of it (a second of CPU) for one file."""
    spec = find_spec("weasyprint")
    if spec is None or not spec.submodule_search_locations:
        raise UsageError("archive copies need WeasyPrint's sRGB profile: pip install weasyprint")
    folder = Path(next(iter(spec.submodule_search_locations)))
    return (folder / "pdf" / "sRGB2014.icc").read_bytes()


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


def make_archive(document: Any, bill: Bill) -> None:
    """Make ``document`` (a ``pikepdf.Pdf`` whose fonts are all embedded, as a
    browser writes them) an archive copy of ``bill``: PDF/A-3b identification in its
    XMP packet (with its title and dates from the info dictionary, which must already
    be the bill's), the sRGB output intent and the bill as JSON, an associated file
    (``/AF``, ``/AFRelationship /Data``). Deterministic: no clock is read."""
    import pikepdf

    printed = datetime.combine(bill.print_date, datetime.min.time(), ALMATY)
    document.Root.Metadata = document.make_indirect(
        pikepdf.Stream(
            document,
            archive_xmp(document.docinfo, printed).encode(),
            Type=pikepdf.Name.Metadata,
            Subtype=pikepdf.Name.XML,
        )
    )
    profile = pikepdf.Stream(document, _srgb_bytes())
    profile.N = 3
    document.Root.OutputIntents = pikepdf.Array(
        [
            pikepdf.Dictionary(
                Type=pikepdf.Name.OutputIntent,
                S=pikepdf.Name.GTS_PDFA1,
                OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
                Info=pikepdf.String("sRGB IEC61966-2.1"),
                DestOutputProfile=document.make_indirect(profile),
            )
        ]
    )
    name = attachment_name(bill)
    spec = pikepdf.AttachedFileSpec(
        document,
        bill_json(bill).encode(),
        description=f"ALSECO bill data (JSON): account {bill.account}, period {bill.period:%Y-%m}",
        filename=name,
        mime_type="application/json",
        creation_date=_pdf_date(printed),
        mod_date=_pdf_date(printed),
        relationship=pikepdf.Name.Data,
    )
    document.attachments[name] = spec
    document.Root.AF = pikepdf.Array([document.attachments[name].obj])


# The XMP packet of an archive copy: what its info dictionary says, and that it is
# PDF/A-3b. Written out, not built with pikepdf's metadata editor, which took 2.5 of
# the 3.8 ms that making a file an archive copy cost (it parses and rewrites the
# packet at every step).
_XMP = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
{fields}
   <pdfaid:part>3</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


# Info dictionary entry → XMP property, and the form of its value.
_FROM_DOCINFO = (
    ("/Title", "dc:title", '<rdf:Alt><rdf:li xml:lang="x-default">{}</rdf:li></rdf:Alt>'),
    ("/Author", "dc:creator", "<rdf:Seq><rdf:li>{}</rdf:li></rdf:Seq>"),
    ("/Producer", "pdf:Producer", "{}"),
    ("/CreationDate", "xmp:CreateDate", "{}"),
    ("/ModDate", "xmp:ModifyDate", "{}"),
)


def archive_xmp(docinfo: Any, printed: datetime) -> str:
    """The XMP packet of an archive copy whose info dictionary is ``docinfo`` (a
    ``pikepdf.Dictionary``), its metadata dated ``printed``."""
    from pikepdf.models.metadata import decode_pdf_date

    lines = []
    for key, name, form in _FROM_DOCINFO:
        if key in docinfo:
            value = str(docinfo[key])
            if key.endswith("Date"):
                value = decode_pdf_date(value).isoformat()
            lines.append(f"   <{name}>{form.format(escape(value, quote=False))}</{name}>")
    lines.append(f"   <xmp:MetadataDate>{printed.isoformat()}</xmp:MetadataDate>")
    return _XMP.format(fields="\n".join(lines))


def _pdf_date(moment: datetime) -> str:
    offset = int(moment.utcoffset().total_seconds()) // 60  # type: ignore[union-attr]
    sign = "+" if offset >= 0 else "-"
    return f"D:{moment:%Y%m%d%H%M%S}{sign}{abs(offset) // 60:02d}'{abs(offset) % 60:02d}'"
