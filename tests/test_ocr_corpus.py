"""training.ocr_corpus: which reports are drawn, how pages are damaged, how level files are written and
added to (rendering and OCR replaced by stand-ins; tests/test_ocr_readers.py runs the real ones)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from training import ocr_corpus
from training.ocr_corpus import DAMAGE, SYNTH_LAYOUTS, TEXT_LAYOUTS, Source, build, damage, read_corpus, synth_sources


def test_synthetic_sources_come_in_the_layouts_asked_for() -> None:
    ruled = synth_sources(6, 90001, "heldout")
    assert {s.layout for s in ruled} <= set(SYNTH_LAYOUTS) and {s.template for s in ruled} == {"2019", "2021"}
    typed = synth_sources(6, 90002, "heldout", TEXT_LAYOUTS)
    assert {s.layout for s in typed} <= set(TEXT_LAYOUTS) and len(typed) == 6
    assert all(s.spans and s.set == "synth" and s.flat for s in typed)
    assert [s.text for s in synth_sources(6, 90002, "heldout", TEXT_LAYOUTS)] == [s.text for s in typed]
    with pytest.raises(ValueError, match="no_such_layout"):
        synth_sources(2, 1, "heldout", ("no_such_layout",))


def test_damage_is_deterministic_per_report_and_level() -> None:
    page = np.full((200, 300), 255, dtype=np.uint8)
    page[80:120, 50:250] = 0
    spec = DAMAGE["severe"]
    a = damage(page, spec, np.random.default_rng(7))
    b = damage(page, spec, np.random.default_rng(7))
    assert a.dtype == np.uint8 and a.shape == page.shape
    assert np.array_equal(a, b) and not np.array_equal(a, page)
    assert np.array_equal(damage(page, DAMAGE["clean"], np.random.default_rng(7)), page)


@pytest.fixture
def fake_ocr(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Rendering, scanning and OCR replaced: each record's text is its source text; returns the ids read."""
    read: list[str] = []
    monkeypatch.setattr(
        ocr_corpus, "render_pdfs", lambda texts, workdir: [workdir / f"{i}.pdf" for i in range(len(texts))]
    )
    monkeypatch.setattr(ocr_corpus, "scan", lambda pdf, level, key: [np.zeros((4, 4), dtype=np.uint8)])

    def record(source: Source, pages: list[np.ndarray], level: str) -> dict[str, Any]:
        read.append(f"{source.id}@{level}")
        return {
            "id": f"{source.id}@{level}",
            "set": source.set,
            "level": level,
            "layout": source.layout,
            "text": source.text,
            "pages": 1,
        }

    monkeypatch.setattr(ocr_corpus, "ocr_record", record)
    return read


def _sources(ids: list[str], kind: str = "synth") -> list[Source]:
    return [Source(i, kind, f"text of {i}", {"k": 1}, "2021") for i in ids]


def test_build_writes_one_file_per_level_and_seeds_only_at_their_levels(tmp_path: Path, fake_ocr: list[str]) -> None:
    paths = build(
        [*_sources(["a", "b"]), *_sources(["s1"], "seed")],
        ["mild", "severe"],
        tmp_path,
        seed_levels=["severe"],
        log=False,
    )
    assert sorted(paths) == ["mild", "severe"]
    assert [r["id"] for r in read_corpus(paths["mild"])] == ["a@mild", "b@mild"]
    assert [r["id"] for r in read_corpus(paths["severe"])] == ["a@severe", "b@severe", "s1@severe"]
    with pytest.raises(ValueError, match="unknown damage level"):
        build(_sources(["a"]), ["foggy"], tmp_path, log=False)


def test_append_adds_records_and_refuses_ids_already_there(tmp_path: Path, fake_ocr: list[str]) -> None:
    build(_sources(["a", "b"]), ["mild"], tmp_path, log=False)
    build(_sources(["c"]), ["mild"], tmp_path, append=True, log=False)
    assert [r["id"] for r in read_corpus(tmp_path / "mild.jsonl")] == ["a@mild", "b@mild", "c@mild"]
    done = list(fake_ocr)
    with pytest.raises(ValueError, match=r"already holds 1 of these reports \(b@mild\).*another --seed"):
        build(_sources(["b", "d"]), ["mild"], tmp_path, append=True, log=False)
    assert fake_ocr == done  # refused before any OCR
    build(_sources(["d"]), ["mild"], tmp_path, log=False)  # without --append the file is rewritten
    assert [json.loads(line)["id"] for line in (tmp_path / "mild.jsonl").read_text().splitlines()] == ["d@mild"]


def test_the_command_line_takes_layouts_and_append(tmp_path: Path, fake_ocr: list[str]) -> None:
    argv = ["--out", str(tmp_path), "--n", "3", "--seed", "5", "--levels", "mild", "--no-seeds"]
    assert ocr_corpus.main([*argv, "--layouts", "word_indent"]) == 0
    records = list(read_corpus(tmp_path / "mild.jsonl"))
    assert len(records) == 3 and all(r["id"].startswith("synth-5-") and r["layout"] == "word_indent" for r in records)
    assert (
        ocr_corpus.main(
            ["--out", str(tmp_path), "--n", "2", "--seed", "6", "--levels", "mild", "--no-seeds", "--append"]
        )
        == 0
    )
    assert len(list(read_corpus(tmp_path / "mild.jsonl"))) == 5
    with pytest.raises(SystemExit):
        ocr_corpus.main([*argv, "--layouts", "no_such_layout"])
