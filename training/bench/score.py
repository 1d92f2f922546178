"""Scoring: every tagger on every set through the pipeline's document loop, tallied against the gold grids
(cells right, reports all right, relations passing, confidence of the cells found), and pooled."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from gxie.pipeline import Prepared, finish, get_tagger, prepare, run
from gxie.report import Report
from gxie.tagging.base import Tagger
from gxie.templates import load_template
from gxie.types import Cell, Check, Document, Issue, IssueCode, Span
from gxie.validate import run_checks
from training.bench.sets import TYPED, Case

BUCKETS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)  # lower edges of the confidence buckets
GOLD = "gold spans"  # the column fed the generator's own labels: what a perfect tagger would get


@dataclass
class Score:
    """What one tagger got on one set; ``parts`` holds the same tally per case tag."""

    cells: int = 0
    right: int = 0
    reports: int = 0
    perfect: int = 0
    checks: int = 0
    checks_passed: int = 0
    confidence: list[tuple[float, bool]] = field(default_factory=list)
    parts: dict[str, Score] = field(default_factory=dict)
    trusted: int = 0  # cells the published rule lets a user take without review (Report.trusted_cells)
    trusted_right: int = 0
    verdicts: int = 0  # relations gxie says the report itself breaks (Check.source_inconsistency)
    verdicts_right: int = 0  # of them, those the gold grid breaks too (else gxie misread a consistent report)

    def add(self, report: Report, gold: dict[str, Any], tags: Sequence[str] = ()) -> None:
        """Count one report against its gold grid, in the whole and in the part of each tag."""
        flat = report.to_flat()
        right = sum(1 for k, v in gold.items() if same(flat.get(k), v))
        evaluated = [c for c in report.checks if c.passed is not None]
        trusted = [c for c in report.trusted_cells if c.key in gold]
        verdicts = [c for c in report.checks if c.source_inconsistency]
        one = Score(
            cells=len(gold),
            right=right,
            reports=1,
            perfect=int(right == len(gold)),
            checks=len(evaluated),
            checks_passed=sum(1 for c in evaluated if c.passed),
            confidence=[(c.confidence, same(c.value, gold[c.key])) for c in report.cells if c.key in gold],
            trusted=len(trusted),
            trusted_right=sum(1 for c in trusted if same(c.value, gold[c.key])),
            verdicts=len(verdicts),
            verdicts_right=_broken_by_gold(report, gold, verdicts),
        )
        self.merge(one)
        for tag in tags:
            self.parts.setdefault(tag, Score()).merge(one)

    def merge(self, other: Score) -> None:
        """Add ``other``'s tallies (parts included) to this one."""
        for f in fields(self):
            if f.name not in ("confidence", "parts"):
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        self.confidence.extend(other.confidence)
        for tag, part in other.parts.items():
            self.parts.setdefault(tag, Score()).merge(part)

    @property
    def accuracy(self) -> float:
        """The share of gold cells read right (0 for an empty score)."""
        return self.right / max(1, self.cells)

    @property
    def trusted_precision(self) -> float | None:
        """The share of trusted cells that are right (None when no cell is trusted)."""
        return self.trusted_right / self.trusted if self.trusted else None

    @property
    def coverage(self) -> float:
        """The share of gold cells given as trusted (0 for an empty score)."""
        return self.trusted / max(1, self.cells)


def _broken_by_gold(report: Report, gold: dict[str, Any], verdicts: Sequence[Check]) -> int:
    """How many of ``verdicts`` (relations said to fail in the report itself) the gold grid breaks too."""
    if not verdicts or report.template is None:
        return 0
    cells = {}
    for key, value in gold.items():
        table, row, col = key.split(".")
        cells[key] = Cell(table, row, col, value, "", None, 1.0)
    failing = {(c.rule, c.scope) for c in run_checks(load_template(report.template), cells) if c.passed is False}
    return sum(1 for v in verdicts if (v.rule, v.scope) in failing)


def pooled(scores: Iterable[Score]) -> Score:
    """One score over several sets (cells, reports and checks summed)."""
    out = Score()
    for score in scores:
        out.merge(score)
    return out


def pooled_sets(group: Sequence[dict[str, Score]]) -> dict[str, Score]:
    """Several sets' scores pooled per tagger; a column (``gold spans``) only when every set has it."""
    names = [name for name in group[0] if all(name in by for by in group)] if group else []
    return {name: pooled(by[name] for by in group) for name in names}


