"""Section 二's columns printed inside section 三's text (as pdftotext without -layout and pdfminer print a
page of stacked tables): each goes back to the first column of section 二 that no reading found and whose
header it is; a block that does not fill that column's rows one for one gives it nothing.

Texts are written here (the formats' own labels, invented numbers)."""

from __future__ import annotations

from gxie import extract_text
from gxie.confidence import TRUSTED
from gxie.templates import load_template

T = load_template("2019")
S2 = [b for b in T.blocks if b.table == "section2"]
S3_ROWS = T.section3.rows


def _report(blocks: str) -> str:
    """Section 二's tables with only their first column in place, then section 三's heading, the stray
    ``blocks``, section 三's table and section 四."""
    s2 = ""
    for b in S2:
        s2 += f"{b.caption}\n信息内容\n{b.columns[0].label}\n"
        s2 += "".join(f"{r.label}\n{_first(r.id)}\n" for r in b.rows)
    s3 = "申请人情况 自然人 法人或其他组织 总计\n"
    s3 += "".join(f"{r.label}  0  0  0  0  0  0  0\n" for r in S3_ROWS)
    return (
        "某某县某某局2019年政府信息公开工作年度报告\n一、总体情况\n本局依法公开政府信息。\n"
        f"二、主动公开政府信息情况\n{s2}三、收到和处理政府信息公开申请情况\n{blocks}{s3}"
        "四、政府信息公开行政复议、行政诉讼情况\n行政复议 行政诉讼\n结果维持 结果纠正 其他结果 尚未审结 总计\n"
        "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n五、存在的主要问题及改进情况\n无。\n六、其他需要报告的事项\n无。\n"
    )


def _first(row: str) -> int:
    return 1 + [r.id for b in S2 for r in b.rows].index(row)


def _stray(values: dict[tuple[int, int], list[object]]) -> str:
    """Blocks ``(table index, column index) -> numbers`` in the order pdftotext prints them: each table's
    second column, then each table's third."""
    order = sorted(values, key=lambda k: (k[1], k[0]))
    return "".join(f"{S2[b].columns[c].label}\n" + "".join(f"{v}\n" for v in values[(b, c)]) for b, c in order)


def test_stray_columns_go_back_to_section_2_and_not_to_section_3() -> None:
    values = {(0, 1): [21, 22], (0, 2): [23, 24], (1, 1): [-2, 25], (1, 2): [26, 27], (2, 1): [28, 29],
              (2, 2): [30, 31], (3, 1): [32], (4, 1): [33]}  # fmt: skip
    report = extract_text(_report(_stray(values)), tagger="rules")
    cells = {c.key: c for c in report.cells}
    for (b, c), numbers in values.items():
        keys = [f"section2.{r.id}.{S2[b].columns[c].id}" for r in S2[b].rows]
        assert [cells[k].value for k in keys] == numbers, keys
        assert all(0.8 <= cells[k].confidence < TRUSTED for k in keys)  # placed by header and order: review
    for b in S2:
        for r in b.rows:
            assert cells[f"section2.{r.id}.{b.columns[0].id}"].value == _first(r.id)
    assert all(c.value == 0 for c in report.cells if c.table in ("section3", "section4"))


def test_a_block_that_does_not_fill_its_column_leaves_it_unread() -> None:
    """(五)'s third column printed with three numbers for its two rows (a local extra row): it takes none
    of them, and the next block of that header still goes to (六), not to (五)."""
    values = {(1, 2): [26, 27, 99], (2, 2): [30, 31]}
    report = extract_text(_report(_stray(values)), tagger="rules")
    cells = {c.key: c for c in report.cells}
    assert all(f"section2.{r.id}.decisions" not in cells for r in S2[1].rows)
    assert [cells[f"section2.{r.id}.decisions"].value for r in S2[2].rows] == [30, 31]


def test_stray_columns_printed_before_section_2s_heading_go_back_too() -> None:
    """pdfminer can print the blocks before section 二's heading, after section 一's prose."""
    values = {(0, 1): [21, 22], (0, 2): [23, 24], (4, 1): [33]}
    text = _report("").replace("二、主动公开政府信息情况\n", _stray(values) + "二、主动公开政府信息情况\n")
    report = extract_text(text, tagger="rules")
    cells = {c.key: c for c in report.cells}
    for (b, c), numbers in values.items():
        assert [cells[f"section2.{r.id}.{S2[b].columns[c].id}"].value for r in S2[b].rows] == numbers
