"""A file cut from a bigger document, made to carry only what its own pages use.

Chromium embeds each font once per document, subset to the glyphs of the whole
document, and names every resource after its object number in that document. A bill
cut from a part of 50 therefore carries the part's glyphs (about twice its own) and
resource names that depend on its neighbours: its bytes would change with the bills
printed beside it. ``own_glyphs`` makes a cut file depend on its own pages alone:

- its page is drawn as the first page of its document would be (``placement``), not
  in the coordinates of its place in the part;
- resources are renamed in order of first use (``/F1``, ``/G1``, ``/X1`` ...), in the
  page's content and in the form XObjects it draws, and unused ones are dropped;
- each embedded TrueType font (``Type0``/``Identity-H`` over ``CIDFontType2``, what
  Chromium writes) is subset again with HarfBuzz to the glyphs the pages show, keeping
  glyph ids (so the content's strings stay as they are), with its widths (``/W``) and
  ``ToUnicode`` map cut to the same glyphs and a subset tag made from its bytes.

Fonts are written without hinting and layout tables, as WeasyPrint embeds them: a
viewer shows glyphs by id. ``slim_fonts`` does only that for a print file of many
pages, whose content it does not read.

Glyph ids are the original font's in every document (Chromium subsets with retained
ids), so the same glyphs give the same font program whatever else shared the part.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from typing import Any

from .placement import DocumentMatrix, Irregular, first_page

_PREFIX = {
    "/Font": "F",
    "/ExtGState": "G",
    "/XObject": "X",
    "/Shading": "S",
    "/ColorSpace": "C",
    "/Pattern": "P",
    "/Properties": "M",
}
# A resource name; a hex string (glyphs); a literal string or an inline image is irregular.
_NAME = re.compile(rb"/([A-Za-z0-9_.+-]+)")
_HEX_STRING = re.compile(rb"<([0-9A-Fa-f]+)>")
_INLINE_IMAGE = re.compile(rb"\bBI\b")
_UNUSED_TABLES = (b"GSUB", b"GPOS", b"GDEF", b"BASE", b"JSTF", b"MATH", b"kern", b"morx")
_W_TOKEN = re.compile(rb"[\[\]]|[-+.0-9]+")
_TAG = re.compile(r"^[A-Z]{6}\+")
_HEX = rb"<([0-9A-Fa-f]+)>"
_BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_RANGE = re.compile(_HEX + rb"\s*" + _HEX + rb"\s*(" + _HEX + rb"|\[[^\]]*\])")


class _Irregular(Exception):
    """Content this module does not read: the fonts are left as they are."""


def own_glyphs(document: Any, first: DocumentMatrix | None = None) -> None:
    """Rename the resources of every page of ``document`` (a ``pikepdf.Pdf``) in order
    of use and subset its embedded TrueType fonts to the glyphs its pages show; with
    ``first`` (the matrix of the first page of the document they were cut from), draw
    each page as that first page would (``placement.first_page``)."""
    used: dict[tuple[int, int], set[int]] = {}
    fonts: dict[tuple[int, int], Any] = {}
    try:
        for page in document.pages:
            _canonical(document, page.obj, used, fonts, set(), first)
    except _Irregular:
        return  # not Chromium's regular content: left whole (pages renamed so far hold)
    for key, glyphs in used.items():
        _subset_font(document, fonts[key], glyphs)


def slim_fonts(document: Any) -> None:
    """Every embedded TrueType font of ``document`` (a print file, whose pages are
    many) written again without hinting and layout tables, as a cut file's are,
    keeping each glyph its program draws: content is not read, so this costs a
    subset a font, not a parse a page."""
    seen: set[tuple[int, int]] = set()
    for page in document.pages:
        fonts = page.obj.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            if not _subsettable(font) or font.objgen in seen:
                continue
            seen.add(font.objgen)
            program = font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()
            glyphs = _drawn_glyphs(program)
            if glyphs is None:
                continue
            glyphs |= set(read_widths_of(font))  # a space draws nothing, yet is text
            if "/ToUnicode" in font:
                glyphs |= set(_read_to_unicode(font.ToUnicode.read_bytes()))
            _subset_font(document, font, glyphs)


def _drawn_glyphs(program: bytes) -> set[int] | None:
    """The glyphs with an outline in a TrueType ``program`` (from its ``loca``), or
    None for a program this does not read."""
    import array
    import sys

    import uharfbuzz as hb

    face = hb.Face(program)
    tables = {tag: face.reference_table(tag).data for tag in ("head", "loca")}
    if len(tables["head"]) < 54 or not tables["loca"]:
        return None
    long_offsets = int.from_bytes(tables["head"][50:52], "big") == 1
    offsets = array.array("I" if long_offsets else "H", tables["loca"])
    if sys.byteorder == "little":
        offsets.byteswap()
    return {g for g in range(len(offsets) - 1) if offsets[g + 1] > offsets[g]}


def read_widths_of(font: Any) -> dict[int, float]:
    """A Type0 font's ``/W`` as glyph → width."""
    cid = font.DescendantFonts[0]
    return read_widths(cid.W) if "/W" in cid else {}


