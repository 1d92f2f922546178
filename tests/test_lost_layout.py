"""The ``lost_layout`` warning: a table printed one cell a line whose cells the text cannot place surely gets
one message saying so and what to give gxie instead; a table whose text keeps its layout gets none.

Texts are written here (the formats' own labels, invented numbers)."""

from __future__ import annotations

from gxie import IssueCode, extract_text
from gxie.templates import load_template

T = load_template("2021")
S3_ROWS = T.section3.rows


def _report(section3: str) -> str:
    return (
        "某某市某某局2023年政府信息公开工作年度报告\n一、总体情况\n本局依法公开政府信息。\n"
        "二、主动公开政府信息情况\n第二十条第(一)项\n信息内容 本年制发件数 本年废止件数 现行有效件数\n"
        "规章 0 0 0\n行政规范性文件 3 1 20\n"
        f"三、收到和处理政府信息公开申请情况\n{section3}"
        "四、政府信息公开行政复议、行政诉讼情况\n行政复议 行政诉讼\n结果维持 结果纠正 其他结果 尚未审结 总计\n"
        "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n五、存在的主要问题及改进情况\n无。\n六、其他需要报告的事项\n无。\n"
    )


def _lines(cells: list[int | None]) -> list[str]:
    return [str(v) for v in cells if v is not None]


def test_a_table_one_cell_a_line_with_its_blanks_dropped_gets_the_advice() -> None:
    """Every label on a line of its own, then every row's numbers one a line with the blank cells dropped
    (as pdftotext without -layout prints such a page): the cells cannot be placed surely."""
    rows = {
        r.id: [(k % 3) + 1, None, k % 2 or None, None, None, None, (k % 3) + 1 + k % 2] for k, r in enumerate(S3_ROWS)
    }
    text = "申请人情况\n自然人\n法人或其他组织\n总计\n" + "".join(f"{r.label}\n" for r in S3_ROWS)
    text += "".join(f"{line}\n" for r in S3_ROWS for line in _lines(rows[r.id]))
    report = extract_text(_report(text), tagger="rules")
    advice = [i for i in report.issues if i.code is IssueCode.LOST_LAYOUT]
    assert len(advice) == 1 and advice[0].level == "warning"
    message = advice[0].message
    assert message.startswith("section3: ") and "one cell a line" in message
    assert "Give gxie the original PDF, DOCX or web page" in message and "pdftotext -layout" in message
    assert report.status == "partial"


def test_the_same_table_with_its_layout_kept_gets_none() -> None:
    rows = {r.id: [k % 3 + 1, 0, k % 2, 0, 0, 0, k % 3 + 1 + k % 2] for k, r in enumerate(S3_ROWS)}
    text = "申请人情况 自然人 法人或其他组织 总计\n" + "".join(
        f"{r.label}  {'  '.join(map(str, rows[r.id]))}\n" for r in S3_ROWS
    )
    report = extract_text(_report(text), tagger="rules")
    assert not [i for i in report.issues if i.code is IssueCode.LOST_LAYOUT]
    assert all(c.confidence >= 0.9 for c in report.cells if c.table == "section3")  # every cell read surely
