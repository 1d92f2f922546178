"""Section 二's columns printed inside section 三's text, given back to section 二.

A converter that orders a page's text boxes by its own layout analysis (pdftotext without ``-layout``,
pdfminer) can print section 二's tables partly after section 三's heading: the first column of each table
with its row labels in section 二's place, the other columns later, each as its header followed by its
numbers, among section 三's labels (pdfminer also before section 二's heading). Section 二 then lacks
those columns and section 三's region holds numbers that are not its own. Each such block goes to the
first column of section 二, in the format's order, that no reading found (every cell missing, or a blank
the reading only guessed), whose header it is (the first such column takes the block: one that its
numbers do not fill one for one, for a local extra row or a lost number, gets none of them). The cells
stay below the trust bar (``DECODED_UNLABELLED``): where a block sits says nothing, its header and the
format's order place it. A cell of section 三 read from one of those numbers is dropped: the number is
section 二's.
"""

from __future__ import annotations

import re

from gxie.confidence import DECODED_UNLABELLED, TRUSTED
from gxie.grid.align import Group, groups
from gxie.grid.assign import cell_of
from gxie.grid.candidates import Token, column_blocks, tokens
from gxie.templates import Template
from gxie.text.cells import Item
from gxie.types import Cell, Span

# The starts of section 二's column labels (both formats, a typo's 午 for 年 too) at a line's start: a
# stretch without one holds no stray block, and is not read into tokens.
_S2_HEADER_WORDS = re.compile(
    r"(?m)^[ \t]*(?:本[年午](?:新制作|新公开|增|制发|废止|处理决定|收费)"
    r"|对外公开总|上一年项目|处理决定|采购[项总]|现行有效)"
)
HEADER_MATCH = 0.6  # a stray block's header names the column it matches best, at least this well
MAX_BEFORE = 3000  # characters before section 二's tables looked at for its blocks (pdfminer can print them there)


def strays_returned(
    t: Template, text: str, spans: list[Span], bounds: dict[str, tuple[int, int]], cells: dict[str, Cell]
) -> dict[str, Cell]:
    """``cells`` with section 二's columns that section 三's region holds as stray blocks filled in (only
    columns no reading found), and section 三's cells read from their numbers dropped."""
    if "section2" not in bounds or "section3" not in bounds:
        return cells
    open_groups = [g for g in groups(t, "section2", "col") if _open(g, cells)]
    if not open_groups:
        return cells
    out = dict(cells)
    used: set[int] = set()
    taken: set[tuple[int, int]] = set()
    start = bounds["section2"][0]
    stretches = [(max(0, start - MAX_BEFORE), start), bounds["section3"]]
    streams = [tokens(text, spans, a, b) for a, b in stretches if _S2_HEADER_WORDS.search(text, a, b)]
    blocks = [(stream[lo], stream[lo + 1 : hi]) for stream in streams for lo, hi in column_blocks(stream)]
    for header, values in blocks:
        # the first open column this header names; a block that does not fill its rows (a local extra row,
        # a lost number) uses it up without cells, rather than falling to a later table's alike column
        gi = next((i for i, g in enumerate(open_groups) if i not in used and _names(header, g)), None)
        if gi is None:
            continue
        used.add(gi)
        g = open_groups[gi]
        if len(g.keys) != len(values):
            continue
        for key, tok in zip(g.keys, values, strict=True):
            table, row, col = key.split(".")
            item = Item("NUM", tok.start, tok.end, tok.text, tok.line, tok.score)
            out[key] = cell_of(table, row, col, item, DECODED_UNLABELLED)
            taken.add((tok.start, tok.end))
    return {k: c for k, c in out.items() if not (c.table == "section3" and c.span in taken)}


def _names(header: Token, g: Group) -> bool:
    """``header`` is the label of ``g``'s column: its best match, at least ``HEADER_MATCH`` well."""
    return header.matches("col", "section2", g.anchor[1]) >= HEADER_MATCH


def _open(g: Group, cells: dict[str, Cell]) -> bool:
    """No reading found the column: each cell missing, or a blank below the trust bar (a row the reading
    took as printed blank)."""
    return all(k not in cells or (cells[k].value is None and cells[k].confidence < TRUSTED) for k in g.keys)
