"""Blank cells printed as empty lines (LibreOffice's plain-text save of a Word table), on hand-made texts.

Labels are the format's own wording (template files); numbers are invented.
"""

from __future__ import annotations

from gxie.grid.candidates import region_cells, tokens
from gxie.grid.decode import doubt, read_table
from gxie.grid.empty_lines import empty_line_blanks
from gxie.templates import load_template
from gxie.text.cells import layout_cells

T = load_template("2021")
ROWS = {r.id: len(T.section3.columns) for r in T.section3.rows}
COLS = [c.id for c in T.section3.columns]
n = None

# Seven rows: numbers per row, None for a blank cell; each row's total adds up.
TABLE = {
    "new_received": [2, 1, n, n, n, n, 3],
    "carried_over": [n] * 7,
    "granted": [1, n, n, n, 1, n, 2],
    "partially_granted": [n] * 7,
    "denied_state_secret": [n, n, 4, n, n, n, 4],
    "denied_law_forbidden": [n] * 7,
    "denied_three_safeties_one_stability": [n, 3, n, n, n, 2, 5],
}


def one_cell_a_line(lead: int, trail: int, table: dict[str, list[int | None]] = TABLE) -> str:
    """Each row: its label, ``lead`` empty lines (its merged cells), its cells one a line (a blank cell an
    empty line), ``trail`` empty lines."""
    lines = []
    for rid, values in table.items():
        label = next(r.label for r in T.section3.rows if r.id == rid)
        lines += [label, *[""] * lead, *["" if v is None else str(v) for v in values], *[""] * trail]
    return "\n".join(lines) + "\n"


def decoded(text: str) -> dict[str, object]:
    region = region_cells(text, 0, len(text), 7, ROWS, sums=True)
    cells = doubt(read_table(T, "section3", tokens(text, [], 0, len(text), region), {}))
    return {k: c for k, c in cells.items() if k.split(".")[1] in TABLE}


def grid(cells: dict[str, object]) -> dict[str, list[object]]:
    return {rid: [getattr(cells.get(f"section3.{rid}.{c}"), "value", "absent") for c in COLS] for rid in TABLE}


def test_empty_lines_after_the_merged_cells_are_the_blank_cells() -> None:
    text = one_cell_a_line(lead=2, trail=0)
    cells = decoded(text)
    assert grid(cells) == TABLE
    assert all(c.confidence >= 0.9 for c in cells.values())  # every cell next to its label, in its place


def test_an_empty_line_after_each_row_is_not_a_cell() -> None:
    """One extra line per row, before or after its cells: a number in the first line of a row says it is
    a cell, so the extra line is the one after."""
    table = {**TABLE, "partially_granted": [5, n, n, n, n, n, 5]}
    cells = decoded(one_cell_a_line(lead=0, trail=1, table=table))
    assert grid(cells) == table


def test_blank_cells_are_counted_only_where_the_rows_show_it() -> None:
    text = one_cell_a_line(lead=2, trail=0)
    cells = list(layout_cells(text))
    added = empty_line_blanks(text, 0, len(text), ROWS, cells, sums=True)
    assert sum(c.blank for c in added) - sum(c.blank for c in cells) == 7 * 7 - 11  # every blank of the rows
    assert all(c.start == c.end and text[c.start] == "\n" for c in added if c.blank)
    # a row whose one number could stand in several cells keeps no blank of its own: the decoder guesses
    lone = {**TABLE, "partially_granted": [n, n, 6, n, n, n, n]}
    text = one_cell_a_line(lead=2, trail=0, table=lone)
    added = empty_line_blanks(text, 0, len(text), ROWS, [], sums=True)
    label = text.split("\n").index(next(r.label for r in T.section3.rows if r.id == "partially_granted"))
    assert len(added) == 38 - 7  # every blank cell of the other rows
    assert not [c for c in added if label < c.line <= label + 9]  # none of its own
    # a cell and an empty line after it (paragraph spacing): every other line is a cell
    spaced_cells = "\n".join(
        line for rid, values in TABLE.items()
        for line in [next(r.label for r in T.section3.rows if r.id == rid), "",
                     *[x for v in values for x in ("" if v is None else str(v), "")]]
    )  # fmt: skip
    assert grid(decoded(spaced_cells)) == TABLE
    # pdftotext puts an empty line between paragraphs: the counts fit no row
    spaced = "\n\n".join(
        line for rid, values in TABLE.items()
        for line in [next(r.label for r in T.section3.rows if r.id == rid), *[str(v) for v in values if v is not None]]
    )  # fmt: skip
    cells = list(layout_cells(spaced))
    assert empty_line_blanks(spaced, 0, len(spaced), ROWS, cells, sums=True) == cells
    # too few rows to tell
    short = one_cell_a_line(lead=2, trail=0, table=dict(list(TABLE.items())[:4]))
    cells = list(layout_cells(short))
    assert empty_line_blanks(short, 0, len(short), ROWS, cells, sums=True) == cells


def test_without_the_empty_lines_a_sparse_row_is_a_guess() -> None:
    """The same rows read without counting their empty lines (no ``rows``): which columns ``2 1 3`` fill,
    the text does not say, and no such cell is trusted."""
    text = one_cell_a_line(lead=2, trail=0)
    cells = doubt(read_table(T, "section3", tokens(text, [], 0, len(text), region_cells(text, 0, len(text), 7)), {}))
    assert all(cells[f"section3.new_received.{c}"].confidence < 0.9 for c in COLS)


def test_lines_of_tabs_or_nbsp_are_not_empty_lines() -> None:
    """A layout printing each cell as a tab field a line, a blank cell as a tab and an NBSP, and an empty
    line between rows: its fields give the blank cells already; counted again as empty lines they would
    shift every row."""
    lines = []
    for rid, values in TABLE.items():
        label = next(r.label for r in T.section3.rows if r.id == rid)
        lines += ["\t" + label, "\t", "\t", *["\t" + ("\xa0" if v is None else str(v)) for v in values], ""]
    text = "\n".join(lines) + "\n"
    cells = list(layout_cells(text))
    assert empty_line_blanks(text, 0, len(text), ROWS, cells, sums=True) == cells


def test_a_row_whose_lines_end_at_a_number_of_another_form_gets_no_blank() -> None:
    """``0 件`` is no cell line here: the row's lines before it are not all its cells, so its empty lines
    are not counted as its blank cells."""
    table = {**TABLE, "carried_over": [n, n, n, n, n, n, 0]}
    text = one_cell_a_line(lead=2, trail=0, table=table)
    label = text.split("\n").index(next(r.label for r in T.section3.rows if r.id == "carried_over"))
    lines = text.split("\n")
    lines[label + 9] = "0 件"
    text = "\n".join(lines)
    added = empty_line_blanks(text, 0, len(text), ROWS, [], sums=True)
    assert len(added) == 38 - 7  # every blank cell of the other rows
    assert not [c for c in added if label < c.line <= label + 9]
