"""Section 四's 15 numbers in the format's order, or a column at a time from a transposed table.

A report may print section 四 transposed: its blocks (行政复议 / 未经复议直接起诉 / 复议后起诉) as rows, the
five results as columns. A converter that dumps that table a column at a time gives three numbers per
column. Read in the format's order they break every block total (R5), and gxie then said the report did
not add up; read column by column every total holds.
"""

from __future__ import annotations

from gxie import extract
from gxie.confidence import TRUSTED
from gxie.types import Document, IssueCode
from tests.handmade import T2021, report_text, section4_in_one_row

BLOCKS = [r.id for r in T2021.section4.rows]  # review, litigation_direct, litigation_after_review
COLUMNS = [c.id for c in T2021.section4.columns]  # maintained, corrected, other, pending, total
GRID = {"review": [4, 1, 7, 0, 12], "litigation_direct": [8, 11, 0, 1, 20], "litigation_after_review": [0] * 5}


def _transposed_by_columns() -> list[str]:
    """The transposed table: its column headers on two lines, the block labels stacked, then the numbers
    a column at a time (maintained of each block, then corrected, ...)."""
    numbers = [GRID[b][j] for j in range(len(COLUMNS)) for b in BLOCKS]
    return [
        "\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计",
        "行政复议",
        "未经复议直接起诉",
        "复议后起诉",
        "",
        *map(str, numbers),
    ]


def _section4(text: str) -> tuple[dict[str, object], set[IssueCode], list[str], float]:
    report = extract(Document(text=text, source="s4.txt", kind="text"), tagger="rules")
    flat = report.to_flat()
    got = {b: [flat[f"section4.{b}.{c}"] for c in COLUMNS] for b in BLOCKS}
    codes = {i.code for i in report.issues}
    messages = [i.message for i in report.issues if i.code is IssueCode.BLOCK_LAYOUT]
    top = max(c.confidence for c in report.cells if c.table == "section4")
    return got, codes, messages, top


def test_a_transposed_section4_dumped_a_column_at_a_time_is_read_by_columns() -> None:
    got, codes, messages, top = _section4(report_text(section4=_transposed_by_columns()))
    assert got == GRID
    assert IssueCode.SOURCE_INCONSISTENCY not in codes
    assert any(m.startswith("section4:") for m in messages)
    assert top < TRUSTED  # the order was a choice: below trust


def test_section4_in_the_formats_order_stays_in_that_order() -> None:
    values = [v for b in BLOCKS for v in GRID[b]]
    got, codes, messages, top = _section4(report_text(section4=section4_in_one_row(values)))
    assert got == GRID and not messages and top >= TRUSTED
    assert IssueCode.SOURCE_INCONSISTENCY not in codes


def test_a_section4_that_adds_up_under_neither_order_keeps_the_formats_and_is_the_reports() -> None:
    values = [4, 1, 7, 0, 13, 8, 11, 0, 1, 20, 0, 0, 0, 0, 0]  # review's total printed 13 for 12
    got, codes, messages, _ = _section4(report_text(section4=section4_in_one_row(values)))
    assert got["review"] == [4, 1, 7, 0, 13] and not messages
    assert IssueCode.SOURCE_INCONSISTENCY in codes


def _block(text: str, block: str) -> tuple[list[object], set[IssueCode], list[str], float]:
    report = extract(Document(text=text, source="s4.txt", kind="text"), tagger="rules")
    flat = report.to_flat()
    codes = {i.code for i in report.issues}
    messages = [i.message for i in report.issues if i.code is IssueCode.BLOCK_LAYOUT]
    top = max(c.confidence for c in report.cells if c.table == "section4" and c.row == block)
    return [flat[f"section4.{block}.{c}"] for c in COLUMNS], codes, messages, top


def test_a_total_printed_before_its_pending_cell_is_read_as_the_total() -> None:
    """行政复议 printed 4 1 7 12 0: its total before 尚未审结 (pdftotext's default mode on a ruled table).
    A pending count above the total is impossible, and swapped the block adds up: read so, below trust."""
    values = [4, 1, 7, 12, 0, 8, 11, 0, 1, 20, 0, 0, 0, 0, 0]
    got, codes, messages, top = _block(report_text(section4=section4_in_one_row(values)), "review")
    assert got == [4, 1, 7, 0, 12]
    assert IssueCode.SOURCE_INCONSISTENCY not in codes
    assert messages == [
        "section4 block review: its total (12) was printed before pending (0): read so, the block adds up"
    ]
    assert top < TRUSTED


def test_a_block_that_adds_up_under_no_swap_stays_the_reports_own() -> None:
    """Pending above the total, but swapped the parts do not add up either: kept as printed, a verdict."""
    values = [4, 1, 7, 13, 0, 8, 11, 0, 1, 20, 0, 0, 0, 0, 0]
    got, codes, messages, _ = _block(report_text(section4=section4_in_one_row(values)), "review")
    assert got == [4, 1, 7, 13, 0] and not messages
    assert IssueCode.SOURCE_INCONSISTENCY in codes


def test_section4_ends_at_a_heading_numbered_with_a_space() -> None:
    """``五 存在的主要问题及改进情况``: a heading numbered with a space for its 、. Section 四 printed one cell a
    line, its blank cells NBSPs, then section 五 and the report's date broken by a line end (``202`` /
    ``3年2月1日``). Without the heading the 202 ran on as section 四's last cell: every block shifted, and
    the report was said not to add up, on cells read surely (typical report 55555-082)."""
    values = [None] * 10 + [1, None, 1, 1, 3]
    section4 = ["\t".join(c.label for b in T2021.blocks[5:] for c in b.columns)]
    section4 += ["\t\xa0" if v is None else f"\t{v}" for v in values]
    text = report_text(section4=section4)
    for number, title in (("四", "政府信息公开行政复议"), ("五", "存在的主要问题"), ("六", "其他需要报告")):
        text = text.replace(f"{number}、{title}", f"{number} {title}")
    text += "某某局\n202\n3年2月1日\n"
    report = extract(Document(text=text, source="spaced-headings.txt", kind="text"), tagger="rules")
    keys = [f"section4.{b}.{c}" for b in BLOCKS for c in COLUMNS]
    assert [report.to_flat()[k] for k in keys] == values
    assert not [m for m in report.issues if m.code == IssueCode.SOURCE_INCONSISTENCY]
