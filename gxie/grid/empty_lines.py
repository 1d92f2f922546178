"""Blank cells printed as empty lines.

LibreOffice's plain-text save of a Word file prints a table one cell a line, in the table's order, and a
blank cell as an empty line: a section 三 row is its label, an empty line for each merged cell the label
spans, then its seven cells (``2``, ``1``, four empty lines, ``3``). Read with the empty lines ignored, a
sparse row (``2 1 3``) says nothing of its columns; counted, the empty lines place every number.

The count is used only where the region shows it: most rows whose label stands alone on a line are
followed by about as many lines as they have cells (one line a cell, or a cell and an empty line after it,
with a few more for the label's merged cells), each line empty or one number; and a row's cells are placed
only where one placement keeps every number of its lines in a cell and, in section 三, adds up. Text
that puts an empty line between paragraphs (pdftotext, OCR) drops its blank cells: its rows are shorter
than their cells.
"""

from __future__ import annotations

import re

from gxie.grid.values import parse_number
from gxie.templates.lexicon import NUMBERING, best_label
from gxie.text.cells import LayoutCell
from gxie.validate import balance

STRONG_ROW = 0.9  # a line naming a row this well starts that row's cells
MIN_ROWS = 5  # rows whose lines fit their cells, at least
MIN_SHARE = 0.6  # of the rows whose label stands alone on a line
MAX_EXTRA = 3  # cells' worth of lines in a row that are not its cells (its label's merged cells, one after)
STRIDES = (1, 2)  # lines per cell: the cell alone, or the cell and an empty line after it (paragraph spacing)
_CELL = re.compile(r"^\s*(?:[+\-]?\d[\d,]*(?:\.\d+)?\s?(?:万元|万|元|%)?|无|/|／|—|——|-|－)?\s*$")
_DIGIT = re.compile(r"\d")
_OTHER_NUMBER = re.compile(r"[+\-]?\d[\d,]*(?:\.\d+)?\s*[^\d\s.．、)）]")  # ``0 件``, not a numbering (``1.属于``)

Line = tuple[int, int, str]  # offset, line number, stripped text


def empty_line_blanks(
    text: str, start: int, end: int, rows: dict[str, int], cells: list[LayoutCell], *, sums: bool = False
) -> list[LayoutCell]:
    """``cells`` with a blank cell for each empty line that is a row's cell, where the region of
    ``text[start:end]`` prints its table one cell a line with empty lines for blank cells (``rows``: each
    row's id and its number of cells; ``sums``: a row's last cell is the sum of the others, section 三);
    ``cells`` unchanged otherwise. The spacing (a line a cell, or a cell and an empty line) is the one
    under which every row's numbers can be placed, most rows in one way only. A row holding numbers gets
    its blank cells only where one placement keeps every number of its lines in a cell (of several, the
    one that adds up, with ``sums``)."""
    if text.find("\n\n", start, end) < 0:
        return cells  # no empty line in the region: nothing to count
    segments = _segments(text, start, end, rows)
    best: tuple[int, list[LayoutCell]] | None = None
    for stride in STRIDES:
        fitting = [(w, lines) for w, lines in segments if stride * (w - 1) < len(lines) <= stride * (w + MAX_EXTRA)]
        if len(fitting) < max(MIN_ROWS, MIN_SHARE * len(segments)):
            continue
        placed = [_placements(lines, width, stride, sums) for width, lines in fitting]
        if not all(placed):
            continue  # a row whose numbers this spacing cannot place: not this layout
        decided = sum(1 for options in placed if len(options) == 1)
        blanks = [
            LayoutCell(offset, offset, "", no)
            for options in placed
            if len(options) == 1 or not any(body for _, _, body in options[0])  # one placement, or all blank
            for offset, no, body in options[0]
            if not body
        ]
        if best is None or decided > best[0]:
            best = (decided, blanks)
    if best is None or not best[1]:
        return cells
    return sorted([*cells, *best[1]], key=lambda c: (c.start, c.end))


def _placements(lines: list[Line], width: int, stride: int, sums: bool) -> list[list[Line]]:
    """Each placement of a row's cells among its ``lines``: every ``stride``-th line from a lead, keeping
    every number of the lines in a cell; with ``sums``, of several such placements those that add up, if
    any (a row of the report may not add up)."""
    numbered = [k for k, (_, _, body) in enumerate(lines) if body]
    options = []
    for lead in range(len(lines) - stride * (width - 1)):
        slots = range(lead, lead + stride * width, stride)
        if any(k not in slots for k in numbered):
            continue
        options.append([lines[k] for k in slots])
    adding = [row for row in options if _adds_up([body for _, _, body in row])] if sums else []
    return adding if len(options) > 1 and adding else options


def _adds_up(cells: list[str]) -> bool:
    """A row's last cell is the sum of the others (``validate.balance``: blanks and empty marks as 0)."""
    numbers = [parse_number(c) for c in cells]
    return balance(numbers[:-1], numbers[-1:])[2]


def _segments(text: str, start: int, end: int, rows: dict[str, int]) -> list[tuple[int, list[Line]]]:
    """Per line that is a row's label alone: the row's number of cells and the lines after it up to the
    next line that is not empty or one number (offset, line number, stripped text each); none for a row
    whose lines end at a line holding a number in a form not read here (``12 件``): its cells are not all
    among them. An empty line is one with nothing on it: a line of spaces, tabs or NBSP is some other
    layout's blank cell (its tab-separated fields read it already), not LibreOffice's."""
    out: list[tuple[int, list[Line]]] = []
    lineno = text.count("\n", 0, start)
    offset = start
    current: list[Line] | None = None
    for line in text[start:end].split("\n"):
        body = line.strip()
        if current is not None and (not line or ("\t" not in line and body and _CELL.match(line))):
            current.append((offset, lineno, body))
        else:
            if current is not None and _OTHER_NUMBER.match(body):
                out.pop()  # the row's lines end at a line holding a number in some other form: not counted
            current = None
            m = best_label(body, ("row",)) if body and not _DIGIT.search(_unnumbered(body)) else None  # the label alone
            if m is not None and m.score >= STRONG_ROW and m.entry.id in rows:
                current = []
                out.append((rows[m.entry.id], current))
        offset += len(line) + 1
        lineno += 1
    return out


def _unnumbered(label: str) -> str:
    """A label line without its numbering (``1.``, ``（一）``)."""
    return NUMBERING.sub("", label, count=1)
