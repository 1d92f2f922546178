"""Orders gxie chose, not the text's: section 三 printed as a block (every label, then every number), and
numbers read after or before their labels where the two readings are close."""

from __future__ import annotations

from gxie import extract
from gxie.confidence import AMBIGUOUS_PLACEMENT
from gxie.grid.build import _Draft, _rival_doubted
from gxie.types import Cell, Document, IssueCode
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


def _draft(values: dict[str, int | None]) -> _Draft:
    cells = {k: Cell(*k.split("."), v, "" if v is None else str(v), (0, 1), 0.96) for k, v in values.items()}
    return _Draft("2021", 1.0, cells)


def test_cells_two_close_flawed_readings_disagree_on_are_guesses() -> None:
    """Numbers after or before their labels: the relations chose a reading that breaks 5 of them over one
    that breaks 7. The cells the two give otherwise are guesses, below trust; the rest, and any reading
    that breaks none or wins by more than RIVAL_MARGIN, keep their confidence."""
    chosen = _draft({"section3.carried_over.natural_person": 1, "section3.carried_over.research": None})
    other = _draft({"section3.carried_over.natural_person": None, "section3.carried_over.research": None})
    doubted = _rival_doubted(chosen, [(7, 25, other), (5, 27, chosen)])
    assert doubted["section3.carried_over.natural_person"].confidence == AMBIGUOUS_PLACEMENT
    assert doubted["section3.carried_over.research"].confidence == 0.96
    assert _rival_doubted(chosen, [(7, 25, other), (0, 27, chosen)]) == chosen.cells  # it breaks none
    assert _rival_doubted(chosen, [(9, 20, other), (5, 27, chosen)]) == chosen.cells  # it wins clearly
    assert _rival_doubted(chosen, [(5, 27, chosen)]) == chosen.cells  # no rival was asked
