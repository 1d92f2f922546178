"""The converted-text benchmark (training.convert_bench) on a small corpus written here: per converter ×
set rows, a pooled row per corpus folder and over all of them, trusted precision and coverage."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gxie import extract_text
from gxie.training.synth import generate
from training.bench.score import same
from training.convert_bench import main, score


def _write(folder: Path, converter: str, reports: list, damage: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{converter}.jsonl").open("w", encoding="utf-8") as fh:
        for r in reports:
            text = r.text.replace("\t", "  ") if damage else r.text  # a converter that lost the tab stops
            fh.write(json.dumps({"id": r.id, "set": "synth", "text": text, "flat": dict(r.flat)}, ensure_ascii=False))
            fh.write("\n")


def test_several_corpus_folders_give_one_table_with_a_pooled_row_each(tmp_path: Path) -> None:
    reports = list(generate(2, seed=505, layouts=("tab_rows",), noise_levels=("clean",), broken_share=0.0))
    _write(tmp_path / "text", "pypdf", reports)
    _write(tmp_path / "ocr", "rapidocr_lines", reports, damage=True)
    out = tmp_path / "page.md"
    argv = ["--corpus", str(tmp_path / "text"), str(tmp_path / "ocr"), "--taggers", "rules", "--out", str(out)]
    assert main(argv) == 0
    rows = {line.split(" | ")[0].lstrip("| "): line for line in out.read_text(encoding="utf-8").splitlines()}
    assert rows["pypdf"].startswith("| pypdf | synth | 2 | ")
    assert rows["rapidocr_lines"].startswith("| rapidocr_lines | synth | 2 | ")
    assert rows[f"**all of {tmp_path / 'text'}**"].startswith(f"| **all of {tmp_path / 'text'}** | all | 2 | ")
    assert rows["**all converters**"].startswith("| **all converters** | all | 4 | ")
    # the pooled row is the sum of the reports: cells right as scored one by one
    tallies = [score(extract_text(r.text, tagger="rules"), dict(r.flat)) for r in reports]
    right = sum(t.right for t in tallies) / sum(t.cells for t in tallies)
    assert rows["pypdf"].split(" | ")[3] == f"{100 * right:.1f}%"


def test_one_folder_has_no_per_folder_row_and_scores_trust_by_the_published_rule(tmp_path: Path) -> None:
    reports = list(generate(1, seed=506, layouts=("markdown",), noise_levels=("clean",), broken_share=0.0))
    _write(tmp_path / "text", "pypdf", reports)
    out = tmp_path / "page.md"
    assert main(["--corpus", str(tmp_path / "text"), "--taggers", "rules", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "**all of" not in page and "| **all converters** | all | 1 | " in page
    report = extract_text(reports[0].text, tagger="rules")
    tally = score(report, dict(reports[0].flat))
    assert tally.trusted == len(report.trusted_cells) > 0
    assert tally.trusted_right == sum(1 for c in report.trusted_cells if same(c.value, reports[0].flat[c.key]))
    assert not same(0, None) and not same(1, 1.0) and same(0, 0)


def test_a_corpus_folder_without_converter_files_is_named_and_nothing_is_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = list(generate(1, seed=507, layouts=("tab_rows",), noise_levels=("clean",), broken_share=0.0))
    _write(tmp_path / "text", "pypdf", reports)
    out = tmp_path / "page.md"
    with pytest.raises(SystemExit) as stop:
        main(["--corpus", str(tmp_path / "text"), str(tmp_path / "missing"), "--out", str(out)])
    assert stop.value.code == 2 and not out.exists()
    assert f"--corpus {tmp_path / 'missing'}: no converter files there" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--corpus", str(tmp_path / "text"), "--converters", "pdfminer", "--out", str(out)])
    assert "--converters pdfminer: none of them in the --corpus folders" in capsys.readouterr().err


def test_the_gold_column_reads_the_generators_own_labels_and_skips_reports_without_them(tmp_path: Path) -> None:
    """``--taggers ... gold``: generated reports read with their own labels carried onto the converted
    text (a perfect tagger); a seed or real report has no such labels and shows ``-``; a pooled row of the
    generated reports compares every column on the same reports."""
    reports = list(generate(2, seed=508, layouts=("tab_rows",), noise_levels=("clean",), broken_share=0.0))
    folder = tmp_path / "text"
    folder.mkdir()
    with (folder / "pypdf.jsonl").open("w", encoding="utf-8") as fh:
        for r, kind in zip(reports, ("synth", "seed"), strict=True):
            record = {"id": r.id, "set": kind, "text": r.text.replace("\t", "  "), "flat": dict(r.flat)}
            if kind == "synth":
                record.update(source_text=r.text, source_spans=[[s.start, s.end, s.label] for s in r.spans])
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    out = tmp_path / "page.md"
    assert main(["--corpus", str(folder), "--taggers", "rules", "gold", "--out", str(out)]) == 0
    rows = {tuple(line.split(" | ")[:2]): line.split(" | ") for line in out.read_text(encoding="utf-8").splitlines()}
    synth, seed = rows[("| pypdf", "synth")], rows[("| pypdf", "seed")]
    assert seed[6:9] == ["-", "-", "- |"]  # gold: no labels for that report
    assert synth[2] == "1" and synth[6] != "-"
    pooled = rows[("| **generated reports, all converters**", "synth")]
    assert pooled[2] == "1" and pooled[3:] == synth[3:]
    assert rows[("| **all converters**", "all")][6:9] == ["-", "-", "- |"]
    # the gold column is the grid rebuilt from the generator's own labels carried onto this text
    from gxie.pipeline import finish, get_tagger, prepare
    from gxie.types import Span
    from training.bench.score import on_normalized
    from training.ocr_align import align_record

    path = tmp_path / "one.txt"
    text = reports[0].text.replace("\t", "  ")
    path.write_text(text, encoding="utf-8")
    labels = [[s.start, s.end, s.label] for s in reports[0].spans]
    carried, _ = align_record({"id": "x", "text": text, "source_text": reports[0].text, "source_spans": labels})
    prepared = prepare(path)
    spans = [Span(a, b, lab, text[a:b]) for a, b, lab in carried["spans"]]
    tally = score(finish(prepared, on_normalized(prepared, spans), get_tagger("rules")), dict(reports[0].flat))
    assert synth[6] == f"{100 * tally.right / tally.cells:.1f}%"


def test_a_does_not_add_up_verdict_counts_as_right_only_where_the_gold_grid_breaks_too() -> None:
    """A report whose section 四 total was printed one too many: gxie says the report does not add up. Scored
    against the report as printed (its gold grid breaks the relation too) the verdict is right; against a
    gold grid that adds up (gxie would have misread a consistent report) it is not."""
    report = next(generate(1, seed=507, layouts=("tab_rows",), noise_levels=("clean",), broken_share=0.0))
    cell = extract_text(report.text, tagger="rules").cell("section3.total_processed.total")
    assert cell is not None and cell.span is not None and isinstance(cell.value, int)
    a, b = cell.span
    text = report.text[:a] + str(cell.value + 1) + report.text[b:]
    found = extract_text(text, tagger="rules")
    assert [c.rule for c in found.checks if c.source_inconsistency]  # said not to add up
    printed = {**report.flat, "section3.total_processed.total": cell.value + 1}
    as_printed, consistent = score(found, printed), score(found, dict(report.flat))
    assert as_printed.verdicts == consistent.verdicts > 0
    assert as_printed.verdicts_right == as_printed.verdicts and consistent.verdicts_right == 0


def test_the_original_column_reads_the_generators_own_text_of_the_same_reports(tmp_path: Path) -> None:
    """``--taggers ... original``: each generated report's own text (before any document or converter) read
    with the rules tagger, on the same reports as the converter's row; ``-`` for a report without it."""
    reports = list(generate(2, seed=509, layouts=("tab_rows",), noise_levels=("clean",), broken_share=0.0))
    folder = tmp_path / "text"
    folder.mkdir()
    lossy = [re.sub("\t+", "\t", r.text) for r in reports]  # a converter that drops blank cells
    with (folder / "pypdf.jsonl").open("w", encoding="utf-8") as fh:
        for r, text, kind in zip(reports, lossy, ("synth", "seed"), strict=True):
            record = {"id": r.id, "set": kind, "text": text, "flat": dict(r.flat)}
            if kind == "synth":
                record["source_text"] = r.text
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    out = tmp_path / "page.md"
    assert main(["--corpus", str(folder), "--taggers", "rules", "original", "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert (
        "| converter | set | reports | rules: cells right | rules: trusted precision | rules: trusted coverage | "
        "original: cells right | original: trusted precision | original: trusted coverage |" in lines
    )
    rows = {tuple(line.split(" | ")[:2]): line.split(" | ") for line in lines}
    synth, seed = rows[("| pypdf", "synth")], rows[("| pypdf", "seed")]
    assert seed[6:9] == ["-", "-", "- |"]
    original = score(extract_text(reports[0].text, tagger="rules"), dict(reports[0].flat))
    converted = score(extract_text(lossy[0], tagger="rules"), dict(reports[0].flat))
    assert synth[6] == f"{100 * original.right / original.cells:.1f}%"
    assert synth[3] == f"{100 * converted.right / converted.cells:.1f}%" and converted.right < original.right
    assert rows[("| **generated reports, all converters**", "synth")][3:] == synth[3:]
