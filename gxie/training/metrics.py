"""Span-level scores with seqeval in strict IOB2 mode (an entity counts only with its ``B-`` and exact ends).

Example: ``evaluate_tags([["B-NUM", "I-NUM", "O"]], [["B-NUM", "I-NUM", "O"]]).micro.f1 == 1.0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from gxie.errors import MissingExtraError
from gxie.labels import ENTITY_TYPES, UNLABELLED

if TYPE_CHECKING:
    from gxie.tagging.model import ModelTagger
    from gxie.training.data import Example


@dataclass(frozen=True)
class Scores:
    """Precision, recall, F1 and the number of gold entities."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    """Micro-averaged and per-label scores over a set of texts."""

    micro: Scores
    per_label: dict[str, Scores]
    n_texts: int
    n_chars: int

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON (model config, card)."""
        return {
            "micro": asdict(self.micro),
            "per_label": {k: asdict(v) for k, v in self.per_label.items()},
            "n_texts": self.n_texts,
            "n_chars": self.n_chars,
        }


def evaluate_tags(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> Evaluation:
    """Compare predicted IOB2 tag sequences with gold ones (seqeval, ``mode="strict"``, IOB2). A gold
    ``UNLABELLED`` character (no label known there) counts as ``O`` on both sides."""
    try:
        from seqeval.metrics import classification_report
        from seqeval.scheme import IOB2
    except ImportError as exc:
        raise MissingExtraError("seqeval", "train", "Evaluating a tagger") from exc
    if len(gold) != len(predicted) or any(len(g) != len(p) for g, p in zip(gold, predicted, strict=False)):
        raise ValueError("gold and predicted tags must have the same number of texts and characters")
    y_true, y_pred = [list(g) for g in gold], [list(p) for p in predicted]
    for g, p in zip(y_true, y_pred, strict=True):
        for i, tag in enumerate(g):
            if tag == UNLABELLED:
                g[i] = p[i] = "O"
    n_chars = sum(len(g) for g in y_true)
    if not any(t != "O" for seq in y_true + y_pred for t in seq):
        # nothing to find and nothing found: perfect, and seqeval would divide by zero
        return Evaluation(Scores(1.0, 1.0, 1.0, 0), {}, len(y_true), n_chars)
    report = classification_report(y_true, y_pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    # labels absent from both gold and predictions are left out
    per_label = {label: _scores(report[label]) for label in ENTITY_TYPES if label in report}
    return Evaluation(_scores(report["micro avg"]), per_label, len(y_true), n_chars)


def evaluate_tagger(tagger: ModelTagger, examples: Sequence[Example]) -> Evaluation:
    """Tag the examples' texts with ``tagger`` (windows merged as at inference) and score the tags."""
    predicted = [tags for tags, _ in tagger.predict([e.text for e in examples])]
    return evaluate_tags([e.tags for e in examples], predicted)


def _scores(row: dict[str, float]) -> Scores:
    return Scores(float(row["precision"]), float(row["recall"]), float(row["f1-score"]), int(row["support"]))
