"""The committed OCR sample (tests/ocr_sample: synthetic reports rendered, damaged and OCR'd by
training.ocr_corpus): genuine OCR text through the pipeline, no OCR engine needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gxie.pipeline import extract_text
from gxie.templates import load_template

SAMPLE = Path(__file__).resolve().parent / "ocr_sample"
CASES = sorted(SAMPLE.glob("*.json"))
MIN_CELLS_RIGHT = 0.95  # per report; the benchmark (docs/benchmarks.md) has the full figures


def _load(path: Path) -> tuple[str, dict]:
    return path.with_suffix(".txt").read_text(encoding="utf-8"), json.loads(path.read_text(encoding="utf-8"))


def _right(flat: dict, gold: dict) -> int:
    return sum(1 for k, v in gold.items() if flat.get(k) == v and type(flat.get(k)) is type(v))


def test_the_sample_is_there_and_well_formed() -> None:
    assert len(CASES) >= 2, f"no OCR sample in {SAMPLE}; write it with python -m training.ocr_corpus --sample"
    for path in CASES:
        text, meta = _load(path)
        assert meta["set"] == "synth" and meta["level"] and meta["pages"] >= 1
        assert list(meta["flat"]) == load_template(meta["template"]).flat_keys()
        assert "\t" in text  # table rows came back as tab rows


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
@pytest.mark.parametrize("tagger", ["rules", pytest.param("model", marks=pytest.mark.model)])
def test_ocr_text_gives_nearly_every_cell(path: Path, tagger: str) -> None:
    text, meta = _load(path)
    report = extract_text(text, tagger=tagger, source=path.name)
    assert report.template == meta["template"]
    right = _right(report.to_flat(), meta["flat"])
    assert right >= MIN_CELLS_RIGHT * len(meta["flat"]), f"{tagger}: {right}/{len(meta['flat'])} cells right"
