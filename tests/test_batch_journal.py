"""The batch journal is exactly-once: per content, per path when unreadable, retried errors once, and
relative or absolute inputs alike; the output folder is locked while a run writes into it.

These runs are inline (``timeout=0``, one worker) with the real pipeline and the rules tagger (or the
rules tagger that breaks on a marker, ``tests.fake_taggers``), on small generated reports.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from gxie.batch import OutputLock, OutputLocked, file_sha256, run_batch
from gxie.batch.journal import MAX_ATTEMPTS, Entry, entry_of, read_journal, resolved_path
from gxie.export import latest_reports, read_jsonl
from gxie.training.synth import generate
from tests.fake_taggers import BOOM, MarkerTagger

TEXTS = [r.text for r in generate(3, seed=4242, broken_share=0.0)]


def make(folder: Path, names: tuple[str, ...] = ("a.txt", "b.txt", "c.txt")) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in zip(names, TEXTS, strict=False):
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(folder / name)
    return paths


def go(inputs: list[str | Path], out: Path, **options: Any) -> Any:
    options = {"tagger": "rules", "timeout": 0, "progress": False, **options}
    return run_batch([str(p) for p in inputs], out, **options)


def journal(out: Path) -> list[dict[str, Any]]:
    return list(read_jsonl(out / "results.jsonl"))


def table(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "reports.csv", encoding="utf-8-sig")


def test_each_row_names_its_resolved_path_and_attempt(tmp_path: Path) -> None:
    a, b, c = make(tmp_path / "in")
    go([tmp_path / "in"], tmp_path / "out")
    rows = journal(tmp_path / "out")
    assert [r["source"] for r in rows] == [str(a), str(b), str(c)]
    assert [r["batch"] for r in rows] == [{"path": str(p.resolve()), "attempt": 1} for p in (a, b, c)]
    assert [r["content_hash"] for r in rows] == [file_sha256(p) for p in (a, b, c)]


def test_an_unreadable_file_is_journalled_once_across_three_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    make(tmp_path / "in", ("a.txt",))
    os.symlink(tmp_path / "in" / "gone.txt", tmp_path / "in" / "dangling.txt")
    os.mkfifo(tmp_path / "in" / "pipe.txt")
    out = tmp_path / "out"
    summaries = [go([folder], out) for folder in (tmp_path / "in", Path("in"), tmp_path / "in")]
    rows = journal(out)
    assert Counter(Path(r["source"]).name for r in rows) == {"a.txt": 1, "dangling.txt": 1, "pipe.txt": 1}
    failed = {Path(r["source"]).name: r for r in rows if r["status"] == "failed"}
    assert {n: (r["content_hash"], r["issues"][0]["code"]) for n, r in failed.items()} == {
        "dangling.txt": (None, "read_error"),
        "pipe.txt": (None, "read_error"),
    }
    assert failed["dangling.txt"]["batch"]["path"] == str(tmp_path.resolve() / "in" / "dangling.txt")
    assert [(s.processed, s.skipped, s.by_status["failed"]) for s in summaries] == [(3, 0, 2), (0, 3, 2), (0, 3, 2)]
    assert sorted(Path(s).name for s in table(out)["source"]) == ["a.txt", "dangling.txt", "pipe.txt"]


def test_relative_and_absolute_inputs_are_the_same_run_and_an_edited_file_replaces_its_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    a, b, _ = make(tmp_path / "in")
    out = tmp_path / "out"
    go([tmp_path / "in"], out)
    a.write_text(TEXTS[2][:1500], encoding="utf-8")  # edited: now a different report, with no table left
    resumed = go(["in"], Path("out"))  # relative paths this time
    assert resumed.processed == 1 and resumed.skipped == 2
    rows = journal(out)
    assert [(r["source"], r["batch"]["attempt"]) for r in rows] == [
        (str(a), 1),
        (str(b), 1),
        (str(tmp_path / "in" / "c.txt"), 1),
        ("in/a.txt", 1),  # the row keeps the path as the user gave it
    ]
    assert rows[3]["batch"]["path"] == rows[0]["batch"]["path"] == str(a.resolve())
    wide = table(out)
    assert sorted(wide["source"]) == sorted([str(b), str(tmp_path / "in" / "c.txt"), "in/a.txt"])
    assert wide.set_index("source").loc["in/a.txt", "status"] == rows[3]["status"] == "failed"
    again = go([tmp_path / "in" / "a.txt", "in/b.txt", "./in/../in/c.txt"], out)
    assert (again.processed, again.skipped, len(journal(out))) == (0, 3, 4)


def test_a_retryable_error_is_retried_once_then_kept(tmp_path: Path) -> None:
    _, b, _ = make(tmp_path / "in")
    b.write_text(TEXTS[1] + BOOM, encoding="utf-8")
    out = tmp_path / "out"
    tagger = MarkerTagger()
    first, second, third = (go([tmp_path / "in"], out, tagger=tagger) for _ in range(3))
    rows = journal(out)
    assert [(Path(r["source"]).name, r["status"], r["batch"]["attempt"]) for r in rows] == [
        ("a.txt", "ok", 1),
        ("b.txt", "failed", 1),
        ("c.txt", "partial", 1),
        ("b.txt", "failed", 2),
    ]
    assert rows[3]["issues"][0]["code"] == "internal_error"
    assert "RuntimeError: the tagger broke" in rows[3]["issues"][0]["message"]
    assert [(s.processed, s.retried, s.skipped) for s in (first, second, third)] == [(3, 0, 0), (1, 1, 2), (0, 0, 3)]
    assert first.by_status == second.by_status == third.by_status == {"ok": 1, "partial": 1, "failed": 1}
    assert "1 of them retried after an error" in second.format()
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["retried"] == 0
    assert read_journal(out / "results.jsonl")[file_sha256(b)] == Entry("failed", (), True, MAX_ATTEMPTS)
    assert len(table(out)) == 3
    b.write_text(TEXTS[1], encoding="utf-8")  # fixed: new content, a new first attempt
    fixed = go([tmp_path / "in"], out, tagger=tagger)
    assert (fixed.processed, fixed.retried) == (1, 0) and journal(out)[-1]["batch"]["attempt"] == 1
    assert table(out).set_index("source").loc[str(b), "status"] == "ok"


def test_no_resume_starts_the_attempts_again(tmp_path: Path) -> None:
    _, b, _ = make(tmp_path / "in")
    b.write_text(BOOM + TEXTS[1], encoding="utf-8")
    out = tmp_path / "out"
    for _ in range(2):
        go([tmp_path / "in"], out, tagger=MarkerTagger())
    redo = go([tmp_path / "in"], out, tagger=MarkerTagger(), resume=False)
    assert (redo.processed, redo.skipped, redo.retried) == (3, 0, 0)
    assert [r["batch"]["attempt"] for r in journal(out)] == [1, 1, 1, 2, 1, 1, 1]
    assert len(latest_reports(out / "results.jsonl")) == 3


def test_rows_from_before_attempts_were_journalled_count_as_a_first_attempt(tmp_path: Path) -> None:
    row = {"status": "failed", "checks": [], "issues": [{"level": "error", "code": "internal_error", "message": "x"}]}
    assert entry_of(row) == Entry("failed", (), True, 1) and not entry_of(row).final
    assert entry_of({**row, "batch": {"path": "/a", "attempt": 2}}).final
    unreadable = {**row, "issues": [{"level": "error", "code": "read_error", "message": "x"}]}
    assert entry_of(unreadable).final
    assert resolved_path("in/../in/a.txt") == str(Path.cwd().resolve() / "in" / "a.txt")


def test_a_folder_in_use_is_refused_before_any_work(tmp_path: Path) -> None:
    make(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    with OutputLock(out), pytest.raises(OutputLocked) as refused:
        go([tmp_path / "in"], out)
    message = str(refused.value)
    assert message.startswith(f"the output folder {str(out)!r} is in use by another gxie run (pid {os.getpid()} on ")
    assert message.endswith("; wait for it to finish, stop it, or give another output folder")
    assert sorted(p.name for p in out.iterdir()) == [".gxie.lock"]
    summary = go([tmp_path / "in"], out)  # released: the next run goes ahead
    assert summary.processed == 3


def test_a_workers_json_of_the_report_makes_the_same_journal_line(tmp_path: Path) -> None:
    # the main process puts the batch object into the JSON the worker made when checking the report,
    # instead of serializing the report again: the same bytes as journal_row through JsonlWriter.write
    from gxie import extract_text, get_tagger
    from gxie.batch.jobs import extract_chunk
    from gxie.batch.journal import journal_line, journal_row
    from gxie.jsonl import JsonlWriter

    (tmp_path / "甲.txt").write_text(next(iter(generate(1, 4))).text, encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    items: list[tuple[str, str | None]] = [(str(tmp_path / "甲.txt"), None), (str(tmp_path / "empty.txt"), None)]
    results = extract_chunk(items, get_tagger("rules"))
    reports = [r.report for r in results] + [extract_text("no tables here", tagger="rules")]
    rows = [r.row for r in results] + [json.dumps(reports[-1].to_dict(), ensure_ascii=False)]
    assert all(rows)
    with JsonlWriter(tmp_path / "a.jsonl") as a, JsonlWriter(tmp_path / "b.jsonl") as b:
        for report, row in zip(reports, rows, strict=True):
            assert row is not None
            spliced = b.write_json(journal_line(row, str(tmp_path / "目录" / "甲.txt"), 2))
            assert a.write(journal_row(report, str(tmp_path / "目录" / "甲.txt"), 2)) == spliced
    with pytest.raises(ValueError, match="not the JSON of a report"):
        journal_line("{}", "x", 1)
