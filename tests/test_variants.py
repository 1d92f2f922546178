"""Hand-written layout variants of both formats: every cell, status and failed check against gold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gxie import extract
from tests.conftest import VARIANTS
from tests.test_seeds import assert_matches_gold

GOLDS = sorted(VARIANTS.glob("*.json"))


def _fixture(gold_path: Path) -> Path:
    return next(p for p in gold_path.parent.glob(gold_path.stem + ".*") if p.suffix != ".json")


@pytest.mark.parametrize("tagger", ["rules", pytest.param("model", marks=pytest.mark.model)])
@pytest.mark.parametrize("gold_path", GOLDS, ids=[p.stem for p in GOLDS])
def test_variant_matches_gold(gold_path: Path, tagger: str) -> None:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    report = extract(_fixture(gold_path), tagger=tagger)
    assert_matches_gold(report, gold)
