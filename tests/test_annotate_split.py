"""The frozen split of labelled reports and the promotion rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gxie.annotate.retrain import decide
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


def test_promotion_needs_a_frozen_test_score_not_lower_and_no_synthetic_collapse() -> None:
    same = {"frozen_test": {"previous": 0.8, "candidate": 0.8}}
    assert decide(same) == (True, "frozen-test micro-F1 0.8000 -> 0.8000")
    worse = {"frozen_test": {"previous": 0.8, "candidate": 0.79}}
    assert decide(worse) == (False, "frozen-test micro-F1 0.7900 is worse than the previous model's 0.8000")
    assert (
        decide(same, min_gain=0.01)[1]
        == "frozen-test micro-F1 0.8000 is not better by 0.01 than the previous model's 0.8000"
    )
    forgot = {**same, "synthetic_check": {"previous": 0.99, "candidate": 0.95}}
    promoted, reason = decide(forgot)
    assert not promoted and reason.startswith("synthetic-check micro-F1 fell from 0.9900 to 0.9500")
    assert decide(forgot, max_drop=0.05)[0]
