"""A Label Studio JSON export -> training records (``{"id", "text", "spans": [[start, end, label], ...]}``
over the raw task text, read by gxie.training.data.load_records).

Every region is checked against the text it covers (``text[start:end] == value["text"]`` after the UTF-16
conversion); a task with a region that disagrees is left out and reported with its task id, never
shifted. Per task the ground-truth annotation wins, else the newest; cancelled (skipped) annotations are
ignored, and tasks with nothing else are left out and counted.

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

from gxie.annotate.offsets import OffsetError, Utf16Index, locate
from gxie.errors import ConfigError
from gxie.labels import ENTITY_TYPES

SpanTuple = tuple[int, int, str]


@dataclass
class ImportResult:
    """Records made from the export, problems (each naming its task id) and counts of what was left out."""

    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """One line for people: what became a record and what was left out."""
        c = self.counts
        return (
            f"{c['tasks']} tasks: {len(self.records)} labelled reports ({c['spans']} spans), "
            f"{c['unlabelled']} without annotations, {c['skipped']} skipped or cancelled, "
            f"{c['with_problems']} left out for problems; {c['other_annotations']} older or non-ground-truth "
            f"annotations ignored; {c['whitespace']} regions whose stored text had whitespace collapsed"
        )


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
    """The annotation that counts: ground truth first, then the newest (``updated_at``, then id);
    cancelled ones never. None when every annotation was cancelled."""
    valid = [a for a in annotations if not a.get("was_cancelled")]
    pool = [a for a in valid if a.get("ground_truth")] or valid
    if not pool:
        return None
    return max(pool, key=lambda a: (str(a.get("updated_at") or a.get("created_at") or ""), _int(a.get("id"))))


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
        chosen = choose_annotation(annotations)
        if chosen is None:
            result.counts["skipped"] += 1
            continue
        result.counts["other_annotations"] += len(annotations) - 1
        text = data.get("text")
        where = f"task {task_id} (annotation {chosen.get('id')}, {data.get('source', 'no source')})"
        if not isinstance(text, str):
            result.problems.append(f"{where}: the task has no 'text' field; was it made by gxie annotate tasks?")
            result.counts["with_problems"] += 1
            continue
        try:
            spans, adjusted = from_results(text, chosen.get("result") or [])
        except (OffsetError, ValueError) as exc:
            result.problems.append(f"{where}: {exc}")
            result.counts["with_problems"] += 1
            continue
        result.counts["spans"] += len(spans)
        result.counts["whitespace"] += adjusted
        record = {
            "id": f"{data.get('source') or 'task'}#{task_id}",
            "text": text,
            "spans": [list(s) for s in spans],
            "source": str(data.get("source") or ""),
            "task_id": task_id,
            "annotation_id": chosen.get("id"),
            "ground_truth": bool(chosen.get("ground_truth")),
        }
        for key in ("template", "content_hash"):
            if data.get(key):
                record[key] = str(data[key])
        result.records.append(record)
    return result


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
