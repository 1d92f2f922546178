"""Section 三 printed as a block (every label, then every number): an order gxie chose, not the text's."""

from __future__ import annotations

from gxie import extract
from gxie.types import Document, IssueCode
from tests.handmade import T2021, report_text


def test_a_relation_the_chosen_block_order_breaks_is_an_uncertain_reading_not_a_verdict() -> None:
    """Section 三's labels, then its 175 numbers a column at a time (a block): the order is gxie's choice,
    so a relation failing under it may be the choice's fault; it is an uncertain reading, not the report's
    own error (a typical report read so was said not to add up)."""
    s3 = T2021.blocks[4]
    cols = [c.id for c in s3.columns]
    grid = {r.id: [0] * len(cols) for r in s3.rows}
    for row in ("new_received", "granted", "total_processed"):
        grid[row] = [3, 0, 0, 0, 0, 0, 3]
    grid["granted"][-1] = 4  # granted's total printed 4: its row and the total column break
    numbers = [grid[r.id][j] for j in range(len(cols)) for r in s3.rows]
    lines = ["三、收到和处理政府信息公开申请情况", "申请人情况", *(c.label for c in s3.columns)]
    lines += [r.label for r in s3.rows] + [""] + [str(n) for n in numbers]
    text = report_text().replace(
        report_text().split("三、收到和处理政府信息公开申请情况")[1].split("四、政府信息公开")[0], ""
    )
    text = text.replace("三、收到和处理政府信息公开申请情况", "\n".join(lines) + "\n")
    report = extract(Document(text=text, source="block.txt", kind="text"), tagger="rules")
    assert report.to_flat()["section3.granted.total"] == 4
    assert not any(c.source_inconsistency for c in report.checks)
    assert IssueCode.UNCERTAIN_READING in {i.code for i in report.issues}
