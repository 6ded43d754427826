"""A tagged PDF's structure tree, cut with its pages, and named the same every time.

Chromium prints a tagged part of many bills as one structure tree: a ``Document``
element with one element per bill (its box), whose content is all on that bill's
page, marked with identifiers that start at 0 on every page. ``carry`` gives a page cut
from such a document (``pages.split_pages``) its own bill's part of the tree as a
tree of its own: its element under a new ``Document``, the page's entry of the parent
tree (its marked content's elements), its outline items, and the catalog's marks of
a tagged file. Anything that does not have that shape (an element on another page, a
page whose annotations are in the tree, an outline item that points elsewhere) raises
``Irregular``, and the part is not cut (``engines.chromium`` prints each bill alone).

An outline item leads to its page's top: where Chromium points to its heading, the
number is written in the coordinates of the whole document, and its last digits
change with the page's place in the part (a bill's bytes must not).

``number_ids`` renames the elements' IDs in the tree's order: Chromium names them
after the DOM nodes (``node00000626``), whose numbers depend on what the page showed
before.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


class Irregular(Exception):
    """A structure tree this module does not cut: each bill is printed alone."""


@dataclass
class Tree:
    """A tagged document's structure, read once for all the pages cut from it."""

    document: Any  # the pikepdf.Pdf
    top: Any  # its Document element
    bills: list[Any]  # its kids: page i's element is bills[i]
    parents: dict[int, Any]  # a page's /StructParents -> its marked content's elements
    outline: dict[tuple[int, int], list[Any]]  # a page's object -> its top outline items
    catalog: dict[str, Any]  # /MarkInfo, /ViewerPreferences as written


def read_tree(document: Any) -> Tree | None:
    """``document``'s structure tree (a ``pikepdf.Pdf``), None if it is not tagged."""
    import pikepdf

    root = document.Root.get("/StructTreeRoot")
    if root is None:
        return None
    top = root.get("/K")
    if not isinstance(top, pikepdf.Dictionary) or top.get("/S") != pikepdf.Name.Document:
        raise Irregular("the tree has no single Document element")
    bills = _kids(top)
    if len(bills) != len(document.pages) or not all(
        isinstance(bill, pikepdf.Dictionary) and "/S" in bill for bill in bills
    ):
        raise Irregular(f"{len(bills)} top elements for {len(document.pages)} pages")
    parents = {int(key): value for key, value in pikepdf.NumberTree(root.ParentTree).items()}
    outline: dict[tuple[int, int], list[Any]] = {}
    item = document.Root.get("/Outlines", {}).get("/First")
    while item is not None:
        outline.setdefault(_target(item).objgen, []).append(item)
        item = item.get("/Next")
    catalog = {key: document.Root.get(key) for key in ("/MarkInfo", "/ViewerPreferences")}
    return Tree(
        document, top, bills, parents, outline, {k: v for k, v in catalog.items() if v is not None}
    )


def carry(tree: Tree, index: int, source_page: Any, single: Any) -> None:
    """Give ``single`` (a ``pikepdf.Pdf`` holding page ``index`` of the document of
    ``tree``, ``source_page``, as its only page) that page's part of the tree, its IDs
    numbered as ``number_ids`` numbers them."""
    import pikepdf

    page = single.pages[0].obj
    if "/Annots" in page and any("/StructParent" in a for a in page.Annots):
        raise Irregular("the page's annotations are in the tree")
    marked = tree.parents.get(int(page.get("/StructParents", -1)))
    if marked is None:
        raise Irregular("the page has no marked content in the tree")
    # Checked and numbered in the source, before anything is copied: a copy's
    # references to pages not copied become null, and one walk is enough.
    element = tree.bills[index]
    elements = [element, *_walk(element, source_page.objgen)]
    ours = {element.objgen for element in elements}
    if any(isinstance(e, pikepdf.Dictionary) and e.objgen not in ours for e in marked):
        raise Irregular("the page's marked content belongs to another page's element")
    items = tree.outline.get(source_page.objgen, [])
    _check_outline(items, source_page.objgen, ours)
    named = _rename(elements)
    ids = pikepdf.Array([item for e in named for item in (e.ID, e)])
    # Without its parent, which leads to every other page's elements; the outline
    # items without their neighbours.
    del element["/P"]
    for item in items:
        for key in ("/Parent", "/Prev", "/Next"):
            if key in item:
                del item[key]
    mine, marked, ids, *copies = single.copy_foreign(
        tree.document.make_indirect(pikepdf.Array([element, marked, ids, *items]))
    )
    page.StructParents = 0
    top = single.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document, K=mine)
    )
    if "/Lang" in tree.top:
        top.Lang = tree.top.Lang
    mine.P = top
    root = single.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.StructTreeRoot,
            K=top,
            ParentTree=single.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array([0, marked]))),
            ParentTreeNextKey=1,
        )
    )
    if named:  # a name tree, sorted: the names are numbered in order
        root.IDTree = single.make_indirect(pikepdf.Dictionary(Names=ids))
    top.P = root
    single.Root.StructTreeRoot = root
    for key, value in tree.catalog.items():
        single.Root[key] = pikepdf.Dictionary(dict(value.items()))
    _outline(copies, single)