def _canonical(
    document: Any,
    holder: Any,
    used: dict[tuple[int, int], set[int]],
    fonts: dict[tuple[int, int], Any],
    seen: set[tuple[int, int]],
    first: DocumentMatrix | None = None,
) -> None:
    """``holder``'s content (a page or a form) with its resources renamed in order of
    use; records the glyphs shown in each font.

    Chromium's content is regular (glyphs as hex strings, one resource name per
    operator), so it is read with one expression, not parsed object by object (which
    costs about a hundred times more); content that is not (a literal string or an
    inline image) is left as it is, and so are the fonts then.
    """
    import pikepdf

    if holder.is_indirect:
        if holder.objgen in seen:
            return
        seen.add(holder.objgen)
    resources = holder.get("/Resources")
    if resources is None:
        return
    if isinstance(holder, pikepdf.Stream):  # a form XObject or a tiling pattern
        content = holder.read_bytes()
    else:
        content = b"\n".join(s.read_bytes() for s in holder.Contents.wrap_in_array())
        if first is not None:
            with contextlib.suppress(Irregular):
                content = first_page(content, first)
    if b"(" in content or (b"BI" in content and _INLINE_IMAGE.search(content)):
        raise _Irregular
    tables = {c: resources[c] for c in _PREFIX if c in resources}
    category_of = {str(name)[1:]: c for c, table in tables.items() for name in table}
    names: dict[str, dict[str, str]] = {}
    switches: list[tuple[int, str]] = []  # where the content selects which font

    def rename(match: re.Match[bytes]) -> bytes:
        old = match[1].decode()
        category = category_of.get(old)
        if category is None:
            return match[0]
        mapping = names.setdefault(category, {})
        if old not in mapping:
            mapping[old] = f"{_PREFIX[category]}{len(mapping) + 1}"
        if category == "/Font":
            switches.append((match.start(), old))
        return b"/" + mapping[old].encode()

    renamed_content = _NAME.sub(rename, content)
    ends = [start for start, _ in switches[1:]] + [len(content)]
    shown: dict[str, list[bytes]] = {}
    for (start, old), end in zip(switches, ends, strict=True):
        shown.setdefault(old, []).extend(_HEX_STRING.findall(content, start, end))
    for old, strings in shown.items():
        glyphs = _glyphs_of(tables["/Font"]["/" + old], used, fonts)
        hex_digits = b"".join(strings)
        if len(hex_digits) % 4:  # not two bytes a glyph
            raise _Irregular
        if glyphs is not None:
            glyphs.update(_pairs(bytes.fromhex(hex_digits.decode())))
    renamed = pikepdf.Dictionary()
    for key in resources:
        if key not in _PREFIX:
            renamed[key] = resources[key]
    for category, mapping in names.items():
        table = tables[category]
        renamed[category] = pikepdf.Dictionary(
            {"/" + new: table["/" + old] for old, new in mapping.items()}
        )
    if isinstance(holder, pikepdf.Stream):
        holder.write(renamed_content)
    else:
        holder.Contents = document.make_stream(renamed_content)
    holder.Resources = renamed
    for category in ("/XObject", "/Pattern"):
        for drawn in renamed.get(category, {}).values():
            if isinstance(drawn, pikepdf.Stream) and (
                drawn.get("/Subtype") == "/Form" or drawn.get("/PatternType") == 1
            ):
                _canonical(document, drawn, used, fonts, seen)


