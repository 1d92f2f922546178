"""A Label Studio JSON export -> training records (``{"id", "text", "spans": [[start, end, label], ...]}``
over the raw task text, read by gxie.training.data.load_records).

Every region is checked against the text it covers (``text[start:end] == value["text"]`` after the UTF-16
conversion); a task with a region that disagrees is left out and reported with its task id, never
shifted. Cancelled (skipped) annotations are ignored, and tasks with nothing else are left out and
counted. Per annotator (``completed_by``) the newest annotation counts. A ground-truth annotation wins;
else a task labelled by one annotator keeps that annotator's spans, and a task labelled by several keeps
the spans most of them marked (gxie.annotate.agreement), its pairwise agreement and every disagreement
reported for review. A record says whether a person made it (``human``: not an annotation Label Studio
created from a prediction); only such records may judge a model (gxie.annotate.split).

Example::

    >>> from gxie.annotate.importer import import_export, read_export, write_records  # doctest: +SKIP
    >>> result = import_export(read_export("export.json"))  # doctest: +SKIP
    >>> write_records(result.records, "annotations/labelled.jsonl")  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from gxie.annotate.agreement import TaskAgreement, compare, majority
from gxie.annotate.offsets import OffsetError, Utf16Index, locate
from gxie.errors import ConfigError
from gxie.labels import ENTITY_TYPES

SpanTuple = tuple[int, int, str]
MACHINE_ACTIONS = frozenset({"prediction", "propagated_annotation"})  # Label Studio last_action of no person


@dataclass
class ImportResult:
    """Records made from the export, problems (each naming its task id) and counts of what was left out."""

    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    agreement: list[TaskAgreement] = field(default_factory=list)  # tasks labelled by several annotators

    def summary(self) -> str:
        """One line for people: what became a record and what was left out (and, when several people
        labelled a task, how much they agreed)."""
        c = self.counts
        line = (
            f"{c['tasks']} tasks: {len(self.records)} labelled reports ({c['spans']} spans), "
            f"{c['unlabelled']} without annotations, {c['skipped']} skipped or cancelled, "
            f"{c['with_problems']} left out for problems; {c['other_annotations']} older or non-ground-truth "
            f"annotations ignored; {c['whitespace']} regions whose stored text had whitespace collapsed"
        )
        if self.agreement:
            mean = sum(a.mean_f1 for a in self.agreement) / len(self.agreement)
            disputed = sum(bool(a.disagreements) for a in self.agreement)
            line += (
                f"; {len(self.agreement)} task(s) labelled by several annotators: mean pairwise span F1 "
                f"{mean:.4f}, {disputed} with disagreements to review"
            )
        return line


def read_export(path: str | Path) -> list[dict[str, Any]]:
    """The tasks of a Label Studio JSON export file (a JSON list; JSON Lines of tasks also accepted)."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the Label Studio export {path}: {exc}") from exc
    try:
        data = json.loads(raw)
    except ValueError:
        try:
            data = [json.loads(line) for line in raw.splitlines() if line.strip()]
        except ValueError as exc:
            raise ConfigError(
                f"{path} is neither a JSON list nor JSON Lines: {exc}; export the project as JSON"
            ) from exc
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(t, dict) and "data" in t for t in data):
        raise ConfigError(
            f"{path} is not a Label Studio JSON export (a list of tasks with 'data' and 'annotations'); "
            "export the project with export type JSON"
        )
    return data


def is_export(path: str | Path) -> bool:
    """Whether ``path`` looks like a Label Studio JSON export rather than a records file."""
    try:
        read_export(path)
    except ConfigError:
        return False
    return True


