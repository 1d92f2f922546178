"""Blank cells of space-aligned columns.

Text that keeps a page's layout (``pdftotext -layout``, pypdf's layout mode) prints each number of a table
at its column's character position and a blank cell as spaces alone:

    一、本年新收政府信息公开申请数量    0      0      0             0      0    0
    二、上年结转政府信息公开申请数量           0      0                         0

The numbers of a page's rows stand in as many tight clusters of positions as the table has columns
(each column holding a number in some row); a row with fewer numbers has each in the column nearest it,
and a blank cell in every other. The layout cells of such text carry no blank cells (its runs of spaces
are of any length), so the decoder, without this, places a short row by the format's order and its
relations, a guess.

Used only where the positions say it plainly: five or more rows of a page show exactly the table's
columns, each column's numbers within 1.5 characters of each other (counted in characters, as pdftotext
lays out a page, or in display columns, a CJK character two, whichever is the tighter); a row whose
numbers would make one more column starts the next page's; each number of a short row stands near one
column, no two in the same, in order, and no column falls inside the row's other text. Any cell that is
no label (an OCR look-alike ``I`` or ``o``, an empty mark) holds its column like a number.
"""

from __future__ import annotations

import re
from itertools import pairwise

from gxie.text.cells import LayoutCell, char_width, display_width

MIN_ROWS = 5  # rows of two numbers or more that show the columns of a page, at least
AGREE = 2.0  # characters between two numbers of one column, at most (a long number centred, a short one)
MIN_GAP = 4.0  # characters between two columns' centres, at least
MAX_SPREAD = 1.5  # characters between the outermost numbers of one column, at most
MIN_POINTS = 2  # numbers in each column, at least
NEAR = 0.35  # a number's distance from its column's centre, at most this share of the narrowest gap
_WORDING = re.compile(r"[\u4e00-\u9fff]")  # a label's text: any CJK character but a value's unit or 无
_VALUE_WORDS = re.compile(r"万元|万|元|无")
_WIDE_GAP = "   "  # spaces between two cells of a line that keeps a page's layout


def aligned_blanks(cells: list[LayoutCell], lines: dict[int, tuple[int, str]], width: int) -> list[LayoutCell]:
    """``cells`` with a blank cell in each column a short row leaves empty, where the rows among ``lines``
    (line number: offset, text; the region's lines without tabs or ``|``) print their numbers in aligned
    columns, ``width`` of them on a page; ``cells`` unchanged otherwise. Positions are counted in
    characters (pdftotext) or in display columns, a CJK character two (text laid out for a screen): the
    count under which the columns are the tighter."""
    if sum(1 for _, line in lines.values() if _WIDE_GAP in line) < MIN_ROWS:
        return cells  # too few lines laid out with wide gaps to show columns
    by_line: dict[int, list[LayoutCell]] = {}
    for c in cells:
        if c.line in lines:
            by_line.setdefault(c.line, []).append(c)
    rows = {no: [c for c in row if _holds_a_column(c)] for no, row in sorted(by_line.items())}
    rows = {no: row for no, row in rows.items() if row and not any(c.blank for c in by_line[no])}
    found = [_blanks(rows, by_line, lines, width, wide) for wide in (False, True)]
    _, blanks = min(found, key=lambda f: f[0])
    if not blanks:
        return cells
    return sorted([*cells, *blanks], key=lambda c: (c.start, c.end))


def _blanks(
    rows: dict[int, list[LayoutCell]],
    by_line: dict[int, list[LayoutCell]],
    lines: dict[int, tuple[int, str]],
    width: int,
    wide: bool,
) -> tuple[float, list[LayoutCell]]:
    """The blank cells that the columns give, positions counted with CJK characters ``wide`` or not, and
    the widest spread of a column's numbers (infinite where no page shows its columns)."""
    centres = {no: [_centre(c, *lines[no], wide) for c in row] for no, row in rows.items()}
    blanks: list[LayoutCell] = []
    worst = 0.0
    for block in _blocks(centres, width):
        found = _template(block, centres, width)
        if found is None:
            continue
        template, spread = found
        worst = max(worst, spread)
        for no in block:
            blanks += _row_blanks(no, centres[no], template, lines[no], by_line[no], wide)
    return (worst if blanks else float("inf")), blanks


