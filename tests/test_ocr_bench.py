"""The benchmark's pieces (training.bench: sets, score, tables, speed, the command) on a few reports, rules
tagger only."""

from __future__ import annotations

import io
import json
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import training.bench.__main__ as bench
from gxie import extract_text
from gxie.pipeline import get_tagger
from gxie.training.synth import LAYOUTS, generate
from training.bench.__main__ import DEFAULT_OUT, Progress, command_line, parse_args
from training.bench.score import Score, breakdown, calibration, pooled, score_set
from training.bench.sets import REPO, Case, noise_sets, ocr_sets
from training.bench.speed import rates, speed_lines, typical_texts
from training.bench.tables import (
    CONVERTED,
    FINDINGS,
    accuracy_table,
    calibration_table,
    kept_block,
    load_note,
    machine_line,
    model_section,
    summary_lines,
    training_time,
    trust_lines,
)
from training.speed_table import BEGIN, END


def _cases(n: int) -> list[Case]:
    reports = generate(n, seed=404, layouts=("tab_rows",), noise_levels=("clean",), broken_share=0.0)
    return [Case(r.id, r.text, dict(r.flat), r.spans, (f"format {r.template}", "layout tab_rows")) for r in reports]


def _speed(device: str, single_seconds: float, batched_seconds: float) -> dict[str, Any]:
    return {
        "tagger": "model",
        "device": device,
        "threads": 2,
        "reports": 40,
        "chars": 240_000,
        "load_seconds": 0.5,
        "single_seconds": single_seconds,
        "batched_seconds": batched_seconds,
        "split": {"read": 0.0, "normalize": 0.4, "tag": 2.0, "grid": 1.6},
        "peak_mb": 600.0,
        "before_load_mb": 400.0,
    }


def test_score_set_counts_cells_reports_relations_confidence_and_parts() -> None:
    cases = _cases(2)
    scores = score_set(cases, {"rules": get_tagger("rules")})
    assert set(scores) == {"rules", "gold spans"}
    for score in scores.values():
        assert score.reports == 2 and score.cells == sum(len(c.flat) for c in cases)
        assert 0 < score.right <= score.cells and score.checks >= score.checks_passed > 0
        assert len(score.confidence) > 0 and all(0.0 <= c <= 1.0 for c, _ in score.confidence)
        layout = score.parts["layout tab_rows"]
        assert (layout.reports, layout.cells, layout.right) == (score.reports, score.cells, score.right)
        formats = [p for tag, p in score.parts.items() if tag.startswith("format ")]
        assert sum(p.reports for p in formats) == 2 and sum(p.right for p in formats) == score.right
    assert scores["gold spans"].accuracy >= scores["rules"].accuracy - 0.05


def test_trusted_cells_are_counted_against_the_gold_and_judged_per_set() -> None:
    cases = _cases(2)
    rules = score_set(cases, {"rules": get_tagger("rules")})["rules"]
    reports = [extract_text(c.text, tagger="rules") for c in cases]
    trusted = [(c, case.flat[c.key]) for r, case in zip(reports, cases, strict=True) for c in r.trusted_cells]
    assert rules.trusted == len(trusted) > 0
    assert rules.trusted_right == sum(1 for c, gold in trusted if c.value == gold and type(c.value) is type(gold))
    assert rules.coverage == rules.trusted / rules.cells
    good = Score(100, 100, 1, 1, trusted=90, trusted_right=90, verdicts=2, verdicts_right=2)
    bad = Score(200, 190, 1, 0, trusted=150, trusted_right=149, verdicts=3, verdicts_right=1)
    lines = trust_lines({"set a": {"rules": good, "model": good}, "set b": {"rules": bad, "model": good}})
    assert lines[0] == (
        "- Trusted cells, rules: below 99.5% right on 1 of 2 sets (set b); lowest 99.33% (set b, 149 of 150); "
        "coverage 80.0% of all 300 cells (239 of 240 trusted cells right)."
    )
    assert lines[1] == (
        "- 'The report does not add up' verdicts (`source_inconsistency`), rules: 5 over all sets, 3 of them "
        "broken in the gold grid too, 2 misreads of a report that adds up."
    )
    assert lines[2].startswith("- Trusted cells, model: at least 99.5% right on every one of the 2 sets; lowest")
    assert Score(10, 10).trusted_precision is None


