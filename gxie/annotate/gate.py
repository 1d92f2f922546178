"""The promotion gate: is the new model better than the old one on the frozen test reports, beyond doubt?

Scores are seqeval's strict IOB2 span counts (an entity counts only with its ``B-`` and exact ends), kept
per report so that the reports can be resampled: the bootstrap draws the test reports with replacement
(``resamples`` times, a fixed seed), recomputes both models' micro-F1 on each draw and takes the central
``confidence`` interval of the difference new − old. A candidate is promoted only when that interval's
lower bound is above zero and reaches ``min_gain``: a model that is merely not worse on a handful of
reports is "no better" and stays out.

Example::

    >>> old = [SpanCounts(8, 2, 2), SpanCounts(5, 0, 1)]
    >>> new = [SpanCounts(10, 0, 0), SpanCounts(6, 0, 0)]
    >>> interval = bootstrap_difference(old, new, resamples=200)
    >>> round(interval.difference, 4), interval.low > 0
    (0.1613, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from gxie.errors import ConfigError

RESAMPLES = 2000  # bootstrap draws of the test reports
CONFIDENCE = 0.95  # central interval of the F1 difference
SEED = 20240611  # fixed: the same reports and models always give the same interval
Entity = tuple[str, int, int]  # label, start, end (exclusive) in characters


@dataclass(frozen=True)
class SpanCounts:
    """Strict span matches of one report: true positives, false positives, false negatives."""

    tp: int
    fp: int
    fn: int

    def __add__(self, other: SpanCounts) -> SpanCounts:
        return SpanCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


@dataclass(frozen=True)
class Interval:
    """The bootstrap interval of micro-F1 new − old over the test reports."""

    previous_f1: float
    candidate_f1: float
    difference: float  # candidate − previous on the test reports as they are
    low: float
    high: float
    confidence: float
    resamples: int
    seed: int
    reports: int

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the retrain report (rounded to 4 places)."""
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}

    def describe(self) -> str:
        """``+0.0312 (95% interval +0.0100 … +0.0550, 12 reports)``."""
        return (
            f"{self.difference:+.4f} ({self.confidence:.0%} bootstrap interval {self.low:+.4f} … {self.high:+.4f}, "
            f"{self.reports} reports resampled {self.resamples} times)"
        )


def entities(tags: Sequence[str]) -> set[Entity]:
    """The entities of one IOB2 tag sequence, strictly: a ``B-X`` followed by ``I-X``; an ``I-`` that does
    not continue an entity of its type starts none (seqeval's strict IOB2 mode)."""
    found: set[Entity] = set()
    label, start = None, 0
    for i, tag in enumerate([*tags, "O"]):
        if label is not None and tag != f"I-{label}":
            found.add((label, start, i))
            label = None
        if tag.startswith("B-"):
            label, start = tag[2:], i
    return found


def span_counts(gold: Sequence[str], predicted: Sequence[str]) -> SpanCounts:
    """Strict span matches of one report's predicted tags against its gold tags."""
    if len(gold) != len(predicted):
        raise ValueError(f"gold has {len(gold)} tags but the prediction {len(predicted)}; they must match")
    want, got = entities(gold), entities(predicted)
    hit = len(want & got)
    return SpanCounts(hit, len(got) - hit, len(want) - hit)


def micro_f1(counts: Iterable[SpanCounts]) -> float:
    """Micro-F1 of summed counts; 1.0 when there was nothing to find and nothing was found."""
    total = sum(counts, SpanCounts(0, 0, 0))
    denominator = 2 * total.tp + total.fp + total.fn
    return 1.0 if denominator == 0 else 2 * total.tp / denominator


def bootstrap_difference(
    previous: Sequence[SpanCounts],
    candidate: Sequence[SpanCounts],
    *,
    resamples: int = RESAMPLES,
    confidence: float = CONFIDENCE,
    seed: int = SEED,
) -> Interval:
    """The bootstrap interval of micro-F1 candidate − previous, resampling whole reports (both models'
    counts of a report travel together)."""
    if len(previous) != len(candidate):
        raise ValueError(f"{len(previous)} reports scored for the previous model, {len(candidate)} for the new one")
    if not previous:
        raise ConfigError("the gate needs at least one test report to compare the models on")
    if resamples < 1:
        raise ConfigError(f"bootstrap resamples must be at least 1, got {resamples}")
    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"the bootstrap confidence must be between 0 and 1 (exclusive), got {confidence!r}")
    old = np.array([(c.tp, c.fp, c.fn) for c in previous], dtype=np.int64)
    new = np.array([(c.tp, c.fp, c.fn) for c in candidate], dtype=np.int64)
    draws = np.random.default_rng(seed).integers(0, len(old), size=(resamples, len(old)))
    diffs = _f1(new[draws].sum(axis=1)) - _f1(old[draws].sum(axis=1))
    tail = (1.0 - confidence) / 2
    low, high = np.quantile(diffs, [tail, 1.0 - tail])
    before, after = micro_f1(previous), micro_f1(candidate)
    return Interval(before, after, after - before, float(low), float(high), confidence, resamples, seed, len(old))


def check_min_gain(min_gain: float) -> None:
    """Refuse a negative ``min_gain``: it would promote a model that is measurably worse."""
    if not min_gain >= 0.0:
        raise ConfigError(
            f"--min-gain must be 0 or more, got {min_gain!r}: a negative gain would promote a model that is worse "
            "than the current one. Use 0 to ask only that the new model be better beyond doubt"
        )


def decide(
    interval: Interval,
    min_gain: float = 0.0,
    synthetic: dict[str, float] | None = None,
    max_synthetic_drop: float = 0.01,
) -> tuple[bool, str]:
    """Promote or not, and why: the observed difference must be positive, the interval's lower bound above
    zero and at least ``min_gain``; ``synthetic`` (``{"previous": f1, "candidate": f1}``) must not fall by
    more than ``max_synthetic_drop``."""
    check_min_gain(min_gain)
    scores = f"frozen-test micro-F1 {interval.previous_f1:.4f} -> {interval.candidate_f1:.4f}, difference "
    if interval.difference <= 0:
        return False, scores + f"{interval.describe()}: the new model is no better"
    if interval.low <= 0:
        return False, scores + (
            f"{interval.describe()}: the interval reaches no gain, so the new model is not shown to be better "
            "(label more test reports to narrow the interval)"
        )
    if interval.low < min_gain:
        return False, scores + (
            f"{interval.describe()}: its lower bound {interval.low:+.4f} is below the required gain {min_gain:g}"
        )
    if synthetic and synthetic["candidate"] < synthetic["previous"] - max_synthetic_drop:
        return False, (
            f"synthetic-check micro-F1 fell from {synthetic['previous']:.4f} to {synthetic['candidate']:.4f} "
            f"(more than {max_synthetic_drop:g}): the new model forgot what it knew"
        )
    return True, scores + interval.describe()


def _f1(sums: np.ndarray) -> np.ndarray:
    """Micro-F1 per row of ``[tp, fp, fn]`` sums (1.0 where the denominator is 0)."""
    tp, fp, fn = sums[:, 0], sums[:, 1], sums[:, 2]
    denominator = 2 * tp + fp + fn
    return np.where(denominator == 0, 1.0, 2 * tp / np.maximum(denominator, 1))
