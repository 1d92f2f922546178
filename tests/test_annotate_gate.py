"""The promotion gate: strict span counts per report, the bootstrap interval of new − old, the decision."""

from __future__ import annotations

import pytest

from gxie.annotate.gate import (
    SpanCounts,
    bootstrap_difference,
    check_min_gain,
    decide,
    entities,
    micro_f1,
    span_counts,
)
from gxie.cli import main
from gxie.errors import ConfigError
from gxie.training.metrics import evaluate_tags

GOLD = [
    ["B-SEC", "I-SEC", "O", "B-ROW", "I-ROW", "B-NUM", "O"],
    ["B-COL", "O", "B-NUM", "I-NUM", "O", "B-EMPTY", "B-NUM"],
    ["O", "O", "O"],
]
PREDICTED = [
    ["B-SEC", "I-SEC", "O", "I-ROW", "I-ROW", "B-NUM", "O"],  # ROW without its B-: no entity (strict)
    ["B-COL", "O", "B-NUM", "O", "O", "B-EMPTY", "B-NUM"],  # NUM cut short
    ["B-CAP", "I-CAP", "O"],  # an entity where there is none
]


def test_per_report_counts_add_up_to_seqeval_strict_micro_f1() -> None:
    assert entities(GOLD[0]) == {("SEC", 0, 2), ("ROW", 3, 5), ("NUM", 5, 6)}
    assert entities(PREDICTED[0]) == {("SEC", 0, 2), ("NUM", 5, 6)}
    counts = [span_counts(g, p) for g, p in zip(GOLD, PREDICTED, strict=True)]
    assert counts == [SpanCounts(2, 0, 1), SpanCounts(3, 1, 1), SpanCounts(0, 1, 0)]
    assert micro_f1(counts) == pytest.approx(evaluate_tags(GOLD, PREDICTED).micro.f1)
    assert micro_f1(counts) == 10 / 14  # 2·5 / (2·5 + 2 + 2)
    assert micro_f1([SpanCounts(0, 0, 0)]) == 1.0  # nothing to find, nothing found
    with pytest.raises(ValueError, match="gold has 3 tags but the prediction 2"):
        span_counts(["O"] * 3, ["O"] * 2)


# Two hand-made reports. A: the old model gets 1 of 2 entities and adds a wrong one (F1 0.5), the new one
# gets both (F1 1.0). B: both models get all 3 entities. Any bootstrap draw is AA (+0.5), AB (+0.2: old
# 8/10, new 1.0) or BB (0); with 2000 draws a quarter are BB and a quarter AA, so the 95% interval runs
# from exactly 0 to exactly +0.5, and the difference on the reports as they are is AB's +0.2.
OLD = [SpanCounts(1, 1, 1), SpanCounts(3, 0, 0)]
NEW = [SpanCounts(2, 0, 0), SpanCounts(3, 0, 0)]


def test_bootstrap_interval_on_hand_made_scores() -> None:
    interval = bootstrap_difference(OLD, NEW)
    assert (interval.previous_f1, interval.candidate_f1) == (0.8, 1.0)
    assert interval.difference == pytest.approx(0.2)
    assert (interval.low, interval.high) == (0.0, 0.5)
    assert (interval.reports, interval.resamples, interval.confidence) == (2, 2000, 0.95)
    assert bootstrap_difference(OLD, NEW) == interval  # fixed seed: the same interval every time
    narrow = bootstrap_difference(OLD, NEW, confidence=0.2)  # the central 20%: AB draws only
    assert (narrow.low, narrow.high) == pytest.approx((0.2, 0.2))
    assert interval.to_dict()["difference"] == 0.2
    same = bootstrap_difference(OLD, OLD)
    assert (same.difference, same.low, same.high) == (0.0, 0.0, 0.0)


def test_an_interval_that_reaches_zero_is_refused_one_above_it_promoted() -> None:
    promoted, reason = decide(bootstrap_difference(OLD, NEW))
    assert not promoted
    assert reason == (
        "frozen-test micro-F1 0.8000 -> 1.0000, difference +0.2000 (95% bootstrap interval +0.0000 … +0.5000, "
        "2 reports resampled 2000 times): the interval reaches no gain, so the new model is not shown to be "
        "better (label more test reports to narrow the interval)"
    )
    better = [SpanCounts(2, 0, 0), SpanCounts(4, 0, 0)]  # B: the old model misses one of 4, the new one none
    old_b = [SpanCounts(1, 1, 1), SpanCounts(3, 0, 1)]
    interval = bootstrap_difference(old_b, better)  # BB draws now gain too: old 6/7 -> 1.0
    assert (interval.low, interval.high) == pytest.approx((1 - 6 / 7, 0.5))
    assert decide(interval) == (
        True,
        "frozen-test micro-F1 0.7273 -> 1.0000, difference +0.2727 (95% bootstrap interval +0.1429 … +0.5000, "
        "2 reports resampled 2000 times)",
    )
    promoted, reason = decide(interval, min_gain=0.2)
    assert not promoted and reason.endswith("times): its lower bound +0.1429 is below the required gain 0.2")
    worse = decide(bootstrap_difference(better, old_b))
    assert worse[0] is False and "-0.2727" in worse[1] and worse[1].endswith("the new model is no better")


def test_synthetic_collapse_and_negative_gain_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    interval = bootstrap_difference([SpanCounts(1, 1, 1)] * 3, [SpanCounts(2, 0, 0)] * 3)
    forgot = {"previous": 0.99, "candidate": 0.95}
    promoted, reason = decide(interval, synthetic=forgot)
    assert not promoted and reason.startswith("synthetic-check micro-F1 fell from 0.9900 to 0.9500 (more than 0.01)")
    assert decide(interval, synthetic=forgot, max_synthetic_drop=0.05)[0]
    with pytest.raises(ConfigError, match=r"--min-gain must be 0 or more, got -0\.01: a negative gain would promote"):
        check_min_gain(-0.01)
    with pytest.raises(ConfigError, match="--min-gain must be 0 or more"):
        decide(interval, min_gain=-0.5)
    args = ["annotate", "retrain", "--data", "nowhere.json", "--init-from", "nowhere", "--min-gain", "-0.1"]
    assert main(args) == 2  # refused before anything is read or trained
    assert "gxie annotate retrain: --min-gain must be 0 or more, got -0.1" in capsys.readouterr().err


def test_bad_bootstrap_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match="at least one test report"):
        bootstrap_difference([], [])
    with pytest.raises(ConfigError, match="resamples must be at least 1, got 0"):
        bootstrap_difference(OLD, NEW, resamples=0)
    with pytest.raises(ConfigError, match=r"confidence must be between 0 and 1 \(exclusive\), got 1\.0"):
        bootstrap_difference(OLD, NEW, confidence=1.0)
    with pytest.raises(ValueError, match="2 reports scored for the previous model, 1 for the new one"):
        bootstrap_difference(OLD, NEW[:1])