def test_pooled_and_breakdown_sum_the_sets() -> None:
    a = Score(10, 9, 1, 0, 4, 3, [(0.9, True)], {"format 2019": Score(10, 9, 1, 0, 4, 3, [(0.9, True)])})
    b = Score(20, 20, 2, 2, 8, 8, [(0.99, True)], {"format 2021": Score(20, 20, 2, 2, 8, 8, [(0.99, True)])})
    both = pooled([a, b])
    assert (both.cells, both.right, both.reports, both.perfect, both.checks, both.checks_passed) == (
        30,
        29,
        3,
        2,
        12,
        11,
    )
    assert len(both.confidence) == 2 and set(both.parts) == {"format 2019", "format 2021"}
    assert (a.cells, len(a.confidence)) == (10, 1)  # pooling leaves its inputs alone
    scores = {
        "text: synthetic tab_rows": {"rules": a, "model": a, "gold spans": a},
        "text: synthetic noise light": {"rules": b, "model": b},
        "text: seed reports": {"rules": b, "model": b},
    }
    rows = breakdown(scores, "text: synthetic")
    assert list(rows) == [
        "text: synthetic (all 2 sets)",
        "text: synthetic, format 2019",
        "text: synthetic, format 2021",
    ]
    assert set(rows["text: synthetic (all 2 sets)"]) == {"rules", "model"}  # gold spans: not in every set
    assert rows["text: synthetic (all 2 sets)"]["model"].reports == 3
    assert rows["text: synthetic, format 2021"]["rules"].right == 20
    assert breakdown(scores, "OCR") == {}


def test_calibration_buckets_partition_the_cells() -> None:
    score = Score(confidence=[(0.3, False), (0.85, True), (0.85, False), (0.97, True), (1.0, True)])
    rows = calibration([score])
    assert sum(n for _, n, _ in rows) == 5
    by_label = {label: (n, acc) for label, n, acc in rows}
    assert by_label["[0.00, 0.50)"] == (1, 0.0)
    assert by_label["[0.80, 0.90)"] == (2, 0.5)
    assert by_label["[0.99, 1.00]"] == (1, 1.0)
    assert math.isnan(by_label["[0.50, 0.80)"][1])


def test_tables_render_every_set_and_bucket() -> None:
    by = {"rules": Score(10, 9, 1, 0, 4, 3, [(0.9, True)]), "model": Score(10, 10, 1, 1, 4, 4, [(0.99, True)])}
    by["rules"].trusted, by["rules"].trusted_right = 8, 8
    by["model"].trusted, by["model"].trusted_right = 9, 8
    lines = accuracy_table({"OCR mild: synthetic": by})
    assert lines[2] == (
        "| OCR mild: synthetic | 1 | 0.9000 | 1.0000 | - | 100.00% / 80.0% | 88.89% / 90.0% | - | 0/1 | 1/1 | "
        "0.750 | 1.000 | - |"
    )
    with_gold = accuracy_table({"x": {**by, "gold spans": Score(10, 10, 1, 1, 4, 2)}})
    assert with_gold[2].endswith("| - / 0.0% | 0/1 | 1/1 | 0.750 | 1.000 | 0.500 |")
    cal = calibration_table({"OCR mild: synthetic": by}, "OCR")
    assert len(cal) == 2 + 6 and "| [0.99, 1.00] | 0 | - | 1 | 1.0000 |" in cal


def test_noise_sets_hold_each_noise_level_with_gold_spans() -> None:
    sets = noise_sets(2, 90_001)
    assert list(sets) == [f"text: synthetic noise {level}" for level in ("light", "heavy", "traditional")]
    for name, cases in sets.items():
        level = name.rsplit(" ", 1)[1]
        assert len(cases) == 2 and all(c.spans for c in cases)
        for case in cases:
            assert f"noise {level}" in case.tags
            layout = next(t for t in case.tags if t.startswith("layout "))
            assert layout.split(" ", 1)[1] in LAYOUTS
    assert all("報" in c.text and "报" not in c.text for c in sets["text: synthetic noise traditional"])
    assert all("报" in c.text for c in sets["text: synthetic noise light"])
    assert [c.id for c in noise_sets(2, 90_002)["text: synthetic noise light"]] != [
        c.id for c in sets["text: synthetic noise light"]
    ]


