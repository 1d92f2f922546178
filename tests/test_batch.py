"""gxie.batch: discovery, one row per file, resume by content hash, failures as rows, batched tagging.

The runner is tested on the real pipeline with ``tests.fakes.FakeTagger`` (the rules tagger, failing on cue
words in a document) passed as the tagger, so that its behaviour does not depend on the model; the
documents are generated reports that the rules tagger reads as ok or as partial (one relation broken).
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import gxie.batch.summary
import gxie.pipeline
import gxie.readers
from gxie.batch import INTERNAL_ERROR, OUTPUT_FILES, WORKER_DIED_CODE, BatchSummary, discover, file_sha256, run_batch
from gxie.batch.jobs import WORKER_DIED
from gxie.errors import ModelError
from gxie.export import LONG_COLUMNS, REPORT_COLUMNS, read_jsonl
from gxie.templates import all_flat_keys
from gxie.types import Document
from tests.fakes import PARTIAL_FAILS, PARTIAL_RULE, FakeTagger, LazyModelTagger, report_texts

OK = report_texts("ok", 8)
PARTIAL = report_texts("partial", 3)


@pytest.fixture
def fake_tagger() -> FakeTagger:
    return FakeTagger()


@pytest.fixture
def crashing_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """The readers crash (a bug, not a bad file) on a file that says PREPBOOM; in this process only."""
    real = gxie.readers.read

    def read(path: str | os.PathLike[str], **options: Any) -> Document:
        if b"PREPBOOM" in Path(path).read_bytes():
            raise RuntimeError("the reader crashed")
        return real(path, **options)

    monkeypatch.setattr(gxie.readers, "read", read)


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def rows(out: Path) -> dict[str, dict]:
    return {Path(r["source"]).name: r for r in read_jsonl(out / "results.jsonl")}


def run(inputs: Sequence[Path], out: Path, **options: Any) -> BatchSummary:
    """``run_batch`` with no time limit: one worker then runs in this process, where the fakes count calls."""
    return run_batch([str(p) for p in inputs], out, progress=False, **{"timeout": 0, **options})


# --- discover ------------------------------------------------------------------------------------------


def test_discover_files_folders_and_globs(tmp_path: Path) -> None:
    a = write(tmp_path, "in/a.txt", "1 2 3 0")
    b = write(tmp_path, "in/sub/b.pdf", "%PDF")
    junk = write(tmp_path, "in/sub/notes.xyz", "?")
    write(tmp_path, "in/.hidden.txt", "1")
    write(tmp_path, "in/.git/config.txt", "1")
    write(tmp_path, "in/~$report.docx", "lock")
    for name in OUTPUT_FILES:
        write(tmp_path, f"in/out/{name}", "{}")
    c = write(tmp_path, "other/c.docx", "PK")
    hidden_named = write(tmp_path, "other/.d.txt", "named explicitly")
    found = discover([tmp_path / "in", str(tmp_path / "other" / "*.docx"), hidden_named, a])
    assert found == [a, b, junk, c, hidden_named]  # folder order is sorted; duplicates dropped


@pytest.mark.parametrize(("name", "message"), [("missing.pdf", "does not exist"), ("*.nothing", "matched no files")])
def test_discover_refuses_an_input_that_names_nothing(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(FileNotFoundError, match=message):
        discover([str(tmp_path / name)])


# --- run_batch -----------------------------------------------------------------------------------------


def test_a_mixed_folder_gives_one_row_per_file(tmp_path: Path, fake_tagger: FakeTagger) -> None:
    folder = tmp_path / "reports"
    write(folder, "good.txt", OK[0])
    write(folder, "sub/off_by_one.txt", PARTIAL[0])
    write(folder, "notes.xyz", "?")
    write(folder, "binary.txt", bytes(range(256)) * 64)
    os.symlink(folder / "gone.txt", folder / "dangling.txt")  # listed in the folder, cannot be opened
    write(folder, ".DS_Store", b"\x00")
    out = folder / "out"  # an output folder inside the input folder: its files are not inputs
    summary = run([folder], out, tagger=fake_tagger)
    found = rows(out)
    assert sorted(found) == ["binary.txt", "dangling.txt", "good.txt", "notes.xyz", "off_by_one.txt"]
    assert {name: r["status"] for name, r in found.items()} == {
        "good.txt": "ok",
        "off_by_one.txt": "partial",
        "notes.xyz": "failed",
        "binary.txt": "failed",
        "dangling.txt": "failed",
    }
    assert [m["code"] for m in found["notes.xyz"]["issues"]] == ["unsupported_format"]
    assert [m["code"] for m in found["binary.txt"]["issues"]] == ["read_error"]
    assert found["dangling.txt"]["issues"][0]["code"] == "read_error"
    assert "dangling.txt" in found["dangling.txt"]["issues"][0]["message"]
    assert found["dangling.txt"]["content_hash"] is None
    assert found["good.txt"]["content_hash"] == file_sha256(folder / "good.txt")
    assert all(r["tagger"] == "fake:1" for r in found.values())
    assert summary.files == 5 and summary.processed == 5 and summary.skipped == 0
    assert summary.by_status == {"ok": 1, "partial": 1, "failed": 3} and summary.any_failed
    assert summary.failed_checks == {PARTIAL_RULE: PARTIAL_FAILS}
    assert len(summary.slowest) == 5
    wide = pd.read_csv(out / "reports.csv", encoding="utf-8-sig")
    assert list(wide.columns)[: len(REPORT_COLUMNS)] == list(REPORT_COLUMNS) and len(wide) == 5
    cells = pd.read_csv(out / "cells.csv", encoding="utf-8-sig")
    assert len(cells) == len(found["good.txt"]["cells"]) + len(found["off_by_one.txt"]["cells"])
    assert set(cells["source"].map(lambda s: Path(s).name)) == {"good.txt", "off_by_one.txt"}
    saved = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert saved["by_status"] == summary.by_status and saved["files"] == 5


def test_resume_skips_content_already_done_whatever_its_name(tmp_path: Path, fake_tagger: FakeTagger) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    write(folder, "a.txt", OK[0])
    write(folder, "b.txt", PARTIAL[0])
    write(folder, "c.txt", OK[1])
    first = run([folder], out, tagger=fake_tagger)
    assert first.processed == 3 and fake_tagger.calls == [3]
    (folder / "a.txt").rename(folder / "a_renamed.txt")
    write(folder, "d.txt", OK[2])
    write(folder, "copy_of_c.txt", OK[1])
    second = run([folder], out, tagger=fake_tagger)
    assert second.processed == 1 and second.skipped == 4 and fake_tagger.calls == [3, 1]
    assert second.by_status == {"ok": 4, "partial": 1}  # the skipped files count with their stored rows
    assert second.failed_checks == {PARTIAL_RULE: PARTIAL_FAILS}
    assert len(list(read_jsonl(out / "results.jsonl"))) == 4
    assert len(pd.read_csv(out / "reports.csv", encoding="utf-8-sig")) == 4  # one row per content


def test_no_resume_redoes_every_file_and_the_new_rows_win(tmp_path: Path, fake_tagger: FakeTagger) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    write(folder, "a.txt", OK[0])
    write(folder, "b.txt", OK[0] + "\nand a copy")
    run([folder], out, tagger=fake_tagger)
    again = run([folder], out, tagger=fake_tagger, resume=False)
    assert again.processed == 2 and again.skipped == 0
    assert len(list(read_jsonl(out / "results.jsonl"))) == 4
    assert len(pd.read_csv(out / "reports.csv", encoding="utf-8-sig")) == 2


def test_copies_within_one_run_are_extracted_once(tmp_path: Path, fake_tagger: FakeTagger) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    write(folder, "a.txt", PARTIAL[0])
    write(folder, "b.txt", PARTIAL[0])
    summary = run([folder], out, tagger=fake_tagger)
    assert summary.processed == 1 and summary.skipped == 1 and fake_tagger.calls == [1]
    assert summary.by_status == {"partial": 2} and summary.failed_checks == {PARTIAL_RULE: 2 * PARTIAL_FAILS}


@pytest.mark.usefixtures("crashing_reader")
def test_an_exception_for_one_file_becomes_a_failed_row(tmp_path: Path, fake_tagger: FakeTagger) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    for name, text in [
        ("a_ok.txt", OK[0]),
        ("b_reader.txt", "PREPBOOM\n" + OK[1]),
        ("c_tagger.txt", "TAGBOOM\n" + OK[2]),
        ("d_grid.txt", "BADSPANS\n" + OK[3]),
        ("e_ok.txt", OK[4]),
        ("f_json.txt", "NANSCORE\n" + OK[5]),
    ]:
        write(folder, name, text)
    summary = run([folder], out, tagger=fake_tagger, batch_size=8)
    found = rows(out)
    assert {n: r["status"] for n, r in found.items()} == {
        "a_ok.txt": "ok",
        "b_reader.txt": "failed",
        "c_tagger.txt": "failed",
        "d_grid.txt": "failed",
        "e_ok.txt": "ok",
        "f_json.txt": "failed",
    }
    failures = ("b_reader.txt", "c_tagger.txt", "d_grid.txt", "f_json.txt")
    messages = {n: found[n]["issues"][0]["message"] for n in failures}
    assert (
        "while reading" in messages["b_reader.txt"] and "RuntimeError: the reader crashed" in messages["b_reader.txt"]
    )
    assert "while tagging" in messages["c_tagger.txt"] and "out of memory" in messages["c_tagger.txt"]
    assert "while rebuilding the tables" in messages["d_grid.txt"] and "AttributeError" in messages["d_grid.txt"]
    assert "while writing the result" in messages["f_json.txt"] and "not JSON compliant" in messages["f_json.txt"]
    assert {found[n]["issues"][0]["code"] for n in messages} == {INTERNAL_ERROR}
    assert fake_tagger.calls == [5, 1, 1, 1, 1, 1]  # the failed batch call, then one document at a time
    assert summary.by_status == {"ok": 2, "failed": 4}
    # a resumed run retries internal errors (not document failures) once; the retried rows supersede the old
    (folder / "d_grid.txt").write_text(OK[6], encoding="utf-8")
    again = run([folder], out, tagger=fake_tagger)
    assert again.processed == 4 and again.skipped == 2 and again.retried == 3
    assert pd.read_csv(out / "reports.csv", encoding="utf-8-sig")["status"].tolist().count("failed") == 3
    last = run([folder], out)  # the three retried and failed again are kept
    assert last.processed == 0 and last.skipped == 6 and last.by_status == {"ok": 3, "failed": 3}


def test_tagging_is_batched_across_documents(tmp_path: Path, fake_tagger: FakeTagger) -> None:
    folder = tmp_path / "in"
    for i in range(5):
        write(folder, f"r{i}.txt", OK[i])
    summary = run([folder], tmp_path / "out", tagger=fake_tagger, batch_size=2, formats=("jsonl",))
    assert fake_tagger.calls == [2, 2, 1]
    assert summary.by_status == {"ok": 5}
    assert not (tmp_path / "out" / "reports.csv").exists()  # jsonl only: no tables
    assert all(r["timings"]["tag"] >= 0 for r in rows(tmp_path / "out").values())


def test_a_killed_runs_torn_journal_line_is_cut_and_the_run_goes_on(tmp_path: Path, fake_tagger: FakeTagger) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    write(folder, "a.txt", OK[0])
    run([folder], out, tagger=fake_tagger)
    with open(out / "results.jsonl", "ab") as f:
        f.write(b'{"schema_version": "1", "source": "b.t')
    write(folder, "b.txt", OK[1])
    summary = run([folder], out, tagger=fake_tagger)
    assert summary.processed == 1 and sorted(rows(out)) == ["a.txt", "b.txt"]


@pytest.mark.slow
def test_worker_processes_give_the_same_rows(tmp_path: Path, fake_tagger: FakeTagger) -> None:
    folder = tmp_path / "in"
    for i, text in enumerate(OK[:3] + PARTIAL[:3]):
        write(folder, f"r{i}.txt", text)
    write(folder, "empty.txt", "")
    write(folder, "x.doc", "old Word")
    inline = run([folder], tmp_path / "one", tagger=fake_tagger, batch_size=3)
    pooled = run([folder], tmp_path / "two", tagger=fake_tagger, batch_size=3, workers=2)
    assert pooled.by_status == inline.by_status == {"ok": 3, "partial": 3, "failed": 2}

    def table(out: Path) -> pd.DataFrame:
        return pd.read_csv(out / "reports.csv", encoding="utf-8-sig").sort_values("source", ignore_index=True)

    pd.testing.assert_frame_equal(table(tmp_path / "one"), table(tmp_path / "two"))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"batch_size": 0}, "at least 1"),
        ({"workers": 0}, "at least 1"),
        ({"formats": ("jsonl", "pdf")}, "'pdf'"),
        ({"template": "2020"}, "unknown template '2020'"),
        ({"timeout": -5}, "timeout must be 0 .no limit. or a number of seconds above 0, got -5"),
    ],
)
def test_bad_options_fail_before_any_work(tmp_path: Path, options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run([tmp_path], tmp_path / "out", **options)
    assert not (tmp_path / "out").exists()


def test_the_real_pipeline_gives_the_same_reports_as_extract(tmp_path: Path, seeds_dir: Path) -> None:
    seeds = sorted(seeds_dir.glob("*.txt"))[:2]
    summary = run(seeds, tmp_path / "out", tagger="rules", batch_size=2)
    found = rows(tmp_path / "out")
    assert summary.files == summary.processed == len(found) == 2
    for path in seeds:
        single = gxie.pipeline.extract(path, tagger="rules").to_dict()
        batched = found[path.name]
        assert batched["status"] == single["status"] and batched["cells"] == single["cells"]
        assert batched["checks"] == single["checks"] and batched["issues"] == single["issues"]
        assert batched["content_hash"] == single["content_hash"] == file_sha256(path)


@pytest.mark.slow
def test_a_worker_that_dies_costs_only_its_own_file(tmp_path: Path, fake_tagger: FakeTagger) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    for i in range(7):
        write(folder, f"r{i}.txt", OK[i])
    write(folder, "r3_dies.txt", "WORKERDIES\n" + OK[7])
    summary = run([folder], out, tagger=fake_tagger, batch_size=3, workers=2)
    found = rows(out)
    assert len(found) == 8 and summary.processed == 8
    assert {n for n, r in found.items() if r["status"] == "failed"} == {"r3_dies.txt"}
    (issue,) = found["r3_dies.txt"]["issues"]
    assert issue["code"] == WORKER_DIED_CODE and WORKER_DIED in issue["message"]
    assert summary.by_status == {"ok": 7, "failed": 1}
    assert summary.failures == [(str(folder / "r3_dies.txt"), issue["message"])]


def test_a_pipe_in_the_folder_gets_a_failed_row_instead_of_a_hang(tmp_path: Path, fake_tagger: FakeTagger) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    write(folder, "a.txt", OK[0])
    os.mkfifo(folder / "b.txt")
    assert stat.S_ISFIFO((folder / "b.txt").stat().st_mode)
    summary = run([folder], out, tagger=fake_tagger)
    found = rows(out)
    assert found["a.txt"]["status"] == "ok" and found["b.txt"]["status"] == "failed"
    assert "not a regular file" in found["b.txt"]["issues"][0]["message"]
    assert summary.by_status == {"ok": 1, "failed": 1}


def test_tables_are_sorted_by_source_and_replaced_whole(tmp_path: Path, fake_tagger: FakeTagger) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    for name, text in zip(("c.txt", "a.txt", "b.txt"), OK, strict=False):
        write(folder, name, text)
    run([folder], out, tagger=fake_tagger, workers=1, batch_size=2)
    write(folder, "0.txt", PARTIAL[0])
    run([folder], out, tagger=fake_tagger)
    wide = pd.read_csv(out / "reports.csv", encoding="utf-8-sig")
    assert [Path(s).name for s in wide["source"]] == ["0.txt", "a.txt", "b.txt", "c.txt"]
    assert list(wide.columns) == [*REPORT_COLUMNS, *all_flat_keys()]
    long = pd.read_csv(out / "cells.csv", encoding="utf-8-sig")
    assert list(long.columns) == list(LONG_COLUMNS) and len(long) == sum(len(r["cells"]) for r in rows(out).values())
    assert sorted(p.name for p in out.iterdir()) == [
        ".gxie.lock",
        "cells.csv",
        "reports.csv",
        "results.jsonl",
        "summary.json",
    ]


def test_without_a_terminal_progress_is_a_plain_line(
    tmp_path: Path, fake_tagger: FakeTagger, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(gxie.batch.summary, "PLAIN_PROGRESS_SECONDS", 0.0)
    folder = tmp_path / "in"
    write(folder, "a.txt", OK[0])
    write(folder, "b.txt", PARTIAL[0])
    write(folder, "done.txt", OK[1])
    run([folder / "done.txt"], tmp_path / "out", tagger=fake_tagger)
    capsys.readouterr()
    run_batch([str(folder)], tmp_path / "out", tagger=fake_tagger, progress=True)
    lines = capsys.readouterr().err.splitlines()
    assert [re.sub(r"[\d.]+ files/s, ETA [\d:?]+", "R", line) for line in lines] == [
        "gxie: 1/2 files (50%), R; ok 1",
        "gxie: 2/2 files (100%), R; ok 1 partial 1",
    ]


def test_a_summary_reads_well() -> None:
    summary = BatchSummary(
        Path("out"),
        files=4,
        processed=3,
        skipped=1,
        by_status={"ok": 2, "failed": 2},
        failed_checks={"R2_total_column": 3},
        slowest=[("b.pdf", 2.5), ("a.txt", 0.25)],
        seconds=2.0,
        outputs=[Path("out/results.jsonl")],
        failures=[("c.xyz", "unsupported file type '.xyz'")],
    )
    assert summary.format().splitlines() == [
        "4 files: 2 ok, 0 partial, 2 failed (3 extracted, 1 skipped as done) in 2.0 s, 1.50 reports/s",
        "failed checks by rule: R2_total_column 3",
        "failed in this run:",  # 2 failed, 1 of them now: the other is a row kept from an earlier run
        "  c.xyz: unsupported file type '.xyz'",
        "slowest files:",
        "    2.50 s  b.pdf",
        "    0.25 s  a.txt",
        "results in out: results.jsonl",
    ]
    assert summary.to_dict()["failures"] == [{"source": "c.xyz", "reason": "unsupported file type '.xyz'"}]
    assert summary.any_failed and summary.any_failed_now


def test_a_real_folder_of_good_junk_and_unreadable_files(tmp_path: Path) -> None:
    """The rules pipeline on two generated reports and every kind of bad file: one row each, counted right."""
    from gxie.training.synth import generate

    folder, out = tmp_path / "in", tmp_path / "out"
    good = [write(folder, f"good/{r.id}.txt", r.text) for r in generate(2, seed=77, broken_share=0.0)]
    bad = {
        "no_table.txt": ("no_tables", "这是一份会议通知，没有任何表格。\n请各单位按时参加。"),
        "empty.txt": ("read_error", ""),
        "garbage.pdf": ("read_error", b"%PDF-1.4 not really a pdf \x00\x01"),
        "broken.docx": ("read_error", b"PK\x03\x04 truncated zip"),
        # a PNG header and nothing else: needs_ocr without the gxie[ocr] extra, read_error with it
        "photo.png": ("needs_ocr|read_error", b"\x89PNG\r\n\x1a\n"),
        "notes.xyz": ("unsupported_format", "?"),
    }
    for name, (_, content) in bad.items():
        write(folder, f"junk/{name}", content)
    os.symlink(folder / "gone.txt", folder / "junk" / "dangling.txt")
    bad["dangling.txt"] = ("read_error", "")
    summary = run([folder], out, tagger="rules", batch_size=4)
    found = rows(out)
    assert sorted(found) == sorted([p.name for p in good] + list(bad))
    for name, (code, _) in bad.items():
        assert found[name]["status"] == "failed", name
        (error,) = [m["code"] for m in found[name]["issues"] if m["level"] == "error"]
        assert error in code.split("|"), name
        assert found[name]["tagger"] == "rules:1"
    assert all(found[p.name]["status"] in ("ok", "partial") and found[p.name]["cells"] for p in good)
    assert summary.files == summary.processed == len(found) == 9
    assert summary.by_status == dict(Counter(r["status"] for r in found.values()))
    assert summary.by_status["failed"] == len(bad)
    assert {s for s, _ in summary.failures} == {str(p) for p in folder.glob("junk/*")}
    wide = pd.read_csv(out / "reports.csv", encoding="utf-8-sig")
    assert len(wide) == 9 and wide["error"].notna().sum() == len(bad)


@pytest.mark.parametrize("workers", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_a_tagger_that_cannot_load_stops_the_run_before_any_file(tmp_path: Path, workers: int) -> None:
    (tmp_path / "no-model").mkdir()
    write(tmp_path / "in", "a.txt", OK[0])
    with pytest.raises(ModelError, match=r"model directory .*no-model lacks "):
        run([tmp_path / "in"], tmp_path / "out", tagger=LazyModelTagger(tmp_path / "no-model"), workers=workers)
    assert not (tmp_path / "out" / "results.jsonl").exists()


@pytest.mark.parametrize(
    ("n", "batch", "workers", "sizes"),
    [
        (40, 8, 2, [8, 8, 8] + [2] * 8),
        (10, 8, 2, [2] * 5),
        (17, 16, 1, [16, 1]),
        (0, 16, 2, []),
        (35, 16, 2, [3] + [4] * 8),
        (9, 3, 2, [3, 1, 1, 1, 1, 1, 1]),
    ],
)
def test_the_last_chunks_are_small_so_workers_end_together(n: int, batch: int, workers: int, sizes: list[int]) -> None:
    from gxie.batch.run import _chunks

    items = [(f"{i}.txt", None) for i in range(n)]
    chunks = list(_chunks(items, batch, workers))
    assert [len(c) for c in chunks] == sizes
    assert [item for c in chunks for item in c] == items  # every file once, in order
