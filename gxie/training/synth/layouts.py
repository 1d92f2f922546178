"""Table layout families: how a :class:`~gxie.training.synth.tables.Grid` reads once a document became text.

Layout families (``LAYOUT_FAMILIES``; the report's ``layout`` field is one of ``LAYOUTS``, where
``mixed`` means each table picked its own family):

- ``tab_rows``: one line per row, cells joined by tabs, merged cells left as empty gaps (DOCX text).
- ``html_rows``: what gxie's HTML reader produces: one line per row, cells joined by tabs, merged
  cells absent, blank cells empty or NBSP.
- ``markdown``: pipe tables, restarted with an empty header row after each page break.
- ``cell_lines_nbsp``: one cell per line with a tab prefix, rows separated by an empty line, blank
  cells kept as NBSP, merged cells as bare tabs.
- ``cell_lines_dropped``: one cell per line, blank and merged cells dropped.
- ``word_indent``: Word-export lines: one row per line, indented by the label's depth, cells
  separated by runs of (full-width) spaces.
- ``pdf_text``: PDF text: space-aligned columns with multi-line header cells and wrapped labels,
  sometimes labels printed after their numbers or the numbers given column by column
  (see gxie.training.synth.pdf).

Page breaks inside tables (``Grid.breaks``) print page footers/headers ("— 3 —", "第 3 页").
"""

from __future__ import annotations

import random
from collections.abc import Callable

from gxie.training.synth.builder import Builder
from gxie.training.synth.pages import Pages, emit
from gxie.training.synth.pdf import pdf_text
from gxie.training.synth.tables import Grid, TCell

LAYOUT_FAMILIES: tuple[str, ...] = (
    "tab_rows",
    "html_rows",
    "markdown",
    "cell_lines_nbsp",
    "cell_lines_dropped",
    "word_indent",
    "pdf_text",
)
LAYOUTS: tuple[str, ...] = (*LAYOUT_FAMILIES, "mixed")


def _glue(left: TCell | None, right: TCell) -> bool:
    return left is not None and left.label == "ROW" and right.label in ("NUM", "EMPTY")


def _trim(row: list[TCell]) -> list[TCell]:
    end = len(row)
    while end and row[end - 1].merged:
        end -= 1
    return row[:end]


def _row_cells(b: Builder, row: list[TCell], sep: Callable[[], str], keep_merged: bool) -> None:
    prev: TCell | None = None
    first = True
    for cell in row:
        if cell.merged and not keep_merged:
            continue
        if not first:
            b.sep(sep(), glue=_glue(prev, cell))
        emit(b, cell)
        prev, first = cell, False


def tab_rows(grid: Grid, b: Builder, rng: random.Random, pages: Pages, *, html: bool = False) -> None:
    """``tab_rows`` (merged cells kept as gaps) and ``html_rows`` (merged cells dropped)."""
    trim = html or rng.random() < 0.4
    blank = "\xa0" if html and rng.random() < 0.4 else ""
    for i, row in enumerate(grid.rows):
        if i in grid.breaks:
            pages.page_break(b)
        cells = _trim(row) if trim else row
        if not cells:
            continue
        if html:
            cells = [TCell(blank, key=c.key) if c.label is None and not c.merged else c for c in cells]
        lead = next((c for c in cells if not c.merged), cells[0])
        b.raw(b.noise.rule(lead.label == "ROW" and not lead.text[:1].isdigit()))
        _row_cells(b, cells, lambda: "\t", keep_merged=not html)
        b.raw(b.noise.rule(False))
        b.newline()