def test_summary_states_model_vs_rules_and_the_targets() -> None:
    scores = {
        "text: synthetic tab_rows": {"rules": Score(100, 90, 2, 1), "model": Score(100, 99, 2, 1)},
        "text: synthetic noise heavy": {"rules": Score(100, 70, 2, 0), "model": Score(100, 97, 2, 1)},
        "OCR mild: synthetic": {"rules": Score(100, 80, 1, 0), "model": Score(100, 99, 1, 0)},
        "OCR mild: seed reports": {"rules": Score(100, 90, 1, 0), "model": Score(100, 98, 1, 0)},
        "OCR severe: synthetic": {"rules": Score(100, 50, 1, 0), "model": Score(100, 60, 1, 0)},
    }
    lines = summary_lines(scores, [_speed("cpu", 10.0, 5.0)])
    text = "\n".join(lines)
    assert lines[0] == "## Summary"
    assert "| OCR mild (ruled tables, seed reports) | 2 | 0.8500 | 0.9850 | +0.1350 |" in lines
    assert "| OCR severe (ruled tables, seed reports) | 1 | 0.5000 | 0.6000 | +0.1000 |" in lines
    assert "| all text sets pooled (2 sets) | 4 | 0.8000 | 0.9800 | +0.1800 |" in lines
    assert "the model gets 98.50% of the cells right (2 reports): it meets the 98% target" in text
    assert "stress set" not in text
    assert "model 98.00% of the cells right, rules tagger 80.00%" in text
    assert "4.0 reports/s one by one, 8.0 reports/s batched" in text and "meets the target batched only" in text
    scores["OCR mild: seed reports"]["model"] = Score(100, 90, 1, 0)
    no_speed = "\n".join(summary_lines(scores, []))
    assert "94.50% of the cells right (2 reports): it misses the 98% target" in no_speed
    assert "not measured in this run (`--speed-reports 0`)" in no_speed
    assert "Trusted cells" not in no_speed  # no cell trusted anywhere: no claim either way
    text_only = "\n".join(summary_lines({k: v for k, v in scores.items() if k.startswith("text:")}, []))
    assert "OCR damage `mild`: not measured in this run" in text_only and "| OCR" not in text_only


def test_model_section_reads_the_card(tmp_path: Path) -> None:
    meta = {
        "model_version": "abc123",
        "metrics": {
            "test": {
                "n_texts": 200,
                "micro": {"f1": 0.99591, "precision": 0.99, "recall": 0.99, "support": 10},
                "per_label": {
                    "NUM": {"f1": 0.999, "precision": 1.0, "recall": 1.0, "support": 5},
                    "SEC": {"f1": 0.9775, "precision": 1.0, "recall": 1.0, "support": 5},
                },
            }
        },
        "training": {
            "seconds": {"total": 900.5, "data": 100.0, "training": 800.5},
            "environment": {"machine": {"cpu_count": 2, "cpu": "x86_64", "device": "cpu"}},
        },
    }
    (tmp_path / "gxie_config.json").write_text(json.dumps(meta), encoding="utf-8")
    (tmp_path / "README.md").write_text("# card\n", encoding="utf-8")
    lines = model_section(tmp_path)
    assert lines[0] == "## Model" and f"model version `abc123`; model card `{tmp_path / 'README.md'}`" in lines[2]
    assert "held-out texts of its training run): 0.9959" in lines[3] and "200" in lines[3]
    assert lines[4] == "- test F1 per label: SEC 0.9775, NUM 0.9990"
    assert lines[5].startswith("- training time: 900.5 s in all") and "\n".join(lines).count("abc123") == 1
    missing = model_section(tmp_path / "missing")
    assert "not found" in missing[2]


