"""Advice for a table whose text lost its layout: printed one cell a line, with many cells left unsure.

Converters that print a table one cell a line (``pdftotext`` without ``-layout``, pdfminer, a word
processor's text save) keep no cell's position: where they also dropped the blank cells or printed the
cells out of the table's order, no reading of the text can say which cell a number belongs to, and the
decoder leaves those cells unsure. The report then says so once per table, with what to do: give gxie the
original document, whose readers take each cell where it stands, or convert with the layout kept.
"""

from __future__ import annotations

from gxie.grid.candidates import regions
from gxie.templates import Template
from gxie.types import Cell, Issue, IssueCode

TABLES = ("section2", "section3", "section4")
MIN_LINES = 20  # a region with fewer non-empty lines is too small to call its layout lost
ONE_CELL_SHARE = 0.75  # this share of the region's non-empty lines hold one piece of text (no inner space)
UNSURE_SHARE = 0.3  # this share of the table's cells missing or below UNSURE
UNSURE = 0.7  # a cell below this confidence is a guess (the decoder's doubtful and short-run readings)


def lost_layout(t: Template, text: str, cells: dict[str, Cell]) -> list[Issue]:
    """A ``lost_layout`` warning for each table of ``text`` whose region prints one cell a line and many of
    whose ``cells`` (as judged: their final confidences) were not found or are unsure.

    >>> from gxie.templates import load_template
    >>> t = load_template("2021")
    >>> heading = "四、政府信息公开行政复议、行政诉讼情况\\n"
    >>> [i.code.value for i in lost_layout(t, heading + "\\n".join(["维持"] * 10 + ["0"] * 30), {})]
    ['lost_layout']
    >>> lost_layout(t, heading + "行政复议 0 0 0 0 0\\n" * 30, {})
    []
    """
    low = sum(1 for c in cells.values() if c.confidence < UNSURE)
    if low + len(t.flat_keys()) - len(cells) < UNSURE_SHARE * min(len(t.table_keys(x)) for x in TABLES):
        return []  # too few cells missing or unsure for any table (most reports)
    unsure = {table: _unsure(t, table, cells) for table in TABLES}
    wanted = [table for table, n in unsure.items() if n >= UNSURE_SHARE * len(t.table_keys(table))]
    if not wanted:
        return []
    bounds = regions(text)
    out = []
    for table in wanted:
        if table not in bounds:
            continue
        lines = [line for line in text[slice(*bounds[table])].split("\n") if line.strip()]
        one_cell = sum(1 for line in lines if len(line.split()) == 1)
        if len(lines) < MIN_LINES or one_cell < ONE_CELL_SHARE * len(lines):
            continue
        out.append(
            Issue(
                "warning",
                IssueCode.LOST_LAYOUT,
                f"{table}: {unsure[table]} of its {len(t.table_keys(table))} cells are missing or unsure, and its "
                f"text prints the table one cell a line ({one_cell} of {len(lines)} lines): a converter that drops "
                "blank cells or prints cells out of the table's order (pdftotext without -layout, pdfminer) leaves "
                "no way to tell which cell a number belongs to. Give gxie the original PDF, DOCX or web page "
                "instead (it reads each cell where it stands), or convert with the layout kept (pdftotext -layout)",
            )
        )
    return out


def _unsure(t: Template, table: str, cells: dict[str, Cell]) -> int:
    return sum(1 for k in t.table_keys(table) if k not in cells or cells[k].confidence < UNSURE)
