"""The grid decoder on small hand-made texts, one per kind of damage other tools' converters do to tables.

Every text is written here (labels are the formats' own wording from the template files, numbers are
invented); each test checks the exact cells read and how sure the decoder says it is.
"""

from __future__ import annotations

import math

import pytest

from gxie import extract_text
from gxie.confidence import OCR_LOOKALIKE_SCORE
from gxie.grid.candidates import UNTAGGED_VALUE_SCORE as UNTAGGED
from gxie.grid.candidates import region_cells, regions, tokens
from gxie.grid.decode import ANCHORED, IN_ORDER, _column_blocks, doubt, read_table
from gxie.templates import load_template
from gxie.types import Cell

T2019, T2021 = load_template("2019"), load_template("2021")
TRUSTED = 0.9


def decode(text: str, table: str, template: str = "2021") -> dict[str, Cell]:
    """The decoded cells of ``table`` when ``text`` is that table's whole region (no tagger)."""
    t = load_template(template)
    return doubt(read_table(t, table, tokens(text, [], 0, len(text)), {}))


def row(cells: dict[str, Cell], table: str, row_id: str, cols: list[str]) -> list[object]:
    return [cells[f"{table}.{row_id}.{c}"].value if f"{table}.{row_id}.{c}" in cells else "absent" for c in cols]


S3_COLS = [c.id for c in T2021.section3.columns]
S4_COLS = [c.id for c in T2021.section4.columns]
S3_LABELS = {r.id: r.label for r in T2021.section3.rows}


def section3_rows(n: int) -> dict[str, list[int]]:
    """The first ``n`` rows of a section 三 with invented numbers; each row's total adds up."""
    out = {}
    for k, r in enumerate(T2021.section3.rows[:n]):
        parts = [k % 4, (k * 3) % 2, 0, k % 2, 0, 0]
        out[r.id] = [*parts, sum(parts)]
    return out


def test_wrapped_labels_then_a_numbers_line() -> None:
    """Labels wrapped over several lines in narrow cells, each followed by its row's numbers on one line."""
    text = (
        "一、本年\n新收政府\n信息公开\n申请数量\n3 1 0 0 0 0 4\n"
        "二、上年\n结转政府\n信息公开\n申请数量\n0 0 0 0 0 0 0\n"
        "三、本年\n度办理结\n果\n(一) 予以\n公开\n2 1 0 0 0 0 3\n"
        "(二) 部分\n公开(区\n分处理\n的，只计\n这一情\n形)\n1 0 0 0 0 0 1\n"
    )
    cells = decode(text, "section3")
    assert row(cells, "section3", "new_received", S3_COLS) == [3, 1, 0, 0, 0, 0, 4]
    assert row(cells, "section3", "carried_over", S3_COLS) == [0] * 7
    assert row(cells, "section3", "granted", S3_COLS) == [2, 1, 0, 0, 0, 0, 3]
    assert row(cells, "section3", "partially_granted", S3_COLS) == [1, 0, 0, 0, 0, 0, 1]
    assert all(c.confidence >= TRUSTED for c in cells.values())


def test_numbers_apart_from_their_labels_read_in_the_formats_order() -> None:
    """Section 四: all labels first, then the 15 numbers with no label near them."""
    text = (
        "行政复议\n行政诉讼\n结果维持\n结果纠正\n其他结果\n尚未审结\n总计\n未经复议直接起诉\n复议后起诉\n"
        "结果维持\n结果纠正\n其他结果\n尚未审结\n总计\n结果维持\n结果纠正\n其他结果\n尚未审结\n总计\n"
        "2 1 0 0 3\n0 1 1 0 2\n1 0 0 1 2\n"
    )
    cells = decode(text, "section4")
    assert row(cells, "section4", "review", S4_COLS) == [2, 1, 0, 0, 3]
    assert row(cells, "section4", "litigation_direct", S4_COLS) == [0, 1, 1, 0, 2]
    assert row(cells, "section4", "litigation_after_review", S4_COLS) == [1, 0, 0, 1, 2]


def test_unlabelled_run_between_two_labelled_rows_fills_the_row_between() -> None:
    rows = section3_rows(5)
    lines = []
    for rid, values in rows.items():
        label = S3_LABELS[rid] if rid != "granted" else "(一)予以XX"  # a label too damaged to match
        lines += [label, " ".join(map(str, values))]
    cells = decode("\n".join(lines) + "\n", "section3")
    for rid, values in rows.items():
        assert row(cells, "section3", rid, S3_COLS) == values
    # placed by the format's order; the others next to their labels (numbers no tagger marked)
    assert {cells[f"section3.granted.{c}"].confidence for c in S3_COLS} == {round(IN_ORDER * UNTAGGED, 3)}
    assert cells["section3.new_received.total"].confidence == round(ANCHORED * UNTAGGED, 3)


def test_column_by_column_dump() -> None:
    """Section 二 as a PDF converter gives it: each column header followed by that column's numbers."""
    text = (
        "第二十条第(一)项\n信息内容\n规章\n行政规范性文件\n"
        "本年制发件数\n2\n5\n本年废止件数\n0\n1\n现行有效件数\n14\n36\n"
    )
    cells = decode(text, "section2")
    cols = ["issued", "repealed", "in_force"]
    assert row(cells, "section2", "regulations", cols) == [2, 0, 14]
    assert row(cells, "section2", "normative_documents", cols) == [5, 1, 36]


def test_rows_printed_as_a_band_column_by_column() -> None:
    """Three rows whose cells a converter gave column by column: seven paragraphs of three numbers."""
    labels = "一、本年新收政府信息公开申请数量\n二、上年结转政府信息公开申请数量\n(一)予以公开\n"
    columns = ["5\n0\n4", "1\n0\n1", "0\n0\n0", "0\n0\n0", "0\n0\n0", "0\n0\n0", "6\n0\n5"]
    cells = decode("三、本年度办理结果\n" + labels + "\n\n".join(columns) + "\n", "section3")
    assert row(cells, "section3", "new_received", S3_COLS) == [5, 1, 0, 0, 0, 0, 6]
    assert row(cells, "section3", "carried_over", S3_COLS) == [0] * 7
    assert row(cells, "section3", "granted", S3_COLS) == [4, 1, 0, 0, 0, 0, 5]


def test_a_long_band_of_rows_column_by_column() -> None:
    """Section 三 as pdftotext prints a real report's first page: every label first, then three rows
    column by column (seven paragraphs of three), one row whole, then fifteen rows (不予公开, 无法提供,
    不予处理) column by column: seven paragraphs of fifteen numbers."""
    rows = [r.id for r in T2021.section3.rows[:19]]
    head = {"new_received": 7, "carried_over": 0, "granted": 5}
    natural = [4, 0, 0, 3, 32, 0, 0, 0, 75, 0, 0, 0, 1, 0, 0]
    band = rows[4:]

    def column(values: list[int]) -> str:
        return "\n".join(map(str, values))

    numbers = [column(list(head.values()))] + [column([0, 0, 0])] * 5 + [column(list(head.values()))]
    numbers += ["2", "0", "0", "0", "0", "0", "2"]
    numbers += [column(natural)] + [column([0] * 15)] * 5 + [column(natural)]
    text = "".join(S3_LABELS[r] + "\n" for r in rows) + "申请人情况\n自然人\n总计\n" + "\n\n".join(numbers) + "\n"
    cells = decode(text, "section3")
    for r, n in head.items():
        assert row(cells, "section3", r, S3_COLS) == [n, 0, 0, 0, 0, 0, n], r
    assert row(cells, "section3", "partially_granted", S3_COLS) == [2, 0, 0, 0, 0, 0, 2]
    for r, n in zip(band, natural, strict=True):
        assert row(cells, "section3", r, S3_COLS) == [n, 0, 0, 0, 0, 0, n], r


