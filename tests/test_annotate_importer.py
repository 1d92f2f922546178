"""Label Studio exports -> training records: which annotation wins, what is left out, what is reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gxie.annotate.importer import (
    choose_annotation,
    import_export,
    read_export,
    records_path_for,
    write_records,
)
from gxie.annotate.tasks import to_results
from gxie.cli import main
from gxie.errors import ConfigError
from gxie.training.data import load_records

TEXT = "收到申请\r\n  自然人 𠀀 12 \r\n"
GOOD = [(TEXT.index("自然人"), TEXT.index("自然人") + 3, "COL"), (TEXT.index("12"), TEXT.index("12") + 2, "NUM")]


def annotation(aid: int, spans: list[tuple[int, int, str]], when: str, **extra: Any) -> dict[str, Any]:
    return {"id": aid, "result": to_results(TEXT, spans), "updated_at": when, "was_cancelled": False, **extra}


def task(tid: int, annotations: list[dict[str, Any]], text: str = TEXT) -> dict[str, Any]:
    return {"id": tid, "data": {"text": text, "source": f"r{tid}.txt", "template": "2021"}, "annotations": annotations}


OLD, NEW = "2026-01-01T10:00:00Z", "2026-01-02T09:00:00Z"
WRONG = [(GOOD[0][0], GOOD[0][1], "ROW")]


def test_ground_truth_wins_then_the_newest() -> None:
    newest = annotation(2, GOOD, NEW)
    assert choose_annotation([annotation(1, WRONG, OLD), newest]) is newest
    truth = annotation(3, GOOD, OLD, ground_truth=True)
    assert choose_annotation([truth, annotation(4, WRONG, NEW)]) is truth
    assert choose_annotation([annotation(5, WRONG, NEW, was_cancelled=True), annotation(6, GOOD, OLD)])["id"] == 6
    assert choose_annotation([annotation(7, [], NEW, was_cancelled=True)]) is None


def test_export_becomes_records_with_skipped_and_unlabelled_counted(tmp_path: Path) -> None:
    tasks = [
        task(1, [annotation(1, WRONG, OLD), annotation(2, GOOD, NEW)]),
        task(2, [annotation(3, [], NEW, was_cancelled=True)]),  # skipped by the annotator
        task(3, []),  # not labelled yet
        task(4, [annotation(4, [], NEW)]),  # labelled: nothing to tag in it
    ]
    result = import_export(tasks)
    assert result.problems == []
    assert [r["id"] for r in result.records] == ["r1.txt#1", "r4.txt#4"]
    assert result.records[0]["spans"] == [list(s) for s in GOOD]
    assert (result.counts["skipped"], result.counts["unlabelled"], result.counts["other_annotations"]) == (1, 1, 1)
    path = write_records(result.records, tmp_path / "labelled.jsonl")
    loaded = load_records(path)
    assert [(s.start, s.end, s.label) for s in loaded[0].spans] == GOOD
    assert [s.text for s in loaded[0].spans] == ["自然人", "12"]
    assert loaded[0].text == TEXT and loaded[0].meta == {"template": "2021", "source": "r1.txt"}


def test_regions_that_disagree_with_the_text_are_reported_with_the_task_id() -> None:
    shifted = annotation(9, GOOD, NEW)
    shifted["result"][1]["value"]["start"] += 1  # one unit off
    shifted["result"][1]["value"]["end"] += 1
    overlapping = annotation(10, [*GOOD, (GOOD[0][0] + 1, GOOD[0][1] + 1, "ROW")], NEW)
    unknown = annotation(11, GOOD, NEW)
    unknown["result"][0]["value"]["labels"] = ["PERSON"]
    result = import_export(
        [task(7, [shifted]), task(8, [overlapping]), task(5, [unknown]), task(6, [annotation(12, GOOD, NEW)])]
    )
    assert [r["task_id"] for r in result.records] == [6]
    assert len(result.problems) == 3
    assert result.problems[0].startswith("task 7 (annotation 9, r7.txt): region [")
    assert "says '12' but the task text there is '2 '" in result.problems[0]
    assert result.problems[1].startswith("task 8 ") and "overlap" in result.problems[1]
    assert result.problems[2].startswith("task 5 ") and "'PERSON'" in result.problems[2]
    assert result.counts["with_problems"] == 3


def test_read_export_accepts_json_and_json_lines_and_refuses_records(tmp_path: Path) -> None:
    tasks = [task(1, [annotation(1, GOOD, NEW)])]
    (tmp_path / "a.json").write_text(json.dumps(tasks), encoding="utf-8")
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(t) for t in tasks), encoding="utf-8")
    assert read_export(tmp_path / "a.json") == read_export(tmp_path / "a.jsonl") == tasks
    records = write_records(import_export(tasks).records, tmp_path / "r.jsonl")
    with pytest.raises(ConfigError, match="not a Label Studio JSON export"):
        read_export(records)
    assert records_path_for(records) == records  # a records file is passed through
    converted = records_path_for(tmp_path / "a.json")
    assert converted == tmp_path / "a.records.jsonl"
    assert [r.id for r in load_records(converted)] == ["r1.txt#1"]


def test_cli_import_writes_records_and_exits_1_on_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = annotation(2, GOOD, NEW)
    bad["result"][0]["value"]["text"] = "法人"
    export = tmp_path / "export.json"
    export.write_text(json.dumps([task(1, [annotation(1, GOOD, NEW)]), task(2, [bad])]), encoding="utf-8")
    out = tmp_path / "labelled.jsonl"
    assert main(["annotate", "import", str(export), "-o", str(out)]) == 1
    captured = capsys.readouterr()
    assert "problem: task 2 (annotation 2, r2.txt)" in captured.err
    assert [r.id for r in load_records(out)] == ["r1.txt#1"]
    with pytest.raises(ConfigError, match="1 task\\(s\\) have regions that disagree"):
        records_path_for(export)
