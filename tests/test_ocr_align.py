"""Labels carried from a rendered report onto OCR-like text (training.ocr_align), read back as training records."""

from __future__ import annotations

import json
from pathlib import Path

from gxie.training.data import load_records
from gxie.training.synth import generate
from training.ocr_align import align_files, carry_spans, char_map


def test_char_map_follows_equal_and_replaced_runs() -> None:
    mapping = char_map("行政许可\t6", "行致许可 6")
    assert mapping == [0, 1, 2, 3, 4, 5]
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