def _pairs(data: bytes) -> set[int]:
    """Two-byte big-endian glyph ids."""
    import array
    import sys

    ids = array.array("H", data[: len(data) // 2 * 2])  # an odd digit: fromhex refuses
    if sys.byteorder == "little":
        ids.byteswap()
    return set(ids)


def _glyphs_of(
    font: Any, used: dict[tuple[int, int], set[int]], fonts: dict[tuple[int, int], Any]
) -> set[int] | None:
    """The set collecting the glyphs shown in ``font``, None if it is not subset."""
    if not _subsettable(font):
        return None
    fonts[font.objgen] = font
    return used.setdefault(font.objgen, set())


def _subsettable(font: Any) -> bool:
    """A Type0 font over an embedded TrueType program, glyph ids as character codes."""
    if not font.is_indirect or font.get("/Subtype") != "/Type0":
        return False
    if font.get("/Encoding") != "/Identity-H" or "/DescendantFonts" not in font:
        return False
    cid = font.DescendantFonts[0]
    descriptor = cid.get("/FontDescriptor")
    return (
        cid.get("/Subtype") == "/CIDFontType2"
        and cid.get("/CIDToGIDMap", "/Identity") == "/Identity"
        and descriptor is not None
        and "/FontFile2" in descriptor
    )


def _subset_font(document: Any, font: Any, glyphs: set[int]) -> None:
    import pikepdf
    import uharfbuzz as hb

    cid = font.DescendantFonts[0]
    descriptor = cid.FontDescriptor
    face = hb.Face(descriptor.FontFile2.read_bytes())
    plan = hb.SubsetInput()
    for glyph in sorted(glyphs | {0}):
        plan.glyph_set.add(glyph)
    # A PDF shows glyphs by id: the layout tables that chose them and the hinting
    # (which WeasyPrint drops too) are of no use to a viewer, and were half the bytes.
    plan.flags = (
        hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.NO_LAYOUT_CLOSURE | hb.SubsetFlags.NO_HINTING
    )
    for table in _UNUSED_TABLES:
        plan.drop_table_tag_set.add(int.from_bytes(table, "big"))
    program = hb.subset(face, plan).blob.data
    kept = sorted(glyphs)
    descriptor.FontFile2 = document.make_stream(program, Length1=len(program))
    if "/CIDSet" in descriptor:
        del descriptor["/CIDSet"]
    if "/W" in cid:
        cid.W = pikepdf.Array(_widths(read_widths(cid.W), kept))
    if "/ToUnicode" in font:
        text = _read_to_unicode(font.ToUnicode.read_bytes())
        font.ToUnicode = document.make_stream(_to_unicode({g: text[g] for g in kept if g in text}))
    tag = _tag(program)
    for holder, key in ((font, "/BaseFont"), (cid, "/BaseFont"), (descriptor, "/FontName")):
        if key in holder:
            holder[key] = pikepdf.Name("/" + tag + "+" + _TAG.sub("", str(holder[key])[1:]))


def _tag(program: bytes) -> str:
    """Six capital letters from the font program's bytes (the PDF subset tag)."""
    digest = hashlib.sha256(program).digest()
    return "".join(chr(ord("A") + b % 26) for b in digest[:6])


def read_widths(array: Any) -> dict[int, float]:
    """``/W``'s ``c [w ...]`` and ``first last w`` entries as glyph → width.

    Read from the array's PDF text: walking a pikepdf array costs a call into the
    library per number, about a hundred times more."""
    tokens = _W_TOKEN.findall(array.unparse())
    widths: dict[int, float] = {}
    i = 1 if tokens[:1] == [b"["] else 0
    end = len(tokens) - 1 if i else len(tokens)
    while i < end:
        first = int(tokens[i])
        if tokens[i + 1] == b"[":
            i += 2
            glyph = first
            while tokens[i] != b"]":
                widths[glyph] = float(tokens[i])
                glyph += 1
                i += 1
            i += 1
        else:
            for glyph in range(first, int(tokens[i + 1]) + 1):
                widths[glyph] = float(tokens[i + 2])
            i += 3
    return widths


def _widths(widths: dict[int, float], kept: list[int]) -> list[Any]:
    """``/W`` for the ``kept`` glyphs, each run of consecutive glyphs as ``c [w ...]``."""
    out: list[Any] = []
    run: list[Any] = []
    previous = None
    for glyph in kept:
        if glyph not in widths:
            continue
        width = widths[glyph]
        value = int(width) if width == int(width) else width
        if previous is not None and glyph == previous + 1:
            run.append(value)
        else:
            run = [value]
            out.extend([glyph, run])
        previous = glyph
    return out


def _read_to_unicode(cmap: bytes) -> dict[int, str]:
    """A ToUnicode CMap's mappings as glyph → UTF-16BE hex."""
    mapping: dict[int, str] = {}
    for block in _BFCHAR.findall(cmap):
        codes = re.findall(_HEX, block)
        for source, target in zip(codes[::2], codes[1::2], strict=False):
            mapping[int(source, 16)] = target.decode().upper()
    for block in _BFRANGE.findall(cmap):
        for low, high, target, _ in _RANGE.findall(block):
            start, end = int(low, 16), int(high, 16)
            if target.startswith(b"["):
                targets = [t.decode().upper() for t in re.findall(_HEX, target)]
                for offset, value in enumerate(targets[: end - start + 1]):
                    mapping[start + offset] = value
            else:
                first = int(target[1:-1], 16)
                width = len(target) - 2
                for offset in range(end - start + 1):
                    mapping[start + offset] = f"{first + offset:0{width}X}"
    return mapping


def _to_unicode(mapping: dict[int, str]) -> bytes:
    """A ToUnicode CMap of ``mapping`` (glyph → UTF-16BE hex), 100 entries a block."""
    entries = [f"<{glyph:04X}> <{text}>" for glyph, text in sorted(mapping.items())]
    blocks = []
    for start in range(0, len(entries), 100):
        chunk = entries[start : start + 100]
        blocks.append(f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar\n")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "".join(blocks)
        + "endcmap\nCMapName currentdict /CMapResource defineresource pop\nend\nend\n"
    ).encode()
