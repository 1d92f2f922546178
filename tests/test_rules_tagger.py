"""The rules tagger on hand-made lines: OCR look-alikes of digits in table cells, and a row label with its
number run into it."""

from __future__ import annotations

import pytest

from gxie import extract_text
from gxie.confidence import OCR_LOOKALIKE_SCORE, TRUSTED
from gxie.tagging.rules import RulesTagger
from gxie.templates import load_template
from gxie.text.normalize import normalize

T2021 = load_template("2021")


def tags(text: str) -> list[tuple[str, str, float]]:
    return [(s.label, s.text, s.score) for s in RulesTagger().tag(text)]


def test_a_table_cell_of_ocr_look_alikes_is_a_number_it_is_less_sure_of() -> None:
    got = tags("2.重复申请\t0\to\t0\tO\t1\t〇\t1\n")
    assert [t for t in got if t[0] == "NUM"] == [
        ("NUM", "0", 1.0),
        ("NUM", "o", OCR_LOOKALIKE_SCORE),
        ("NUM", "0", 1.0),
        ("NUM", "O", OCR_LOOKALIKE_SCORE),
        ("NUM", "1", 1.0),
        ("NUM", "〇", OCR_LOOKALIKE_SCORE),
        ("NUM", "1", 1.0),
    ]


def test_a_lone_l_is_a_number_only_as_a_tab_field() -> None:
    """``l`` alone may be a ruling line on a line of spaced cells; a tab field is no ruling line."""
    assert ("NUM", "l", OCR_LOOKALIKE_SCORE) in tags("规章\t0\tl\t1\n")
    assert not [t for t in tags("规章  0  l  1\n") if t[1] == "l"]
    assert not [t for t in tags("本机关公开信息o条。\n") if t[0] == "NUM"]  # prose: no cell


def test_a_row_label_with_its_number_run_into_it_gives_both() -> None:
    assert tags("行政强制49\n") == [("ROW", "行政强制", 1.0), ("NUM", "49", 1.0)]
    assert tags("行政事业性收费14.41\t\t\n") == [("ROW", "行政事业性收费", 1.0), ("NUM", "14.41", 1.0)]
    got = tags("3.危及“三安全一稳定”o\t0\t0\t0\t0\t0\t0\n")
    assert got[0][0] == "ROW" and got[1] == ("NUM", "o", OCR_LOOKALIKE_SCORE) and len(got) == 8
    assert [t[0] for t in tags("本机关共2020\n")] == []  # digits after words that name no row: no cell


def _report_with_ocr_zeros() -> tuple[str, dict[str, list[int]]]:
    """A 2021 report whose section 三 is tab rows with empty merged cells around the labels, some zeros read by
    OCR as ``o`` or ``O``. Unread, an ``o`` shifts its row onto the empty cell, and the blank placed there adds
    up like the 0 it stands for."""
    values: dict[str, list[int]] = {r.id: [0] * 7 for r in T2021.section3.rows}
    values["new_received"] = values["granted"] = values["total_processed"] = [3, 1, 0, 0, 0, 0, 4]
    lines = []
    for k, r in enumerate(T2021.section3.rows):
        cells = [str(v) for v in values[r.id]]
        if k % 3 == 1:
            cells = ["o" if c == "0" else c for c in cells]
        if k % 3 == 2:
            cells = ["O" if c == "0" else c for c in cells]
        lines.append("\t".join(["", r.label, "", *cells]))  # an empty merged cell before and after the label
    s3 = "申请人情况\t自然人\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t总计\n" + "\n".join(lines) + "\n"
    text = (
        "某某市某某局2023年政府信息公开工作年度报告\n一、总体情况\n本局依法公开政府信息。\n"
        "二、主动公开政府信息情况\n第二十条第(一)项\n信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n"
        "规章\t0\t0\t0\n行政规范性文件\t3\t1\t20\n"
        f"三、收到和处理政府信息公开申请情况\n{s3}"
        "四、政府信息公开行政复议、行政诉讼情况\n行政复议\t行政诉讼\n结果维持\t结果纠正\t其他结果\t尚未审结\t总计\n"
        "0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\n五、存在的主要问题及改进情况\n无。\n六、其他需要报告的事项\n无。\n"
    )
    return text, values


