"""Web pages (.html, .htm): the visible text, block elements as line breaks, table rows as tab-joined lines.

Page furniture that is never report content (scripts, styles, menus, hidden elements) is dropped.
A table row whose cells hold further tables is a layout row: its cells' contents come out as blocks,
so a report table nested inside a page-layout table still reads one row per line.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from gxie.errors import ReadError
from gxie.readers import cell_text, row_line
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


class _TextBuilder:
    """Walks the parsed page and collects its visible text."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def block(self, tag: Tag, in_cell: bool) -> None:
        from bs4 import NavigableString, Tag

        for child in tag.children:
            if isinstance(child, Tag):
                self.element(child, in_cell)
            elif type(child) is NavigableString:  # skips comments, CDATA, doctype, processing instructions
                text = child if tag.name == "pre" else _SPACES.sub(" ", child)
                self.parts.append(text.replace("\t", " ") if in_cell else text)

    def element(self, tag: Tag, in_cell: bool) -> None:
        name = tag.name
        if name in DROPPED_TAGS or _is_hidden(tag):
            return
        if name == "br":
            self.parts.append(" " if in_cell else "\n")
        elif name == "table":
            self.table(tag, in_cell)
        elif name in BLOCK_TAGS:
            brk = " " if in_cell else _BREAK
            self.parts.append(brk)
            self.block(tag, in_cell)
            self.parts.append(brk)
        else:
            self.block(tag, in_cell)

    def table(self, table: Tag, in_cell: bool) -> None:
        if in_cell:  # a table inside a data cell: its text joins the cell's
            self.block(table, True)
            return
        self.parts.append(_BREAK)
        for child in table.find_all(["caption", "tr"]):
            if child.find_parent("table") is not table or _hidden_between(child, table):
                continue  # rows of nested tables are handled by their own table
            if child.name == "caption":
                self.element(child, False)
            else:
                self.row(child)
        self.parts.append(_BREAK)

    def row(self, tr: Tag) -> None:
        cells = [c for c in tr.find_all(CELL_TAGS, recursive=False) if not _is_hidden(c)]
        if any(c.find("table") is not None for c in cells):  # a layout row: cells are blocks
            for cell in cells:
                self.element(cell, False)
            return
        texts = []
        for cell in cells:
            inner = _TextBuilder()
            inner.block(cell, True)
            texts.append(cell_text("".join(inner.parts)))
        if texts:  # a row of blank cells stays: blank cells are data
            self.parts.extend((_BREAK, _LINE_SPACES.sub(" ", row_line(texts)), _BREAK))


def _hidden_between(tag: Tag, ancestor: Tag) -> bool:
    node: Tag | None = tag
    while node is not None and node is not ancestor:
        if node.name in DROPPED_TAGS or _is_hidden(node):
            return True
        node = node.parent
    return False


def _tidy(text: str) -> str:
    text = _BREAKS.sub("\n", text)
    lines = [_LINE_SPACES.sub(" ", line).strip(" ") for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")


def html_to_text(markup: str) -> str:
    """The visible text of an HTML page (see the module docstring for the rules)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")
    builder = _TextBuilder()
    builder.block(soup, False)
    return _tidy("".join(builder.parts))


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


def read_html(data: bytes, source: str) -> Document:
    """Read a web page's visible text from its bytes (charset from the BOM, ``<meta>`` or detection)."""
    declared = _declared_charset(data[:META_SNIFF_BYTES])
    markup, encoding = decode(data, source, declared=declared)
    try:
        text = html_to_text(markup)
    except RecursionError:
        raise ReadError(f"{source} is nested too deeply to read; simplify the page or save it as text") from None
    if not text.strip():
        raise ReadError(f"{source} has no visible text; check that it is the report page, not a frame")
    return Document(text=text, source=source, kind="html", encoding=encoding)
