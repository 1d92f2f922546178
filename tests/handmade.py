"""Hand-made 2021 report texts for decoder cases: section 二 one cell a line, 三 as tab rows, 四 as given.

Every label comes from the format's own data (``gxie.templates``); the numbers are the caller's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gxie.templates import Block, RowDef, load_template

T2021 = load_template("2021")
SECTION4_HEAD = "四、政府信息公开行政复议、行政诉讼情况"
LABEL_PAD = " " * 24  # the indent of a label column a PDF converter keeps right of the numbers


def section2_numbers_left(row_lines: Callable[[Block, RowDef], list[str]]) -> list[str]:
    """Section 二 as pdftotext keeps a page whose numbers stand left of their labels: each table's caption and
    header (its column names wrapped, spaced by 2), then the lines ``row_lines(block, row)`` gives each row."""
    lines = ["二、主动公开政府信息情况"]
    for block in (b for b in T2021.blocks if b.table == "section2"):
        if len(block.columns) > 1:
            lines += [LABEL_PAD + block.caption, "本年制  本年废  现行有  信息内容", "发件数  止件数  效件数"]
        else:
            lines += [LABEL_PAD + block.caption, "本年处" + " " * 18 + "信息内容", "理决定", "数量"]
        for row in block.rows:
            lines += row_lines(block, row)
    return lines


def section4_in_one_row(values: Sequence[int]) -> list[str]:
    """Section 四 as the format prints it: the group headers, the 15 column headers, one row of numbers."""
    return [
        "行政复议\t\t\t\t\t行政诉讼",
        "\t".join(c.label for b in T2021.blocks[5:] for c in b.columns),
        "\t".join(str(v) for v in values),
    ]


def report_text(
    section2_cells: Callable[[str, int], list[str]] | None = None,
    section4: Sequence[str] = (),
    section3_value: int = 0,
) -> str:
    """A 2021 report. ``section2_cells(row_id, columns)``: the lines printed after a section 二 row's label
    (default: a 2 per column); section 三 every cell ``section3_value`` (so it adds up only at 0);
    ``section4``: its lines after the heading (default: 15 zeros in one row)."""
    cells = section2_cells or (lambda row, n: ["2"] * n)
    lines = [
        "某某局2021年政府信息公开工作年度报告",
        "一、总体情况",
        "本局依法公开政府信息。",
        "二、主动公开政府信息情况",
    ]
    for block in (b for b in T2021.blocks if b.table == "section2"):
        lines += ["", f"\t{block.caption}", "", "\t信息内容", *(f"\t{c.label}" for c in block.columns)]
        for row in block.rows:
            lines += ["", f"\t{row.label}", *(f"\t{c}" if c else "" for c in cells(row.id, len(block.columns)))]
    section3 = T2021.blocks[4]
    lines += ["三、收到和处理政府信息公开申请情况", "\t".join(["申请人情况", *(c.label for c in section3.columns)])]
    lines += ["\t".join([row.label, *[str(section3_value)] * 7]) for row in section3.rows]
    lines += [SECTION4_HEAD, *(section4 or section4_in_one_row([0] * 15))]
    lines += ["五、存在的主要问题及改进情况", "无。", "六、其他需要报告的事项", "无。"]
    return "\n".join(lines) + "\n"