def test_a_column_by_column_dump_of_a_table_that_does_not_add_up() -> None:
    """Section 三 dumped column by column (pdfminer: every label, then each column's 25 numbers) in a
    report whose applicants are all natural persons (the other columns zero, as in most reports) and
    whose totals do not add up on every other row (the report's own errors, or a converter's scramble
    of the total column: pdfminer printed a real report's so). Both orders break relations; a column read in full weighs
    the rows its cells make, so the column-by-column reading is not outscored by row-by-row readings that
    only fill more groups (it was: every row read wrong)."""
    rows = [r.id for r in T2021.section3.rows]
    grid = {}
    for k, r in enumerate(rows):
        natural = (k * 7) % 5 + 1
        grid[r] = [natural, 0, 0, 0, 0, 0, natural + k % 2]  # every other row's total one too many
    numbers = [grid[r][c] for c in range(7) for r in rows]
    text = "".join(S3_LABELS[r] + "\n" for r in rows) + "申请人情况\n自然人\n总计\n"
    cells = decode(text + "\n".join(map(str, numbers)) + "\n", "section3")
    for r in rows:
        assert row(cells, "section3", r, S3_COLS) == grid[r], r
    assert all(c.confidence < TRUSTED for c in cells.values())  # placed by the format's order alone


def test_a_band_of_rows_column_by_column_one_cell_a_paragraph() -> None:
    """pdfminer prints each cell of a ruled table as a box of its own, so every number stands alone between
    empty lines and paragraphs cannot mark a band's columns: three rows' labels, the column headers, then
    the three rows column by column (seven columns of three), then the next row's label. The labels bound
    the band, and every row of it adds up. Bands are read by the format's order, never trusted."""
    head = {"new_received": [16, 0, 0, 0, 1, 0, 17], "carried_over": [1, 0, 0, 0, 0, 0, 1]}
    head["granted"] = [2, 0, 0, 0, 1, 0, 3]
    labels = "".join(S3_LABELS[r] + "\n" for r in head) + "申请人情况\n自然人\n法人或其他组织\n总计\n"
    numbers = [head[r][c] for c in range(7) for r in head]
    text = labels + "\n\n".join(map(str, numbers)) + "\n\n" + S3_LABELS["partially_granted"] + "\n"
    cells = decode(text, "section3")
    for r, values in head.items():
        assert row(cells, "section3", r, S3_COLS) == values, r
        assert all(cells[f"section3.{r}.{c}"].confidence < TRUSTED for c in S3_COLS)


def test_a_band_one_cell_a_paragraph_is_only_read_where_its_rows_add_up() -> None:
    """Unmarked by paragraphs, a band is a guess unless every row of it adds up on some number: on zeros
    alone, or where a row breaks, the values are read row by row (as one cell a line is)."""
    from gxie.grid.align import Aligner, groups

    def band(numbers: list[int]) -> float:
        labels = S3_LABELS["new_received"] + "\n" + S3_LABELS["carried_over"] + "\n"
        text = labels + "\n\n".join(map(str, numbers)) + "\n\n" + S3_LABELS["granted"] + "\n"
        return Aligner(groups(T2021, "section3", "row"), tokens(text, [], 0, len(text)), "after").band_score(0, 2, 0)

    adds_up = [5, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0]  # new_received 5 1 0 0 0 0 6, carried_over all 0
    assert band(adds_up) > 0
    assert band([0] * 14) == -math.inf
    assert band([5, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0]) == -math.inf  # 5 + 1 is not 7


def test_a_column_aligned_row_whose_gaps_are_all_even_keeps_no_blank_cells() -> None:
    """pdftotext -layout pads columns with spaces: a row whose gaps happen to be all even (2, 8, 4) looks
    like cells joined by a two-space tab stop with blank cells in the wide gaps, which gave it eleven
    cells where the table has seven and left its last numbers unread. The region's other rows have odd
    gaps (no unit); the row's seven numbers fill a row by themselves, so it keeps no blank cells."""
    text = (
        "  一、本年新收政府信息公开申请数量   50  2  0  0  0        0    52\n"
        "  二、上年结转政府信息公开申请数量   0   0  0  0  0        0    0\n"
        "  三、本 （一）予以公开        12  0  0  0  0        0    12\n"
        "  年度办 （二）部分公开（区分处理的，\n"
        "  理结果 只计这一情形，不计其他情形） 9  1  0  0  0        0    10\n"
    )
    assert sum(c.blank for c in region_cells(text, 0, len(text))) == 11  # read line by line: 7 + 4 blanks
    cells = region_cells(text, 0, len(text), width=7)
    assert not any(c.blank for c in cells)
    decoded = doubt(read_table(T2021, "section3", tokens(text, [], 0, len(text), cells), {}))
    assert row(decoded, "section3", "granted", S3_COLS) == [12, 0, 0, 0, 0, 0, 12]
    assert row(decoded, "section3", "partially_granted", S3_COLS) == [9, 1, 0, 0, 0, 0, 10]
    # a row of fewer numbers than the table's width keeps its blank cells: they may be its blank cells
    short = "  三、本 （一）予以公开  12  0  0        0  12\n"
    assert sum(c.blank for c in region_cells(short, 0, len(short), width=7)) == 3


def test_table_split_across_pages() -> None:
    """Rows of section 三 broken by a page footer and a repeated header."""
    rows = section3_rows(6)
    lines = []
    for k, (rid, values) in enumerate(rows.items()):
        if k == 3:
            lines += ["- 7 -", "某某局2023年政府信息公开工作年度报告", "申请人情况", "自然人", "总计"]
        lines.append(S3_LABELS[rid] + " " + " ".join(map(str, values)))
    cells = decode("\n".join(lines) + "\n", "section3")
    for rid, values in rows.items():
        assert row(cells, "section3", rid, S3_COLS) == values


def test_ruling_lines_read_as_l_or_1_between_values() -> None:
    text = (
        "一、本年新收政府信息公开申请数量 l 3 l 2 l 0 l 0 l 0 l 0 l 5 l\n"
        "二、上年结转政府信息公开申请数量 1 0 1 4 1 0 1 0 1 0 1 0 1 4 1\n"
    )
    cells = decode(text, "section3")
    assert row(cells, "section3", "new_received", S3_COLS) == [3, 2, 0, 0, 0, 0, 5]
    assert row(cells, "section3", "carried_over", S3_COLS) == [0, 4, 0, 0, 0, 0, 4]


def test_glued_digits_split_where_the_row_total_decides() -> None:
    text = "一、本年新收政府信息公开申请数量 17 6 0 1 0 024\n二、上年结转政府信息公开申请数量 0 0 0 0 0 0 0\n"
    cells = decode(text, "section3")
    assert row(cells, "section3", "new_received", S3_COLS) == [17, 6, 0, 1, 0, 0, 24]
    assert max(cells[f"section3.new_received.{c}"].confidence for c in S3_COLS) < TRUSTED
    assert row(cells, "section3", "carried_over", S3_COLS) == [0] * 7


def test_blanks_dropped_from_a_line_are_placed_by_the_totals_and_not_trusted() -> None:
    """Section 四's numbers on one line, two blank cells dropped: the blocks' totals decide where each
    block ends (5, 4, 4 values); the middle block is placed where its total holds (several placements
    do), the last one is read left to right (it may be cut off); the line lost cells, so no cell of it
    is trusted."""
    text = "行政复议\n结果维持\n结果纠正\n其他结果\n尚未审结\n总计\n0 0 1 0 1 1 0 0 1 0 0 0 0\n"
    cells = decode(text, "section4")
    assert row(cells, "section4", "review", S4_COLS) == [0, 0, 1, 0, 1]
    direct = [cells[f"section4.litigation_direct.{c}"].value or 0 for c in S4_COLS]
    assert sorted(direct[:4]) == [0, 0, 0, 1] and direct[4] == 1
    assert row(cells, "section4", "litigation_after_review", S4_COLS) == [0, 0, 0, 0, "absent"]
    assert all(c.confidence < TRUSTED for c in cells.values())


def test_label_with_its_first_number_glued_on() -> None:
    text = (
        "一、本年新收政府信息公开申请数量42\t8\t0\t1\t13\t0\t64\n"
        "二、上年结转政府信息公开申请数量\t0\t0\t0\t0\t0\t0\t0\n"
    )
    cells = decode(text, "section3")
    assert row(cells, "section3", "new_received", S3_COLS) == [42, 8, 0, 1, 13, 0, 64]


