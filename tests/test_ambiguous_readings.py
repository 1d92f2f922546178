"""Readings a layout leaves open are not trusted: hand-made reports whose text two readings fit.

Each case is a shape that typical generated reports of fresh seeds showed (16180, 27182), reduced by hand:
gxie read it one way and trusted cells that the other way reads otherwise.
"""

from __future__ import annotations

import pytest
from handmade import LABEL_PAD, T2021, report_text, section2_numbers_left

from gxie import extract_text
from gxie.templates import Block, RowDef

SECTION3 = T2021.blocks[4]


def _with(text: str, start: str, end: str, lines: list[str]) -> str:
    a, b = text.index(start), text.index(end)
    return text[:a] + "\n".join(lines) + "\n" + text[b:]


def _section2_numbers_left(values: dict[str, int]) -> list[str]:
    """Section 二 numbers left of their labels (``handmade.section2_numbers_left``): a row's number on its
    label's line, a row without one its label alone (a gap of 18 spaces in a page whose header is spaced by 2)."""

    def row_lines(_block: Block, row: RowDef) -> list[str]:
        v = values.get(row.id)
        return [LABEL_PAD + row.label if v is None else f"     {v}" + " " * 18 + row.label]

    return section2_numbers_left(row_lines)


def test_a_number_on_another_rows_label_line_is_not_trusted_for_the_row_above() -> None:
    """``行政处罚`` alone, then ``1   行政强制``: the 1 is 行政强制's, printed left of its label. Read as the
    number after 行政处罚 (labels first), it had stood trusted at 1.0, and the blank cells counted from the
    gap before each label trusted for 行政许可 and 行政强制 (0.9). The line's one label is another row's: the
    number is a guess for the row above, and a blank cell on the line of a number another row took says
    nothing of which cell is blank."""
    lines = _section2_numbers_left({"licensing": 1, "coercion": 1})
    text = _with(report_text(), "二、主动公开", "三、收到和处理", lines)
    rep = extract_text(text, tagger="rules")
    truth = {"licensing": 1, "punishment": None, "coercion": 1}
    trusted = {c.row: c.value for c in rep.trusted_cells if c.table == "section2" and c.row in truth}
    assert all(truth[row] == value for row, value in trusted.items()), trusted
    assert {"punishment", "licensing", "coercion"}.isdisjoint(trusted)  # each read wrongly, none trusted


def test_a_row_full_only_when_read_before_its_label_is_not_trusted_in_a_labels_first_table() -> None:
    """A table printed labels first, one cell a line, its blank cells dropped, every number 0: both ways of
    reading it (numbers after or before their labels) add up. Read before their labels, the seven zeros
    after 1.申请人无正当理由… made a full row of 2.申请人逾期…, trusted (four of them its blanks). That
    reading leaves the last label's numbers unread, the other reads them: the rows it alone fills are
    guesses. Only the one row with seven numbers after its label may be trusted."""
    counts = [5, 2, 6, 4, 4, 3, 6, 4, 4, 6, 5, 5, 4, 3, 6, 5, 3, 6, 3, 5, 7, 4, 5, 5, 2]
    lines = ["三、收到和处理政府信息公开申请情况", "申请人情况", *(c.label for c in SECTION3.columns)]
    for row, k in zip(SECTION3.rows, counts, strict=True):
        lines += [row.label, *["0"] * k]
    rep = extract_text(_with(report_text(), "三、收到和处理", "四、政府信息公开", lines), tagger="rules")
    trusted = {c.row for c in rep.trusted_cells if c.table == "section3"}
    assert trusted <= {"other_no_correction"}, trusted


