"""The report-level cascade (gxie.rules_first): a report the rules tagger reads completely and consistently
skips the model, every other report goes through it, and the settled readings are the model's."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from functools import cache

import pytest

from gxie import extract_text, get_tagger
from gxie.grid.candidates import regions
from gxie.pipeline import run
from gxie.report import Report
from gxie.rules_first import Focus, focus, settled, unprinted, unsettled_tables, wanted
from gxie.tagging.rules import RulesTagger
from gxie.text.normalize import normalize
from gxie.training.synth import generate
from gxie.types import Cell, Document, Issue, IssueCode, Span
from tests.fakes import FakeTagger


class CountingModel(FakeTagger):
    """A stand-in for the model tagger (cascade on): the rules' tags, and a log of the texts it was given."""

    name = "model"
    version = "test"
    cascade = True

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def tag_many(self, texts: Sequence[str]) -> list[list[Span]]:
        self.seen.extend(texts)
        return super().tag_many(texts)


class FocusingModel(CountingModel):
    """A model stand-in that reads only given ranges (``reads_within``), like the ONNX and torch taggers; it
    logs them, and tags like the rules, with every span's score 0.5 (so its cells are told apart)."""

    reads_within = True

    def __init__(self) -> None:
        super().__init__()
        self.within: list[object] = []

    def tag_many(self, texts: Sequence[str], within: object = None) -> list[list[Span]]:
        self.within.append(within)
        return [[replace(s, score=0.5) for s in spans] for spans in super().tag_many(texts)]


@cache
def _texts() -> tuple[str, str]:
    """A clean generated report the rules settle, and one they do not (a table cut short)."""
    rules = get_tagger("rules")
    calm = unsettled = None
    for r in generate(40, 7, noise_levels=("clean",), agency_pool="heldout", broken_share=0.0, truncated_share=0.0):
        if calm is None and settled(extract_text(r.text, tagger=rules)):
            calm = r.text
    assert calm is not None, "no clean generated report was settled by the rules"
    lines = calm.splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if "不予公开" in line)
    unsettled = "".join(lines[:cut] + lines[cut + 6 :])  # six rows of section 三 gone
    return calm, unsettled


def test_a_settled_report_skips_the_model_and_says_so() -> None:
    calm, unsettled = _texts()
    model = CountingModel()
    docs = [Document(text=t, source=name, kind="text") for name, t in (("a", calm), ("b", unsettled), ("c", calm))]
    out = list(run(docs, tagger=model, batch_size=3))
    assert [e.report.source for e in out] == ["a", "b", "c"]  # input order kept
    assert model.seen == [normalize(unsettled).text]  # only the unsettled one reached the model
    a, b, c = (e.report for e in out)
    assert a.versions["tags"] == "rules:1" and a.tagger == "model:test" and a.versions["tagger"] == "model:test"
    assert "tags" not in b.versions and b.status == "partial"
    assert "rules_first" in b.timings and "rules_first" not in a.timings
    assert a.to_flat() == c.to_flat() and a.status == "ok"


def test_rules_first_off_sends_every_report_to_the_model() -> None:
    calm, unsettled = _texts()
    model = CountingModel()
    docs = [Document(text=t, source=n, kind="text") for n, t in (("a", calm), ("b", unsettled))]
    out = list(run(docs, tagger=model, rules_first=False))
    assert model.seen == [normalize(calm).text, normalize(unsettled).text]
    assert all("tags" not in e.report.versions for e in out)


def test_which_taggers_try_the_rules_first() -> None:
    model = CountingModel()
    assert wanted(model, None) and not wanted(model, False)
    model.cascade = False  # --exact: the model reads everything
    assert not wanted(model, None) and wanted(model, True)
    assert not wanted(RulesTagger(), True)  # the rules tagger is the rules already


def test_a_failing_rules_reading_leaves_the_report_to_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    calm, _ = _texts()

    def broken(text: str) -> list[Span]:
        raise RuntimeError("rules broke")

    model = CountingModel()
    monkeypatch.setattr(get_tagger("rules"), "tag", broken)  # the run's rules-first tagger (cached)
    (e,) = run([Document(text=calm, source="a", kind="text")], tagger=model)
    assert model.seen == [normalize(calm).text] and e.report.status == "ok" and "tags" not in e.report.versions


