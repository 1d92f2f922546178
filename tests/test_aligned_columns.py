"""Blank cells of space-aligned columns (pdftotext -layout, pypdf's layout mode), on hand-made texts.

Labels are the format's own wording (template files); numbers are invented.
"""

from __future__ import annotations

from gxie.grid.aligned_columns import aligned_blanks
from gxie.grid.candidates import region_cells, tokens
from gxie.grid.decode import doubt, read_table
from gxie.templates import load_template
from gxie.text.cells import layout_cells

T = load_template("2021")
ROWS = {r.id: len(T.section3.columns) for r in T.section3.rows}
LABELS = {r.id: r.label for r in T.section3.rows}
COLS = [c.id for c in T.section3.columns]
AT = [40, 47, 54, 61, 68, 75, 81]  # each column's character position
n = None

# Eight rows of a sparse table (None: a blank cell, printed as spaces alone); each row's total adds up.
TABLE = {
    "new_received": [0, 0, 0, 1, 0, n, 1],
    "carried_over": [0, 0, n, n, n, n, 0],
    "granted": [n, 3, 0, n, 2, 0, 5],
    "partially_granted": [0, n, n, n, n, n, 0],
    "denied_state_secret": [0, n, 0, 2, n, 0, 2],
    "denied_law_forbidden": [n, 0, 0, n, n, n, 0],
    "denied_three_safeties_one_stability": [1, n, n, 0, n, 0, 1],
    "denied_third_party_rights": [n, n, 4, 0, 0, n, 4],
}


def laid_out(table: dict[str, list[int | None]], at: list[int] = AT, shift: dict[str, int] | None = None) -> str:
    """Each row on one line: its label, then each number at its column's character position."""
    lines = []
    for rid, values in table.items():
        line = LABELS[rid]
        for x, v in zip(at, values, strict=True):
            if v is not None:
                x += (shift or {}).get(rid, 0)
                line = line.ljust(x) + str(v)
        lines.append(line)
    return "\n".join(lines) + "\n"


def numbered_lines(text: str) -> dict[int, tuple[int, str]]:
    """Each line's number, offset and text."""
    out, offset = {}, 0
    for k, line in enumerate(text.split("\n")):
        out[k] = (offset, line)
        offset += len(line) + 1
    return out


def region(text: str) -> list:
    return region_cells(text, 0, len(text), 7, ROWS, sums=True)


def grid(text: str) -> dict[str, list[object]]:
    cells = doubt(read_table(T, "section3", tokens(text, [], 0, len(text), region(text)), {}))
    return {rid: [getattr(cells.get(f"section3.{rid}.{c}"), "value", "absent") for c in COLS] for rid in TABLE}


def test_each_number_goes_to_the_column_it_stands_under() -> None:
    text = laid_out(TABLE)
    assert "二、上年结转政府信息公开申请数量" + " " * 24 + "0      0" in text
    assert grid(text) == TABLE
    blanks = [c for c in region(text) if c.blank]
    assert len(blanks) == sum(v is None for values in TABLE.values() for v in values) == 24
    assert all(text[c.start] == " " for c in blanks)


def test_columns_are_taken_per_page() -> None:
    """A table split across pages: the second page's columns stand elsewhere."""
    first = dict(list(TABLE.items())[:5])
    second = {k: v for k, v in TABLE.items() if k not in first}
    more = {"denied_internal_affairs": [2, n, 1, n, 0, n, 3], "denied_process_information": [n, 1, 1, n, n, 1, 3]}
    text = laid_out(first) + laid_out({**second, **more}, at=[x + 9 for x in AT])
    assert grid(text) == {**TABLE}


def test_no_blank_cells_where_the_columns_are_not_plain() -> None:
    text = laid_out(TABLE)
    cells = list(layout_cells(text))
    lines = numbered_lines(text)
    assert len([c for c in aligned_blanks(cells, lines, 7) if c.blank]) == 24
    # too few rows to show the columns
    short = laid_out(dict(list(TABLE.items())[:4]))
    assert aligned_blanks(list(layout_cells(short)), numbered_lines(short), 7) == list(layout_cells(short))
    # rows shifted by a character or two each (text laid out by display width, then normalised): the
    # columns spread too wide to be told
    shifted = laid_out(TABLE, shift={rid: k % 3 for k, rid in enumerate(TABLE)})
    assert not any(c.blank for c in region(shifted))
    # one row's numbers standing between the columns of the others: the page shows no plain columns
    between = laid_out(TABLE, shift={"granted": 3})
    assert not any(c.blank for c in region(between))