def choose_annotation(annotations: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The annotation that counts for one annotator: ground truth first, then the newest (``updated_at``,
    then id); cancelled ones never. None when every annotation was cancelled."""
    valid = [a for a in annotations if not a.get("was_cancelled")]
    pool = [a for a in valid if a.get("ground_truth")] or valid
    if not pool:
        return None
    return max(pool, key=_when)


def _when(annotation: Mapping[str, Any]) -> tuple[str, int]:
    """Sort key for "newest": ``updated_at`` (else ``created_at``), then the id."""
    return str(annotation.get("updated_at") or annotation.get("created_at") or ""), _int(annotation.get("id"))


def from_results(text: str, results: Iterable[Mapping[str, Any]]) -> tuple[list[SpanTuple], int]:
    """Code-point spans of the ``labels`` regions in ``results`` and how many had whitespace collapsed.

    Raises OffsetError (region does not cover its text) or ValueError (bad label, overlap).
    """
    index = Utf16Index(text)
    spans: set[SpanTuple] = set()
    adjusted = 0
    for r in results:
        if r.get("type") != "labels":
            continue
        value = r.get("value") or {}
        labels = value.get("labels") or []
        if len(labels) != 1 or labels[0] not in ENTITY_TYPES:
            raise ValueError(
                f"region {r.get('id')!r} has labels {labels!r}; give it exactly one of {', '.join(ENTITY_TYPES)}"
            )
        found = locate(index, value.get("start"), value.get("end"), value.get("text"))
        adjusted += found.how != "exact"
        spans.add((found.start, found.end, labels[0]))
    ordered = sorted(spans)
    for a, b in pairwise(ordered):
        if b[0] < a[1]:
            raise ValueError(
                f"regions {a[2]} {text[a[0] : a[1]]!r} [{a[0]}, {a[1]}) and {b[2]} {text[b[0] : b[1]]!r} "
                f"[{b[0]}, {b[1]}) overlap; a character takes one label: fix one of them"
            )
    return ordered, adjusted


def import_export(tasks: Iterable[Mapping[str, Any]]) -> ImportResult:
    """Turn exported tasks into training records (see the module docstring for the rules)."""
    result = ImportResult()
    for task in tasks:
        result.counts["tasks"] += 1
        task_id = task.get("id")
        data = task.get("data") or {}
        annotations = task.get("annotations") or []
        if not annotations:
            result.counts["unlabelled"] += 1
            continue
        valid = [a for a in annotations if not a.get("was_cancelled")]
        if not valid:
            result.counts["skipped"] += 1
            continue
        text = data.get("text")
        source = str(data.get("source") or "no source")
        if not isinstance(text, str):
            chosen = choose_annotation(valid)
            where = f"task {task_id} (annotation {chosen.get('id') if chosen else None}, {source})"
            result.problems.append(f"{where}: the task has no 'text' field; was it made by gxie annotate tasks?")
            result.counts["with_problems"] += 1
            continue
        latest: dict[str, Mapping[str, Any]] = {}  # each annotator's newest annotation
        for a in valid:
            who = annotator_of(a)
            if who not in latest or _when(a) > _when(latest[who]):
                latest[who] = a
        truth = [a for a in valid if a.get("ground_truth")]
        used = [max(truth, key=_when)] if truth else list(latest.values())
        spans_of: dict[int, list[SpanTuple]] = {}
        try:
            for a in {id(a): a for a in [*used, *latest.values()]}.values():
                where = f"task {task_id} (annotation {a.get('id')}, {source})"
                spans_of[id(a)], adjusted = from_results(text, a.get("result") or [])
                result.counts["whitespace"] += adjusted
        except (OffsetError, ValueError) as exc:
            result.problems.append(f"{where}: {exc}")
            result.counts["with_problems"] += 1
            continue
        method = "ground_truth" if truth else ("majority" if len(latest) > 1 else "single")
        if method == "majority":
            spans = sorted(majority([set(spans_of[id(a)]) for a in used]))
        else:
            spans = spans_of[id(used[0])]
        if len(latest) > 1:
            by_annotator = {who: set(spans_of[id(a)]) for who, a in latest.items()}
            result.agreement.append(compare(task_id, source, text, by_annotator, set(spans), method))
        result.counts["other_annotations"] += len(annotations) - len(used)
        result.counts["spans"] += len(spans)
        newest = max(used, key=_when)
        record = {
            "id": f"{data.get('source') or 'task'}#{task_id}",
            "text": text,
            "spans": [list(s) for s in spans],
            "source": str(data.get("source") or ""),
            "task_id": task_id,
            "annotation_id": newest.get("id"),
            "ground_truth": bool(truth),
            "human": any(is_human(a) for a in used),
            "annotators": sorted({annotator_of(a) for a in used}),
            "method": method,
        }
        for key in ("template", "content_hash"):
            if data.get(key):
                record[key] = str(data[key])
        result.records.append(record)
    return result


def annotator_of(annotation: Mapping[str, Any]) -> str:
    """Who made an annotation: ``completed_by`` (a user id, or a dict with ``email``/``id``), else "unknown"."""
    who = annotation.get("completed_by")
    if isinstance(who, Mapping):
        who = who.get("email") or who.get("id")
    return "unknown" if who is None or who == "" else str(who)


def is_human(annotation: Mapping[str, Any]) -> bool:
    """Whether a person made or checked the annotation: not created from a prediction or copied from
    another annotation in bulk (Label Studio's ``last_action``)."""
    return annotation.get("last_action") not in MACHINE_ACTIONS


def write_records(records: Iterable[Mapping[str, Any]], path: str | Path) -> Path:
    """Write records as JSON Lines (UTF-8, one record per line) for ``gxie train --data``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def records_path_for(path: str | Path, out: str | Path | None = None) -> Path:
    """``path`` itself when it is a records file, else its export converted to ``<stem>.records.jsonl``
    beside it (or ``out``); raises ConfigError listing the problems when a region disagrees with its text."""
    path = Path(path)
    if path.is_dir() or not is_export(path):
        return path
    result = import_export(read_export(path))
    if result.problems:
        raise ConfigError(
            f"{path}: {len(result.problems)} task(s) have regions that disagree with their text:\n  "
            + "\n  ".join(result.problems)
        )
    return write_records(result.records, out or path.with_name(path.stem + ".records.jsonl"))


def _int(value: object) -> int:
    return value if isinstance(value, int) else -1
