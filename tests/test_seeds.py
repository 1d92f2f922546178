"""The five real seed reports: every cell against hand-made gold grids, status, checks and metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from gxie import extract
from gxie.report import Report
from tests.conftest import gold_files, load_gold

GOLDS = gold_files()
TAGGERS = ["rules", pytest.param("model", marks=pytest.mark.model)]


def assert_matches_gold(report: Report, gold: dict) -> None:
    flat = report.to_flat()
    assert list(flat) == list(gold["flat"]), "flat keys differ from the template's keys"
    wrong = {
        k: (v, flat[k])
        for k, v in gold["flat"].items()
        if flat[k] != v or type(flat[k]) is not type(v)  # 0 stays 0 (int), blank stays None
    }
    assert not wrong, f"{len(wrong)} cells differ (gold, got): {dict(list(wrong.items())[:8])}"
    assert report.template == gold["template"]
    assert report.status == gold["status"], [m.message for m in report.issues]
    failed = sorted((c.rule, c.scope) for c in report.failed_checks)
    assert failed == sorted((c["rule"], c["scope"]) for c in gold["failed_checks"])


@pytest.mark.parametrize("tagger", TAGGERS)
@pytest.mark.parametrize("gold_path", GOLDS, ids=[p.stem[:3] for p in GOLDS])
def test_seed_matches_gold(seeds_dir: Path, gold_path: Path, tagger: str) -> None:
    gold = load_gold(gold_path)
    report = extract(seeds_dir / gold["file"], tagger=tagger)
    assert_matches_gold(report, gold)
    assert (report.agency, report.year, report.date_issued) == (
        gold["agency"],
        gold["year"],
        gold["date_issued"],
    )


def test_spans_point_into_the_original_text(seeds_dir: Path) -> None:
    """Every cell's span slices the user's own input (Traditional, NBSP and all) to the cell's raw text."""
    for gold_path in GOLDS:
        gold = load_gold(gold_path)
        path = seeds_dir / gold["file"]
        original = path.read_text(encoding="utf-8")
        report = extract(path, tagger="rules")
        for cell in report.cells:
            if cell.span is None or not cell.raw:
                continue
            piece = original[cell.span[0] : cell.span[1]]
            assert piece.strip().replace("\u3000", " "), (cell.key, cell.span)
            digits = [ch for ch in piece if ch.isdigit()]
            assert digits == [ch for ch in cell.raw if ch.isdigit()], (cell.key, piece, cell.raw)


def test_source_inconsistency_is_reported_not_fixed(seeds_dir: Path) -> None:
    report = extract(seeds_dir / "002_ef571e3a3626a800.txt", tagger="rules")
    r1 = [c for c in report.failed_checks if c.rule == "R1_column_identity"]
    assert r1 and all(c.source_inconsistency for c in r1)
    assert {(c.expected, c.found) for c in r1} == {(0, 4)}
    assert report.to_flat()["section3.total_processed.natural_person"] == 3  # kept as printed
    assert any(m.code == "source_inconsistency" for m in report.issues)


def test_truncated_seed_is_partial_and_says_so(seeds_dir: Path) -> None:
    report = extract(seeds_dir / "001_aef540c5387e68ec.txt", tagger="rules")
    assert report.status == "partial"
    codes = {m.code for m in report.issues}
    assert {"truncated_table", "missing_table"} <= codes
    assert report.to_flat()["section4.review.total"] is None


def test_sections_found_with_spans(seeds_dir: Path) -> None:
    path = seeds_dir / "004_ee5ad72c821d4185.txt"
    original = path.read_text(encoding="utf-8")
    report = extract(path, tagger="rules")
    ids = [s.id for s in report.sections]
    assert ids == ["一", "二", "三", "四", "五", "六"]
    for s in report.sections:
        assert original[s.span[0] : s.span[1]] == s.title
    assert [s.standard for s in report.sections][:3] == [True, True, True]
    nonstandard = extract(seeds_dir / "000_1ca009f2965828b6.txt", tagger="rules").sections
    assert nonstandard and not nonstandard[0].standard  # 一、加强组织领导… is not the official heading
