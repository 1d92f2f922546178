"""The seeds saved as real .docx, .html and .pdf files give the same grids as the text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gxie import extract
from tests.conftest import gold_files, load_gold
from tests.makefiles import write_docx, write_html, write_pdfs
from tests.test_seeds import assert_matches_gold

GOLDS = gold_files()


@pytest.fixture(scope="module")
def seed_files(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """Every seed as .docx, .html and .pdf (one LibreOffice run converts all the PDFs)."""
    out = tmp_path_factory.mktemp("formats")
    files: dict[tuple[str, str], Path] = {}
    pdf_jobs = []
    for gold_path in GOLDS:
        gold = load_gold(gold_path)
        text = (seeds_dir / gold["file"]).read_text(encoding="utf-8")
        stem = gold_path.stem
        files[(stem, "docx")] = write_docx(text, out / f"{stem}.docx")
        files[(stem, "html")] = write_html(text, out / f"{stem}.html")
        pdf_jobs.append((text, out / f"{stem}.pdf"))
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed: .ci/run installs it to make the PDF test files")
    for (_, path), made in zip(pdf_jobs, write_pdfs(pdf_jobs), strict=True):
        files[(Path(path).stem, "pdf")] = made
    return files


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["docx", "html", "pdf"])
@pytest.mark.parametrize("gold_path", GOLDS, ids=[p.stem[:3] for p in GOLDS])
def test_seed_as_file_gives_same_grid(seed_files: dict, gold_path: Path, kind: str) -> None:
    gold = load_gold(gold_path)
    path = seed_files[(gold_path.stem, kind)]
    report = extract(path, tagger="rules")
    assert report.input_kind == kind
    assert_matches_gold(report, gold)
    original = report.text or ""
    for cell in report.cells:
        if cell.span and cell.raw:
            assert [c for c in original[cell.span[0] : cell.span[1]] if c.isdigit()] == [
                c for c in cell.raw if c.isdigit()
            ]
