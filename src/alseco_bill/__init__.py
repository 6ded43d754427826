"""alseco-bill: typed billing data to print-ready ALSECO utility bills.

The public API: validate bill data, fill the Kazakh or Russian template of its
variant (Almaty city or region), and lay it out as an A4 PDF with WeasyPrint or the
system Chromium. This module only re-exports; ``api`` holds the functions.

    >>> from alseco_bill import load_bill, render_pdf
    >>> pdf = render_pdf(load_bill("examples/city-ru.json"))
"""

from __future__ import annotations

from .api import (
    load_bill,
    parse_bill,
    render_batch,
    render_file,
    render_html,
    render_pdf,
    validate_files,
)
from .bill.model import Bill, Language, Variant, bill_schema
from .bill.sample import sample_bill, sample_bills
from .engines import ENGINES, Capabilities, EngineInfo
from .errors import (
    AlsecoBillError,
    BillError,
    EngineCrashedError,
    EngineError,
    EngineUnavailableError,
    FetchRefusedError,
    GalleryError,
    Interrupted,
    InvalidBillError,
    LayoutOverflowError,
    Problem,
    RunFolderBusyError,
    RunMismatchError,
    TemplateError,
    TemplateLimitError,
    TextOverflowError,
    UsageError,
)
from .pdf.options import PdfOptions
from .render import Renderer
from .runs.run import BatchSummary
from .theme import Theme
from .visual.parity import EngineParity, compare_engines
from .visual.snapshot import SnapshotCheck, SnapshotUpdate, check_snapshots, update_snapshots

__all__ = [
    "ENGINES",
    "AlsecoBillError",
    "BatchSummary",
    "Bill",
    "BillError",
    "Capabilities",
    "EngineCrashedError",
    "EngineError",
    "EngineInfo",
    "EngineParity",
    "EngineUnavailableError",
    "FetchRefusedError",
    "GalleryError",
    "Interrupted",
    "InvalidBillError",
    "Language",
    "LayoutOverflowError",
    "PdfOptions",
    "Problem",
    "Renderer",
    "RunFolderBusyError",
    "RunMismatchError",
    "SnapshotCheck",
    "SnapshotUpdate",
    "TemplateError",
    "TemplateLimitError",
    "TextOverflowError",
    "Theme",
    "UsageError",
    "Variant",
    "bill_schema",
    "check_snapshots",
    "compare_engines",
    "load_bill",
    "parse_bill",
    "render_batch",
    "render_file",
    "render_html",
    "render_pdf",
    "sample_bill",
    "sample_bills",
    "update_snapshots",
    "validate_files",
]