def markdown(grid: Grid, b: Builder, rng: random.Random, pages: Pages) -> None:
    """``markdown``: pipe tables; a page break closes the table and opens one with an empty header."""
    width = grid.width
    dashes = [rng.randint(2, 12) for _ in range(width)]

    def rule_line() -> None:
        b.raw("|" + "|".join("-" * d for d in dashes) + "|\n")

    b.ensure_blank_line()
    for i, row in enumerate(grid.rows):
        if i in grid.breaks:
            b.newline()
            pages.page_break(b)
            b.ensure_blank_line()
            b.raw("|" + " |" * width + "\n")
            rule_line()
        if not row:
            continue
        b.raw("| ")
        _row_cells(b, row + [TCell()] * (width - len(row)), lambda: " | ", keep_merged=True)
        b.raw(" |\n")
        if i == 0:
            rule_line()
    b.newline()


def cell_lines(grid: Grid, b: Builder, rng: random.Random, pages: Pages, *, dropped: bool) -> None:
    """``cell_lines_nbsp`` (tab prefix, NBSP blanks, empty line between rows) and
    ``cell_lines_dropped`` (bare cells, blanks dropped)."""
    s4_line = grid.table == "section4" and grid.label_cols == 0 and rng.random() < 0.4
    for i, row in enumerate(grid.rows):
        if i in grid.breaks:
            pages.page_break(b)
        cells = _trim(row)
        if s4_line and i >= grid.header_rows:
            _one_line(b, cells, rng)
            continue
        for cell in cells:
            if dropped:
                if cell.merged or not cell.text.strip(" \xa0"):
                    continue
                emit(b, cell)
            else:
                b.raw(b.noise.sep("\t", False))
                if cell.label is None and not cell.merged and not cell.text:
                    b.raw("\xa0" if rng.random() < 0.9 else "")
                else:
                    emit(b, cell)
            b.newline()
        if not dropped and cells:
            b.newline()


def _one_line(b: Builder, cells: list[TCell], rng: random.Random) -> None:
    """Section 四's numbers on one line, separated by spaces."""
    sep = rng.choice((" ", "  ", " "))
    first = True
    for cell in cells:
        if cell.merged or not cell.text.strip(" \xa0"):
            continue
        if not first:
            b.raw(sep)
        emit(b, TCell(cell.text.strip(" \xa0"), cell.label, cell.key, cell.value))
        first = False
    b.newline()


def word_indent(grid: Grid, b: Builder, rng: random.Random, pages: Pages) -> None:
    """``word_indent``: one row per line, indented by depth, cells separated by runs of spaces."""
    unit = rng.choice(("\u3000", "  ", "\u3000\u3000"))
    gap = rng.choice(("  ", "   ", "\u3000", "\u3000\u3000", "    "))
    for i, row in enumerate(grid.rows):
        if i in grid.breaks:
            pages.page_break(b)
        cells = [c for c in row if not c.merged]
        if not cells:
            continue
        depth = max((c.level for c in cells if c.label == "ROW"), default=0)
        b.raw(unit * (depth + (1 if i >= grid.header_rows else 0)))
        b.raw(b.noise.rule(cells[0].label == "ROW" and not cells[0].text[:1].isdigit()))
        _row_cells(b, cells, lambda: gap, keep_merged=False)
        b.newline()


def render(grid: Grid, family: str, b: Builder, rng: random.Random, pages: Pages) -> None:
    """Render ``grid`` in layout ``family`` (one of ``LAYOUT_FAMILIES``)."""
    if family == "tab_rows":
        tab_rows(grid, b, rng, pages)
    elif family == "html_rows":
        tab_rows(grid, b, rng, pages, html=True)
    elif family == "markdown":
        markdown(grid, b, rng, pages)
    elif family == "cell_lines_nbsp":
        cell_lines(grid, b, rng, pages, dropped=False)
    elif family == "cell_lines_dropped":
        cell_lines(grid, b, rng, pages, dropped=True)
    elif family == "word_indent":
        word_indent(grid, b, rng, pages)
    elif family == "pdf_text":
        pdf_text(grid, b, rng, pages)
    else:
        raise ValueError(f"unknown layout family {family!r}; allowed: {', '.join(LAYOUT_FAMILIES)}")