def test_a_reading_that_adds_up_by_leaving_numbers_unread_is_not_trusted_where_the_other_differs() -> None:
    """A table of empty marks whose one row of numbers (the year's carried-forward, 1) breaks the column
    identities, three rows printed one mark short: read before their labels, the table adds up by leaving
    that row unread, and its last row took the marks of the row above, trusted as blank. The other reading
    reads the 1s there: the cells the two give otherwise are guesses."""
    lines = ["三、收到和处理政府信息公开申请情况", "申请人情况", *(c.label for c in SECTION3.columns)]
    truth: dict[str, int | None] = {}
    for row in SECTION3.rows:
        cells = ["-", "1", "-", "-", "-", "-", "1"] if row.id == "carried_forward" else ["-"] * 7
        for col, v in zip(SECTION3.columns, cells, strict=True):
            truth[f"section3.{row.id}.{col.id}"] = 1 if v == "1" else None
        if row.id in ("denied_third_party_rights", "denied_internal_affairs", "denied_process_information"):
            cells = cells[:-1]
        lines += [row.label, *cells]
    rep = extract_text(_with(report_text(), "三、收到和处理", "四、政府信息公开", lines), tagger="rules")
    wrong = [(c.key, c.value) for c in rep.trusted_cells if c.table == "section3" and c.value != truth[c.key]]
    assert not wrong
    assert {"section3.carried_forward.commercial", "section3.carried_forward.total"}.isdisjoint(
        c.key for c in rep.trusted_cells
    )


@pytest.mark.parametrize(
    ("last", "cells"),
    [
        ("\t\t\t1\t1\t1\t0\t0\t0", (1, 1, 1, 0, 0, 0)),  # one field more than cells: had been a blank, shifted
        ("\t\t\t0\t0\t0\t\t", (0, 0, 0, None, None)),  # as many fields as cells: had been two blanks, shifted
    ],
)
def test_tab_rows_whose_labels_stand_in_other_columns_keep_their_cells_in_place(
    last: str, cells: tuple[int | None, ...]
) -> None:
    """Tab rows of a table whose labels stand in three columns (a group's label column, the row's own, a
    top-level row's label across both): every row's first cell is the fourth field. The last row prints its
    label in the first field and lost its last cells. Read with its label's padding fields as blank cells,
    its numbers stood a cell or two right (trusted, or said to break the report's column identities); read
    by the field the other rows agree on, its cells stand from the first column, below trust (a short
    row), in today's rebuild and in the decoder's reading alike."""
    lines = [
        "三、收到和处理政府信息公开申请情况",
        "\t".join(["申请人情况", "", "", *(c.label for c in SECTION3.columns)]),
    ]
    for row in SECTION3.rows:
        if row.id == "carried_forward":
            lines.append(row.label + last)
        elif row.id == "new_received":
            lines.append(f"\t{row.label}\t\t1\t1\t1\t0\t0\t0\t3")
        else:
            lines.append(f"\t\t{row.label}" + "\t0" * 7)
    rep = extract_text(_with(report_text(), "三、收到和处理", "四、政府信息公开", lines), tagger="rules")
    row = {c.col: c.value for c in rep.cells if c.row == "carried_forward"}
    assert row == dict(zip([c.id for c in SECTION3.columns], cells, strict=False))
    assert not any(c.source_inconsistency for c in rep.checks)
    assert not [c for c in rep.trusted_cells if c.row == "carried_forward"]


def test_numbers_read_before_their_labels_with_numbers_after_the_last_label_are_not_trusted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Read with its numbers before its labels (the other reading ruled out by how its runs fit), a table that
    still has numbers after its last label is likely printed labels first and read a row off: each row took
    the row above's numbers (typical report 24601-083, the model's tags: 10 trusted wrong cells). None of it
    is trusted. Shown here on today's rebuild alone (no decoding) with the reading forced."""
    from gxie.grid import build

    monkeypatch.setenv("GXIE_DECODE", "off")
    lines = ["三、收到和处理政府信息公开申请情况", "申请人情况", *(c.label for c in SECTION3.columns)]
    for row in SECTION3.rows:
        lines += [row.label, *(["8", "3", "0", "0", "2", "1", "14"] if row.id == "new_received" else ["0"] * 7)]
    text = _with(report_text(), "三、收到和处理", "四、政府信息公开", lines)
    real = build._fitness
    calls = []

    def before_fits_better(runs, widths, hits, stream):  # type: ignore[no-untyped-def]
        calls.append(1)
        score = real(runs, widths, hits, stream)
        return score * (0.5 if len(calls) % 2 else 2.0)  # the 'after' reading (asked first) ruled out

    monkeypatch.setattr(build, "_fitness", before_fits_better)
    rep = extract_text(text, tagger="rules")
    assert any(i.code.value == "labels_after_numbers" for i in rep.issues)
    assert not [c for c in rep.trusted_cells if c.table == "section3"]
