"""Web pages (.html, .htm): the visible text, block elements as line breaks, table rows as tab-joined lines.

Page furniture that is never report content (scripts, styles, menus, hidden elements) is dropped.
A table row whose cells hold further tables is a layout row: its cells' contents come out as blocks,
so a report table nested inside a page-layout table still reads one row per line.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from gxie.errors import ReadError
from gxie.limits import DEFAULT_LIMITS, MAX_HTML_TABLE_NESTING, Limits, exceeded
from gxie.readers.rows import cell_text, row_line
from gxie.readers.text import decode
from gxie.types import Document

if TYPE_CHECKING:
    from bs4 import Tag

DROPPED_TAGS = frozenset(
    {"script", "style", "noscript", "template", "iframe", "svg", "nav", "head", "object", "embed",
     "canvas", "select", "button", "math"}
)  # fmt: skip
BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog",
     "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
     "h5", "h6", "header", "hr", "html", "legend", "li", "main", "ol", "p", "pre", "section", "summary",
     "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"}
)  # fmt: skip
CELL_TAGS = ("td", "th")
META_SNIFF_BYTES = 4096

_START_TAG = re.compile(r"<[A-Za-z]")  # an upper bound on the elements a parse makes
_META_TAG = re.compile(rb"<meta[^>]*", re.IGNORECASE)
_CHARSET_WORD = re.compile(rb"charset", re.IGNORECASE)
# No ``\s*["']?\s*``: two white-space runs around an optional quote backtracked quadratically.
_CHARSET = re.compile(rb"""charset\s*=\s*(?:["']\s*)?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\n\r\f]+")  # HTML white space; NBSP is content and stays
_LINE_SPACES = re.compile(r" {2,}")
_BLANK_RUNS = re.compile(r"\n{3,}")
_BREAK = "\x00"  # a block boundary; runs of them (and a <br> right before) make one line break
# Not tried from inside a run of spaces (``(?<! )``): from every space of a long run it scanned the run again.
_BREAKS = re.compile(r"(?:\n|(?<! ))[ ]*(?:\x00[ ]*)+")


def _is_hidden(tag: Tag) -> bool:
    attrs = tag.attrs
    if "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true":
        return True
    if str(attrs.get("role", "")).lower() == "navigation":
        return True
    return bool(_HIDDEN_STYLE.search(str(attrs.get("style", ""))))


# Work items of the walk (an explicit stack: a page nested 100,000 deep must not exhaust Python's stack).
_CHILDREN, _ELEMENT, _ROW, _TEXT, _CELL_START, _CELL_END, _ROW_END = range(7)


class _TextBuilder:
    """Walks the parsed page once, without recursion, and collects its visible text.

    ``holding`` is the ids of the elements that have a table inside (``_holding_tables``). Tables nested
    more than ``max_nesting`` deep are read as text, like a table inside a data cell."""

    def __init__(self, holding: set[int], max_nesting: int) -> None:
        self.parts: list[str] = []
        self.holding = holding
        self.max_nesting = max_nesting

    def walk(self, root: Tag) -> None:
        from bs4 import NavigableString, Tag

        parts = self.parts
        marks: list[int] = []  # where the text of each open data cell starts in ``parts``
        stack: list[tuple[Any, ...]] = [(_CHILDREN, root, False, 0)]
        while stack:
            item = stack.pop()
            op = item[0]
            if op == _TEXT:
                parts.append(item[1])
            elif op == _CHILDREN:  # a block's content: child elements and text, in order
                _, tag, in_cell, depth = item
                for child in reversed(tag.contents):
                    if isinstance(child, Tag):
                        stack.append((_ELEMENT, child, in_cell, depth))
                    elif type(child) is NavigableString:  # skips comments, CDATA, doctype, processing instructions
                        text = child if tag.name == "pre" else _SPACES.sub(" ", child)
                        stack.append((_TEXT, text.replace("\t", " ") if in_cell else text))
            elif op == _ELEMENT:
                self._element(stack, *item[1:])
            elif op == _ROW:
                self._row(stack, item[1], item[2])
            elif op == _CELL_START:
                marks.append(len(parts))
            elif op == _CELL_END:
                start = marks.pop()
                item[1].append(cell_text("".join(parts[start:])))
                del parts[start:]
            elif op == _ROW_END and item[1]:  # a row of blank cells stays: blank cells are data
                parts.extend((_BREAK, _LINE_SPACES.sub(" ", row_line(item[1])), _BREAK))

    def _element(self, stack: list[tuple[Any, ...]], tag: Tag, in_cell: bool, depth: int) -> None:
        name = tag.name
        if name in DROPPED_TAGS or _is_hidden(tag):
            return
        if name == "br":
            self.parts.append(" " if in_cell else "\n")
        elif name == "table":
            self._table(stack, tag, in_cell, depth)
        elif name in BLOCK_TAGS:
            brk = " " if in_cell else _BREAK
            self.parts.append(brk)
            stack.append((_TEXT, brk))
            stack.append((_CHILDREN, tag, in_cell, depth))
        else:
            stack.append((_CHILDREN, tag, in_cell, depth))

    def _table(self, stack: list[tuple[Any, ...]], table: Tag, in_cell: bool, depth: int) -> None:
        if in_cell:  # a table inside a data cell: its text joins the cell's
            stack.append((_CHILDREN, table, True, depth))
            return
        self.parts.append(_BREAK)
        stack.append((_TEXT, _BREAK))
        if depth >= self.max_nesting:  # nested too deep to be a report's table: its text, as one block
            stack.append((_CHILDREN, table, True, depth))
            return
        for child in reversed(_own_rows(table)):
            if child.name == "caption":
                stack.append((_ELEMENT, child, False, depth + 1))
            else:
                stack.append((_ROW, child, depth + 1))

    def _row(self, stack: list[tuple[Any, ...]], tr: Tag, depth: int) -> None:
        cells = [c for c in tr.find_all(CELL_TAGS, recursive=False) if not _is_hidden(c)]
        if any(id(c) in self.holding for c in cells):  # a layout row: cells are blocks
            stack.extend((_ELEMENT, cell, False, depth) for cell in reversed(cells))
            return
        texts: list[str] = []
        stack.append((_ROW_END, texts))
        for cell in reversed(cells):
            stack.extend(((_CELL_END, texts), (_CHILDREN, cell, True, depth), (_CELL_START,)))


def _own_rows(table: Tag) -> list[Tag]:
    """The captions and rows of ``table`` in document order; not those of tables inside it, nor any in a
    hidden or dropped element (one walk of the table, stopping at inner tables)."""
    from bs4 import Tag

    out: list[Tag] = []
    stack = [c for c in reversed(table.contents) if isinstance(c, Tag)]
    while stack:
        tag = stack.pop()
        if tag.name == "table" or tag.name in DROPPED_TAGS or _is_hidden(tag):
            continue
        if tag.name in ("caption", "tr"):
            out.append(tag)
        stack.extend(c for c in reversed(tag.contents) if isinstance(c, Tag))
    return out


def _holding_tables(root: Tag) -> set[int]:
    """The ids of the elements with a table somewhere inside them. Linear: the walk up from each table
    stops at an element already marked (its ancestors are marked too)."""
    holding: set[int] = set()
    for table in root.find_all("table"):
        node = table.parent
        while node is not None and id(node) not in holding:
            holding.add(id(node))
            node = node.parent
    return holding


def _tidy(text: str) -> str:
    text = _BREAKS.sub("\n", text)
    lines = [_LINE_SPACES.sub(" ", line).strip(" ") for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")


def html_to_text(markup: str, *, max_table_nesting: int = MAX_HTML_TABLE_NESTING) -> str:
    """The visible text of an HTML page (see the module docstring for the rules)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")
    builder = _TextBuilder(_holding_tables(soup), max_table_nesting)
    builder.walk(soup)
    return _tidy("".join(builder.parts))


def _check_elements(markup: str, source: str, limits: Limits) -> None:
    """Refuse a page with more start tags than ``limits.max_html_elements`` before parsing it (the parse
    tree costs about 1 KB an element)."""
    found = _START_TAG.subn("", markup)[1]
    if found > limits.max_html_elements:
        raise exceeded(source, "the number of HTML elements", found, "max_html_elements", limits.max_html_elements)


def _declared_charset(head: bytes) -> str | None:
    """The charset the first ``<meta … charset=…>`` declares (its last one), or None. Tag by tag, in one
    pass: ``<meta[^>]+charset…`` backtracked over every tag from every ``<meta`` in it."""
    for tag in _META_TAG.finditer(head):
        text = tag.group()
        for at in reversed([m.start() for m in _CHARSET_WORD.finditer(text, len(b"<meta") + 1)]):
            found = _CHARSET.match(text, at)
            if found is not None:
                return found.group(1).decode("ascii")
    return None


def read_html(data: bytes, source: str, *, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Read a web page's visible text from its bytes (charset from the BOM, ``<meta>`` or detection).

    A page with more elements than ``limits.max_html_elements`` is refused (``LimitExceededError``); tables
    nested deeper than ``limits.max_html_table_nesting`` are read as text."""
    declared = _declared_charset(data[:META_SNIFF_BYTES])
    markup, encoding = decode(data, source, declared=declared)
    _check_elements(markup, source, limits)
    try:
        text = html_to_text(markup, max_table_nesting=limits.max_html_table_nesting)
    except RecursionError:  # the walk has no recursion; kept in case the parser recurses on some input
        raise ReadError(f"{source} is nested too deeply to read; simplify the page or save it as text") from None
    if not text.strip():
        raise ReadError(f"{source} has no visible text; check that it is the report page, not a frame")
    return Document(text=text, source=source, kind="html", encoding=encoding)