def test_ocr_zeros_in_tab_rows_end_to_end() -> None:
    text, values = _report_with_ocr_zeros()
    report = extract_text(text, tagger="rules")
    flat = report.to_flat()
    cols = [c.id for c in T2021.section3.columns]
    for r in T2021.section3.rows:
        assert [flat[f"section3.{r.id}.{c}"] for c in cols] == values[r.id], r.id
    assert all(c.passed is not False for c in report.checks)
    assert "decoded_table" not in {m.code for m in report.issues}  # read by its labels, no decoding needed
    ocr = [c for c in report.cells if c.raw in ("o", "O")]
    assert ocr and all(c.value == 0 for c in ocr)
    assert {c.key for c in report.trusted_cells} >= {f"section3.granted.{c}" for c in cols}
    assert all(c.confidence < TRUSTED or c.key in {t.key for t in report.trusted_cells} for c in ocr)


@pytest.mark.parametrize(
    ("cells", "amount_raw", "value"),
    [
        ("9\t597.6I万元", "597.6I万元", 5976100),  # the last digit came out as I
        ("——\t７２．３I 万", "72.3I 万", 723100),  # full-width, a space before the unit
        ("26\xa0\tI75万", "I75万", 1750000),  # its first digit
        ("——\t28o,897元", "28o,897元", 280897),  # a 0 as o, with a thousands comma
    ],
)
def test_an_amount_with_a_look_alike_digit_is_a_number_it_is_less_sure_of(
    cells: str, amount_raw: str, value: int
) -> None:
    """An amount whose digit came out as ``I`` was plain text, and the procurement row's empty last field
    was read as its amount, blank and trusted."""
    got = tags(normalize(f"政府集中采购\t{cells}\t\n").text)  # the tagger reads normalized text
    assert [t for t in got if t[0] == "NUM"][-1] == ("NUM", amount_raw, OCR_LOOKALIKE_SCORE)
    text = (
        "二、主动公开政府信息情况\n第二十条第（九）项\n信息内容\t采购项目数量\t采购总金额\t\n"
        f"政府集中采购\t{cells}\t\n三、收到和处理政府信息公开申请情况\n"
    )
    amount = extract_text(text, tagger="rules", template="2019").cell("section2.procurement.total_amount")
    assert amount is not None and amount.value == value and amount.confidence < TRUSTED


def test_a_lone_l_in_a_markdown_field_is_a_one() -> None:
    """In a Markdown table row a field is delimited by ``|``: a lone ``l`` there is content, a 1 read by OCR
    (a ruling line would be the ``|`` itself); it had been left out and the empty field after it read as
    the row's cell, blank and trusted."""
    got = tags("| 行政处罚 | 0 |  |  |\n| 行政强制 | l |  |  |\n")
    assert [t for t in got if t[0] == "NUM"] == [("NUM", "0", 1.0), ("NUM", "l", OCR_LOOKALIKE_SCORE)]


def test_a_lone_o_between_lines_of_numbers_is_a_zero() -> None:
    """A table printed one cell a line: an ``O`` on its own line next to numbers is a 0 read by OCR, below
    the trust bar; a lone ``l`` there is left alone (it may be a ruling line)."""
    got = tags("（一）予以公开\n\t0\n\t0\n\tO\n\n（二）部分公开\n\tl\n\t0\n")
    assert [t for t in got if t[0] == "NUM"] == [
        ("NUM", "0", 1.0),
        ("NUM", "0", 1.0),
        ("NUM", "O", OCR_LOOKALIKE_SCORE),
        ("NUM", "0", 1.0),
    ]