def test_settled_is_strict() -> None:
    calm, unsettled = _texts()
    report = extract_text(calm, tagger="rules")
    assert settled(report)
    assert not settled(extract_text(unsettled, tagger="rules"))
    cells = list(report.cells)
    doubtful = replace(report, cells=tuple([replace(cells[0], confidence=0.89), *cells[1:]]))
    blank = replace(report, cells=tuple([replace(cells[0], value=None, raw=""), *cells[1:]]))
    assert not settled(doubtful) and not settled(blank)
    assert not settled(Report.failed("x.txt", IssueCode.READ_ERROR, "unreadable", versions={}))


def test_a_blank_printed_as_an_empty_cell_settles_a_blank_the_text_does_not_show_does_not() -> None:
    rules = get_tagger("rules")
    found = None
    for r in generate(40, 7, noise_levels=("clean",), agency_pool="heldout", broken_share=0.0, truncated_share=0.0):
        report = extract_text(r.text, tagger=rules)
        blanks = [c for c in report.cells if not c.raw.strip()]
        if blanks and report.status == "ok" and not report.issues:
            found = r.text, report, blanks[0]
            break
    assert found is not None, "no clean generated report with an empty cell read cleanly"
    text, report, blank = found
    assert blank.span is not None and not text[blank.span[0] : blank.span[1]].strip()
    assert settled(report) and not unprinted(report.cells, text)
    number = next(c for c in report.cells if c.raw.strip())

    def with_blank(cell: Cell) -> Report:
        return replace(report, cells=tuple(cell if c is blank else c for c in report.cells))

    assert not settled(with_blank(replace(blank, span=None)))  # a blank the rebuild supplied, not printed
    assert not settled(with_blank(replace(blank, span=number.span)))  # its span holds a number
    assert not settled(replace(report, text=None))
    # an unreadable cell is no blank: OCR's `o` in the empty cell leaves the reading unsettled
    line_start = text.rindex("\n", 0, blank.span[0]) + 1
    line_end = text.index("\n", blank.span[1])
    line = text[line_start:line_end]
    damaged = text[: blank.span[0]] + "o" + text[blank.span[1] :]
    assert "\t\t" in line or "|  |" in line, line  # the empty cell is a field of the row
    assert not settled(extract_text(damaged, tagger=rules))


def _row(text: str, spans: list[tuple[int, int]]) -> list[Cell]:
    cols = ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other", "total")
    return [
        Cell("section3", "granted", col, None, text[a:b], (a, b), 1.0) for col, (a, b) in zip(cols, spans, strict=True)
    ]


