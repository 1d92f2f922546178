"""Bare page numbers next to a running header are page furniture, never a cell (``text.cells.page_number_lines``)."""

from __future__ import annotations

from gxie import extract_text
from gxie.templates import load_template
from gxie.text.cells import page_number_lines

T2019 = load_template("2019")
S3_COLS = [c.id for c in T2019.section3.columns]
TITLE = "某某区某某局2020年政府信息公开工作年度报告"


def test_bare_numbers_counting_up_before_the_repeated_title_are_page_numbers() -> None:
    text = f"{TITLE}\n正文\n规章 0 0 0\n5\n\n\n\n{TITLE}\n规范性文件 1 0 1\n6\n{TITLE}\n行政许可 9\n"
    assert page_number_lines(text) == {3, 9}


def test_bare_numbers_after_a_running_header_that_says_report() -> None:
    text = "首页\n某某局年度报告（续）\n7\n规章 0 0 0\n某某局年度报告（续）\n8\n"
    assert page_number_lines(text) == {2, 5}


def test_numbers_beside_other_repeated_lines_or_not_counting_up_are_cells() -> None:
    # a short label printed three times (section 四's 结果维持); a year; a table's last number at the foot
    # of a page with no page number, the next page's header after it
    text = f"{TITLE}\n结果维持\n3\n结果维持\n4\n结果维持\n行政事业性收费\n12\n{TITLE}\n2024\n\n{TITLE}\n"
    assert page_number_lines(text) == set()


def _report() -> str:
    """A 2019 report as pdftotext -layout prints a Word table: space-aligned rows, page breaks inside
    section 三 after the row 4.保护第三方合法权益, whose social-welfare cell is blank, and after
    2.重复申请. Each page number stands alone on its line, then the running header (the report's title)."""
    rows = []
    for r in T2019.section3.rows:
        cells = (
            "0       0       0               0   0     0" if r.id == "denied_third_party_rights" else "  ".join("0" * 7)
        )
        rows.append(f"{r.label}    {cells}")
        if r.id in ("denied_third_party_rights", "not_processed_repeated"):
            rows.append(f"{5 if r.id == 'denied_third_party_rights' else 6}\n\n\n\n{TITLE}")
    return (
        f"{TITLE}\n一、总体情况\n本局依法公开政府信息。\n二、主动公开政府信息情况\n"
        "第二十条第(一)项\n信息内容  本年新制作数量  本年新公开数量  对外公开总数量\n"
        "规章  0  0  0\n规范性文件  1  0  1\n"
        "三、收到和处理政府信息公开申请情况\n申请人情况  自然人  法人或其他组织  总计\n" + "\n".join(rows) + "\n"
        "四、政府信息公开行政复议、行政诉讼情况\n行政复议  行政诉讼\n结果维持  结果纠正  其他结果  尚未审结  总计\n"
        "0  0  0  0  0  0  0  0  0  0  0  0  0  0  0\n"
        "五、存在的主要问题及改进情况\n无。\n六、其他需要报告的事项\n无。\n"
    )


def test_a_page_number_after_a_row_is_not_its_total() -> None:
    """Read as the row's next cell, the 5 made the row's total 5 and moved its 0s one cell left, and the
    report was said not to add up (a relation failing on cells read surely: the source's)."""
    report = extract_text(_report(), tagger="rules")
    flat = report.to_flat()
    assert flat["section3.denied_third_party_rights.total"] != 5
    assert not any(c.source_inconsistency for c in report.checks)
    assert all(v not in (5, 6) for k, v in flat.items() if k.startswith("section3."))


def test_a_centred_bare_number_among_cells_one_a_line_is_a_page_number() -> None:
    """A table printed one cell a line, flush left, with a page's number centred between two of its lines
    (no running header, no other page's number): page furniture. It had been read as the row's total, and
    gxie said the report did not add up (typical report 33333-168). A number indented beside indented or
    spaced lines (pdftotext -layout columns, a label's wrapped line) is not taken for one."""
    cells = ["(二)部分公开", *["0"] * 6, " " * 30 + "2", "(三)不予公开", "1.属于国家秘密", "0"]
    assert page_number_lines("\n".join(cells) + "\n") == {7}
    spaced = ["(一)予以公开        2  0  0", " " * 30 + "2", "(二)部分公开        0  0  0"]
    assert page_number_lines("\n".join(spaced) + "\n") == set()
    indented = ["   0", " " * 30 + "2", "   0"]
    assert page_number_lines("\n".join(indented) + "\n") == set()
    near = ["0", " " * 4 + "2", "0"]  # indented a little: a cell
    assert page_number_lines("\n".join(near) + "\n") == set()