def test_a_lone_i_opening_a_line_of_cells_is_a_one() -> None:
    """``I  -  -  行政处罚`` (numbers before their label, space-aligned): the line's only lone ``I`` opens it,
    before an empty mark, so it is a cell, a 1 read by OCR; several lone ``l`` between cells are ruling lines
    and stay untagged."""
    got = tags("     I        -        -   行政处罚\n     -       +2        -   行政强制\n")
    assert ("NUM", "I", OCR_LOOKALIKE_SCORE) in got
    ruled = tags("l  0  l  3  l  0  l\n")
    assert [t for t in ruled if t[0] == "NUM"] == [("NUM", "0", 1.0), ("NUM", "3", 1.0), ("NUM", "0", 1.0)]


def test_a_signed_change_with_a_look_alike_digit_is_a_number() -> None:
    """``+l`` (本年增/减 +1 read by OCR) in a table row is a number below the trust bar, not text."""
    got = tags("| 行政强制 | 0 | +l | O |\n")
    assert ("NUM", "+l", OCR_LOOKALIKE_SCORE) in got


def test_a_lone_i_run_into_a_label_is_a_one() -> None:
    """``行政事业性收费I`` then the row's other cells: an ``I`` run into a label is no ruling line (one would
    stand apart), so it is the row's first cell, a 1 below the trust bar; the label is the label alone."""
    got = tags("行政事业性收费I\t0\t\n")
    assert ("ROW", "行政事业性收费", 1.0) in got and ("NUM", "I", OCR_LOOKALIKE_SCORE) in got


def test_a_label_and_its_first_number_in_one_tab_field_split_at_the_space() -> None:
    """``2.重复申请 4``: the label and its first number in one tab field, a space between. Left whole, the
    row read its six other fields from its first column, its total blank, and the report was said not to
    add up."""
    assert tags("\t\t2.重复申请 4\t——\t——\t——\t——\t——\t4\n")[:3] == [
        ("ROW", "2.重复申请", 1.0),
        ("NUM", "4", 1.0),
        ("EMPTY", "——", 1.0),
    ]


def test_a_number_run_into_a_label_after_a_straight_quote_is_split_off() -> None:
    assert tags('3、危及"三安全一稳定"1\t0\t0\t0\t0\t0\tl\n')[:2] == [
        ("ROW", '3、危及"三安全一稳定"', 1.0),
        ("NUM", "1", 1.0),
    ]


def test_lone_zeros_in_a_chain_after_a_number_are_zeros() -> None:
    """A row's last two zeros, one cell a line, both read by OCR (``o`` then ``O``): the second stands beside
    the first, not beside a digit. Left untagged, the row lost its last cell and read a blank first."""
    got = tags("（七）总计\n\t\n\t0\n\t0\n\to\n\tO\n\n四、结转下年度继续办理\n")
    assert [t for t in got if t[0] == "NUM"] == [
        ("NUM", "0", 1.0),
        ("NUM", "0", 1.0),
        ("NUM", "o", OCR_LOOKALIKE_SCORE),
        ("NUM", "O", OCR_LOOKALIKE_SCORE),
    ]
    assert [t for t in tags("规章\n\tO\n\tO\n") if t[0] == "NUM"] == []  # no number beside them: not zeros


def test_an_empty_mark_run_into_a_label_is_an_empty_cell() -> None:
    """``政府集中采购——``: the items cell's empty mark run into the label. Left in the label, the amount
    moved into the items cell and the amount was read blank, trusted."""
    got = tags("| 政府集中采购—— | 1160.3 |  |\n")
    assert got[:3] == [("ROW", "政府集中采购", 1.0), ("EMPTY", "——", 1.0), ("NUM", "1160.3", 1.0)]


def test_a_row_and_its_cells_one_ideographic_space_apart_are_split() -> None:
    """A Word table saved as text with its cells separated by ideographic spaces: normalised, one space
    apart, the whole row was one label (section 三 lost: 161 cells of typical report 19937-048). The label
    and each cell are tagged; a group's misprinted label before the row's own is left out; prose and a label
    with one number one space apart (``重复申请 4`` outside a field) are not split."""
    text = normalize("　一、本年新收政府信息公开申请数量　3　1　0　0　—　0　4\n").text
    assert [(t[0], t[1]) for t in tags(text)] == [
        ("ROW", "一、本年新收政府信息公开申请数量"),
        *[("NUM", v) for v in "3100"],
        ("EMPTY", "—"),
        ("NUM", "0"),
        ("NUM", "4"),
    ]
    misprint = normalize("　（五）不子处理　1.信访举报投诉类申请　0　0　0　0　0　0　0\n").text
    assert [t[:2] for t in tags(misprint)][:2] == [("ROW", "1.信访举报投诉类申请"), ("NUM", "0")]
    assert not [t for t in tags("我局全年受理申请 3 件 2 件\n") if t[0] == "NUM"]
    assert ("NUM", "4", 1.0) not in tags("2.重复申请 4\n")