def sparse_cells_table(first: dict[str, str]) -> str:
    """A section 三 whose rows are printed blank (their blank cells dropped), but for those in ``first``:
    each of those is its label's first line, its numbers on that line, then the label's other line."""
    groups = {"granted": "三、本年度办理结果", "denied_state_secret": "(三)不予公开", "unable_not_held": "(四)无法提供",
              "not_processed_petition_complaint": "(五)不予处理", "other_no_correction": "(六)其他处理"}  # fmt: skip
    lines = []
    for r in T2021.section3.rows:
        if r.id in groups:
            lines.append(groups[r.id])
        if r.id in first:
            head, numbers = first[r.id].split(" ", 1)
            lines += [f"{head} {numbers}", r.label.replace("（", "(").replace("）", ")")[len(head) :]]
        else:
            lines.append(r.label)
    return "\n".join(lines) + "\n"


def test_a_label_split_by_its_numbers_and_a_sparse_row_placed_where_it_adds_up() -> None:
    """pdfplumber prints a wrapped label cell's first line with the row's numbers, its last line after
    (``(七)总 2 1 3`` then ``计``), and drops blank cells (``2 1 3`` of seven). The two lines are one label,
    and a short run goes where its row adds up (the leftmost such placement), not left to right with the
    total left blank; which columns, the text does not say, so no such cell is trusted."""
    text = sparse_cells_table(
        {
            "new_received": "一、本年 2 1 3",
            "granted": "(一)予 1 1 2",
            "not_processed_petition_complaint": "1.信访举 1 1",
            "total_processed": "(七)总 2 1 3",
        }
    )
    assert "(七)总 2 1 3\n计\n四、结转" in text
    cells = decode(text, "section3")
    n = None
    assert row(cells, "section3", "new_received", S3_COLS) == [2, 1, n, n, n, n, 3]
    assert row(cells, "section3", "granted", S3_COLS) == [1, 1, n, n, n, n, 2]
    assert row(cells, "section3", "not_processed_petition_complaint", S3_COLS) == [1, n, n, n, n, n, 1]
    assert row(cells, "section3", "total_processed", S3_COLS) == [2, 1, n, n, n, n, 3]
    assert row(cells, "section3", "carried_forward", S3_COLS) == [n] * 7
    for rid in ("new_received", "granted", "not_processed_petition_complaint", "total_processed"):
        assert all(cells[f"section3.{rid}.{c}"].confidence < TRUSTED for c in S3_COLS), rid


def test_blank_rows_stacked_with_the_label_of_a_guessed_run_are_doubted() -> None:
    """pdftotext prints a page's labels as one block, then the numbers of its rows that are not blank:
    ``1 1`` after the labels (一) to 8. may be any of those rows' numbers. The run goes to the last label
    (where its row adds up), and the rows printed blank in that stack are doubted: the table adds up on
    that guess, so it cannot vouch for them. A row printed blank after a row whose numbers stand on its
    label's line (no stack) keeps its confidence."""
    lines = [S3_LABELS["new_received"], "1", "1"]
    lines += [S3_LABELS[r] for r in ("carried_over", "granted", "partially_granted")]
    lines += [S3_LABELS[r.id] for r in T2021.section3.rows if r.id.startswith("denied_")] + ["1", "1"]
    lines += [S3_LABELS[r.id] for r in T2021.section3.rows if r.id.startswith(("unable_", "not_proc", "other_"))]
    lines += [S3_LABELS["total_processed"] + " 1 1", S3_LABELS["carried_forward"]]
    cells = decode("\n".join(lines) + "\n", "section3")
    n = None
    assert row(cells, "section3", "denied_administrative_query", S3_COLS) == [1, n, n, n, n, n, 1]
    assert row(cells, "section3", "total_processed", S3_COLS) == [1, n, n, n, n, n, 1]
    for rid in ("granted", "partially_granted", "denied_state_secret", "denied_law_enforcement_file"):
        assert row(cells, "section3", rid, S3_COLS) == [n] * 7
        assert max(cells[f"section3.{rid}.{c}"].confidence for c in S3_COLS) <= 0.6, rid
    assert min(cells[f"section3.carried_forward.{c}"].confidence for c in S3_COLS) >= 0.8


def test_a_wrapped_labels_wu_is_wording_not_an_empty_mark() -> None:
    """``1.申请人无`` is the first line of 申请人无正当理由… wrapped in a narrow cell, its row's numbers beside
    it: the 无 goes on the label (it is not an empty mark run into it), so the row's first cell is its
    first number, no number is left over, and the rows stay anchored to their labels."""
    s3 = T2021.section3
    other = [r.id for r in s3.rows if r.id.startswith("other_")]
    assert next(r for r in s3.rows if r.id == other[0]).label.startswith("1.申请人无正当理由")
    lines = []
    for k, r in enumerate(s3.rows):
        values = [0, k % 2, 0, 0, 0, 0, k % 2] if r.id != other[0] else [2, 0, 0, 0, 0, 1, 3]
        label = "(六)其他处    1.申请人无" if r.id == other[0] else r.label
        lines.append(f"{label}    " + "    ".join(map(str, values)))
        if r.id == other[0]:
            lines += ["理         正当理由逾", "          期不补正、"]
    cells = decode("\n".join(lines) + "\n", "section3")
    assert row(cells, "section3", other[0], S3_COLS) == [2, 0, 0, 0, 0, 1, 3]
    assert row(cells, "section3", other[1], S3_COLS) == [0, 1, 0, 0, 0, 0, 1]
    assert all(c.confidence >= TRUSTED for c in cells.values())


def _section2_by_page_columns() -> tuple[str, dict[str, list[object]]]:
    """A 2019 section 二 as pdfminer reads a page of stacked tables: every caption and row label first, then
    each table's first column (header, numbers), each table's second column, and so on."""
    blocks = [b for b in T2019.blocks if b.table == "section2"]
    values: dict[str, list[object]] = {}
    for k, b in enumerate(blocks):
        for j, r in enumerate(b.rows):
            values[r.id] = [k * 10 + j * 3 + c for c in range(len(b.columns))]
    labels = "".join(f"{b.caption}\n信息内容\n" + "".join(f"{r.label}\n" for r in b.rows) for b in blocks)
    columns = ""
    for page in (blocks[:3], blocks[3:]):  # the first three tables share the page's columns, the last two too
        for c in range(3):
            for b in page:
                if c < len(b.columns):
                    columns += f"{b.columns[c].label}\n" + "".join(f"{values[r.id][c]}\n" for r in b.rows)
    return labels + columns, values


def test_column_blocks_of_stacked_tables_go_to_their_tables_in_the_formats_order() -> None:
    """Blocks of section 二's tables interleaved column by column (as pdfminer prints them) each go to the
    first table whose next column they can be: (五) and (六) have the same headers and row count and are told
    apart by order."""
    text, values = _section2_by_page_columns()
    cells = decode(text, "section2", "2019")
    for b in (b for b in T2019.blocks if b.table == "section2"):
        for r in b.rows:
            assert row(cells, "section2", r.id, [c.id for c in b.columns]) == values[r.id], r.id
    assert all(c.confidence >= TRUSTED for c in cells.values())


def test_column_blocks_that_fit_no_table_are_not_reordered() -> None:
    """A block with more numbers than its table has rows fits no table: no reordered reading is made, so
    nothing is read as sure from an order the blocks do not show."""
    text, _ = _section2_by_page_columns()
    text = text.replace("处理决定数量\n", "处理决定数量\n7\n", 1)  # (五)'s third column: three numbers for two rows
    t = T2019
    stream = tokens(text, [], 0, len(text))
    assert _column_blocks(t, "section2", stream) == []
    cells = decode(text, "section2", "2019")
    assert not any(c.confidence >= TRUSTED for k, c in cells.items() if ".licensing." in k or ".punishment." in k)


