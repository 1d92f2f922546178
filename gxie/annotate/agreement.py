"""Agreement between annotators of one task, and the spans a task keeps when several people labelled it.

Spans are compared exactly (start, end and label). Pairwise F1 between two annotators is
``2 |A ∩ B| / (|A| + |B|)`` (1.0 when neither marked anything). When no annotation is marked as ground
truth, a task keeps the spans that more than half of its annotators marked (they can never overlap: an
annotator's own spans do not, so two overlapping spans cannot both have a majority); every span the
annotators did not all agree on is listed for review.

Example::

    >>> a, b, c = {(0, 2, "ROW")}, {(0, 2, "ROW"), (5, 7, "NUM")}, {(0, 2, "COL"), (5, 7, "NUM")}
    >>> pairwise_f1(a, b)
    0.6667
    >>> sorted(majority([a, b, c]))
    [(0, 2, 'ROW'), (5, 7, 'NUM')]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

SpanTuple = tuple[int, int, str]


def pairwise_f1(a: Set[SpanTuple], b: Set[SpanTuple]) -> float:
    """Exact-span F1 of two annotators' span sets (symmetric; 1.0 when both are empty), 4 places."""
    if not a and not b:
        return 1.0
    return round(2 * len(a & b) / (len(a) + len(b)), 4)


def majority(span_sets: Sequence[Set[SpanTuple]]) -> set[SpanTuple]:
    """The spans more than half of the annotators marked."""
    votes = Counter(s for spans in span_sets for s in set(spans))
    return {s for s, n in votes.items() if 2 * n > len(span_sets)}


@dataclass(frozen=True)
class Disagreement:
    """One span not every annotator marked: who did, who did not, and whether the task kept it."""

    span: SpanTuple
    text: str
    marked_by: tuple[str, ...]
    not_by: tuple[str, ...]
    kept: bool

    def describe(self) -> str:
        """``ROW '（二）部分公开' [120, 127): marked by 3, 5; not by 4; kept``."""
        start, end, label = self.span
        return (
            f"{label} {self.text!r} [{start}, {end}): marked by {', '.join(self.marked_by)}; "
            f"not by {', '.join(self.not_by)}; {'kept' if self.kept else 'left out'}"
        )


@dataclass(frozen=True)
class TaskAgreement:
    """Agreement on one task labelled by several annotators, and how its spans were chosen."""

    task_id: Any
    source: str
    annotators: tuple[str, ...]
    pairwise: dict[str, float]  # "a & b" -> F1
    method: str  # "ground_truth" | "majority"
    disagreements: tuple[Disagreement, ...] = field(default=())

    @property
    def mean_f1(self) -> float:
        """Mean pairwise F1 (4 places)."""
        return round(sum(self.pairwise.values()) / len(self.pairwise), 4) if self.pairwise else 1.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "task_id": self.task_id,
            "source": self.source,
            "annotators": list(self.annotators),
            "pairwise_f1": dict(self.pairwise),
            "mean_f1": self.mean_f1,
            "method": self.method,
            "disagreements": [d.describe() for d in self.disagreements],
        }


def compare(
    task_id: Any,
    source: str,
    text: str,
    by_annotator: Mapping[str, Set[SpanTuple]],
    kept: Set[SpanTuple],
    method: str,
) -> TaskAgreement:
    """Pairwise F1 of the annotators' spans and every span they did not all mark."""
    names = tuple(sorted(by_annotator))
    pairs = {f"{a} & {b}": pairwise_f1(by_annotator[a], by_annotator[b]) for a, b in combinations(names, 2)}
    every = sorted({s for spans in by_annotator.values() for s in spans})
    disagreements = []
    for span in every:
        marked = tuple(n for n in names if span in by_annotator[n])
        if len(marked) < len(names):
            others = tuple(n for n in names if n not in marked)
            disagreements.append(Disagreement(span, text[span[0] : span[1]], marked, others, span in kept))
    return TaskAgreement(task_id, source, names, pairs, method, tuple(disagreements))


def review_markdown(agreements: Sequence[TaskAgreement]) -> str:
    """A review list for people: per task the annotators, their pairwise F1 and each disagreement."""
    if not agreements:
        return "# Annotator agreement\n\nNo task was labelled by more than one annotator.\n"
    mean = sum(a.mean_f1 for a in agreements) / len(agreements)
    disputed = [a for a in agreements if a.disagreements]
    lines = [
        "# Annotator agreement",
        "",
        f"{len(agreements)} task(s) labelled by several annotators; mean pairwise span F1 {mean:.4f}; "
        f"{len(disputed)} with disagreements to review.",
        "Spans are kept from the ground-truth annotation when there is one, else when most annotators marked them.",
        "",
    ]
    for a in agreements:
        pairs = ", ".join(f"{k} {v:.4f}" for k, v in a.pairwise.items())
        lines += [f"## task {a.task_id} ({a.source}): {a.method.replace('_', ' ')}", "", f"- pairwise F1: {pairs}"]
        lines += [f"- {d.describe()}" for d in a.disagreements] or ["- no disagreement"]
        lines.append("")
    return "\n".join(lines)