def test_a_row_stands_plainly_in_the_text_or_its_blanks_are_not_taken() -> None:
    plain = "规章\t1\t\t2\n"
    cells = [Cell("section2", "regulations", c, None, plain[a:b], (a, b), 1.0) for c, (a, b) in
             zip(("new_made", "new_published", "total_published"), [(3, 4), (5, 5), (6, 7)], strict=True)]  # fmt: skip
    assert unprinted(cells, plain) == set()
    # OCR read two zeros as `o`: the rules skip them, and the row takes the empty fields that start the next
    # line, before that line's label; relations still hold (0 everywhere), so only the text can tell
    ocr = "2. 重复申请\t0\t0\to\t0\to\t0\t0\n\t\t3. 要求提供公开出版物"
    zeros = [i for i, ch in enumerate(ocr) if ch == "0"]
    row = _row(ocr, [(i, i + 1) for i in zeros] + [(ocr.index("\n") + 1,) * 2, (ocr.index("\n") + 2,) * 2])
    assert unprinted(row, ocr) == {c.key for c in row}
    no_skip = ocr.replace("o", "0")  # the same row without the skipped cells: still a blank of another line
    row = _row(no_skip, [(i, i + 1) for i in zeros] + [(no_skip.index("\n") + 1,) * 2, (no_skip.index("\n") + 2,) * 2])
    assert unprinted(row, no_skip) == {c.key for c in row}
    numbers = _row(ocr, [(i, i + 1) for i in zeros] + [(i, i + 1) for i, ch in enumerate(ocr) if ch == "o"])
    assert unprinted(numbers, ocr) == set()  # every cell read: the gaps are separators
    alone = "行政强制\t\xa0\n"  # a one-cell row whose cell is blank: nothing after it on its line
    assert unprinted([Cell("section2", "coercion", "decisions", None, "", (5, 6), 0.9)], alone) == set()
    # section 四 prints its rows side by side on one line: a blank is followed by the next rows' cells
    side = "\t0\t\t\t0\n"
    review = [
        Cell("section4", "review", "maintained", 0, "0", (1, 2), 1.0),
        Cell("section4", "review", "corrected", None, "", (3, 3), 0.9),
    ]
    direct = [
        Cell("section4", "litigation_direct", "maintained", None, "", (4, 4), 0.9),
        Cell("section4", "litigation_direct", "corrected", 0, "0", (5, 6), 1.0),
    ]
    assert unprinted(review + direct, side) == set()
    assert unprinted(review, side) == {c.key for c in review}  # a number no cell was read from follows
    skipped = _row("1\tx\t2\t3\t4\t5\t6\t7", [(0, 1), (4, 5), (6, 7), (8, 9), (10, 11), (12, 13), (14, 15)])
    assert unprinted(skipped, "1\tx\t2\t3\t4\t5\t6\t7") == {c.key for c in skipped}  # `x` between two cells


@pytest.mark.skipif(os.environ.get("GXIE_SKIP_MODEL") == "1", reason="GXIE_SKIP_MODEL=1")
def test_settled_readings_are_the_models_own_on_generated_reports() -> None:
    """On clean generated reports of every layout family, a report the rules settled in whole or in part
    has the same cells as the bundled model gives it alone, every one right (where the rules settled no
    table, the same cells)."""
    model = get_tagger("model")
    compared = 0
    for r in generate(24, 11, noise_levels=("clean",), agency_pool="heldout"):
        fast = extract_text(r.text, tagger=model)
        if "tags" not in fast.versions:
            continue
        compared += 1
        alone = extract_text(r.text, tagger=model, rules_first=False)
        flat = fast.to_flat()
        assert flat == alone.to_flat(), r.id
        tags = fast.versions["tags"]  # "rules:1" (all settled), or "model:... in section3; rules:1 elsewhere"
        by_model = tags.split(" in ", 1)[1].split(";", 1)[0].split() if " in " in tags else []
        settled = {"section2", "section3", "section4"} - set(by_model)
        # the tables the rules settled are right (the model's own tables may hold what no reader can tell,
        # a section 四 of zeros printed without its blank cells)
        assert all(flat.get(k) == v for k, v in r.flat.items() if k.split(".", 1)[0] in settled), r.id
        if not by_model:
            assert fast.status == "ok"  # the model alone may add issues of its own (a group header taken for a row)
    assert compared >= 5


def test_the_model_reads_only_the_tables_the_rules_did_not_settle() -> None:
    """Six rows of section 三 gone: the rules settle sections 二 and 四, so the model is given section 三's
    region only (widened into the text between tables, never into a settled table), and the report takes the
    model's cells there and the rules' cells elsewhere."""
    _, unsettled = _texts()
    rules_reading = extract_text(unsettled, tagger="rules", rules_first=False)
    assert unsettled_tables(rules_reading) == ("section3",)
    text = normalize(unsettled).text
    bounds = regions(text)
    model = FocusingModel()
    (e,) = run([Document(text=unsettled, source="b", kind="text")], tagger=model)
    ((ranges,),) = model.within
    ((lo, hi),) = ranges
    assert lo <= bounds["section3"][0] and bounds["section3"][1] <= hi
    assert bounds["section2"][1] <= lo and hi <= bounds["section4"][0]
    report = e.report
    assert report.versions["tags"] == "model:test in section3; rules:1 elsewhere"
    by_table = {t: {c.confidence for c in report.cells if c.table == t} for t in ("section2", "section3", "section4")}
    assert max(by_table["section3"]) <= 0.5 and min(by_table["section2"] | by_table["section4"]) >= 0.9
    assert report.to_flat() == rules_reading.to_flat()  # the stand-in tags like the rules: the same values