def test_training_time_comes_from_the_model_config() -> None:
    meta = {
        "model_version": "abc123",
        "training": {
            "seconds": {"total": 900.5, "data": 100.0, "training": 800.5},
            "environment": {"machine": {"cpu_count": 2, "cpu": "x86_64", "device": "cpu"}},
        },
    }
    text = training_time(meta)
    assert text.startswith("900.5 s in all (100.0 s data, 800.5 s training") and text.endswith("device cpu")
    assert "abc123" not in text  # the version is on the section's first line, once
    assert training_time({"model_version": "abc123"}) == "not recorded in the model's config"


def test_machine_line_formats_the_environment() -> None:
    env = {
        "machine": {"cpu": "AMD EPYC", "cpu_count": 2, "torch_threads": 2, "device": "cpu", "gpu": None},
        "versions": {"python": "3.11.7", "torch": "2.13.0+cpu"},
    }
    assert machine_line(env) == "AMD EPYC, 2 cores (2 torch threads), torch 2.13.0+cpu, Python 3.11.7, device cpu"
    env["machine"].update(device="cuda", gpu="NVIDIA H100")
    assert machine_line(env).endswith("device cuda (NVIDIA H100)")
    env["machine"].update(device="cpu", gpu=None, cuda="NVIDIA H100")
    assert machine_line(env).endswith("device cpu, CUDA GPU NVIDIA H100")


def test_the_page_goes_to_stdout_unless_out_names_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a relative corpus folder that exists (a clean clone has no data/ocr)
    (tmp_path / "data" / "ocr").mkdir(parents=True)
    (tmp_path / "data" / "ocr" / "mild.jsonl").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    args = parse_args([])
    assert args.out is None and DEFAULT_OUT == REPO / "docs" / "benchmarks.md"
    assert command_line(args) == "python -m training.bench --n 30 --seed 90001 --speed-reports 40 --threads 2"
    assert parse_args(["--out", "-"]).out is None and "--out" not in command_line(parse_args(["--out", "-"]))
    assert command_line(parse_args(["--out", "x.md", "--corpus", "data/ocr"])) == (
        "python -m training.bench --n 30 --seed 90001 --corpus data/ocr --speed-reports 40 --threads 2 --out x.md"
    )


