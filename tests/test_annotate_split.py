"""The frozen split of labelled reports and the promotion rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gxie.annotate.split import frozen_split, load_split, text_key
from gxie.errors import ConfigError


def records(n: int, first: int = 0) -> list[dict[str, str]]:
    return [{"id": str(i), "text": f"第{i}份报告"} for i in range(first, first + n)]


def test_a_first_split_has_both_sides_and_later_rounds_never_move_a_report(tmp_path: Path) -> None:
    path = tmp_path / "split.json"
    for share in (0.01, 0.99):  # hashes alone would put both reports on one side
        path.unlink(missing_ok=True)
        train, test = frozen_split(records(2), path, test_share=share)
        assert len(train) == len(test) == 1
    first = load_split(path)
    assert set(first) == {text_key(r["text"]) for r in records(2)}
    train, test = frozen_split(records(40), path)  # 38 new reports join
    later = load_split(path)
    assert {k: later[k] for k in first} == first
    assert 0.15 < len(test) / 40 < 0.45  # about test_share of the new ones
    assert frozen_split(list(reversed(records(40))), path) == (train[::-1], test[::-1])
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 1


def test_a_broken_split_file_or_share_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "split.json"
    path.write_text('{"train": 3}', encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read the split file"):
        frozen_split(records(3), path)
    with pytest.raises(ConfigError, match="test_share must be between 0 and 1"):
        frozen_split(records(3), tmp_path / "other.json", test_share=1.0)


def test_only_eligible_reports_judge_and_the_test_side_is_filled_to_its_minimum(tmp_path: Path) -> None:
    path = tmp_path / "split.json"
    items = records(10)
    human = {r["id"] for r in items[:6]}  # the other four come from records of unknown origin
    train, test = frozen_split(items, path, eligible=lambda r: r["id"] in human, min_test=5)
    assert {r["id"] for r in test} <= human and len(test) == 5  # filled up to the minimum, lowest hashes first
    assert {r["id"] for r in train} == ({r["id"] for r in items} - {r["id"] for r in test})
    filled = sorted((r for r in items if r["id"] in human), key=lambda r: int(text_key(r["text"]), 16))
    assert {r["id"] for r in test} == {r["id"] for r in filled[:5]}
    again = frozen_split(items, path, eligible=lambda r: True, min_test=9)  # frozen: nothing moves
    assert again == (train, test)
    few = tmp_path / "few.json"  # never the last report left to train on
    train, test = frozen_split(records(3), few, min_test=5)
    assert (len(train), len(test)) == (1, 2)
    nobody = tmp_path / "nobody.json"
    train, test = frozen_split(records(4), nobody, eligible=lambda r: False, min_test=2)
    assert (len(train), test) == (4, [])
    with pytest.raises(ConfigError, match="min_test must be at least 1, got 0"):
        frozen_split(records(3), tmp_path / "x.json", min_test=0)
