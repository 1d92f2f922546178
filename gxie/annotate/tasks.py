"""Label Studio tasks pre-annotated by a tagger: the original report text, the model's spans as a
prediction (UTF-16 offsets, one score per region), and what the pipeline made of it (the rebuilt grid,
failed checks, issues) so an annotator sees why the report needs attention.

Example::

    >>> from gxie.annotate.tasks import build_tasks  # doctest: +SKIP
    >>> built = build_tasks(["reports/a.txt"], tagger="model")  # doctest: +SKIP
    >>> built.tasks[0]["predictions"][0]["model_version"]  # doctest: +SKIP
    'model:3f2a9c1d0b7e'
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gxie.annotate.config import FROM_NAME, TO_NAME
from gxie.annotate.offsets import Utf16Index
from gxie.annotate.select import LOW_CONFIDENCE, Priority, priority_of
from gxie.labels import check_entity
from gxie.pipeline import Prepared, get_tagger, run
from gxie.report import Report
from gxie.tagging.base import Tagger, tagger_label
from gxie.types import Cell, Document, Span

SpanTuple = tuple[int, int, str]  # [start, end) code points into the original text, label


@dataclass
class BuiltTasks:
    """Tasks in input order, each report's priority, and the inputs that could not become tasks."""

    tasks: list[dict[str, Any]]
    priorities: list[Priority]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (source, why)


def to_results(
    text: str, spans: Iterable[SpanTuple], scores: Sequence[float] | None = None, *, prefix: str = "r"
) -> list[dict[str, Any]]:
    """Label Studio ``labels`` regions for code-point ``spans`` of ``text`` (offsets become UTF-16 units).

    ``importer.from_results`` turns them back into exactly the same spans.
    """
    index = Utf16Index(text)
    results = []
    for k, (start, end, label) in enumerate(spans):
        check_entity(label)
        if not 0 <= start < end <= len(text):
            raise ValueError(f"span [{start}, {end}) {label} does not fit a text of {len(text)} characters")
        region: dict[str, Any] = {
            "id": f"{prefix}{k}",
            "from_name": FROM_NAME,
            "to_name": TO_NAME,
            "type": "labels",
            "value": {
                "start": index.to_utf16(start),
                "end": index.to_utf16(end),
                "text": text[start:end],
                "labels": [label],
            },
        }
        if scores is not None:
            region["score"] = round(float(scores[k]), 4)
        results.append(region)
    return results


def original_spans(prepared: Prepared, spans: Iterable[Span]) -> tuple[list[SpanTuple], list[float]]:
    """The tagger's spans (normalized text) on the original text, whitespace at their edges left out
    (it is O by the label conventions, and Label Studio would trim it on screen); scores kept."""
    original, out, scores = prepared.document.text, [], []
    for span in spans:
        start, end = prepared.normalized.original_span(span.start, span.end)
        piece = original[start:end]
        start, end = start + len(piece) - len(piece.lstrip()), end - len(piece) + len(piece.rstrip())
        if start < end:
            out.append((start, end, span.label))
            scores.append(span.score)
    return out, scores


def prediction_for(prepared: Prepared, spans: list[Span], report: Report, model_version: str) -> dict[str, Any]:
    """The tagger's spans as one Label Studio prediction: regions over the original text (UTF-16 offsets,
    a score each, and as the region's meta note the grid cell it became), their mean score, the version."""
    text = prepared.document.text
    regions, scores = original_spans(prepared, spans)
    results = to_results(text, regions, scores, prefix="p")
    for region, (start, end, _) in zip(results, regions, strict=True):
        notes = [_cell_note(c) for c in report.cells if c.span and c.span[0] < end and start < c.span[1]]
        if notes:
            region["meta"] = {"text": ["; ".join(notes)]}
    return {
        "model_version": model_version,
        "score": round(sum(scores) / len(scores), 4) if scores else 0.0,
        "result": results,
    }


def _cell_note(cell: Cell) -> str:
    value = "blank" if cell.value is None else str(cell.value)
    doubt = f" (confidence {cell.confidence:.2f})" if cell.confidence < LOW_CONFIDENCE else ""
    return f"{cell.key} = {value}{doubt}"