@pytest.mark.parametrize(
    ("label", "cells", "sep"),
    [
        ("2.其他法律行政法规禁止公开o", ["０", "０", "０", "０", "１", "1"], "\t"),  # an OCR ``o`` run into it
        ("3.危及“三安全一稳定”0", ["0", "0", "0", "1", "0", "1"], " | "),  # after the closing quote (Markdown)
    ],
    ids=["o after a CJK character", "0 after a closing quote"],
)
def test_a_zero_run_into_a_label_is_the_rows_first_cell(label: str, cells: list[str], sep: str) -> None:
    """A row whose first cell ran into its label, six cells after it: the run-in 0 is the row's first cell
    (as the rules tagger reads it), not part of the label, and the row keeps its seven cells in place; a
    look-alike read so stays below the trust bar."""
    rows = [("1.属于国家秘密", ["0"] * 7), (label, cells), ("4.保护第三方合法权益", ["0"] * 7)]
    text = "".join(sep.join([name, *values]) + "\n" for name, values in rows)
    decoded = decode(text, "section3")
    rid = next(r.id for r in T2021.section3.rows if r.label[:4] == label[:4])
    expected = [0, *[int(v.replace("０", "0").replace("１", "1")) for v in cells]]
    assert row(decoded, "section3", rid, S3_COLS) == expected
    assert (decoded[f"section3.{rid}.natural_person"].confidence < TRUSTED) == label.endswith("o")


def test_blank_lines_on_both_sides_of_a_row_one_cell_a_line_make_it_a_guess() -> None:
    """One cell a line, three label columns: the empty label fields stand after a top row's label and before
    a sub-row's. Between two labels, nine lines for seven cells, blank at both ends: the row read from
    either end differs, so neither is sure."""
    rows = [
        ("(一)予以公开", ["", "", "3", "0", "0", "0", "0", "0", "3"]),
        ("(二)部分公开", ["", "", "0", "0", "", "", "0", "", ""]),
        ("(三)不予公开", []),
        ("1.属于国家秘密", ["1", "0", "0", "0", "0", "0", "1"]),
    ]
    text = "".join(f"{label}\n" + "".join(f"\t{v}\n" for v in values) for label, values in rows)
    cells = decode(text, "section3")
    assert row(cells, "section3", "granted", S3_COLS) == [3, 0, 0, 0, 0, 0, 3]
    partial = [cells[f"section3.partially_granted.{c}"] for c in S3_COLS]
    assert all(c.confidence < TRUSTED for c in partial)
    assert all(cells[f"section3.granted.{c}"].confidence >= TRUSTED for c in S3_COLS)  # ends on a number


def test_a_run_with_a_blank_where_its_lines_number_was_left_out_is_a_guess() -> None:
    """Space-aligned columns (the gap before a row's first cell reads as blank cells): the procurement row
    read as a blank and ``0``, its amount ``17298元`` left out. The blank may be where the left-out number
    belongs, so neither cell of the run is sure (the 0 had been trusted as the amount)."""
    text = (
        "第二十条第(八)项\n信息内容           上一年   本年增\n                   项目数   /减\n                   量\n"
        "行政事业性收费          0        0\n第二十条第(九)项\n信息内容           采购项   采购总\n"
        "                   目数量   金额\n政府集中采购            0  17298元\n"
    )
    cells = decode(text, "section2", "2019")
    amount = cells["section2.procurement.total_amount"]
    assert amount.value == 17298 or amount.confidence < TRUSTED
    assert cells["section2.procurement.items"].confidence < TRUSTED
    assert row(cells, "section2", "fees", ["prev_year_items", "change"]) == [0, 0]


def test_blanks_counted_from_spaces_beside_ocr_look_alikes_are_a_guess() -> None:
    """Cells joined by runs of spaces: a run twice the unit holds a blank cell (tabs exported as spaces). On
    a line whose numbers show OCR look-alikes (``o``, ``O``) the spaces were laid out by the OCR, and a gap
    read as a blank may stand where no cell was while a real blank was lost: the row is a guess. The same
    row without look-alikes keeps its blank cell, and it is sure."""
    ocr = (
        "一、本年新收政府信息公开申请数量  1  0  0  0  0  0  1\n"
        "二、上年结转政府信息公开申请数量    0  o  0  0 0 0\n"
        "三、本年度办理结果  (一)予以公开  1  0  0  0  0  0  1\n"
    )
    cells = decode(ocr, "section3")
    assert all(cells[f"section3.carried_over.{c}"].confidence < TRUSTED for c in S3_COLS)
    exported = ocr.replace("    0  o  0  0 0 0", "  0    0  0  0  0  0")
    cells = decode(exported, "section3")
    assert row(cells, "section3", "carried_over", S3_COLS) == [0, None, 0, 0, 0, 0, 0]
    assert all(cells[f"section3.carried_over.{c}"].confidence >= TRUSTED for c in S3_COLS)


def test_a_zero_read_as_o_after_a_number_of_its_cell_is_a_value() -> None:
    """``0 O`` in one space-aligned cell: the ``O`` is the row's last 0, read by OCR, not label text; the row
    then holds a number more than its cells beside a spaced blank, and is not sure."""
    text = (
        "1.本机关不掌握相关政府信息  0  0  0  0  0  0  0\n"
        "2.没有现成信息需要另行制作  0    0 0 0 0  0 O\n"
        "3.补正后申请内容仍不明确  0  0  0  0  0  0  0\n"
    )
    stream = tokens(text, [], 0, len(text))
    assert [t.kind for t in stream if t.line == 1][-2:] == ["value", "value"]
    cells = decode(text, "section3")
    assert all(cells[f"section3.unable_needs_creation.{c}"].confidence < TRUSTED for c in S3_COLS)


def test_regions_start_at_the_tables_not_at_the_prose() -> None:
    text = (
        "二、主动公开政府信息情况\n全年公开信息 12 条。\n第二十条第(一)项\n规章 0 0 0\n"
        "三、收到和处理政府信息公开申请情况\n四、政府信息公开行政复议、行政诉讼情况\n五、存在的主要问题及改进情况\n"
    )
    bounds = regions(text)
    assert text[slice(*bounds["section2"])].startswith("第二十条")
    assert text[slice(*bounds["section3"])].startswith("三、收到")
    assert text[slice(*bounds["section4"])].startswith("四、政府")
    assert text[bounds["section4"][1] :].startswith("五、")


def _section3_split_by_section4s_heading() -> tuple[str, dict[str, list[int]]]:
    """A 2021 report as pdfminer orders a table's page: section 三's first rows with their numbers, the
    other rows' labels, then section 四's heading, then those rows' numbers, then section 四's table."""
    some = {"new_received": [2, 1], "carried_over": [1, 0], "granted": [1, 0], "partially_granted": [0, 1],
            "unable_not_held": [1, 0], "total_processed": [2, 1], "carried_forward": [1, 0]}  # fmt: skip
    rows = T2021.section3.rows
    values = {r.id: [*some.get(r.id, [0, 0]), 0, 0, 0, 0, sum(some.get(r.id, [0, 0]))] for r in rows}
    page1 = "".join(f"{r.label}\n{' '.join(map(str, values[r.id]))}\n" for r in rows[:6])
    page2 = "".join(f"{r.label}\n" for r in rows[6:])
    stranded = "".join(f"{' '.join(map(str, values[r.id]))}\n" for r in rows[6:])
    s2 = "第二十条第(一)项\n信息内容 本年制发件数 本年废止件数 现行有效件数\n规章 0 0 0\n行政规范性文件 3 1 20\n"
    s3 = "申请人情况 自然人 法人或其他组织 总计\n" + page1 + page2
    s4 = stranded + "行政复议 行政诉讼\n结果维持 结果纠正 其他结果 尚未审结 总计\n0 0 0 0 0 1 0 0 0 1 0 0 0 0 0\n"
    return _report(s2, s3, s4), values


def test_section3s_numbers_printed_after_section4s_heading_are_section3s() -> None:
    text, values = _section3_split_by_section4s_heading()
    bounds = regions(text)
    assert text[slice(*bounds["section4"])].startswith("行政复议 行政诉讼\n")
    assert text[slice(*bounds["section3"])].endswith("2 1 0 0 0 0 3\n1 0 0 0 0 0 1\n")  # the last two stranded rows
    report = extract_text(text, tagger="rules")
    flat = report.to_flat()
    for r in T2021.section3.rows:
        assert [flat[f"section3.{r.id}.{c}"] for c in S3_COLS] == values[r.id], r.id
    assert [flat[f"section4.litigation_direct.{c}"] for c in S4_COLS] == [1, 0, 0, 0, 1]
    assert all(c.passed is not False for c in report.checks)