def test_which_reports_the_model_reads_only_in_part() -> None:
    calm, unsettled = _texts()
    assert unsettled_tables(extract_text(calm, tagger="rules")) is None  # settled: no table left
    report = extract_text(unsettled, tagger="rules")
    assert unsettled_tables(replace(report, template=None)) is None  # no format: the whole text
    every = replace(report, cells=tuple(replace(c, confidence=0.5) for c in report.cells))
    assert unsettled_tables(every) == ("section2", "section3", "section4")  # every table: their regions
    text = normalize(unsettled).text
    whole = focus(every, [], dict(regions(text)), len(text))
    assert whole is not None and whole.tables == ("section2", "section3", "section4")
    assert sum(b - a for a, b in whole.ranges) < len(text)  # the text around the tables stays the rules'
    s2 = next(c for c in report.cells if c.table == "section2")
    blank = replace(report, cells=tuple(replace(c, raw="") if c is s2 else c for c in report.cells))
    assert unsettled_tables(blank) == ("section2", "section3")
    text = normalize(unsettled).text
    bounds = dict(regions(text))
    # an unsettled table whose region was not found: the model reads all the text outside the settled ones
    lost = focus(report, [], {k: v for k, v in bounds.items() if k != "section3"}, len(text))
    assert lost is not None and lost.tables == ("section3",)
    (a2, b2), (a4, b4) = bounds["section2"], bounds["section4"]
    assert lost.ranges == ((0, a2), (b2, a4), (b4, len(text)))
    # an issue naming a table leaves that table to the model, even with every cell of it sure
    calm_report = extract_text(calm, tagger="rules")
    noted = replace(calm_report, issues=(Issue("info", IssueCode.EXTRA_ROW, "section2: local row 'x' ..."),))
    assert not settled(noted) and unsettled_tables(noted) == ("section2",)
    row_note = Issue("info", IssueCode.PLACEMENT_BY_PRIOR, "section4 row review ('行政复议'): ...")
    assert unsettled_tables(replace(calm_report, issues=(row_note,))) == ("section4",)
    vague = replace(calm_report, issues=(Issue("info", IssueCode.EXTRA_ROW, "local row 'x' ..."),))
    assert unsettled_tables(vague) is None  # an issue that names no table: the whole document


def test_focus_merges_the_models_spans_inside_with_the_rules_spans_outside() -> None:
    rules = [Span(0, 2, "ROW", "规章"), Span(5, 7, "NUM", "12"), Span(20, 22, "NUM", "34"), Span(40, 42, "NUM", "56")]
    part = Focus(("section3",), ((4, 30),), tuple(rules))
    model = [Span(5, 8, "NUM", "123", 0.9), Span(28, 33, "NUM", "77777", 0.9)]  # the second crosses the edge
    assert part.merged(model) == [rules[0], model[0], rules[3]]


@pytest.mark.skipif(os.environ.get("GXIE_SKIP_MODEL") == "1", reason="GXIE_SKIP_MODEL=1")
def test_a_model_reading_only_the_unsettled_tables_reads_them_right() -> None:
    """The bundled model, reading only the tables the rules left unsettled of clean generated reports,
    gives the cells it gives reading the whole text; only the ranges it was given hold its tags."""
    model = get_tagger("model")
    compared = 0
    for r in generate(60, 5, noise_levels=("clean",), agency_pool="heldout"):
        fast = extract_text(r.text, tagger=model)
        if " in section" not in fast.versions.get("tags", ""):
            continue
        compared += 1
        alone = extract_text(r.text, tagger=model, rules_first=False)
        assert fast.to_flat() == alone.to_flat(), r.id
    assert compared >= 5
    text = normalize(r.text).text
    (inside,) = model.tag_many([text], [((100, 400),)])
    assert inside and all(s.start >= 100 and s.end <= 400 for s in inside)
    assert model.tag_many([text], [()]) == [[]]