def same(found: Any, gold: Any) -> bool:
    return found == gold and type(found) is type(gold)


def on_normalized(prepared: Prepared, spans: Sequence[Span]) -> list[Span]:
    """Raw-text spans moved onto the normalized text."""
    starts = list(prepared.normalized.starts)
    text = prepared.normalized.text
    out = []
    for s in spans:
        a, b = bisect.bisect_left(starts, s.start), bisect.bisect_left(starts, s.end)
        if a < b:
            out.append(Span(a, b, s.label, text[a:b]))
    return out


Progress = Callable[[str, int, int], None]  # (tagger, reports done, reports in the set)


def score_set(cases: Sequence[Case], taggers: dict[str, Tagger], progress: Progress | None = None) -> dict[str, Score]:
    """Score every tagger on ``cases`` through ``gxie.pipeline.run`` (the whole set tagged in one
    ``tag_many`` call); ``gold spans`` too when every case has spans. ``progress`` hears of each report.

    >>> score_set(cases, {"rules": get_tagger("rules")})["rules"].accuracy  # doctest: +SKIP
    0.9983
    """
    documents = [Document(text=c.text, source=c.id, kind="text", issues=_read_by_ocr(c)) for c in cases]
    out: dict[str, Score] = {}
    for name, tagger in taggers.items():
        out[name] = Score()
        extractions = run(documents, tagger=tagger, batch_size=max(1, len(documents)))
        for done, (case, extraction) in enumerate(zip(cases, extractions, strict=True), 1):
            out[name].add(extraction.report, case.flat, case.tags)
            if progress is not None:
                progress(name, done, len(cases))
    if cases and all(c.spans is not None for c in cases):
        oracle = get_tagger("rules")
        out[GOLD] = Score()
        for done, (case, document) in enumerate(zip(cases, documents, strict=True), 1):
            prepared = prepare(document)
            out[GOLD].add(finish(prepared, on_normalized(prepared, case.spans or ()), oracle), case.flat, case.tags)
            if progress is not None:
                progress(GOLD, done, len(cases))
    return out


def _read_by_ocr(case: Case) -> tuple[Issue, ...]:
    """The issue gxie's OCR gives a document it read (``gxie.ocr.scan``), for a case whose text it made."""
    return (Issue("info", IssueCode.OCR, "the pages were read by OCR (benchmark corpus)"),) if case.ocr else ()


def calibration(scores: Sequence[Score]) -> list[tuple[str, int, float]]:
    """(bucket, cells, accuracy) over the cells found, by confidence bucket."""
    pairs = [p for s in scores for p in s.confidence]
    rows = []
    edges = (*BUCKETS, 1.0 + 1e-9)
    for lo, hi in itertools.pairwise(edges):
        inside = [ok for conf, ok in pairs if lo <= conf < hi]
        label = f"[{lo:.2f}, {min(hi, 1.0):.2f}{']' if hi > 1 else ')'}"
        rows.append((label, len(inside), sum(inside) / len(inside) if inside else float("nan")))
    return rows


def breakdown(
    scores: dict[str, dict[str, Score]], prefix: str, kinds: Sequence[str] = ("format", "layout")
) -> dict[str, dict[str, Score]]:
    """The sets named ``prefix ...`` pooled (row ``all``) and split by the case tags of ``kinds``."""
    chosen = [by for name, by in scores.items() if name.startswith(prefix)]
    if not chosen:
        return {}
    whole = pooled_sets(chosen)
    tags = sorted(
        {t for s in whole.values() for t in s.parts if t.split(" ", 1)[0] in kinds},
        key=lambda t: (kinds.index(t.split(" ", 1)[0]), t),
    )
    out = {f"{prefix} (all {len(chosen)} sets)": whole}
    for tag in tags:
        out[f"{prefix}, {tag}"] = {name: s.parts.get(tag, Score()) for name, s in whole.items()}
    return out


def ocr_levels(scores: dict[str, dict[str, Score]], typed: bool = False) -> dict[str, dict[str, Score]]:
    """The OCR sets pooled per damage level, in corpus order: the reports printed with ruled tables
    (synthetic and seed reports together), or with ``typed`` the stress sets of tables typed as text."""
    groups: dict[str, list[dict[str, Score]]] = {}
    for name, by in scores.items():
        if name.startswith("OCR ") and ":" in name and name.endswith(TYPED) == typed:
            groups.setdefault(name[4:].split(":", 1)[0], []).append(by)
    return {level: pooled_sets(group) for level, group in groups.items()}