def test_section3s_last_rows_printed_after_section4s_heading_with_their_labels_are_section3s() -> None:
    """pdftotext can print section 三's last two rows after section 四's heading: their fourteen numbers,
    then their labels. Fourteen numbers could be section 四's own; section 三's row labels say they are
    not. Section 四's table, after them, keeps its own numbers."""
    rows = T2021.section3.rows
    some = {"new_received": [2, 1], "granted": [2, 1], "total_processed": [2, 1], "carried_forward": [1, 0]}
    values = {r.id: [*some.get(r.id, [0, 0]), 0, 0, 0, 0, sum(some.get(r.id, [0, 0]))] for r in rows}
    values["carried_over"] = [1, 0, 0, 0, 0, 0, 1]
    s2 = "第二十条第(一)项\n信息内容 本年制发件数 本年废止件数 现行有效件数\n规章 0 0 0\n行政规范性文件 3 1 20\n"
    s3 = "申请人情况 自然人 法人或其他组织 总计\n" + "".join(
        f"{r.label} {' '.join(map(str, values[r.id]))}\n" for r in rows[:-2]
    )
    stranded = "".join(f"{' '.join(map(str, values[r.id]))}\n" for r in rows[-2:])
    labels = "".join(f"{r.label}\n" for r in rows[-2:])
    s4 = (
        stranded
        + labels
        + "行政复议 行政诉讼\n结果维持 结果纠正 其他结果 尚未审结 总计\n0 0 0 0 0 1 0 0 0 1 0 0 0 0 0\n"
    )
    text = _report(s2, s3, s4)
    bounds = regions(text)
    assert text[slice(*bounds["section4"])].startswith("行政复议 行政诉讼\n")
    assert text[slice(*bounds["section3"])].endswith(labels)
    flat = extract_text(text, tagger="rules").to_flat()
    for r in rows[-2:]:
        assert [flat[f"section3.{r.id}.{c}"] for c in S3_COLS] == values[r.id], r.id
    assert [flat[f"section4.litigation_direct.{c}"] for c in S4_COLS] == [1, 0, 0, 0, 1]


def test_section4s_own_numbers_before_its_labels_stay_section4s() -> None:
    # Fifteen numbers or fewer between section 四's heading and its labels can be section 四's own cells
    # printed before their labels: the regions are left as the headings cut them.
    s4 = "0 0 0 0 0 1 0 0 0 1 0 0 0 0 0\n行政复议 行政诉讼\n结果维持 结果纠正 其他结果 尚未审结 总计\n"
    text = _report("第二十条第(一)项\n规章 0 0 0\n", "(一)予以公开 1 0 0 0 0 0 1\n", s4)
    bounds = regions(text)
    assert text[slice(*bounds["section4"])].startswith("四、政府信息公开行政复议")
    assert text[slice(*bounds["section3"])].endswith("(一)予以公开 1 0 0 0 0 0 1\n")


def test_section4s_table_going_on_after_section5s_heading_stays_section4s() -> None:
    # pdfminer can print section 五's heading inside section 四's table: section 四 holds fewer numbers
    # than its cells, and its labels and numbers go on after that heading, up to the first prose.
    s4 = "行政复议\n结果维持 结果纠正 其他结果 尚未审结 总计\n0 1 0 0 1\n"
    tail = "行政诉讼\n未经复议直接起诉\n结果\n维持\n0 0 0 0 0\n复议后起诉\n0 0 0 0 0\n"
    prose = "本年度本局政府信息公开工作存在的问题主要是公开的深度和广度还不能满足公众的需求，下一步将加以改进。\n"
    text = _report("第二十条第(一)项\n规章 0 0 0\n", "(一)予以公开 1 0 0 0 0 0 1\n", s4).replace(
        "五、存在的主要问题及改进情况\n无。\n", "五、存在的主要问题及改进情况\n" + tail + prose
    )
    bounds = regions(text)
    assert text[slice(*bounds["section4"])].endswith("复议后起诉\n0 0 0 0 0")
    flat = extract_text(text, tagger="rules").to_flat()
    assert [flat[f"section4.review.{c}"] for c in S4_COLS] == [0, 1, 0, 0, 1]
    assert [flat[f"section4.litigation_after_review.{c}"] for c in S4_COLS] == [0] * 5
    # with all fifteen numbers before section 五's heading, the region ends at that heading
    whole = _report("第二十条第(一)项\n规章 0 0 0\n", "", s4 + tail + prose)
    assert whole[regions(whole)["section4"][1] :].startswith("五、")


def _own_numbering_report(note: str = "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)") -> str:
    """A 2021 report that numbers its sections its own way: no 收到和处理 or 复议/诉讼 section heading, the
    tables standing under headings of its own, the section 三 table found by its header ``note``."""
    twos = ("new_received", "granted", "total_processed")
    rows = [r.label + " " + ("2 0 0 0 0 0 2" if r.id in twos else "0 0 0 0 0 0 0") for r in T2021.section3.rows]
    return (
        "某某县某某局2021年政府信息公开工作年度报告\n一、加强组织领导\n本局依法公开政府信息。\n"
        "二、信息公开总体情况\n全年公开信息 12 条。\n"
        "第二十条第(一)项\n信息内容 本年制发件数 本年废止件数 现行有效件数\n规章 0 0 0\n行政规范性文件 3 1 20\n"
        + note
        + "\n申请人情况 自然人 法人或其他组织 总计\n"
        + "\n".join(rows)
        + "\n(三)政府信息公开行政复议、行政诉讼情况\n行政复议 行政诉讼\n结果维持 结果纠正 其他结果 尚未审结 总计\n"
        "0 0 0 0 0 1 0 0 0 1 0 0 0 0 0\n三、健全制度机制,规范公开流程\n本局全年组织培训 5 次,印发资料 300 份。\n"
    )


def test_regions_of_a_report_numbering_its_sections_its_own_way() -> None:
    text = _own_numbering_report()
    bounds = regions(text)
    assert text[slice(*bounds["section2"])].startswith("第二十条第(一)项")
    assert text[slice(*bounds["section3"])].startswith("(本列数据的勾稽关系为")
    assert text[slice(*bounds["section3"])].endswith("四、结转下年度继续办理 0 0 0 0 0 0 0\n")
    assert text[slice(*bounds["section4"])].startswith("(三)政府信息公开行政复议")
    assert text[bounds["section4"][1] :].startswith("三、健全制度机制")  # its own heading, not a table's label
    report = extract_text(text, tagger="rules")
    flat = report.to_flat()
    assert [flat[f"section3.granted.{c}"] for c in S3_COLS] == [2, 0, 0, 0, 0, 0, 2]
    assert [flat[f"section4.litigation_direct.{c}"] for c in S4_COLS] == [1, 0, 0, 0, 1]
    assert all(c.passed is not False for c in report.checks)
    assert not any(c.value in (5, 300) for c in report.cells)  # the prose after the tables is not read


@pytest.mark.parametrize(
    "note",
    [
        "(本列数\n据的勾稽\n关系为:\n第一项加\n第二项之\n和,等于\n第三项加\n第四项之\n和)",
        "(本列数 申请人情\n据的勾稽 况\n关系为:\n第一项加\n第二项之\n和,等于\n第三项加\n第四项之\n和)",
        f"(本列数{' ' * 21}申请人情\n据的勾稽{' ' * 21}况\n关系为:\n第一项加\n第二项之\n和,等于\n第三项加\n和)",
    ],
    ids=["wrapped", "wrapped beside the next cell", "wrapped, the layout kept (pdftotext -layout)"],
)
def test_a_header_note_wrapped_in_a_narrow_cell_still_starts_section3s_table(note: str) -> None:
    """A PDF converter prints the note of a narrow header cell four characters a line (勾稽 / 关系), maybe
    each line with a piece of the next header cell after it (pdfplumber: ``据的勾稽 况``): the note still
    marks where section 三's table starts in a report numbering its sections its own way."""
    text = _own_numbering_report(note)
    bounds = regions(text)
    assert text[slice(*bounds["section3"])].startswith(note)
    assert text[slice(*bounds["section2"])].endswith("行政规范性文件 3 1 20\n")
    flat = extract_text(text, tagger="rules").to_flat()
    assert [flat[f"section3.granted.{c}"] for c in S3_COLS] == [2, 0, 0, 0, 0, 0, 2]
    assert [flat[f"section4.litigation_direct.{c}"] for c in S4_COLS] == [1, 0, 0, 0, 1]