@pytest.mark.parametrize(
    ("line", "label"),
    [
        ("表2 政府信息公开申请办理情况（2020年度）", "CAP"),
        ("表3 政府信息公开行政复议、行政诉讼情况", "CAP"),
        ("表1：主动公开政府信息情况", "CAP"),
        ("（2） 收到和处理政府信息公开申请情况", "CAP"),
        ("主动公开政府信息情况统计表", "CAP"),
        ("三、收到和处理政府信息公开申请情况", "SEC"),
        ("二、主动公开政府信息情况", "SEC"),
        ("五 存在的主要问题及改进情况", "SEC"),  # numbered with a space for its 、 (typical report 55555-082)
        ("四 政府信息公开行政复议、行政诉讼情况", "SEC"),
        ("三 本年度办理结果", "ROW"),  # a label numbered so stays a label
    ],
)
def test_table_titles_numbered_as_tables_are_captions_and_section_headings_are_not(line: str, label: str) -> None:
    """A table's title numbered as a table (``表2``, ``（2）``), without the year after it, or alone on its line,
    is a caption (it had been nothing without the year: a report headed 三、基本情况 had no section 三); a
    heading numbered as the report's sections stays a section heading."""
    assert [t[0] for t in tags(normalize(line + "\n").text)] == [label]


def test_a_section_three_under_a_table_title_with_ideographic_spaces_is_read() -> None:
    """Section 三 headed only by its table's title (the report's own 三、 is 三、基本情况), its rows' cells one
    ideographic space apart: every cell read, by the rules tagger alone."""
    s3 = T2021.blocks[4]
    lines = ["三、基本情况", "本局依法办理申请。", "表2 政府信息公开申请办理情况（2021年度）", "申请人情况　总计"]
    lines += ["　" + "　".join([row.label, *["1", "0", "0", "0", "0", "0", "1"]]) for row in s3.rows]
    head = ["某某局2021年政府信息公开工作年度报告", "一、总体情况", "本局依法公开。"]
    tail = ["四、政府信息公开行政复议、行政诉讼情况", "无。", "五、存在的主要问题及改进情况", "无。"]
    text = "\n".join([*head, *lines, *tail])
    report = extract_text(text, tagger="rules")
    cells = {c.key: c.value for c in report.cells if c.table == "section3"}
    assert cells == {
        f"section3.{r.id}.{c.id}": v for r in s3.rows for c, v in zip(s3.columns, (1, 0, 0, 0, 0, 0, 1), strict=True)
    }


def test_ocr_laid_cells_one_or_two_spaces_apart_are_split_but_lone_strokes_are_left_alone() -> None:
    """OCR of a tab table lays a row out with one or two spaces between cells and runs a 0 read as ``O`` into
    the label: the label and every cell are tagged (zeros read through look-alikes less sure). A lone ``l``
    or ``I`` among them may be a ruling line: such a cell is left as it was (typical report 19937-002, its
    section 三 rows read as labels holding their numbers: 120 cells lost, now 17)."""
    got = [t for t in tags(normalize("  7.属于行政执法案卷O ０ ０  O ０  ０  o\n").text)]
    assert got == [
        ("ROW", "7.属于行政执法案卷", 1.0),
        ("NUM", "O", OCR_LOOKALIKE_SCORE),
        ("NUM", "0", 1.0),
        ("NUM", "0", 1.0),
        ("NUM", "O", OCR_LOOKALIKE_SCORE),
        ("NUM", "0", 1.0),
        ("NUM", "0", 1.0),
        ("NUM", "o", OCR_LOOKALIKE_SCORE),
    ]
    assert [t[0] for t in tags("| (三)不予公开  属于国家秘密 0 0 0  0 0  0  0|\n")] == ["ROW", *["NUM"] * 7]
    assert [t[0] for t in tags("予以公开  0 0 0  0 o 0  0\n")] == ["ROW", *["NUM"] * 7]
    assert not [t for t in tags("行政许可 l 5 l\n") if t[0] == "NUM"]  # strokes: left to the decoder
    assert not [t for t in tags("予以公开  0 l 0  0\n") if t[1] == "l"]