def number_ids(document: Any, elements: list[Any]) -> None:
    """Rename the IDs of ``elements`` (``document``'s structure tree's, in its order)
    ``node00000000`` on, every reference to them (table cells' ``/Headers``) too,
    and rebuild the ID tree."""
    import pikepdf

    tree = document.Root.StructTreeRoot
    named = _rename(elements)
    if "/IDTree" in tree:
        del tree["/IDTree"]
    if named:
        names = pikepdf.Array([item for e in named for item in (e.ID, e)])
        tree.IDTree = document.make_indirect(pikepdf.Dictionary(Names=names))


def _rename(elements: list[Any]) -> list[Any]:
    """Number the IDs of ``elements`` in their order; returns the elements named."""
    import pikepdf

    named = [element for element in elements if "/ID" in element]
    new = {bytes(e.ID): pikepdf.String(f"node{i:08d}") for i, e in enumerate(named)}

    def renamed(value: Any) -> Any:
        return new.get(bytes(value), value) if isinstance(value, pikepdf.String) else value

    for element in named:
        element.ID = renamed(element.ID)
    for element in elements:
        attributes = element.get("/A")
        if attributes is None:
            continue
        listed = [attributes] if isinstance(attributes, pikepdf.Dictionary) else attributes
        for attribute in listed:
            if isinstance(attribute, pikepdf.Dictionary) and "/Headers" in attribute:
                attribute.Headers = pikepdf.Array([renamed(v) for v in attribute.Headers])
    return named


def elements_of(document: Any) -> list[Any]:
    """Every element of ``document``'s structure tree, in its order."""
    import pikepdf

    root = document.Root.get("/StructTreeRoot")
    found: list[Any] = []
    for kid in _kids(root) if root is not None else []:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            found += [kid, *_walk(kid, None)]
    return found


def _walk(element: Any, page: tuple[int, int] | None) -> list[Any]:
    """The elements below ``element`` in the tree's order; with ``page``, raises
    ``Irregular`` if any of them, or their marked content, is on another page."""
    import pikepdf

    found: list[Any] = []
    todo = list(reversed(_kids(element)))
    if page is not None and "/Pg" in element and element.Pg.objgen != page:
        raise Irregular("an element is on another page")
    while todo:
        kid = todo.pop()
        if not isinstance(kid, pikepdf.Dictionary):
            continue  # a marked-content identifier on the element's page
        if page is not None and "/Pg" in kid and kid.Pg.objgen != page:
            raise Irregular("an element is on another page")
        if "/S" in kid:
            found.append(kid)
            todo += reversed(_kids(kid))
        elif kid.get("/Type") == pikepdf.Name.OBJR:
            raise Irregular("an element refers to an object (an annotation)")
    return found


def _kids(element: Any) -> list[Any]:
    import pikepdf

    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _target(item: Any) -> Any:
    destination = item.get("/Dest")
    if destination is None or len(destination) < 2:
        raise Irregular("an outline item without a destination on a page")
    return destination[0]


def _every_item(items: list[Any]) -> Iterator[Any]:
    """``items`` and every outline item below them."""
    todo = list(items)
    while todo:
        item = todo.pop()
        yield item
        child = item.get("/First")
        while child is not None:
            todo.append(child)
            child = child.get("/Next")


def _check_outline(items: list[Any], page: tuple[int, int], ours: set[tuple[int, int]]) -> None:
    """Raise ``Irregular`` unless every item below ``items`` leads to ``page`` and
    names only elements of ``ours``."""
    for item in _every_item(items):
        if _target(item).objgen != page:
            raise Irregular("an outline item leads to another page")
        if "/SE" in item and item.SE.objgen not in ours:
            raise Irregular("an outline item names another page's element")


def _outline(copies: list[Any], single: Any) -> None:
    """``copies`` (top outline items, copied) as ``single``'s outline, every item
    leading to its page's top."""
    import pikepdf

    if not copies:
        return
    page = single.pages[0].obj
    top = page.MediaBox[3]
    for item in _every_item(copies):
        item.Dest = pikepdf.Array([page, pikepdf.Name.XYZ, 0, top, 0])
    # Open items count their shown descendants (a positive /Count), closed ones do not.
    shown = len(copies) + sum(max(int(item.get("/Count", 0)), 0) for item in copies)
    outlines = single.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Outlines, First=copies[0], Last=copies[-1], Count=shown
        )
    )
    for before, after in itertools.pairwise(copies):
        before.Next, after.Prev = after, before
    for item in copies:
        item.Parent = outlines
    single.Root.Outlines = outlines