def _report(section2: str, section3: str, section4: str) -> str:
    return (
        "某某市某某局2023年政府信息公开工作年度报告\n一、总体情况\n本局依法公开政府信息。\n"
        f"二、主动公开政府信息情况\n{section2}三、收到和处理政府信息公开申请情况\n{section3}"
        f"四、政府信息公开行政复议、行政诉讼情况\n{section4}五、存在的主要问题及改进情况\n无。\n"
        "六、其他需要报告的事项\n无。\n"
    )


def _single_space_report(new_received_total: str = "4") -> str:
    """A 2021-format report as a PDF converter prints it: each row's label and cells joined by single spaces."""
    s2 = (
        "第二十条第(一)项\n信息内容 本年制发件数 本年废止件数 现行有效件数\n规章 0 0 0\n行政规范性文件 3 1 20\n"
        "第二十条第(五)项\n信息内容 本年处理决定数量\n行政许可 120\n"
        "第二十条第(六)项\n信息内容 本年处理决定数量\n行政处罚 15\n行政强制 2\n"
        "第二十条第(八)项\n信息内容 本年收费金额(单位:万元)\n行政事业性收费 0\n"
    )
    rows = []
    for r in T2021.section3.rows:
        if r.id in ("new_received", "granted", "total_processed"):
            values = ["3", "1", "0", "0", "0", "0", new_received_total if r.id == "new_received" else "4"]
        else:
            values = ["0"] * 7
        rows.append(r.label + " " + " ".join(values))
    s3 = "申请人情况 自然人 法人或其他组织 总计\n" + "\n".join(rows) + "\n"
    s4 = "行政复议 行政诉讼\n结果维持 结果纠正 其他结果 尚未审结 总计\n0 0 0 0 0 1 0 0 0 1 0 0 0 0 0\n"
    return _report(s2, s3, s4)


def test_single_space_rows_end_to_end() -> None:
    """The whole pipeline on a report whose rows are label and numbers joined by single spaces."""
    report = extract_text(_single_space_report(), tagger="rules")
    flat = report.to_flat()
    assert report.template == "2021"
    assert [flat[f"section2.normative_documents.{c}"] for c in ("issued", "repealed", "in_force")] == [3, 1, 20]
    assert flat["section2.licensing.decisions"] == 120 and flat["section2.coercion.decisions"] == 2
    assert [flat[f"section3.new_received.{c}"] for c in S3_COLS] == [3, 1, 0, 0, 0, 0, 4]
    assert [flat[f"section3.total_processed.{c}"] for c in S3_COLS] == [3, 1, 0, 0, 0, 0, 4]
    assert [flat[f"section4.litigation_direct.{c}"] for c in S4_COLS] == [1, 0, 0, 0, 1]
    assert all(c.passed is not False for c in report.checks)
    assert len(report.cells) == len(T2021.flat_keys())


def test_a_value_no_cell_can_hold_is_flagged_and_not_trusted() -> None:
    report = extract_text(_single_space_report(new_received_total="100000000004"), tagger="rules")
    cell = next(c for c in report.cells if c.key == "section3.new_received.total")
    assert cell.value == 100000000004 and cell.confidence < TRUSTED
    assert any(m.code == "implausible_value" and "section3.new_received.total" in m.message for m in report.issues)
    assert report.status == "partial"


def test_a_short_run_of_a_row_with_slots_outside_the_format_is_read_left_to_right() -> None:
    # A row group with a slot no format cell fills (""), given fewer values than its slots: the
    # blank-dropping placements (which need every slot's column) are not tried (they raised IndexError on
    # the empty slot), the run is read in order and the value in the empty slot is not a cell.
    from gxie.grid.align import Group
    from gxie.grid.candidates import Token
    from gxie.grid.decode import SHORT_RUN, _short_options

    keys = ("section3.granted.natural_person", "", "section3.granted.total")
    g = Group("section3", keys, ("row", "granted"), "granted")
    toks = [Token("value", 0, 1, "4", 0), Token("value", 2, 3, "4", 1)]
    options = _short_options(g, toks, dense=True, dropped=True, relation=T2021.row_relation("section3"))
    assert [[(c.key, c.value, c.confidence) for c in o] for o in options] == [
        [("section3.granted.natural_person", 4, SHORT_RUN)]
    ]


def test_the_dynamic_programmes_lookup_tables_give_the_scores_computed_from_the_labels() -> None:
    # run_score reads its terms from tables built once per alignment; run_score_slow walks the labels. The
    # two agree (up to float rounding of the prefix sums) on every group and stretch of two texts.
    from gxie.grid.align import MODES, Aligner, groups

    rows = section3_rows(6)
    mixed = "\n".join(f"{S3_LABELS[r]}\n{' '.join(map(str, v))}" for r, v in rows.items())
    texts = [("section3", mixed), ("section3", "(一)予以公开\n1 0 0 0 0 0 1\n页脚 3\n2 0 0 0 0 0 2\n")]
    checked = 0
    for table, text in texts:
        stream = tokens(text, [], 0, len(text))
        for order in ("row", "col"):
            for mode in MODES:
                al = Aligner(groups(T2021, table, order), stream, mode)
                n = len(al.values)
                for gi, g in enumerate(al.groups):
                    for i in range(n + 1):
                        for j in range(i, min(n, i + len(g.keys)) + 1):
                            fast, slow = al.run_score(gi, i, j), al.run_score_slow(gi, i, j)
                            assert fast == pytest.approx(slow, abs=1e-9), (order, mode, gi, i, j)
                            checked += 1
    assert checked > 1000


def test_the_vectorised_programme_finds_the_runs_of_the_one_transition_at_a_time_programme() -> None:
    # solve scores each group's runs for all starts and lengths at once (numpy); solve_slow takes one
    # transition at a time. Same transitions, ties taken alike: the same best score and runs, on every order
    # and mode, and from an alignment made for another mode (in_mode).
    from gxie.grid.align import MODES, Aligner, groups

    rows = section3_rows(8)
    texts = {
        "labels then rows": "\n".join(f"{S3_LABELS[r]}\n{' '.join(map(str, v))}" for r, v in rows.items()),
        "band": "三、本年度办理结果\n一、本年新收政府信息公开申请数量\n二、上年结转政府信息公开申请数量\n"
        + "\n\n".join(["5\n0", "1\n0", "0\n0", "0\n0", "0\n0", "0\n0", "6\n0"]),
        "page number between rows": "(一)予以公开\n1 0 0 0 0 0 1\n3\n2 0 0 0 0 0 2\n0 0 0 0 0 0 0\n",
        "band one cell a paragraph": "一、本年新收政府信息公开申请数量\n二、上年结转政府信息公开申请数量\n"
        + "\n\n".join(["5", "0", "1", "0", "0", "0", "0", "0", "0", "0", "0", "0", "6", "0"])
        + "\n\n(一)予以公开\n2\n\n0\n\n2\n",
    }
    solved = 0
    for text in texts.values():
        stream = tokens(text, [], 0, len(text))
        for order in ("row", "col"):
            first = Aligner(groups(T2021, "section3", order), stream, MODES[-1])
            first.solve()  # its tables filled: another mode's alignment shares them (in_mode)
            for mode in MODES:
                fast = Aligner(groups(T2021, "section3", order), stream, mode).solve()
                slow = Aligner(groups(T2021, "section3", order), stream, mode).solve_slow()
                shared = first.in_mode(mode).solve()
                assert fast == slow == shared, (order, mode)
                solved += 1
    assert solved == 4 * 2 * len(MODES)


