"""Text boxes to report text: table rows as tab-joined lines, everything else line by line, top to bottom.

Boxes inside a ruled table go to the cell (row band x column band) that holds them; a cell's boxes are
joined in reading order without a break (a wrapped label reads as one), and a row becomes one line of
its cells joined by ``"\\t"``, empty cells and empty rows kept (in a one-cell-per-line table an empty
row is a blank value that holds its place). Boxes outside tables are grouped
into lines by vertical overlap and ordered by x; a wide horizontal gap inside a line (an unruled table)
becomes ``"\\t"``. Each box's text keeps its ``[start, end)`` offsets in the page text.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from gxie.ocr.engine import Word
from gxie.ocr.rulings import Table

TAB_GAP = 1.5  # a gap wider than this many character heights separates two cells of a row
SPACE_GAP = 0.3  # a gap wider than this many character heights is a space
IN_TABLE = 0.5  # share of a box's height that must lie inside a table's frame for it to be in the table
EMPTY_ROW = 0.6  # a ruled row band at least this many character heights tall is a row, even when empty


@dataclass(frozen=True)
class Placed:
    """A word with its box in the deskewed frame of its page (``word`` keeps the original corners)."""

    word: Word
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(frozen=True)
class Piece:
    """A word's text at ``[start, end)`` of the page text."""

    word: Word
    start: int
    end: int


class _Text:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pieces: list[Piece] = []
        self.length = 0

    def raw(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def word(self, item: Placed) -> None:
        text = item.word.text
        self.pieces.append(Piece(item.word, self.length, self.length + len(text)))
        self.raw(text)


def lines_of(items: Sequence[Placed]) -> list[list[Placed]]:
    """Group boxes into text lines (vertical overlap of at least half the smaller box), each sorted by x."""
    lines: list[tuple[float, float, list[Placed]]] = []
    for it in sorted(items, key=lambda p: (p.cy, p.x0)):
        h = it.y1 - it.y0
        for k, (top, bottom, members) in enumerate(lines):
            overlap = min(bottom, it.y1) - max(top, it.y0)
            if overlap >= 0.5 * min(h, bottom - top):
                members.append(it)
                lines[k] = (min(top, it.y0), max(bottom, it.y1), members)
                break
        else:
            lines.append((it.y0, it.y1, [it]))
    lines.sort(key=lambda line: (line[0] + line[1]) / 2)
    return [sorted(members, key=lambda p: p.x0) for _, _, members in lines]


def _write_line(out: _Text, line: list[Placed], char_h: float, tabs: bool) -> None:
    prev: Placed | None = None
    for it in line:
        if prev is not None:
            gap = it.x0 - prev.x1
            if tabs and gap > TAB_GAP * char_h:
                out.raw("\t")
            elif gap > SPACE_GAP * char_h:
                out.raw(" ")
        out.word(it)
        prev = it


def _band(bounds: tuple[float, ...], v: float) -> int | None:
    i = bisect.bisect_right(bounds, v) - 1
    return i if 0 <= i < len(bounds) - 1 else None


def _table_rows(out: _Text, table: Table, items: list[Placed], char_h: float) -> None:
    cells: dict[tuple[int, int], list[Placed]] = {}
    for it in items:
        r = _band(table.rows, it.cy)
        c = _band(table.cols, it.x0 + min(0.3 * char_h, (it.x1 - it.x0) / 2))
        if r is None or c is None:  # outside the ruled grid: the nearest band
            r = r if r is not None else (0 if it.cy < table.rows[0] else len(table.rows) - 2)
            c = c if c is not None else (0 if it.x0 < table.cols[0] else len(table.cols) - 2)
        cells.setdefault((r, c), []).append(it)
    first = True
    for r in range(len(table.rows) - 1):
        if not any((r, c) in cells for c in range(len(table.cols) - 1)) and (
            table.rows[r + 1] - table.rows[r] < EMPTY_ROW * char_h
        ):
            continue  # a sliver between two close rules, not a row
        if not first:
            out.raw("\n")
        first = False
        for c in range(len(table.cols) - 1):
            if c:
                out.raw("\t")
            for line in lines_of(cells.get((r, c), [])):
                _write_line(out, line, char_h, tabs=False)


def _inside(table: Table, cx: float, item: Placed, char_h: float) -> bool:
    """True when ``item`` belongs to ``table``: its centre is in the frame (with a little slack) and at
    least half of its height is (a heading right under a table's last rule is not a table row)."""
    if not table.contains(cx, item.cy, slack=char_h / 4):
        return False
    height = max(item.y1 - item.y0, 1e-6)
    return (min(item.y1, table.y1) - max(item.y0, table.y0)) / height >= IN_TABLE


def page_layout(items: Sequence[Placed], tables: Sequence[Table], char_h: float) -> tuple[str, list[Piece]]:
    """The text of one page and where each word's text sits in it (see the module docstring)."""
    in_table: dict[int, list[Placed]] = {}
    rest: list[Placed] = []
    for it in items:
        cx = (it.x0 + it.x1) / 2
        k = next((i for i, t in enumerate(tables) if _inside(t, cx, it, char_h)), None)
        if k is None:
            rest.append(it)
        else:
            in_table.setdefault(k, []).append(it)
    lines = lines_of(rest)
    blocks = [(min(p.y0 for p in line), line[0].x0, -1, i) for i, line in enumerate(lines)]
    blocks += [(tables[k].y0, tables[k].x0, k, -1) for k in in_table]
    blocks.sort()
    out = _Text()
    for n, (_, _, table, line) in enumerate(blocks):
        if n:
            out.raw("\n")
        if table >= 0:
            _table_rows(out, tables[table], in_table[table], char_h)
        else:
            _write_line(out, lines[line], char_h, tabs=True)
    return "".join(out.parts), out.pieces
