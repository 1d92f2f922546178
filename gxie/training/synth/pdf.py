"""The ``pdf_text`` layout family: a table as a PDF text layer reads.

Columns are aligned with spaces; header cells and long labels wrap onto several lines (each line of a
wrapped cell is its own span); value cells are right-aligned. Two sub-variants: labels printed after
their numbers, and the numbers given column by column after the list of labels.
"""

from __future__ import annotations

import random
import unicodedata

from gxie.training.synth.builder import Builder
from gxie.training.synth.pages import Pages, emit
from gxie.training.synth.tables import Grid, TCell

_BLANK = " \xa0\u3000"


def dwidth(text: str) -> int:
    """Display width: CJK and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text: str, width: int) -> list[str]:
    """Cut ``text`` into lines of at most ``width`` display columns (at least one character each)."""
    lines: list[str] = []
    cur, w = "", 0
    for c in text:
        cw = dwidth(c)
        if cur and w + cw > width:
            lines.append(cur)
            cur, w = "", 0
        cur += c
        w += cw
    if cur:
        lines.append(cur)
    return [line.strip(_BLANK) for line in lines if line.strip(_BLANK)]


def _colspans(row: list[TCell], label_cols: int, header: bool) -> list[tuple[int, int, TCell]]:
    """(first column, columns covered, cell) of each printed cell of a row."""
    out: list[tuple[int, int, TCell]] = []
    for j, cell in enumerate(row):
        if cell.merged:
            continue
        k = j + 1
        limit = len(row) if header else min(len(row), max(label_cols, j + 1))
        while k < limit and row[k].merged:
            k += 1
        out.append((j, k - j, cell))
    return out


def _widths(grid: Grid, rng: random.Random) -> list[int]:
    caps = [rng.randint(8, 12) if grid.label_cols > 1 and j == 0 else rng.randint(12, 26)
            for j in range(grid.label_cols)]  # fmt: skip
    caps += [rng.randint(6, 12)] * (grid.width - grid.label_cols)
    widths = [1] * grid.width
    for i, row in enumerate(grid.rows):
        for j, span, cell in _colspans(row, grid.label_cols, i < grid.header_rows):
            if span == 1:
                widths[j] = max(widths[j], min(caps[j], dwidth(cell.text.strip(_BLANK))))
    return [max(w, 2) for w in widths]


def _row_lines(
    b: Builder, row: list[TCell], grid: Grid, header: bool, order: list[int], widths: list[int], gap: int
) -> None:
    """Print one grid row as one or more aligned lines, in visual column ``order``."""
    x_at: dict[int, int] = {}
    x = 0
    for j in order:
        x_at[j] = x
        x += widths[j] + gap
    placed: list[tuple[int, int, TCell, list[str]]] = []
    for j, span, cell in _colspans(row, grid.label_cols, header):
        cols = [c for c in order if j <= c < j + span]
        avail = sum(widths[c] for c in cols) + gap * (len(cols) - 1)
        text = cell.text.strip(_BLANK)
        if not text:
            continue
        frags = [text] if cell.label in ("NUM", "EMPTY") else wrap(text, avail)
        right = cell.label in ("NUM", "EMPTY")
        placed.append((x_at[min(cols, key=order.index)], avail if right else 0, cell, frags))
    placed.sort(key=lambda p: p[0])
    height = max((len(p[3]) for p in placed), default=0)
    for k in range(height):
        cursor = 0
        for x0, right_w, cell, frags in placed:
            if k >= len(frags):
                continue
            frag = frags[k]
            target = x0 + (right_w - dwidth(frag) if right_w else 0)
            b.raw(" " * max(target - cursor, 1 if cursor else 0))
            cursor = max(target, cursor + (1 if cursor else 0))
            emit(b, TCell(frag, cell.label, cell.key, cell.value))
            cursor += dwidth(frag)
        b.newline()


def _column_major(grid: Grid, b: Builder, rng: random.Random, pages: Pages) -> None:
    """Labels one per line, then the numbers of each column (one line per column or per number)."""
    body = grid.rows[grid.header_rows :]
    for row in body:
        for cell in row[: grid.label_cols]:
            if not cell.merged and cell.label and cell.text.strip(_BLANK):
                b.span(cell.text.strip(_BLANK), cell.label)
                b.newline()
    if rng.random() < 0.3:
        pages.page_break(b)
    per_line = rng.random() < 0.3
    for j in range(grid.label_cols, grid.width):
        cells = [r[j] for r in body if j < len(r) and not r[j].merged and r[j].text.strip(_BLANK)]
        for n, cell in enumerate(cells):
            if n and not per_line:
                b.raw(" ")
            emit(b, TCell(cell.text.strip(_BLANK), cell.label, cell.key, cell.value))
            if per_line:
                b.newline()
        if cells and not per_line:
            b.newline()


def pdf_text(grid: Grid, b: Builder, rng: random.Random, pages: Pages) -> None:
    """Render ``grid`` as a PDF text layer would read (see the module docstring)."""
    mode = rng.choices(("aligned", "labels_after", "column_major"), (60, 20, 20))[0]
    if grid.label_cols == 0 or len(grid.rows) <= grid.header_rows:
        mode = "aligned"
    elif mode == "column_major" and grid.header_rows == 0:  # section 二: its blocks have other columns
        mode = "labels_after"
    widths = _widths(grid, rng)
    gap = rng.choice((1, 2, 2, 3, 4))
    order = list(range(grid.width))
    if mode == "labels_after":
        order = order[grid.label_cols :] + order[: grid.label_cols]
    b.ensure_newline()
    for i, row in enumerate(grid.rows):
        header = i < grid.header_rows
        if not header and mode == "column_major":
            _column_major(grid, b, rng, pages)
            return
        if i in grid.breaks:
            pages.page_break(b)
        _row_lines(b, row, grid, header, order, widths, gap)
