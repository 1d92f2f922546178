"""Invariants of the synthetic corpus generator (gxie.training.synth)."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from gxie.labels import ENTITY_TYPES, spans_to_tags
from gxie.templates import load_template
from gxie.training.synth import (
    LAYOUTS,
    NOISE_LEVELS,
    SynthReport,
    build_dataset,
    dataset_row_to_record,
    generate,
    parse_cell,
    to_records,
)
from gxie.training.synth.agencies import make_agency
from gxie.training.synth.corpus import sample_gold, sample_report
from gxie.training.synth.noise import Noise
from gxie.training.synth.tables import EMPTY_MARKERS
from training.make_corpus import main as make_corpus_main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
APPLICANTS = ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other")
S4_PARTS = ("maintained", "corrected", "other", "pending")
EDGE_SPACE = " \u3000\xa0"


@cache
def corpus() -> tuple[SynthReport, ...]:
    """A default-options batch shared by the tests (about 2 s to make)."""
    return tuple(generate(260, seed=11))


@cache
def per_option() -> tuple[SynthReport, ...]:
    """Three reports for every layout and every noise level, so each one is checked."""
    out = [r for lay in LAYOUTS for r in generate(3, seed=5, layouts=(lay,))]
    out += [r for noise in NOISE_LEVELS for r in generate(3, seed=6, noise_levels=(noise,))]
    return tuple(out)


def all_reports() -> tuple[SynthReport, ...]:
    return corpus() + per_option()


def failing_relations(report: SynthReport) -> set[str]:
    """R1/R2/R3/R5 written out again from the schema (blank cells count as 0)."""
    t = load_template(report.template)

    def v(key: str) -> float:
        return report.flat[key] or 0

    cols = (*APPLICANTS, "total")
    rows = [r.id for r in t.section3.rows]
    leaves = rows[rows.index("granted") : rows.index("total_processed")]
    failed = set()
    for c in cols:
        s = f"section3.{{}}.{c}"
        lhs = v(s.format("new_received")) + v(s.format("carried_over"))
        if lhs != v(s.format("total_processed")) + v(s.format("carried_forward")):
            failed.add("R1_column_identity")
        if v(s.format("total_processed")) != sum(v(s.format(r)) for r in leaves):
            failed.add("R3_outcome_total")
    for r in rows:
        if v(f"section3.{r}.total") != sum(v(f"section3.{r}.{c}") for c in APPLICANTS):
            failed.add("R2_total_column")
    for block in ("review", "litigation_direct", "litigation_after_review"):
        if v(f"section4.{block}.total") != sum(v(f"section4.{block}.{p}") for p in S4_PARTS):
            failed.add("R5_section4_totals")
    return failed


@pytest.mark.slow
def test_spans_align_with_text() -> None:
    for r in all_reports():
        prev_end = 0
        for s in r.spans:
            piece = r.text[s.start : s.end]
            assert piece and piece == s.text, (r.id, s)
            assert "\n" not in piece and "\t" not in piece, (r.id, s)
            assert piece == piece.strip(EDGE_SPACE), (r.id, s)
            assert s.label in ENTITY_TYPES
            assert s.start >= prev_end, f"{r.id}: span {s} overlaps or is out of order"
            prev_end = s.end
        spans_to_tags(len(r.text), r.spans)  # raises on overlap or out-of-range spans


def test_num_and_empty_spans_read_as_intended() -> None:
    markers = set(EMPTY_MARKERS) | {"無"}
    for r in all_reports():
        for s in r.spans:
            if s.label == "NUM":
                parse_cell(s.text)  # raises when a human could not read the number
            elif s.label == "EMPTY":
                assert s.text in markers, (r.id, s.text)


def test_gold_values_are_printed_num_spans() -> None:
    for r in all_reports():
        by_pos = {(s.start, s.end): s for s in r.spans}
        printed = {}
        for c in r.cells:
            span = by_pos[(c.start, c.end)]
            assert span.label in ("NUM", "EMPTY"), (r.id, c)
            if span.label == "NUM":
                assert parse_cell(span.text, c.key) == pytest.approx(c.value), (r.id, c.key, span.text)
            else:
                assert c.value is None
            printed[c.key] = c.value
        for key, value in r.flat.items():
            if value is not None:
                assert printed.get(key) == value, f"{r.id}: gold {key}={value} is not a printed NUM span"


def test_flat_has_exactly_the_template_keys() -> None:
    for r in all_reports():
        assert list(r.flat) == load_template(r.template).flat_keys()
        assert all(v is None or isinstance(v, int | float) for v in r.flat.values())


def test_relations_hold_unless_broken_on_purpose() -> None:
    reports = corpus()
    for r in reports:
        if not r.truncated:
            assert failing_relations(r) == set(r.broken), r.id
    broken = sum(bool(r.broken) for r in reports) / len(reports)
    assert 0.01 <= broken <= 0.12, f"share of reports with a broken relation: {broken:.3f}"


def test_truncated_reports_lose_cells() -> None:
    truncated = [r for r in corpus() if r.truncated]
    assert truncated, "the default options should produce some truncated reports"
    for r in truncated:
        assert len(r.cells) < len(r.flat), r.id
        assert any(v is None for v in r.flat.values())


def test_every_option_and_label_is_produced() -> None:
    reports = corpus()
    assert set(Counter(r.layout for r in reports)) == set(LAYOUTS)
    assert set(Counter(r.noise for r in reports)) == set(NOISE_LEVELS)
    assert {r.template for r in reports} == {"2019", "2021"}
    assert {s.label for r in reports for s in r.spans} == set(ENTITY_TYPES)
    years = Counter((r.template, r.year) for r in reports)
    assert sum(n for (t, y), n in years.items() if t == "2019" and y <= 2020) > 0.8 * sum(
        n for (t, _), n in years.items() if t == "2019"
    )
    assert all(y >= 2020 for (t, y) in years if t == "2021")


def test_report_sizes_are_realistic() -> None:
    lengths = sorted(len(r.text) for r in corpus())
    assert 3500 <= lengths[len(lengths) // 2] <= 8000
    assert lengths[int(len(lengths) * 0.1)] >= 2500


def test_layout_and_noise_filters_are_obeyed() -> None:
    for r in generate(4, seed=2, layouts=("markdown",), noise_levels=("traditional",), templates=("2019",)):
        assert (r.layout, r.noise, r.template) == ("markdown", "traditional", "2019")
        assert "公開" in r.text or "資訊" in r.text
        assert "| " in r.text


def test_same_seed_same_records_and_seeds_differ() -> None:
    a = to_records(generate(12, seed=3))
    assert a == to_records(generate(12, seed=3))
    assert a[:5] == to_records(generate(5, seed=3))
    assert a[5:] == to_records(generate(7, seed=3, first=5))
    b = to_records(generate(12, seed=4))
    assert all(x["text"] != y["text"] for x, y in zip(a, b, strict=True))


def test_heldout_agencies_never_occur_in_training_pool() -> None:
    import random

    rng = random.Random(0)
    train = {make_agency(rng, "train").name for _ in range(3000)}
    heldout = {make_agency(rng, "heldout").name for _ in range(500)}
    assert not train & heldout
    names = {r.agency for r in generate(5, seed=1, agency_pool="heldout")}
    assert len(names) == 5 and not names & train


def test_invalid_options_name_the_allowed_values() -> None:
    with pytest.raises(ValueError, match="2019, 2021"):
        generate(1, 0, templates=("2020",))
    with pytest.raises(ValueError, match="tab_rows"):
        generate(1, 0, layouts=("scan",))
    with pytest.raises(ValueError, match="clean"):
        generate(1, 0, noise_levels=("loud",))
    with pytest.raises(ValueError, match="heldout"):
        generate(1, 0, agency_pool="test")


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("180.16 万元", "section2.procurement.total_amount", 1801600),
        ("375万", "section2.procurement.total_amount", 3750000),
        ("380479.6元", "section2.procurement.total_amount", 380479.6),
        ("45.6萬元", "section2.procurement.total_amount", 456000),
        ("3.2万元", "section2.fees.amount_10k_yuan", 3.2),
        ("+7", None, 7),
        ("－4", None, -4),
        ("1O", None, 10),
        ("l2", None, 12),
        ("１２", None, 12),
        ("2,226", None, 2226),
    ],
)
def test_parse_cell(text: str, key: str | None, value: float) -> None:
    assert parse_cell(text, key) == pytest.approx(value)


def test_parse_cell_rejects_non_numbers() -> None:
    with pytest.raises(ValueError, match="not a number"):
        parse_cell("无")


def test_noise_keeps_labels_whole_and_numbers_readable() -> None:
    import random

    rng = random.Random(0)
    assert Noise("clean", rng).prose("政府信息公开\n") == "政府信息公开\n"
    assert "公開" in Noise("traditional", rng).label("政府信息公开")
    for i in range(200):
        heavy = Noise("heavy", random.Random(i))
        label = heavy.label("（二）部分公开（区分处理的，只计这一情形，不计其他情形）")
        assert "\n" not in label and "\t" not in label and label.strip()
        for number in ("10", "101", "+7", "380479.6元", "0"):
            assert parse_cell(heavy.number(number)) == parse_cell(number)


def test_build_dataset_round_trip() -> None:
    reports = list(generate(3, seed=9))
    records = to_records(reports)
    ds = build_dataset(reports)
    assert len(ds) == 3
    assert [dataset_row_to_record(row) for row in ds] == records
    assert json.loads(ds[0]["flat"]) == reports[0].flat


def test_bundled_sample_is_what_the_generator_writes() -> None:
    report = sample_report()
    assert (report.template, report.layout, report.noise) == ("2021", "tab_rows", "clean")
    assert not report.broken and not report.truncated
    hint = "regenerate with: python -m training.make_corpus --sample examples"
    text = (EXAMPLES / "sample_report.txt").read_text(encoding="utf-8")
    assert text == report.text, hint
    gold = json.loads((EXAMPLES / "sample_report.json").read_text(encoding="utf-8"))
    assert gold == json.loads(json.dumps(sample_gold(report), ensure_ascii=False)), hint


def test_cli_writes_records_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    assert make_corpus_main(["--n", "5", "--seed", "1", "--out", str(out), "--workers", "1"]) == 0
    lines = (out / "reports.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == to_records(generate(5, seed=1))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["n"] == 5 and sum(summary["layout"].values()) == 5
    assert make_corpus_main(["--n", "1"]) == 2
