"""Several annotators on one task: pairwise span F1, the majority or the ground truth, disagreements listed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gxie.annotate.agreement import majority, pairwise_f1, review_markdown
from gxie.annotate.importer import import_export
from gxie.annotate.tasks import to_results
from gxie.cli import main

TEXT = "收到申请\r\n  自然人 𠀀 12 \r\n法人 3"
COL = (TEXT.index("自然人"), TEXT.index("自然人") + 3, "COL")
NUM = (TEXT.index("12"), TEXT.index("12") + 2, "NUM")
ROW = (TEXT.index("法人"), TEXT.index("法人") + 2, "ROW")
COL2 = (TEXT.index("法人"), TEXT.index("法人") + 2, "COL")  # the same text, another label
NUM2 = (TEXT.index("3", TEXT.index("法人")), TEXT.index("3", TEXT.index("法人")) + 1, "NUM")


def annotation(aid: int, who: int, spans: list[tuple[int, int, str]], **extra: Any) -> dict[str, Any]:
    when = f"2026-01-0{aid % 9 + 1}T10:00:00Z"
    return {"id": aid, "completed_by": who, "result": to_results(TEXT, spans), "updated_at": when, **extra}


def task(tid: int, annotations: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": tid, "data": {"text": TEXT, "source": f"r{tid}.txt"}, "annotations": annotations}


def test_pairwise_f1_and_majority_by_hand() -> None:
    a, b, c = {COL, NUM}, {COL, NUM, ROW}, {COL, COL2}
    assert pairwise_f1(a, b) == 0.8  # 2·2 / (2 + 3)
    assert pairwise_f1(b, a) == 0.8
    assert pairwise_f1(a, c) == 0.5  # 2·1 / (2 + 2)
    assert pairwise_f1(set(), set()) == 1.0 and pairwise_f1(a, set()) == 0.0
    assert majority([a, b, c]) == {COL, NUM}  # COL by 3, NUM by 2 of 3; ROW and COL2 by 1
    assert majority([a, b]) == {COL, NUM}  # with two annotators: what both marked
    assert majority([{ROW}, {COL2}, {ROW}, {COL2}]) == set()  # a tie is no majority


def test_three_annotators_give_the_majority_and_their_disagreements() -> None:
    tasks = [
        task(
            1,
            [
                annotation(1, 7, [COL]),  # annotator 7 fixed it later: only the newest counts
                annotation(2, 7, [COL, NUM, ROW]),
                annotation(3, 8, [COL, NUM, COL2]),
                annotation(4, 9, [COL, NUM, ROW, NUM2]),
                annotation(5, 10, [], was_cancelled=True),  # skipped: not an annotator of this task
            ],
        )
    ]
    result = import_export(tasks)
    (record,) = result.records
    assert record["spans"] == [list(s) for s in sorted([COL, NUM, ROW])]
    assert (record["method"], record["annotators"], record["human"]) == ("majority", ["7", "8", "9"], True)
    (agreement,) = result.agreement
    assert agreement.annotators == ("7", "8", "9")
    assert agreement.pairwise == {"7 & 8": 0.6667, "7 & 9": 0.8571, "8 & 9": 0.5714}
    assert agreement.mean_f1 == pytest.approx(0.6984, abs=1e-4)
    described = [d.describe() for d in agreement.disagreements]
    assert described == [
        f"COL '法人' [{COL2[0]}, {COL2[1]}): marked by 8; not by 7, 9; left out",
        f"ROW '法人' [{ROW[0]}, {ROW[1]}): marked by 7, 9; not by 8; kept",
        f"NUM '3' [{NUM2[0]}, {NUM2[1]}): marked by 9; not by 7, 8; left out",
    ]
    assert result.counts["other_annotations"] == 2  # annotator 7's older one and the cancelled one
    assert "1 task(s) labelled by several annotators: mean pairwise span F1 0.6984, 1 with disagreements" in (
        result.summary()
    )


def test_ground_truth_wins_over_the_majority_and_agreement_is_still_reported() -> None:
    truth = annotation(3, 8, [COL, COL2], ground_truth=True)
    result = import_export([task(2, [annotation(1, 7, [COL, ROW]), annotation(2, 9, [COL, ROW]), truth])])
    (record,) = result.records
    assert record["spans"] == [list(s) for s in sorted([COL, COL2])]
    assert (record["method"], record["ground_truth"], record["annotation_id"]) == ("ground_truth", True, 3)
    (agreement,) = result.agreement
    assert agreement.method == "ground_truth" and agreement.pairwise["7 & 9"] == 1.0
    assert [d.kept for d in agreement.disagreements] == [True, False]  # COL2 (truth) kept, ROW (7, 9) not


def test_one_annotator_has_no_agreement_and_machine_made_annotations_are_not_human() -> None:
    result = import_export(
        [
            task(3, [annotation(1, 7, [COL]), annotation(2, 7, [COL, NUM])]),
            task(4, [annotation(3, 7, [COL], last_action="prediction")]),
        ]
    )
    assert [r["method"] for r in result.records] == ["single", "single"]
    assert result.records[0]["spans"] == [list(COL), list(NUM)]
    assert [r["human"] for r in result.records] == [True, False]
    assert result.agreement == []
    assert "several annotators" not in result.summary()
    assert review_markdown([]).startswith("# Annotator agreement\n\nNo task was labelled by more than one")


def test_cli_import_writes_the_review_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "export.json"
    tasks = [task(1, [annotation(1, 7, [COL, NUM]), annotation(2, 8, [COL])]), task(2, [annotation(3, 7, [COL])])]
    export.write_text(json.dumps(tasks), encoding="utf-8")
    out = tmp_path / "labelled.jsonl"
    assert main(["annotate", "import", str(export), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "agreement on task 1 (r1.txt): 7 & 8 0.67; 1 span(s) disputed, spans taken from the majority" in printed
    review = (tmp_path / "labelled.review.md").read_text(encoding="utf-8")
    assert f"disagreements listed for review in {tmp_path / 'labelled.review.md'}" in printed
    assert "## task 1 (r1.txt): majority" in review
    assert f"- NUM '12' [{NUM[0]}, {NUM[1]}): marked by 7; not by 8; left out" in review
    assert "task 2" not in review