def _blocks(centres: dict[int, list[float]], width: int) -> list[list[int]]:
    """The rows in runs whose numbers stand in at most ``width`` columns (a page of the table): a row
    whose numbers would make more starts the next run."""
    out: list[list[int]] = []
    columns: list[float] = []
    for no, xs in centres.items():
        merged = _merge(columns, xs)
        if len(merged) > width or not out:
            out.append([])
            merged = _merge([], xs)
        out[-1].append(no)
        columns = merged
    return out


def _merge(columns: list[float], xs: list[float]) -> list[float]:
    out = list(columns)
    for x in xs:
        if not any(abs(x - c) <= AGREE for c in out):
            out.append(x)
    return sorted(out)


def _template(block: list[int], centres: dict[int, list[float]], width: int) -> tuple[list[float], float] | None:
    """The columns' centres of a run of rows and the widest spread of one column's numbers: ``width``
    clusters of its numbers, each tight, far enough apart, seen in enough rows; None otherwise."""
    points = sorted(x for no in block for x in centres[no])
    clusters: list[list[float]] = []
    for x in points:
        if clusters and x - clusters[-1][-1] <= AGREE:
            clusters[-1].append(x)
        else:
            clusters.append([x])
    if len(clusters) != width or sum(1 for no in block if len(centres[no]) >= 2) < MIN_ROWS:
        return None
    spread = max(c[-1] - c[0] for c in clusters)
    template = [sum(c) / len(c) for c in clusters]
    if spread > MAX_SPREAD or min(map(len, clusters)) < MIN_POINTS:
        return None
    if min(b - a for a, b in pairwise(template)) < MIN_GAP:
        return None
    return template, spread


def _row_blanks(
    no: int,
    xs: list[float],
    template: list[float],
    line: tuple[int, str],
    cells: list[LayoutCell],
    wide: bool,
) -> list[LayoutCell]:
    """A short row's blank cells, one in each column its numbers leave empty; none where a number stands
    between columns or a column falls inside other text of the line."""
    if not 2 <= len(xs) < len(template):
        return []
    columns = _columns(xs, template)
    if columns is None:
        return []
    offset, text = line
    taken = [(c.start - offset, c.end - offset) for c in cells]
    at = [_index(text, x, wide) for j, x in enumerate(template) if j not in columns]
    if any(a <= k < b for k in at for a, b in taken):
        return []
    return [LayoutCell(offset + k, offset + k, "", no) for k in at]


def _centre(c: LayoutCell, offset: int, text: str, wide: bool) -> float:
    """Where a cell's middle stands on its line, in characters or display columns."""
    start = c.start - offset
    return _width(text[:start], wide) + _width(text[start : c.end - offset], wide) / 2


def _width(s: str, wide: bool) -> int:
    return display_width(s) if wide else len(s)


def _char_width(ch: str, wide: bool) -> int:
    """A character's width: 2 for a CJK (wide or full-width) one when ``wide``, else 1."""
    return char_width(ch) if wide else 1


def _index(text: str, x: float, wide: bool) -> int:
    """The character index of the position ``x`` on a line (its end where the line is shorter)."""
    at = 0
    for k, ch in enumerate(text):
        if at >= x:
            return k
        at += _char_width(ch, wide)
    return len(text)


def _columns(centres: list[float], template: list[float]) -> list[int] | None:
    """The template column of each centre: the nearest, near enough, each a different one, in order;
    None where a centre stands between columns or two share one."""
    gap = min(b - a for a, b in pairwise(template))
    out: list[int] = []
    for x in centres:
        j = min(range(len(template)), key=lambda k: abs(template[k] - x))
        if abs(template[j] - x) > NEAR * gap or (out and j <= out[-1]):
            return None
        out.append(j)
    return out


def _holds_a_column(c: LayoutCell) -> bool:
    """A cell that is no label's text: a number, an empty mark, an OCR look-alike (``I``, ``o``)."""
    return not _WORDING.search(_VALUE_WORDS.sub("", c.text))
