"""Which unlabelled reports to annotate first: those where a human label would teach the model most.

A report's priority adds up what the pipeline itself found suspicious: relations that fail on cells read
with low confidence (the model is probably wrong there), relations the source breaks, low-confidence
cells, uncertain readings, layouts the grid had to guess (numbers before labels, block layouts, rows not
in the format), missing cells, and reports where no table was found at all. Next to these table checks,
the model's own doubt (:func:`doubt_of`, from the probability it gave each character's tag, what
``ModelTagger.predict`` returns): headings and labels it tagged with a low probability, and stretches of
text it almost labelled. Every point comes with a reason an annotator can read.

Example::

    >>> from gxie.annotate.select import priority_of  # doctest: +SKIP
    >>> priority_of(report).reasons                   # doctest: +SKIP
    ['2 relations fail on uncertain cells: R1 (column total), R3 (column total)', ...]
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from gxie.labels import tags_to_spans
from gxie.report import Report
from gxie.templates import load_template
from gxie.types import IssueCode, Span

LOW_CONFIDENCE = 0.8  # a cell read less surely than this is worth a look
WEIGHTS: dict[str, float] = {
    "no_tables": 10.0,  # the tagger found no table in a readable document
    "uncertain_relation": 4.0,  # a failed relation on cells read with low confidence
    "source_inconsistency": 1.0,  # the printed numbers do not add up (rarely the model's fault)
    "uncertain_issue": 2.0,  # an uncertain row, duplicate row, uncertain format ...
    "unusual_layout": 1.5,  # a layout the grid rebuild had to work around
    "low_confidence_cell": 0.5,
    "missing_cell": 0.05,
    "doubtful_label": 1.0,  # a heading or label span the model tagged with a low probability
    "doubtful_text": 0.5,  # a stretch of text the model almost labelled (a label it may have missed)
}
DOUBT_LABELS = ("SEC", "CAP", "ROW", "COL")  # headings and labels: where the grid rebuild starts
DOUBTFUL_SPAN = 0.9  # a heading or label span whose least sure character is below this is doubtful
DOUBTFUL_O = 0.6  # an unlabelled character the model was less sure of than this was almost labelled
UNUSUAL_LAYOUTS = frozenset(
    {
        IssueCode.LABELS_AFTER_NUMBERS,
        IssueCode.BLOCK_LAYOUT,
        IssueCode.PLACEMENT_BY_PRIOR,
        IssueCode.EXTRA_ROW,
        IssueCode.ROW_NOT_IN_FORMAT,
        IssueCode.UNKNOWN_ROW,
    }
)
UNREADABLE = frozenset(
    {IssueCode.READ_ERROR, IssueCode.UNSUPPORTED_FORMAT, IssueCode.NEEDS_OCR, IssueCode.LIMIT_EXCEEDED}
)  # no label fixes it


@dataclass(frozen=True)
class Priority:
    """How much a label on one report would help: ``score`` (higher first) and the reasons behind it."""

    source: str
    score: float
    reasons: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    annotatable: bool = True  # False: the document cannot be read, so there is nothing to label

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {
            "source": self.source,
            "score": self.score,
            "annotatable": self.annotatable,
            "reasons": list(self.reasons),
            "counts": dict(self.counts),
        }


def priority_of(report: Report) -> Priority:
    """Score one report from its checks, issues and cells (see ``WEIGHTS``)."""
    codes = [m.code for m in report.issues]
    if report.status == "failed" and any(c in UNREADABLE for c in codes):
        why = next(m.message for m in report.issues if m.code in UNREADABLE)
        return Priority(report.source, 0.0, [f"cannot be annotated: {why}"], {}, annotatable=False)
    counts: dict[str, int] = {}
    reasons: list[str] = []

    def add(kind: str, n: int, reason: str) -> None:
        if n:
            counts[kind] = n
            reasons.append(reason)

    if IssueCode.NO_TABLES in codes:
        add("no_tables", 1, "no table of the report format was found: the tagger may have missed them all")
    uncertain = [c for c in report.checks if c.passed is False and not c.source_inconsistency]
    broken = [c for c in report.checks if c.passed is False and c.source_inconsistency]
    add(
        "uncertain_relation",
        len(uncertain),
        f"{len(uncertain)} relation(s) fail on uncertain cells: "
        + ", ".join(f"{c.rule} ({c.scope})" for c in uncertain),
    )
    add(
        "source_inconsistency",
        len(broken),
        f"{len(broken)} relation(s) broken by the printed numbers: "
        + ", ".join(f"{c.rule} ({c.scope})" for c in broken),
    )
    shaky = sorted(c.key for c in report.cells if c.confidence < LOW_CONFIDENCE)
    add(
        "low_confidence_cell",
        len(shaky),
        f"{len(shaky)} cell(s) read with confidence < {LOW_CONFIDENCE}: " + _few(shaky),
    )
    doubts = sorted({c for c in codes if c.uncertain})
    add("uncertain_issue", sum(c.uncertain for c in codes), "uncertain readings: " + ", ".join(doubts))
    layouts = sorted({c for c in codes if c in UNUSUAL_LAYOUTS})
    add("unusual_layout", sum(c in UNUSUAL_LAYOUTS for c in codes), "unusual layout: " + ", ".join(layouts))
    if report.template:
        missing = len(load_template(report.template).flat_keys()) - len(report.cells)
        add("missing_cell", max(0, missing), f"{missing} cell(s) of the {report.template} format not found")
    score = round(sum(WEIGHTS[k] * n for k, n in counts.items()), 3)
    return Priority(report.source, score, reasons, counts)


@dataclass(frozen=True)
class Doubt:
    """The model's doubt about one text: heading and label spans tagged with a low probability
    (label, text, probability of the least sure character), stretches of unlabelled text it almost
    labelled (text, lowest probability), and the mean of 1 − p over all characters."""

    labels: tuple[tuple[str, str, float], ...] = ()
    stretches: tuple[tuple[str, float], ...] = ()
    mean_uncertainty: float = 0.0


def doubt_of(text: str, tags: Sequence[str], probs: Sequence[float]) -> Doubt:
    """The doubt in one tagged text: ``tags`` and ``probs`` are one per character (``ModelTagger.predict``:
    the argmax tag and the probability the model gave it)."""
    if not len(text) == len(tags) == len(probs):
        raise ValueError(f"text, tags and probabilities differ in length: {len(text)}, {len(tags)}, {len(probs)}")
    labels = tuple(
        (s.label, s.text, round(s.score, 4))
        for s in tags_to_spans(text, list(tags), list(probs))
        if s.label in DOUBT_LABELS and s.score < DOUBTFUL_SPAN
    )
    stretches: list[tuple[str, float]] = []
    start = None
    for i in range(len(text) + 1):
        shaky = i < len(text) and tags[i] == "O" and probs[i] < DOUBTFUL_O and not text[i].isspace()
        if shaky and start is None:
            start = i
        elif not shaky and start is not None:
            stretches.append((text[start:i], round(min(probs[start:i]), 4)))
            start = None
    mean = round(sum(1.0 - p for p in probs) / len(probs), 4) if probs else 0.0
    return Doubt(labels, tuple(stretches), mean)


def with_doubt(priority: Priority, doubt: Doubt) -> Priority:
    """``priority`` with the model's doubt added to its score, counts and reasons."""
    if not priority.annotatable:
        return priority
    counts, reasons = dict(priority.counts), list(priority.reasons)
    if doubt.labels:
        counts["doubtful_label"] = len(doubt.labels)
        reasons.append(
            f"{len(doubt.labels)} heading/label span(s) the model doubts (p < {DOUBTFUL_SPAN}): "
            + _few([f"{label} {text!r} {p:.2f}" for label, text, p in sorted(doubt.labels, key=lambda d: d[2])])
        )
    if doubt.stretches:
        counts["doubtful_text"] = len(doubt.stretches)
        reasons.append(
            f"{len(doubt.stretches)} stretch(es) of text the model almost labelled (p < {DOUBTFUL_O} on O): "
            + _few([f"{text[:20]!r} {p:.2f}" for text, p in sorted(doubt.stretches, key=lambda d: d[1])])
        )
    if doubt.labels or doubt.stretches:
        reasons.append(f"mean character uncertainty 1 − p = {doubt.mean_uncertainty:.4f}")
    score = round(sum(WEIGHTS[k] * n for k, n in counts.items()), 3)
    return replace(priority, score=score, counts=counts, reasons=reasons)