def _rules_as_model(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = get_tagger("rules")
    monkeypatch.setattr(bench, "get_tagger", lambda name="model", device="auto": rules)


def test_main_writes_the_page_to_out_with_rules_as_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _rules_as_model(monkeypatch)
    docs_before = DEFAULT_OUT.stat().st_mtime_ns if DEFAULT_OUT.exists() else None
    out = tmp_path / "bench.md"
    argv = ["--n", "1", "--seeds-dir", str(tmp_path / "no-seeds"), "--speed-reports", "0", "--out", str(out)]
    assert bench.main(argv) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("# gxie benchmarks\n\nCommand: `python -m training.bench --n 1 --seed 90001")
    assert f"--speed-reports 0 --threads 2 --out {out}`" in page.splitlines()[2]
    assert page.index("## Summary") < page.index("## Model") < page.index("## Accuracy")
    for level in ("light", "heavy", "traditional"):
        assert f"| text: synthetic noise {level} | 1 |" in page
    assert "| text: synthetic (all 10 sets) | 10 |" in page and "| text: synthetic, layout tab_rows |" in page
    assert page.rstrip().endswith(FINDINGS)
    assert "trusted right / coverage" in page and "- Trusted cells, rules:" in page and CONVERTED in page
    assert (DEFAULT_OUT.stat().st_mtime_ns if DEFAULT_OUT.exists() else None) == docs_before
    printed, progress = capsys.readouterr()
    assert printed == ""
    assert re.fullmatch(r"bench: wrote .*bench\.md, [\d.]+ s elapsed", progress.splitlines()[-1])


def test_main_prints_the_page_and_shows_progress_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _rules_as_model(monkeypatch)
    docs_before = DEFAULT_OUT.stat().st_mtime_ns if DEFAULT_OUT.exists() else None
    assert bench.main(["--n", "1", "--seeds-dir", str(tmp_path / "no-seeds"), "--speed-reports", "0"]) == 0
    printed, progress = capsys.readouterr()
    assert printed.startswith("# gxie benchmarks\n") and printed.rstrip().endswith(FINDINGS)
    assert "| text: synthetic noise heavy | 1 |" in printed
    assert (DEFAULT_OUT.stat().st_mtime_ns if DEFAULT_OUT.exists() else None) == docs_before
    lines = [re.sub(r", [\d.]+ s elapsed$", "", line) for line in progress.splitlines()]
    assert len(lines) == 10 * 3  # 10 sets of 1 report (7 layout families, 3 noise levels): rules, model, gold
    assert lines[:3] == [
        "bench: set 1/10 'text: synthetic tab_rows', rules: 1/1 reports (1/10 reports of all sets)",
        "bench: set 1/10 'text: synthetic tab_rows', model: 1/1 reports (1/10 reports of all sets)",
        "bench: set 1/10 'text: synthetic tab_rows', gold spans: 1/1 reports (1/10 reports of all sets)",
    ]
    assert lines[-1] == (
        "bench: set 10/10 'text: synthetic noise traditional', gold spans: 1/1 reports (10/10 reports of all sets)"
    )


def test_progress_lines_come_at_the_end_of_a_pass_and_now_and_then() -> None:
    clock = iter([0.0, 1.0, 2.0, 7.5, 7.5, 8.0, 8.5, 9.0])  # start, then each time the progress looks
    stream = io.StringIO()
    progress = Progress(2, 30, stream, clock=lambda: next(clock))
    progress.begin("set a", 20)
    for done in (1, 2, 3):  # at 1.0 and 2.0: too soon; at 7.5: 5 s after the start
        progress.update("model", done, 20)
    progress.update("model", 20, 20)  # the end of a pass: always
    progress.begin("set b", 10)
    progress.update("rules", 10, 10)
    progress.note("speed 1/2: rules on cpu")
    assert stream.getvalue().splitlines() == [
        "bench: set 1/2 'set a', model: 3/20 reports (3/30 reports of all sets), 7.5 s elapsed",
        "bench: set 1/2 'set a', model: 20/20 reports (20/30 reports of all sets), 8.0 s elapsed",
        "bench: set 2/2 'set b', rules: 10/10 reports (30/30 reports of all sets), 8.5 s elapsed",
        "bench: speed 1/2: rules on cpu, 9.0 s elapsed",
    ]


def test_speed_lines_rates_and_typical_texts() -> None:
    texts = typical_texts(3)
    assert len(texts) == 3 and all(4_500 <= len(t) <= 7_500 for t in texts)
    result = _speed("cpu", 4.0, 2.0)
    assert rates(result) == (10.0, 20.0)
    row = speed_lines([result])[-2]
    assert row == "| model | cpu | 2 | 0.50 | 10.0 | 60,000 | 20.0 | 600 (400) | 0% | 10% | 50% | 40% |"


def test_the_load_note_says_whether_other_jobs_shared_the_cpu() -> None:
    assert "pessimistic" in load_note((5.1, 6.2), 2)
    assert "to themselves" in load_note((1.3, 1.8), 2)


def test_a_corpus_folder_without_level_files_is_refused_with_the_build_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--corpus", str(tmp_path)])
    err = capsys.readouterr().err
    assert str(tmp_path) in err and "python -m training.ocr_corpus --out" in err


@pytest.mark.slow
def test_main_reads_an_ocr_corpus_and_splits_mild_by_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from training.ocr_corpus import synth_sources

    _rules_as_model(monkeypatch)
    corpus = tmp_path / "ocr"
    corpus.mkdir()
    sources = synth_sources(1, 5, "heldout") + synth_sources(1, 6, "heldout", ("word_indent",))
    with (corpus / "mild.jsonl").open("w", encoding="utf-8") as fh:
        for s in sources:  # the "OCR text" is the rendered text itself: the bench's reading is what is tested
            record = {
                "id": f"{s.id}@mild", "set": "synth", "level": "mild", "template": s.template, "layout": s.layout,
                "noise": s.noise, "pages": 3, "ocr_seconds": 6.0, "text": s.text, "flat": s.flat,
                "source_text": s.text, "source_spans": [list(x) for x in s.spans],
            }  # fmt: skip
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    out = tmp_path / "bench.md"
    argv = ["--n", "1", "--seeds-dir", str(tmp_path / "no-seeds"), "--speed-reports", "0", "--out", str(out)]
    assert bench.main([*argv, "--corpus", str(corpus)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "| OCR mild: synthetic | 1 |" in page and "| OCR mild (ruled tables, seed reports) | 1 |" in page
    assert "| OCR mild: synthetic, tables typed as text | 1 |" in page
    assert "| OCR mild, synthetic, tables typed as text (stress set) | 1 |" in page
    assert "- OCR damage `mild`, synthetic, tables typed as text (a stress set" in page
    section = page[page.index("### OCR `mild` by layout") : page.index("## Confidence calibration")]
    layouts = sorted({s.layout for s in sources})
    assert "| OCR mild (all 2 sets) | 2 |" in section
    assert all(f"| OCR mild, layout {layout} | 1 |" in section for layout in layouts)
    assert "| mild | 6 | 2.00 |" in page  # OCR seconds per page: 2 records of 6 s over 6 pages
    cases = [c for cs in ocr_sets(corpus)[0].values() for c in cs]
    assert cases and all(c.ocr for c in cases)  # read as gxie reads its own OCR: the report knows it


def test_a_case_of_ocr_text_is_read_as_gxies_ocr_reads_it() -> None:
    """The OCR sets' text is what gxie's OCR made; the documents the bench reads carry the issue gxie's OCR
    gives (so OCR-only rules apply: a lone blank among a row's values is not trusted)."""
    case = _cases(1)[0]
    lines = case.text.split("\n")
    k = next(i for i, line in enumerate(lines) if re.search(r"(\t\d+){7}$", line))  # a section 三 row
    fields = lines[k].split("\t")
    fields[-4] = ""  # one digit the OCR lost
    text = "\n".join([*lines[:k], "\t".join(fields), *lines[k + 1 :]])
    plain = score_set([replace(case, text=text)], {"rules": get_tagger("rules")})["rules"]
    read = score_set([replace(case, text=text, ocr=True)], {"rules": get_tagger("rules")})["rules"]
    assert read.trusted == plain.trusted - 1 and read.cells == plain.cells


def test_the_speed_table_goes_into_another_page_between_its_markers(tmp_path: Path) -> None:
    from training.speed_table import BEGIN, END, write_block

    page = tmp_path / "benchmarks.md"
    page.write_text("# benchmarks\n\nintro\n", encoding="utf-8")
    write_block(page, "| a |\n")
    assert page.read_text(encoding="utf-8") == f"# benchmarks\n\nintro\n\n{BEGIN}\n| a |\n{END}\n"
    page.write_text(page.read_text(encoding="utf-8") + "\nafter\n", encoding="utf-8")
    write_block(page, "# Speed\n\n| b |")  # a later run replaces its block only, without the title
    assert page.read_text(encoding="utf-8") == f"# benchmarks\n\nintro\n\n{BEGIN}\n| b |\n{END}\n\nafter\n"


def test_a_rerun_keeps_the_pages_speed_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The speed table that training.bench.speed --also wrote into the page stays when the accuracy
    benchmark rewrites the page."""
    _rules_as_model(monkeypatch)
    out = tmp_path / "bench.md"
    table = "| configuration | reports/s |\n|---|---|\n| rules | 96.4 |"
    block = f"{BEGIN}\n## Speed: `gxie extract` end to end\n\n{table}\n{END}"
    out.write_text(f"# gxie benchmarks\n\nold text\n\n{block}\n\nold tables\n", encoding="utf-8")
    assert kept_block(out) == block and kept_block(tmp_path / "none.md") == ""
    argv = ["--n", "1", "--seeds-dir", str(tmp_path / "no-seeds"), "--speed-reports", "0", "--out", str(out)]
    assert bench.main(argv) == 0
    page = out.read_text(encoding="utf-8")
    assert page.count(block) == 1 and "old text" not in page and "old tables" not in page
    assert page.index(block) < page.index("## Summary")
