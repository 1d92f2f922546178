"""Pre-annotated tasks from report files, and the ranking of what to label first."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from gxie.annotate.importer import from_results
from gxie.annotate.select import WEIGHTS, priority_of, rank
from gxie.annotate.tasks import build_tasks, original_spans
from gxie.cli import main
from gxie.pipeline import finish, get_tagger, prepare
from gxie.report import Report
from gxie.templates import load_template
from gxie.training.synth import generate
from gxie.types import Cell, Check, Issue, IssueCode
from gxie.versions import current_versions


@pytest.fixture(scope="module")
def report_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two generated reports; the second with CRLF line ends, spaces around and characters outside the BMP."""
    folder = tmp_path_factory.mktemp("reports")
    first, second = generate(2, seed=5, templates=("2021",), noise_levels=("clean",))
    paths = [folder / "a.txt", folder / "b.txt"]
    paths[0].write_text(first.text, encoding="utf-8")
    odd = "  𠀀" + second.text.replace("\n", "\r\n").replace("总体情况", "总体情况😀", 1) + " \r\n "
    paths[1].write_bytes(odd.encode("utf-8"))
    return paths


def test_tasks_carry_the_original_text_and_exact_predictions(report_files: list[Path]) -> None:
    rules = get_tagger("rules")
    built = build_tasks(report_files, tagger=rules)
    assert built.skipped == []
    for path, task in zip(report_files, built.tasks, strict=True):
        original = path.read_bytes().decode("utf-8")
        assert task["data"]["text"] == original
        prepared = prepare(path)
        spans = rules.tag(prepared.normalized.text)
        expected, scores = original_spans(prepared, spans)
        (prediction,) = task["predictions"]
        assert prediction["model_version"] == f"rules:{rules.version}"
        assert [r["score"] for r in prediction["result"]] == [round(s, 4) for s in scores]
        assert from_results(original, json.loads(json.dumps(prediction["result"])))[0] == sorted(expected)
        report = finish(prepared, spans, rules)
        assert task["data"]["status"] == report.status
        assert task["data"]["priority"] == priority_of(report).score
        assert task["data"]["grid"].splitlines()[0].startswith(report.cells[0].key + " = ")
    assert "\r\n" in built.tasks[1]["data"]["text"] and "😀" in built.tasks[1]["data"]["text"]


def _report(**changes: object) -> Report:
    keys = load_template("2021").flat_keys()
    cells = tuple(Cell(*k.split("."), 1, "1", None, 0.99) for k in keys)  # type: ignore[call-arg]
    base = Report(
        source="x.txt",
        template="2021",
        agency=None,
        year=None,
        date_issued=None,
        status="ok",
        sections=(),
        issues=(),
        checks=(),
        cells=cells,
        tagger="rules:1",
        input_kind="text",
        content_hash=None,
        versions=current_versions(),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_priority_adds_up_what_the_pipeline_found_suspicious() -> None:
    clean = _report(source="clean.txt")
    assert (priority_of(clean).score, priority_of(clean).reasons) == (0.0, [])
    keys = [c.key for c in clean.cells]
    shaky = [replace(c, confidence=0.4) if c.key in keys[:2] else c for c in clean.cells]
    failing = Check("R1_column_identity", "column total", tuple(keys[:2]), 5, 7, False)
    suspicious = _report(
        source="suspicious.txt",
        status="partial",
        cells=shaky[:-3],  # three cells missing
        checks=(failing,),
        issues=(Issue("info", IssueCode.LABELS_AFTER_NUMBERS, "section3: numbers first"),),
    )
    p = priority_of(suspicious)
    w = WEIGHTS
    expected = w["uncertain_relation"] + 2 * w["low_confidence_cell"] + w["unusual_layout"] + 3 * w["missing_cell"]
    assert p.score == pytest.approx(expected)
    assert p.counts == {"uncertain_relation": 1, "low_confidence_cell": 2, "unusual_layout": 1, "missing_cell": 3}
    assert p.reasons[0] == "1 relation(s) fail on uncertain cells: R1_column_identity (column total)"
    versions = current_versions()
    no_table = Report.failed("empty.txt", IssueCode.NO_TABLES, "no table", versions=versions)
    unreadable = Report.failed("scan.pdf", IssueCode.NEEDS_OCR, "the PDF has no text layer", versions=versions)
    order = rank([clean, unreadable, suspicious, no_table])
    assert [q.source for q in order] == ["empty.txt", "suspicious.txt", "clean.txt", "scan.pdf"]
    assert order[-1].annotatable is False and order[-1].reasons == ["cannot be annotated: the PDF has no text layer"]


def test_cli_select_ranks_and_writes_tasks_in_rank_order(report_files: list[Path], tmp_path: Path) -> None:
    ranking, tasks = tmp_path / "ranking.json", tmp_path / "tasks.json"
    folder = str(report_files[0].parent)
    assert main(["annotate", "select", folder, "--tagger", "rules", "-o", str(ranking), "--tasks", str(tasks)]) == 0
    ranked = json.loads(ranking.read_text(encoding="utf-8"))
    assert [r["rank"] for r in ranked] == [1, 2]
    assert [r["score"] for r in ranked] == sorted((r["score"] for r in ranked), reverse=True)
    written = json.loads(tasks.read_text(encoding="utf-8"))
    assert [t["data"]["path"] for t in written] == [r["source"] for r in ranked]
    again = tmp_path / "again.json"  # tasks nobody labelled yet stay eligible (see test_annotate_select)
    assert main(["annotate", "tasks", folder, "--tagger", "rules", "--exclude", str(tasks), "-o", str(again)]) == 0
    assert len(json.loads(again.read_text(encoding="utf-8"))) == 2