class DoubtRecorder:
    """A tagger wrapper (gxie.tagging.base.Tagger) that keeps the model's doubt about every text it tags.

    Taggers with ``predict`` (per character: argmax tag and its probability) have their spans decoded here
    exactly as ``ModelTagger.tag_many`` does; others (the rules) are passed through and leave no doubt.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name: str = inner.name
        self.version: str = inner.version
        self._doubts: dict[str, Doubt] = {}

    def tag(self, text: str) -> list[Span]:
        """Spans of one normalized text."""
        return self.tag_many([text])[0]

    def tag_many(self, texts: Sequence[str]) -> list[list[Span]]:
        """Spans of several normalized texts; their doubt is kept for :meth:`doubt_for`."""
        predict = getattr(self.inner, "predict", None)
        if predict is None:
            spans: list[list[Span]] = self.inner.tag_many(texts)
            return spans
        out = []
        for text, (tags, probs) in zip(texts, predict(texts), strict=True):
            self._doubts[_text_key(text)] = doubt_of(text, tags, probs)
            out.append(tags_to_spans(text, tags, probs))
        return out

    def doubt_for(self, normalized_text: str) -> Doubt | None:
        """The doubt recorded for a normalized text, or None (not tagged here, or a tagger without doubt)."""
        return self._doubts.get(_text_key(normalized_text))


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rank(reports: Iterable[Report]) -> list[Priority]:
    """Priorities of ``reports``, most useful to label first (ties by source name); unreadable ones last."""
    return sorted((priority_of(r) for r in reports), key=lambda p: (not p.annotatable, -p.score, p.source))


def _few(keys: list[str], n: int = 4) -> str:
    return ", ".join(keys[:n]) + (f" and {len(keys) - n} more" if len(keys) > n else "")
