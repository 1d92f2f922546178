"""gxie.pipeline.run, the one document loop: order, chunking, the one-by-one fallback, failures per stage.

Documents are generated reports that the rules tagger reads as ok; ``tests.fakes.FakeTagger`` tags like the
rules tagger, counts its calls and fails on cue words (TAGBOOM: the whole call, BADSPANS: the table rebuild).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import gxie.readers
import gxie.text.normalize
from gxie.errors import NeedsOCRError, UnsupportedFormatError
from gxie.ocr import ScannedDocument
from gxie.pipeline import INTERNAL_ERROR, extract, extract_many, extract_text, prepare, run
from gxie.tagging.base import tagger_label
from gxie.tagging.rules import RulesTagger
from gxie.types import Document, Issue, NormalizedText
from tests.fakes import FakeTagger, report_texts

OK = report_texts("ok", 6)
NO_TABLES = "青禾县统计局2021年政府信息公开工作年度报告\n一、总体情况\n全年主动公开信息52条。\n"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_reports_come_in_input_order_and_each_chunk_is_tagged_in_one_call(tmp_path: Path) -> None:
    sources: list[Any] = [
        write(tmp_path, "a.txt", OK[0]),
        write(tmp_path, "b.xyz", "?"),
        write(tmp_path, "c.txt", OK[1]),
        Document(OK[2], "in-memory", "text"),
        write(tmp_path, "e.txt", b""),
        str(write(tmp_path, "f.txt", OK[3])),
    ]
    tagger = FakeTagger()
    found = list(run(sources, tagger=tagger, batch_size=2))
    assert tagger.calls == [1, 2, 1]  # per chunk of two inputs, the readable ones in one call
    names = ["a.txt", "b.xyz", "c.txt", None, "e.txt", "f.txt"]
    assert [e.source for e in found] == [str(tmp_path / n) if n else "in-memory" for n in names]
    assert [e.report.status for e in found] == ["ok", "failed", "ok", "ok", "failed", "ok"]
    assert [e.report.issues[0].code for e in found if e.report.status == "failed"] == [
        "unsupported_format",
        "read_error",
    ]
    assert all(e.report.tagger == "fake:1" == e.report.versions["tagger"] for e in found)
    for e in found:
        if e.report.status == "failed":
            assert e.prepared is None and e.spans is None
        else:
            assert e.prepared is not None and e.spans is not None
            assert list(e.spans) == RulesTagger().tag(e.prepared.normalized.text)
            assert e.seconds > 0 and set(e.report.timings) == {"read", "normalize", "tag", "grid"}
    assert [r.to_dict() | {"timings": {}} for r in extract_many(sources, tagger="rules", batch_size=4)] == [
        e.report.to_dict() | {"timings": {}, "tagger": "rules:1", "versions": e.report.versions | {"tagger": "rules:1"}}
        for e in found
    ]


def test_a_failing_batched_call_falls_back_to_one_by_one_so_only_the_culprit_fails(tmp_path: Path) -> None:
    paths = [write(tmp_path, f"r{i}.txt", text) for i, text in enumerate(OK[:4])]
    write(tmp_path, "r2.txt", "TAGBOOM\n" + OK[2])
    tagger = FakeTagger()
    found = list(run(paths, tagger=tagger, batch_size=4))
    assert tagger.calls == [4, 1, 1, 1, 1]
    assert [e.report.status for e in found] == ["ok", "ok", "failed", "ok"]
    (issue,) = found[2].report.issues
    assert issue.code == INTERNAL_ERROR
    assert issue.message == f"internal error while tagging {str(paths[2])!r}: RuntimeError: the model ran out of memory"
    assert found[2].prepared is not None and found[2].spans is None  # read, but never tagged
    assert found[2].report.content_hash == found[2].prepared.content_hash is not None


def _crash_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    real = gxie.readers.read

    def read(path: str | os.PathLike[str], **options: Any) -> Document:
        if b"BOOM" in Path(path).read_bytes():
            raise RuntimeError("the reader crashed")
        return real(path, **options)

    monkeypatch.setattr(gxie.readers, "read", read)


def _crash_normalizing(monkeypatch: pytest.MonkeyPatch) -> None:
    real = gxie.text.normalize.normalize

    def normalize(text: str) -> NormalizedText:
        if "BOOM" in text:
            raise RuntimeError("the normalizer crashed")
        return real(text)

    monkeypatch.setattr(gxie.text.normalize, "normalize", normalize)


@pytest.mark.parametrize(
    ("stage", "marker", "crash", "error"),
    [
        ("reading", "BOOM", _crash_reading, "RuntimeError: the reader crashed"),
        ("normalizing", "BOOM", _crash_normalizing, "RuntimeError: the normalizer crashed"),
        ("tagging", "TAGBOOM", None, "RuntimeError: the model ran out of memory"),
        ("rebuilding the tables of", "BADSPANS", None, "AttributeError: 'tuple' object has no attribute"),
    ],
)
def test_an_unexpected_exception_becomes_a_failed_report_naming_the_stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str, marker: str, crash: Any, error: str
) -> None:
    if crash is not None:
        crash(monkeypatch)
    bad = write(tmp_path, "bad.txt", f"{marker}\n{OK[0]}")
    good = write(tmp_path, "good.txt", OK[1])
    first, second = run([bad, good], tagger=FakeTagger(), batch_size=1)
    assert [first.report.status, second.report.status] == ["failed", "ok"]
    (issue,) = first.report.issues
    assert (issue.level, issue.code) == ("error", INTERNAL_ERROR)
    assert issue.message.startswith(f"internal error while {stage} {str(bad)!r}: {error}")
    assert first.report.tagger == "fake:1" and first.report.versions["tagger"] == "fake:1"
    assert first.report.input_kind == "text"
    assert (first.prepared is None) == (stage in ("reading", "normalizing"))


def test_extract_of_a_folder_says_it_is_a_folder_and_what_to_use(tmp_path: Path) -> None:
    report = extract(tmp_path, tagger="rules")
    (issue,) = report.issues
    assert report.status == "failed" and issue.code == "unsupported_format"
    assert issue.message.startswith(f"{str(tmp_path)!r} is a folder, not a report file; extract() reads one file.")
    assert f"`gxie extract {tmp_path} -o OUT`" in issue.message
    assert f"extract_many(discover([{str(tmp_path)!r}]))" in issue.message
    assert report.content_hash is None and report.tagger == "rules:1"
    with pytest.raises(UnsupportedFormatError, match="is a folder"):
        prepare(tmp_path)


def test_the_no_tables_message_hints_at_ocr_only_when_ocr_did_not_run() -> None:
    (typed,) = extract_text(NO_TABLES, tagger="rules").issues
    scanned = extract(ScannedDocument(NO_TABLES, "scan.png", "image"), tagger="rules")
    (ocr_issue,) = scanned.issues
    assert typed.code == ocr_issue.code == "no_tables" and scanned.input_kind == "image"
    assert typed.message.endswith("check the text extraction (e.g. a scanned PDF needs OCR).")
    assert "needs OCR" not in ocr_issue.message
    assert "the text OCR read from the scan may be too damaged to hold the tables" in ocr_issue.message


def test_prepare_raises_what_the_loop_reports(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormatError, match=r"unsupported file type '\.xyz'"):
        prepare(write(tmp_path, "a.xyz", "?"))
    scan = Document("", "scan.pdf", "pdf", needs_ocr=True, issues=(Issue("error", "needs_ocr", "no text layer"),))
    with pytest.raises(NeedsOCRError, match="no text layer"):
        prepare(scan)
    (failed,) = run([scan], tagger="rules")
    assert [(m.code, m.message) for m in failed.report.issues] == [("needs_ocr", "no text layer")]
    assert failed.report.input_kind == "pdf"
    prepared = prepare(write(tmp_path, "a.txt", OK[0]))
    assert prepared.source == str(tmp_path / "a.txt") and prepared.document.text == OK[0]
    assert set(prepared.timings) == {"read", "normalize"}


@pytest.mark.parametrize(
    ("options", "message"),
    [({"batch_size": 0}, "batch_size must be at least 1"), ({"template": "2020"}, "unknown template '2020'")],
)
def test_bad_options_raise_at_the_call_before_any_document(options: dict[str, Any], message: str) -> None:
    tagger = FakeTagger()
    with pytest.raises(ValueError, match=message):
        run(iter([Document(OK[0], "x", "text")]), tagger=tagger, **options)
    assert tagger.calls == []


def test_the_tagger_label_is_name_colon_version() -> None:
    assert tagger_label(RulesTagger()) == "rules:1" and tagger_label(FakeTagger()) == "fake:1"
    assert extract_text(OK[0], tagger="rules").tagger == "rules:1"


def test_each_chunk_runs_with_fewer_collections_and_the_caller_keeps_its_thresholds(tmp_path: Path) -> None:
    """``pipeline.run`` raises the collector's thresholds while it works on a chunk (``gxie.gcpolicy``) and
    hands each extraction out with the caller's own thresholds back."""
    import gc
    import json

    from gxie.gcpolicy import THRESHOLDS
    from gxie.training.synth import generate
    from tests.fake_taggers import GcTagger

    log = tmp_path / "gc.json"
    docs = [Document(text=r.text, source=f"r{i}.txt", kind="text") for i, r in enumerate(generate(3, seed=7))]
    before = gc.get_threshold()
    seen = []
    for extraction in run(docs, tagger=GcTagger(str(log)), batch_size=2):
        seen.append(gc.get_threshold())
        assert extraction.report.status in ("ok", "partial")
    assert seen == [before] * 3
    assert tuple(json.loads(log.read_text(encoding="utf-8"))[0]) == THRESHOLDS