def test_a_rows_relation_in_closed_form_agrees_with_trying_every_placement() -> None:
    from decimal import Decimal
    from itertools import product

    from gxie.grid.align import _holds, _holds_by_placements

    values = [0, 1, 2, 3, None, Decimal("0.5"), -1]
    for width in range(1, 6):
        for k in range(0, 5):
            for numbers in product(values, repeat=k):
                assert _holds(list(numbers), width) == _holds_by_placements(list(numbers), width), (numbers, width)


def test_a_relation_broken_on_cells_read_by_their_labels_is_the_reports() -> None:
    """Rows with their labels that do not add up: the report's own inconsistency, values kept as printed."""
    report = extract_text(_single_space_report(new_received_total="9"), tagger="rules")
    failed = [c for c in report.checks if c.passed is False]
    assert {c.rule for c in failed} == {"R1_column_identity", "R2_total_column"}
    assert all(c.source_inconsistency for c in failed)
    assert {m.code for m in report.issues} >= {"source_inconsistency"} and "uncertain_reading" not in {
        m.code for m in report.issues
    }
    assert report.cell("section3.new_received.total").value == 9


def test_a_relation_broken_on_cells_placed_by_order_is_an_uncertain_reading() -> None:
    """The same numbers with no row labels: gxie placed them by the format's order, so a relation they
    break may be its own misplacement; it says so (uncertain_reading) and none of those cells is trusted."""
    text = _single_space_report()
    for r in T2021.section3.rows:
        text = text.replace(r.label + " ", "", 1)
    report = extract_text(text.replace("3 1 0 0 0 0 4", "3 1 0 0 0 0 9", 1), tagger="rules")
    failed = [c for c in report.checks if c.passed is False]
    assert failed and not any(c.source_inconsistency for c in failed)
    assert "uncertain_reading" in {m.code for m in report.issues}
    assert "source_inconsistency" not in {m.code for m in report.issues}
    assert all(report.cell(k).confidence < 0.8 for c in failed for k in c.cells)


def test_a_labels_tail_alone_after_an_empty_line_stays_with_its_label() -> None:
    """OCR text puts an empty line between lines; a label's last character wrapped onto a line of its own
    (here misread as ``星``) must not hide the label from the numbers after it, or the numbers go to the
    next row's label, with the relations holding all the same (new plus carried over is symmetric)."""
    text = (
        "一、本年新收政府信息公开申请数\n\n星\n\n5 |0  0  0  0  0  5\n\n\n"
        "二、上年结转政府信息公开申请数\n\n星\n\n"
        "(一) 予以公开\n\n3  0  0  0  0  0  3\n\n"
        "(二) 部分公开(区分处理的，只计这一情形，不计其他情形)\n\n2  0  0  0  0  0  2\n"
    )
    tags = [(t.kind, t.text) for t in tokens(text, [], 0, len(text)) if t.kind == "label"]
    assert tags[:2] == [("label", "一、本年新收政府信息公开申请数星"), ("label", "二、上年结转政府信息公开申请数星")]
    cells = decode(text, "section3")
    assert row(cells, "section3", "new_received", S3_COLS) == [5, 0, 0, 0, 0, 0, 5]
    carried = [cells.get(f"section3.carried_over.{c}") for c in S3_COLS]
    assert all(c is None or (c.value is None and c.span is None) for c in carried)