def test_a_row_label_a_narrow_column_wrapped_is_tagged_in_its_pieces() -> None:
    """pdftotext -layout keeps a narrow label column wrapped: the row's numbers on its first line, which names
    no row by itself (``2、其他法律``), the rest below it in the same column, counted in characters or in display
    columns (a group's label left of it is two columns wide a character). Each piece is a row label (typical
    report 19937-212: section 三 lost, 112 cells, now 7). A label alone on its line is left to the grid, and
    text in another column is no piece of it."""
    pad = " " * 16
    lines = [
        f"{pad}（四）无法提     1、本机关不          0     0     0",
        f"{pad}供               掌握相关政府",
        f"{pad}                 信息",
        f"{pad}                 2、其他法律          0     0     0",
        f"{pad}                 行政法规禁止",
        f"{pad}                 公开",
    ]
    got = [(t[0], t[1]) for t in tags(normalize("\n".join(lines) + "\n").text) if t[0] == "ROW"]
    # the pieces until they name the row (1、本机关不掌握相关政府 does; 信息 is left to the grid)
    assert got == [("ROW", "1、本机关不"), ("ROW", "掌握相关政府"), ("ROW", "2、其他法律"), ("ROW", "行政法规禁止")]
    assert not [t for t in tags("2、其他法律\n行政法规禁止\n公开\n0\n") if t[0] == "ROW" and t[1] == "行政法规禁止"]


def test_a_field_of_strokes_alone_is_an_ocr_read_number_below_trust() -> None:
    """``| 政府集中采购 | ll | 3597989 |``: OCR's 11 in a field of its own (no ruling line stands in a field: the
    field's bars are the rules). Left unread, the amount had moved into the items' cell, trusted (typical
    report 42424-168); read through its look-alikes, it is a number, less sure."""
    got = tags("| 政府集中采购 | ll | 3597989 |  |\n")
    assert got == [("ROW", "政府集中采购", 1.0), ("NUM", "ll", OCR_LOOKALIKE_SCORE), ("NUM", "3597989", 1.0)]
    assert not [t for t in tags("行政许可 ll 5 ll\n") if t[1] == "ll"]  # outside a field: strokes, left alone


def test_a_rows_first_number_one_space_after_its_label_on_a_line_of_cells_is_a_cell() -> None:
    """``1、本机关不掌握相关政府信息 1  1  ⍽ ⍽  ⍽  ⍽ 2`` (a web page's row as text, blank cells NBSPs): the first
    1 stands one space after the label. Taken into the label, the row lost a cell and its blanks, counted
    from the gaps, gave it a total that did not add up: a false "does not add up" verdict (typical report
    78787-291). On a line of more cells a number one space after a row's label is its first cell; a label
    alone on its line with a number one space after it is left as it was (a field of a tab row aside)."""
    got = tags("1、本机关不掌握相关政府信息 1  1  \xa0 \xa0  \xa0  \xa0 2\n")
    assert got[:3] == [("ROW", "1、本机关不掌握相关政府信息", 1.0), ("NUM", "1", 1.0), ("NUM", "1", 1.0)]
    assert got[-1] == ("NUM", "2", 1.0)
    assert tags("2、重复申请 I  \xa0 \xa0 1\n")[0] == ("ROW", "2、重复申请 I", 1.0)  # a stroke: not glued by a space
    assert [t[0] for t in tags("行政许可 5\n")] == ["ROW"]  # alone on its line: as before