def task_for(prepared: Prepared, spans: list[Span], report: Report, model_version: str) -> dict[str, Any]:
    """One Label Studio task for a tagged report, with the tagger's spans as its prediction."""
    priority = priority_of(report)
    return {
        "data": {
            "text": prepared.document.text,
            "source": os.path.basename(prepared.source) or prepared.source,
            "path": prepared.source,
            "content_hash": prepared.content_hash,
            "status": report.status,
            "template": report.template or "",
            "priority": priority.score,
            "attention": attention_text(report, priority),
            "grid": grid_text(report.cells),
        },
        "predictions": [prediction_for(prepared, spans, report, model_version)],
    }


def build_tasks(
    sources: Iterable[str | os.PathLike[str]],
    *,
    tagger: str | Tagger = "model",
    device: str = "auto",
    batch_size: int = 8,
) -> BuiltTasks:
    """Read, tag and check ``sources`` (files) through ``gxie.pipeline.run``; make one pre-annotated task
    per report that was read and tagged; the others are listed in ``skipped`` with the reason.

    >>> build_tasks(["reports/a.txt"], tagger="rules").tasks[0]["data"]["status"]  # doctest: +SKIP
    'ok'
    """
    tg = get_tagger(tagger, device)
    version = tagger_label(tg)
    built = BuiltTasks([], [])
    for extraction in run(sources, tagger=tg, batch_size=batch_size, rules_first=False):  # the model's own tags
        report = extraction.report
        built.priorities.append(priority_of(report))
        if extraction.prepared is None or extraction.spans is None:  # unreadable, or the tagger failed on it
            built.skipped.append((report.source, report.issues[0].message if report.issues else report.status))
        else:
            built.tasks.append(task_for(extraction.prepared, list(extraction.spans), report, version))
    return built


def predict_texts(
    items: Sequence[tuple[str, str]], tagger: Tagger, *, batch_size: int = 8
) -> list[tuple[dict[str, Any], Report]]:
    """One prediction (see :func:`prediction_for`) and the pipeline's report per ``(source, text)`` pair,
    in order: what the ML backend answers Label Studio with."""
    version = tagger_label(tagger)
    documents = [Document(text=text, source=source, kind="text") for source, text in items]
    out: list[tuple[dict[str, Any], Report]] = []
    for extraction in run(documents, tagger=tagger, batch_size=batch_size, rules_first=False):
        report = extraction.report
        if extraction.prepared is None or extraction.spans is None:  # the tagger failed on it: no regions
            out.append(({"model_version": version, "score": 0.0, "result": []}, report))
        else:
            out.append((prediction_for(extraction.prepared, list(extraction.spans), report, version), report))
    return out


def attention_text(report: Report, priority: Priority) -> str:
    """What an annotator should look at first, one line each (shown above the report text)."""
    lines = [f"status {report.status}, format {report.template or 'not found'}, priority {priority.score:g}"]
    lines += [f"- {reason}" for reason in priority.reasons]
    lines += [
        f"- check {c.rule} ({c.scope}) fails: expected {c.expected}, found {c.found}"
        for c in report.checks
        if c.passed is False
    ]
    lines += [f"- {m.level} {m.code}: {m.message}" for m in report.issues if m.level != "info"]
    if len(lines) == 1:
        lines.append("- every relation holds and no issue was raised; check the tags anyway")
    return "\n".join(lines)


def grid_text(cells: Iterable[Cell]) -> str:
    """The rebuilt grid, one cell per line: key, value, the text it was read from, low confidence marked."""
    lines = []
    for c in cells:
        value = "blank" if c.value is None else str(c.value)
        raw = f"  (printed {c.raw!r})" if c.raw and c.raw != value else ""
        doubt = f"  [confidence {c.confidence:.2f}]" if c.confidence < LOW_CONFIDENCE else ""
        lines.append(f"{c.key} = {value}{raw}{doubt}")
    return "\n".join(lines) or "no cell was read"