def test_a_row_placed_by_its_options_keeps_no_cell_of_an_option_it_did_not_take() -> None:
    """pdftotext's default mode prints a sparse row of the grid as its numbers alone (``1`` and ``1``: one
    applicant column and the total, which column is lost). The row's options are the numbers left to right
    (two cells) and the placements that make the total add up (every cell, blanks included); trying the
    second and then taking the first must not leave the second's cells behind, which gave one number to
    two cells."""
    rows = ["一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "(一)予以公开"]
    text = "".join(f"{label}\n\n1\n\n1\n\n" for label in rows) + "(七)总计\n\n2\n\n2\n\n四、结转下年度继续办理\n"
    cells = decode(text, "section3")
    spans = [c.span for c in cells.values() if c.span is not None and c.span[1] > c.span[0]]
    assert spans and len(spans) == len(set(spans))
    assert all(c.confidence < TRUSTED for c in cells.values() if c.row in ("new_received", "carried_over"))


def test_a_group_label_and_its_first_rows_label_right_of_the_rows_numbers() -> None:
    """Labels printed right of their numbers (PDF text, the label column last): ``（六）其他处理`` and its first
    row's label ``1.申请人…`` stand on one line after that row's numbers. The numbers are the first row's,
    not the group label's (which holds no cell of the 2021 format)."""
    lines = []
    values = {}
    given = ("new_received", "granted", "other_no_correction")
    for k, r in enumerate(T2021.section3.rows):
        parts = [k, 1, 0, 0, 0, 0] if r.id in given else [0, 0, 0, 0, 0, 0]
        values[r.id] = [*parts, sum(parts)]
    values["total_processed"] = [a + b for a, b in zip(values["granted"], values["other_no_correction"], strict=True)]
    values["carried_over"] = [0] * 7
    values["new_received"] = list(values["total_processed"])
    group_and_row = "（六）其他处理  1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"
    for r in T2021.section3.rows:
        label = r.label if r.id != "other_no_correction" else group_and_row
        lines.append("     ".join(str(v) for v in values[r.id]) + "    " + label)
    cells = decode("\n".join(lines) + "\n", "section3")
    for r in T2021.section3.rows:
        assert row(cells, "section3", r.id, S3_COLS) == values[r.id], r.id
    assert all(c.confidence >= TRUSTED for c in cells.values() if c.row == "other_no_correction")


def test_row_labels_all_before_too_few_values_are_doubted() -> None:
    """Section 四's three row labels printed together, then five numbers: the labels printed as a column and
    the first row's numbers after it, or two rows printed blank (blank cells dropped) and the last row's
    numbers after its label. The text cannot say which; no cell of those rows is trusted."""
    text = "结果维持 结果纠正 其他结果 尚未审结 总计\n行政复议\n未经复议直接起诉\n复议后起诉\n2\n1\n2\n1\n6\n"
    cells = decode(text, "section4")
    assert [c.value for c in cells.values() if c.span is not None and c.span[1] > c.span[0]] == [2, 1, 2, 1, 6]
    assert all(c.confidence < TRUSTED for c in cells.values())


def test_a_row_printed_blank_between_rows_with_numbers_keeps_its_trust() -> None:
    """The same row labels with numbers between them: the row with no numbers was printed blank, and the
    others' numbers stand after their own labels."""
    text = "结果维持 结果纠正 其他结果 尚未审结 总计\n行政复议\n2 1 2 1 6\n未经复议直接起诉\n复议后起诉\n1 0 0 0 1\n"
    cells = decode(text, "section4")
    assert row(cells, "section4", "review", S4_COLS) == [2, 1, 2, 1, 6]
    assert row(cells, "section4", "litigation_direct", S4_COLS) == [None] * 5
    assert row(cells, "section4", "litigation_after_review", S4_COLS) == [1, 0, 0, 0, 1]
    assert all(c.confidence >= TRUSTED for c in cells.values() if c.row != "litigation_direct")


def test_a_one_cell_rows_number_run_into_its_label_with_nothing_after_it() -> None:
    """Section 二's one-cell rows with their separator lost (``行政强制49``, ``行政事业性收费14.41``): the
    number is the row's, not a part of its label; a label ending in digits of no row stays a label."""
    text = (
        "第二十条第(六)项\n信息内容\t本年处理决定数量\n行政处罚\t1162\n行政强制49\n"
        "第二十条第(八)项\n信息内容\t本年收费金额(单位:万元)\n行政事业性收费14.41\t\t\n"
    )
    cells = decode(text, "section2")
    assert cells["section2.punishment.decisions"].value == 1162
    assert cells["section2.coercion.decisions"].value == 49
    assert cells["section2.fees.amount_10k_yuan"].value == 14.41
    assert [t.text for t in tokens("本机关共2020\n", [], 0, 13) if t.kind == "value"] == []


def test_a_pipe_row_with_a_rows_numbers_among_padding_cells() -> None:
    """markitdown's table of a PDF page: a row's seven numbers spread over twelve ``|`` fields, two numbers
    in some fields. The blank fields are no cells of the row: seven numbers fill it."""
    text = (
        "|  |  | 1. 本机关不掌握相关政府信息 |  | 3 1 |  | 0 | 0 |  | 0 0 |  | 4 |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        "|  |  | 2. 没有现成信息需要另行制作 |  | 0 2 |  | 0 | 0 |  | 0 0 |  | 2 |\n"
    )
    t = T2021
    cells = doubt(read_table(t, "section3", tokens(text, [], 0, len(text), region_cells(text, 0, len(text), 7)), {}))
    assert row(cells, "section3", "unable_not_held", S3_COLS) == [3, 1, 0, 0, 0, 0, 4]
    assert row(cells, "section3", "unable_needs_creation", S3_COLS) == [0, 2, 0, 0, 0, 0, 2]


def test_a_unit_after_a_number_inside_a_labels_open_bracket_stays_with_the_number() -> None:
    """A wrapped label's bracket closes on the next line (``政府集中采购(以…采购 0 7.65 万元`` / ``的项目)``):
    the 万元 after the amount is its unit, not label text, so the amount is 76,500 元."""
    text = "第二十条第(九)项\n信息内容 采购项目数量 采购总金额\n"
    text += "政府集中采购(以政府集中采购方式采购 0 7.65 万元\n的项目)\n"
    assert [(t.kind, t.text) for t in tokens(text, [], 0, len(text)) if t.kind == "value"] == [
        ("value", "0"),
        ("value", "7.65 万元"),
    ]
    cells = decode(text, "section2", "2019")
    assert row(cells, "section2", "procurement", ["items", "total_amount"]) == [0, 76500]


def test_a_pipe_row_whose_numbers_fill_its_own_row_keeps_no_padding_blanks() -> None:
    """markitdown prints each small table of section 二 as a ``|`` table of its own, with padding columns
    and no header row to find them by: a row whose label names procurement and whose two numbers fill its
    two cells keeps none of its blank fields. Without the rows' widths, the blank next to 5 is taken and
    the amount left out; that blank is then below the trust bar, not a trusted empty cell."""
    text = (
        "第二十条第(八)项\n| 信息内容 |  | 上一年项目数量 |  | 本年增/减 |  |  |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n"
        "| 行政事业性收费 |  | 6 |  | 0 |  |  |\n"
        "第二十条第(九)项\n| 信息内容 |  | 采购项目数量(以集中采购方 |  | 采购总金额(已支付金额) |  |  |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n式采购的项目个数)\n"
        "| 政府集中采购(以政府集中采 |  | 5 |  | 5619130元 |  |  |\n| --- | --- | --- | --- | --- | --- | --- |\n"
        "购方式采购的项目)\n"
    )
    t = T2019
    keys = ["items", "total_amount"]
    widths = {r.id: len(b.columns) for b in t.blocks if b.table == "section2" for r in b.rows}
    region = region_cells(text, 0, len(text), 3, widths)
    cells = doubt(read_table(t, "section2", tokens(text, [], 0, len(text), region), {}))
    assert row(cells, "section2", "procurement", keys) == [5, 5619130]
    assert cells["section2.procurement.total_amount"].confidence >= TRUSTED
    plain = doubt(read_table(t, "section2", tokens(text, [], 0, len(text), region_cells(text, 0, len(text), 3)), {}))
    assert row(plain, "section2", "procurement", keys) == [5, None]
    assert plain["section2.procurement.total_amount"].confidence < TRUSTED


def test_a_tab_row_with_a_spare_empty_field_keeps_its_trust() -> None:
    """Tab-separated rows (gxie's own OCR of a ruled table, a word processor's table) keep each field in its
    column: a spare empty field after a row's seven cells is the table's, not a sign the row could stand one
    field off as a markitdown ``|`` row could. The rows stay trusted."""
    text = (
        "1.属于国家秘密\t0\t0\t0\t0\t0\t0\t0\t\n"
        "2.其他法律行政法规禁止公开\t0\t0\t0\t0\t0\t\t0\t\n"
        "3.危及“三安全一稳定”\t0\t0\t0\t0\t0\t0\t0\t\n"
    )
    stream = tokens(text, [], 0, len(text), region_cells(text, 0, len(text), 7))
    cells = doubt(read_table(T2021, "section3", stream, {}))
    row2 = [cells[f"section3.denied_law_forbidden.{c}"] for c in S3_COLS]
    assert [c.value for c in row2] == [0, 0, 0, 0, 0, None, 0]
    assert min(c.confidence for c in row2) >= TRUSTED


_RULE = "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"


@pytest.mark.parametrize(
    ("text", "sure_row"),
    [
        (
            "| 1.属于国家秘密 |  | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n" + _RULE
            + "| 2.其他法律行政法规禁止公开 |  | 0 | 0 | 0 | 0 | 0 |  |  |\n" + _RULE
            + "| 3.危及“三安全一稳定” |  | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n" + _RULE,
            "denied_state_secret",
        ),
        (
            "| (三)不予公开 | 1.属于国家秘密 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n" + _RULE
            + "| 2.其他法律行政法规禁止公开 |  | 0 | 0 | 0 | 0 | 0 |  |  |\n"
            + "| 3.危及“三安全一稳定” |  | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n",
            "denied_three_safeties_one_stability",
        ),
    ],
    ids=["each row a table of its own", "one table with a header row"],
)  # fmt: skip
def test_a_pipe_row_whose_empty_fields_could_shift_is_not_trusted(text: str, sure_row: str) -> None:
    """markitdown prints a PDF table's rows as ``|`` rows, each a table of its own (a rule line after each)
    or one table whose rows moved a label into the group column (``| 2.其他法律… |  | 0 | 0 | 0 | 0 | 0 |
    |  |``). A row with five zeros among eight fields after its label could have its blank cells on the
    left or on the right: nothing says which empty field is its label's padding, so its cells stay below
    the trust bar. A row whose seven fields are all numbers is not in doubt."""
    stream = tokens(text, [], 0, len(text), region_cells(text, 0, len(text), 7))
    cells = doubt(read_table(T2021, "section3", stream, {}))
    shifty = [cells[f"section3.denied_law_forbidden.{c}"] for c in S3_COLS]
    assert [c.value for c in shifty] == [0, 0, 0, 0, 0, None, None]
    assert max(c.confidence for c in shifty) < TRUSTED
    assert min(cells[f"section3.{sure_row}.{c}"].confidence for c in S3_COLS) >= TRUSTED


def test_a_look_alike_zero_after_a_number_run_into_a_label_is_a_value_and_a_caption_ends_no_label() -> None:
    """``行政强制1 O 1`` (noisy OCR text, cells one space apart): the O is the row's second cell, not part
    of its label; and the 第二十条 caption on the next line starts the next table, it is no wrapped end of
    the label (joined, it made its trailing spaces two blank cells of the row, read as a full row)."""
    text = "行政强制1 O 1\n第二十条第（八）项    \n信息内容  上一年项目数量 本年增减\n行政事业性收费 l  0\n"
    stream = tokens(text, [], 0, len(text))
    assert [(t.kind, t.text) for t in stream[:4]] == [
        ("label", "行政强制"),
        ("value", "1"),
        ("value", "O"),
        ("value", "1"),
    ]
    assert stream[2].score <= OCR_LOOKALIKE_SCORE
    assert not any(t.kind == "label" and "第二十条" in t.text and "行政强制" in t.text for t in stream)


def test_an_untagged_number_with_look_alike_digits_is_a_value_it_is_less_sure_of() -> None:
    """``72.3I 万`` that no tagger marked: two digits and more make it a number (an amount whose last digit
    came out as I), below trust."""
    text = "政府集中采购\t——\t72.3I 万\t\n"
    values = [t for t in tokens(text, [], 0, len(text)) if t.kind == "value"]
    assert [(t.text, t.score <= OCR_LOOKALIKE_SCORE) for t in values] == [("——", False), ("72.3I 万", True)]
    text = "信息内容\tIO\t采购总金额\n"  # a whole cell of look-alikes alone: a number too, as unsure
    assert [(t.text, t.score) for t in tokens(text, [], 0, len(text)) if t.kind == "value"] == [
        ("IO", OCR_LOOKALIKE_SCORE)
    ]
