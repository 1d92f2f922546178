"""Labels carried from a rendered report onto OCR-like text (training.ocr_align), read back as training records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gxie.training.data import load_records
from gxie.training.synth import generate
from training.ocr_align import align_files, carry_spans, char_map, unlabelled_ranges


def test_char_map_follows_equal_and_replaced_runs() -> None:
    mapping = char_map("行政许可\t6", "行致许可 6")
    assert mapping == [0, 1, 2, 3, -1, 5]  # whitespace is not aligned
    assert char_map("规 章\n12", "规章   1 2") == [0, -1, 1, -1, 5, 7]
    assert char_map("abc", "") == [-1, -1, -1]


def test_spans_land_on_the_same_cells_through_ocr_damage() -> None:
    source = "二、主动公开\n| 规章 | 0 | 147 |\n行政许可\t6\t+7\n"
    spans = [[0, 6, "SEC"], [9, 11, "ROW"], [14, 15, "NUM"], [18, 21, "NUM"], [24, 28, "ROW"], [29, 30, "NUM"]]
    spans.append([31, 33, "NUM"])
    assert [source[s:e] for s, e, _ in spans] == ["二、主动公开", "规章", "0", "147", "行政许可", "6", "+7"]
    target = "主动公开\n规章\t0\t147\n行致许可\t6\t十7\n"  # list marker dropped, look-alikes, pipes read as tabs
    carried, dropped = carry_spans(source, spans, target)
    assert [(target[a:b], lab) for a, b, lab in carried] == [
        ("主动公开", "SEC"),
        ("规章", "ROW"),
        ("0", "NUM"),
        ("147", "NUM"),
        ("行致许可", "ROW"),
        ("6", "NUM"),
        ("十7", "NUM"),
    ]
    assert dropped == []


def test_a_span_whose_text_is_lost_or_split_by_a_tab_is_dropped() -> None:
    source = "本年新收政府信息公开申请数量\t3"
    spans = [[0, 14, "ROW"], [15, 16, "NUM"]]
    carried, dropped = carry_spans(source, spans, "本年新收政府\t信息公开申请数量\t3")
    assert [lab for *_, lab in carried] == ["NUM"] and [lab for *_, lab in dropped] == ["ROW"]
    carried, dropped = carry_spans(source, spans, "完全不同的文字")
    assert carried == [] and len(dropped) == 2


def test_a_label_wrapped_over_lines_becomes_one_span_per_line() -> None:
    source = "本年新收政府信息公开申请数量\t3"
    spans = [[0, 14, "ROW"], [15, 16, "NUM"]]
    target = "本年新收政府\n信息公开申请数量\t3"
    carried, dropped = carry_spans(source, spans, target)
    assert [(target[a:b], lab) for a, b, lab in carried] == [
        ("本年新收政府", "ROW"),
        ("信息公开申请数量", "ROW"),
        ("3", "NUM"),
    ]
    assert dropped == []
    # numbers printed beside the label's first line stay outside its pieces
    target = "本年新收政府  7  1\n信息公开申请数量"
    carried, _ = carry_spans(source, [[0, 14, "ROW"]], target)
    assert [target[a:b] for a, b, _ in carried] == ["本年新收政府", "信息公开申请数量"]


def test_a_number_crossing_a_line_break_is_dropped() -> None:
    carried, dropped = carry_spans("行政许可\t1234", [[5, 9, "NUM"]], "行政许可\t12\n34")
    assert carried == [] and dropped == [(5, 9, "NUM")]


def test_aligned_records_of_a_synthetic_report_load_as_training_records(tmp_path: Path) -> None:
    report = next(generate(1, seed=5, layouts=("tab_rows",), noise_levels=("clean",)))
    # an OCR-like reading: NBSP and full-width spaces gone, one look-alike swap, tabs kept
    ocr_text = report.text.replace("\xa0", "").replace("\u3000", "").replace("政", "致")
    record = {
        "id": f"{report.id}@mild",
        "set": "synth",
        "level": "mild",
        "template": report.template,
        "layout": report.layout,
        "noise": report.noise,
        "text": ocr_text,
        "flat": report.flat,
        "source_text": report.text,
        "source_spans": [[s.start, s.end, s.label] for s in report.spans],
    }
    corpus = tmp_path / "mild.jsonl"
    corpus.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    totals = align_files([corpus], tmp_path / "records.jsonl")
    assert totals["records"] == 1
    assert totals["NUM carried"] >= 0.98 * sum(1 for s in report.spans if s.label == "NUM")
    (loaded,) = load_records(tmp_path / "records.jsonl")
    assert loaded.text == ocr_text and loaded.meta["noise"] == "ocr_mild" and loaded.meta["source"] == "ocr"
    source_nums = [s.text.replace("政", "致") for s in report.spans if s.label == "NUM"]
    assert [s.text for s in loaded.spans if s.label == "NUM"] == source_nums[: len(source_nums)]


def test_converted_texts_of_one_report_go_to_the_same_split(tmp_path: Path) -> None:
    """Records of training.convert_corpus (a converter, no level) are named after their converter, and a
    report's texts from every converter land together in train or in dev."""
    corpus = tmp_path / "c.jsonl"
    lines = []
    for report in generate(12, seed=8, layouts=("tab_rows",), noise_levels=("clean",)):
        for converter in ("pdftotext", "pypdf"):
            record = {
                "id": report.id,
                "set": "synth",
                "converter": converter,
                "template": report.template,
                "layout": report.layout,
                "text": report.text.replace("\t", "  "),
                "flat": report.flat,
                "source_text": report.text,
                "source_spans": [[s.start, s.end, s.label] for s in report.spans],
            }
            lines.append(json.dumps(record, ensure_ascii=False))
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    totals = align_files([corpus], tmp_path / "train.jsonl", tmp_path / "dev.jsonl", dev_every=3)
    train, dev = load_records(tmp_path / "train.jsonl"), load_records(tmp_path / "dev.jsonl")
    assert totals["records"] == len(train) and totals["dev records"] == len(dev) and len(train) + len(dev) == 24
    assert dev and train and not {r.id for r in train} & {r.id for r in dev}
    assert {r.meta["noise"] for r in train} == {"pdftotext", "pypdf"} and train[0].meta["source"] == "converted"
    with pytest.raises(ValueError, match="dev_every must be 2 or more"):
        align_files([corpus], tmp_path / "x.jsonl", tmp_path / "y.jsonl", dev_every=1)


def test_text_a_converter_moved_is_unlabelled_not_o() -> None:
    """A table read column by column: the numbers the alignment cannot follow are marked unlabelled
    (no loss in training), never left as O, and carried spans are never unlabelled."""
    source = "规章\t1\t2\n文件\t3\t4\n"
    spans = [[0, 2, "ROW"], [3, 4, "NUM"], [5, 6, "NUM"], [7, 9, "ROW"], [10, 11, "NUM"], [12, 13, "NUM"]]
    target = "规章\n文件\n1\n3\n2\n4\n"  # labels first, then the numbers column by column
    mapping = char_map(source, target)
    carried, dropped = carry_spans(source, spans, target, mapping=mapping)
    ranges = unlabelled_ranges(target, mapping, carried, dropped)
    covered = {j for a, b in ranges for j in range(a, b)}
    labelled = {j for a, b, _ in carried for j in range(a, b)}
    digits = {j for j, c in enumerate(target) if c.isdigit()}
    assert digits <= covered | labelled and not covered & labelled
    assert {lab for _, _, lab in carried} >= {"ROW"} and not any(target[j].isspace() for j in covered)
