"""The benchmark's scoring pieces (training.bench, training.bench_speed) on a few reports, rules tagger only."""

from __future__ import annotations

import json
import math
from pathlib import Path

from gxie.pipeline import get_tagger
from training.bench import Case, Score, accuracy_table, calibration, calibration_table, score_set, training_time
from training.bench_speed import speed_lines, typical_texts
from training.synth import generate


def _cases(n: int) -> list[Case]:
    reports = generate(n, seed=404, layouts=("tab_rows",), noise_levels=("clean",), broken_share=0.0)
    return [Case(r.id, r.text, dict(r.flat), r.spans) for r in reports]


def test_score_set_counts_cells_reports_relations_and_confidence() -> None:
    cases = _cases(2)
    scores = score_set(cases, {"rules": get_tagger("rules")})
    assert set(scores) == {"rules", "gold spans"}
    for score in scores.values():
        assert score.reports == 2 and score.cells == sum(len(c.flat) for c in cases)
        assert 0 < score.right <= score.cells and score.checks >= score.checks_passed > 0
        assert len(score.confidence) > 0 and all(0.0 <= c <= 1.0 for c, _ in score.confidence)
    assert scores["gold spans"].accuracy >= scores["rules"].accuracy - 0.05


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
    lines = accuracy_table({"OCR mild: synthetic": by})
    assert lines[2] == "| OCR mild: synthetic | 1 | 0.9000 | 1.0000 | - | 0/1 | 1/1 | 0.750 | 1.000 |"
    cal = calibration_table({"OCR mild: synthetic": by}, "OCR")
    assert len(cal) == 2 + 6 and "| [0.99, 1.00] | 0 | - | 1 | 1.0000 |" in cal


def test_training_time_comes_from_the_model_config(tmp_path: Path) -> None:
    meta = {
        "model_version": "abc123",
        "training": {
            "seconds": {"total": 900.5, "data": 100.0, "training": 800.5},
            "environment": {"machine": {"cpu_count": 2, "cpu": "x86_64", "device": "cpu"}},
        },
    }
    (tmp_path / "gxie_config.json").write_text(json.dumps(meta), encoding="utf-8")
    text = training_time(tmp_path)
    assert text.startswith("900.5 s in all (100.0 s data, 800.5 s training") and "`abc123`" in text
    assert "not found" in training_time(tmp_path / "missing")


def test_speed_lines_and_typical_texts() -> None:
    texts = typical_texts(3)
    assert len(texts) == 3 and all(4_500 <= len(t) <= 7_500 for t in texts)
    result = {
        "tagger": "model",
        "device": "cpu",
        "threads": 2,
        "reports": 40,
        "chars": 240_000,
        "load_seconds": 0.5,
        "single_seconds": 4.0,
        "batched_seconds": 2.0,
        "split": {"read": 0.0, "normalize": 0.4, "tag": 2.0, "grid": 1.6},
        "peak_mb": 600.0,
        "before_load_mb": 400.0,
    }
    row = speed_lines([result])[-2]
    assert row == "| model | cpu | 2 | 0.50 | 10.0 | 60,000 | 20.0 | 600 (400) | 0% | 10% | 50% | 40% |"
