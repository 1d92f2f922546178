"""Which format a report follows, decided from its tables; the report's year weighs in only where they
say little. Hand-made texts (labels are the formats' wording, numbers invented)."""

from __future__ import annotations

from gxie import extract_text


def _report(year: int, section2: str, section3: str = "") -> str:
    """A report whose section 二 prints each row's numbers before its label (pdfplumber's text of a table
    whose labels stand in its last column) under header cells wrapped past recognition."""
    return (
        f"某某县某某局{year}年政府信息公开工作年度报告\n一、总体情况\n本局依法公开政府信息。\n"
        "二、主动公开政府信息情况\n" + section2 + "三、收到和处理政府信息公开申请情况\n"
        "3 0 0 0 0 0 3 一、本年新收政府信息公开申请数量\n0 0 0 0 0 0 0 二、上年结转政府信息公开申请数量\n"
        + section3
        + "四、政府信息公开行政复议、行政诉讼情况\n0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n五、存在的主要问题及改进情况\n无。\n"
    )


WRAPPED_2021 = (
    "第二十条第(一)项\n本年制发件 本年废止件 现行有效件 信息内容\n数 数 数\n1 0 1 规章\n2 1 2 行政规范性文件\n"
    "第二十条第(五)项\n本年处理决 信息内容\n定数量\n231 行政许可\n0 其他对外管理服务事项\n"
    "第二十条第(八)项\n本年收费金 信息内容\n额\n0 行政事业性收费\n"
)


def test_a_local_row_of_one_cell_is_no_evidence_of_the_2019_format() -> None:
    """其他对外管理服务事项 is a row of the 2019 format only, but many 2021 reports keep it as a local
    row of one cell; with no header read, it no longer decides for 2019 (it did, at confidence 1.0), and
    the report's year (2023) weighs in."""
    report = extract_text(_report(2023, WRAPPED_2021), tagger="rules")
    assert report.template == "2021"
    flat = report.to_flat()
    assert [flat[f"section2.normative_documents.{c}"] for c in ("issued", "repealed", "in_force")] == [2, 1, 2]
    assert flat["section2.licensing.decisions"] == 231


def test_the_year_does_not_outweigh_the_tables() -> None:
    """Headers of the 2019 format and the 2019 row with its three cells: a 2019 report, whatever its year
    says (the year weighs only where the tables say little)."""
    section2 = (
        "第二十条第(一)项\n信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量\n规章\t1\t0\t1\n规范性文件\t2\t1\t2\n"
        "第二十条第(五)项\n信息内容\t上一年项目数量\t本年增/减\t处理决定数量\n行政许可\t5\t1\t231\n"
        "其他对外管理服务事项\t0\t0\t0\n"
    )
    assert extract_text(_report(2023, section2), tagger="rules").template == "2019"


def test_header_words_on_a_line_of_cells_joined_by_one_space_count() -> None:
    """pypdf joins a header row's cells with one space (``信息内容 本年新制作数量 本年新公开数量 …``): the
    line is one header item that names no single column, yet its words are the 2019 format's. With a
    2021-only row label in section 三 (``3.其他``) and a 2019-only one in section 二 (政府集中采购) the
    rows tie, and the header words decide, not the report's year (2021)."""
    section2 = (
        "第二十条第(一)项\n信息内容 本年新制作数量 本年新公开数量 对外公开总数量\n规章 1 1 1\n规范性文件 0 0 21\n"
        "第二十条第(五)项\n信息内容 上一年项目数量 本年增/减 处理决定数量\n行政许可 5 2 0\n"
        "第二十条第(九)项\n信息内容 采购项目数量 采购总金额\n政府集中采购 0 0\n"
    )
    report = extract_text(_report(2021, section2, "(六)其他处理\n3.其他\t0\t0\t0\t0\t0\t0\t0\n"), tagger="rules")
    assert report.template == "2019"
    assert report.to_flat()["section2.normative_documents.total_published"] == 21
