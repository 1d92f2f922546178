"""Rows whose blank cells were counted from spaces on a line that shows OCR or an NBSP blank are not trusted
(``gxie.grid.spaced_rows``)."""

from __future__ import annotations

import pytest

from gxie import extract_text
from gxie.grid.spaced_rows import doubt_spaced_rows, unreliable_spacing
from gxie.templates import load_template
from gxie.text.normalize import normalize
from gxie.types import Cell

T2021 = load_template("2021")
S3_COLS = [c.id for c in T2021.section3.columns]


@pytest.mark.parametrize(
    ("line", "unreliable"),
    [
        ("一、本年新收政府信息公开申请数量    ０  0\xa0     0  ０  ", True),  # full-width beside ASCII, NBSP blank
        ("(一)予以公开  ０  ０      ０  ０", False),  # every digit full-width: one font, spacing kept
        ("(一)予以公开  3  1      0  4", False),  # a plain export: two spaces a tab
        ("(一)予以公开  3  o      0  3", True),  # a 0 read as o
        ("(一)予以公开  3  1\xa0     0  4", True),  # a blank cell printed as NBSP, made a space by normalizing
        ("(一)予以公开\t3\t\t0\t0\t3", False),  # tabs: fields, not spaces
        ("| (一)予以公开 | ０ | 0 | | 0 |", False),  # a pipe row: fields
    ],
)
def test_unreliable_spacing(line: str, unreliable: bool) -> None:
    assert unreliable_spacing(line) is unreliable


def _report(new_received: str) -> str:
    """A 2021 report whose section 三 rows are cells joined by two spaces (a text export of tabs), blank
    cells as a longer run; every row zero or blank, so each relation holds however blanks are placed."""
    rows = []
    for r in T2021.section3.rows:
        cells = new_received if r.id == "new_received" else "0  0  0  0  0  0  0"
        rows.append(f"{r.label}  {cells}")
    return (
        "某某市某某局2023年政府信息公开工作年度报告\n一、总体情况\n本局依法公开政府信息。\n"
        "二、主动公开政府信息情况\n第二十条第(一)项\n信息内容  本年制发件数  本年废止件数  现行有效件数\n"
        "规章  0  0  0\n行政规范性文件  3  1  20\n第二十条第(五)项\n信息内容  本年处理决定数量\n行政许可  120\n"
        "第二十条第(六)项\n信息内容  本年处理决定数量\n行政处罚  15\n行政强制  2\n"
        "第二十条第(八)项\n信息内容  本年收费金额(单位:万元)\n行政事业性收费  0\n"
        "三、收到和处理政府信息公开申请情况\n申请人情况  自然人  法人或其他组织  总计\n" + "\n".join(rows) + "\n"
        "四、政府信息公开行政复议、行政诉讼情况\n行政复议  行政诉讼\n结果维持  结果纠正  其他结果  尚未审结  总计\n"
        "0  0  0  0  0  1  0  0  0  1  0  0  0  0  0\n"
        "五、存在的主要问题及改进情况\n无。\n六、其他需要报告的事项\n无。\n"
    )


def test_a_row_whose_blank_was_printed_as_nbsp_among_ocr_digits_is_not_trusted() -> None:
    """The row is blank, 0, 0, blank, 0, 0, blank; OCR printed two of its zeros full-width and its fourth
    cell as an NBSP with a stray space after it. Normalized, the NBSP is a space: the gap after the second
    0 counts two blanks, and the row reads blank, 0, 0, blank, blank, 0, 0. Every relation holds on zeros,
    so nothing else doubts it: the row's cells must not be trusted (they were, at 0.9 and 1.0)."""
    report = extract_text(_report("    ０  0\xa0     0  ０  ").replace("申请数量  ", "申请数量", 1), tagger="rules")
    flat = report.to_flat()
    assert [flat[f"section3.new_received.{c}"] for c in S3_COLS] == [None, 0, 0, None, None, 0, 0]  # misread
    trusted = {c.key for c in report.trusted_cells}
    assert not any(f"section3.new_received.{c}" in trusted for c in S3_COLS)
    assert f"section3.carried_over.{S3_COLS[0]}" in trusted  # the clean rows keep their trust


def test_a_plain_two_space_row_with_a_blank_keeps_its_trust() -> None:
    report = extract_text(_report("0  0  0    0  0  0"), tagger="rules")
    flat = report.to_flat()
    assert [flat[f"section3.new_received.{c}"] for c in S3_COLS] == [0, 0, 0, None, 0, 0, 0]
    trusted = {c.key for c in report.trusted_cells}
    assert all(f"section3.new_received.{c}" in trusted for c in S3_COLS)


def test_cells_of_other_rows_and_values_keep_their_confidence() -> None:
    """Only the rows with a spaced blank on an unreliable original line are capped."""
    norm = normalize("甲  ０  0\xa0   0\n乙  1    2\n")
    blank = Cell("section3", "a", "x", None, "", (6, 6), 0.9)
    value = Cell("section3", "a", "y", 0, "0", (3, 4), 1.0)
    other = Cell("section3", "b", "x", None, "", (16, 16), 0.9)
    out = doubt_spaced_rows(norm, {"a.x": blank, "a.y": value, "b.x": other})
    assert (out["a.x"].confidence, out["a.y"].confidence, out["b.x"].confidence) == (0.85, 0.85, 0.9)
