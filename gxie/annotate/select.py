"""Which unlabelled reports to annotate first: those where a human label would teach the model most.

A report's priority adds up what the pipeline itself found suspicious: relations that fail on cells read
with low confidence (the model is probably wrong there), relations the source breaks, low-confidence
cells, uncertain readings, layouts the grid had to guess (numbers before labels, block layouts, rows not
in the format), missing cells, and reports where no table was found at all. Every point comes with a
reason an annotator can read.

Example::

    >>> from gxie.annotate.select import priority_of  # doctest: +SKIP
    >>> priority_of(report).reasons                   # doctest: +SKIP
    ['2 relations fail on uncertain cells: R1 (column total), R3 (column total)', ...]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from gxie.report import Report
from gxie.templates import load_template
from gxie.types import IssueCode

LOW_CONFIDENCE = 0.8  # a cell read less surely than this is worth a look
WEIGHTS: dict[str, float] = {
    "no_tables": 10.0,  # the tagger found no table in a readable document
    "uncertain_relation": 4.0,  # a failed relation on cells read with low confidence
    "source_inconsistency": 1.0,  # the printed numbers do not add up (rarely the model's fault)
    "uncertain_issue": 2.0,  # an uncertain row, duplicate row, uncertain format ...
    "unusual_layout": 1.5,  # a layout the grid rebuild had to work around
    "low_confidence_cell": 0.5,
    "missing_cell": 0.05,
}
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


def rank(reports: Iterable[Report]) -> list[Priority]:
    """Priorities of ``reports``, most useful to label first (ties by source name); unreadable ones last."""
    return sorted((priority_of(r) for r in reports), key=lambda p: (not p.annotatable, -p.score, p.source))


def _few(keys: list[str], n: int = 4) -> str:
    return ", ".join(keys[:n]) + (f" and {len(keys) - n} more" if len(keys) > n else "")
