"""What to label next: reports ranked by the table checks and the model's doubt, without the reports that
are already labelled or that repeat another report.

Already labelled means: in an earlier Label Studio export with a real annotation (one not cancelled);
tasks nobody labelled yet and tasks an annotator skipped stay eligible. A report is left out when its file
is byte-identical to a labelled one, or when its text is a near-duplicate (gxie.annotate.dedup) of a
labelled report or of a report ranked above it. Every kept report says why it ranks where it does, and
every report left out says why.

Example::

    >>> from gxie.annotate.pick import pick  # doctest: +SKIP
    >>> tagger = ModelTagger.from_pretrained("models/current")  # doctest: +SKIP
    >>> picked = pick(["reports/a.txt", "reports/b.pdf"], tagger=tagger, exclude=["export.json"])  # doctest: +SKIP
    >>> picked.kept[0].reasons  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gxie.annotate.dedup import THRESHOLD, MinHashIndex, signature
from gxie.annotate.importer import read_export
from gxie.annotate.select import DoubtRecorder, Priority, with_doubt
from gxie.annotate.tasks import build_tasks
from gxie.tagging.base import Tagger


@dataclass(frozen=True)
class Labelled:
    """What earlier exports say is labelled: file hashes and texts of the tasks with a real annotation,
    and how many tasks were unlabelled or skipped (those stay eligible)."""

    hashes: frozenset[str]
    texts: dict[str, str]  # "export.json task 12 (a.txt)" -> task text
    eligible: int


@dataclass
class Picked:
    """The ranking (most useful first), the tasks of the kept reports in rank order, what was left out."""

    kept: list[Priority] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (source, why)
    below_top: list[Priority] = field(default_factory=list)  # ranked after the first ``top``
    skipped: list[tuple[str, str]] = field(default_factory=list)  # unreadable inputs: (source, why)


def labelled_in(exports: Iterable[str | os.PathLike[str]]) -> Labelled:
    """The tasks of these Label Studio exports that carry a real annotation (not cancelled)."""
    hashes, texts, eligible = set(), {}, 0
    for path in exports:
        for task in read_export(Path(path)):
            data = task.get("data") or {}
            if not has_real_annotation(task):
                eligible += 1
                continue
            if data.get("content_hash"):
                hashes.add(str(data["content_hash"]))
            if isinstance(data.get("text"), str):
                texts[f"{Path(path).name} task {task.get('id')} ({data.get('source', 'no source')})"] = data["text"]
    return Labelled(frozenset(hashes), texts, eligible)


def has_real_annotation(task: Mapping[str, Any]) -> bool:
    """Whether someone labelled the task: an annotation that was not cancelled (skipped)."""
    return any(not a.get("was_cancelled") for a in task.get("annotations") or [] if isinstance(a, Mapping))


def pick(
    files: Sequence[str | os.PathLike[str]],
    *,
    tagger: Tagger,
    exclude: Iterable[str | os.PathLike[str]] = (),
    device: str = "auto",
    top: int | None = None,
    near_duplicate: float = THRESHOLD,
) -> Picked:
    """Rank ``files`` for labelling (see the module docstring); ``top`` keeps the first N."""
    labelled = labelled_in(exclude)
    picked = Picked()
    candidates = []
    for f in files:
        if file_sha256(Path(f)) in labelled.hashes:
            picked.left_out.append((str(f), "already labelled (the same file is in an export with an annotation)"))
        else:
            candidates.append(f)
    recorder = DoubtRecorder(tagger)
    built = build_tasks(candidates, tagger=recorder, device=device)
    picked.skipped = list(built.skipped)
    by_path = {t["data"]["path"]: t for t in built.tasks}
    priorities = []
    for p in built.priorities:
        task = by_path.get(p.source)
        doubt = recorder.doubt_for(_normalized(task["data"]["text"])) if task else None
        priorities.append(with_doubt(p, doubt) if doubt else p)
    ranking = sorted(priorities, key=lambda p: (not p.annotatable, -p.score, p.source))

    index = MinHashIndex(near_duplicate)
    for name, text in labelled.texts.items():
        index.add(f"labelled {name}", signature(text))
    for p in ranking:
        task = by_path.get(p.source)
        if task is None:  # unreadable: nothing to compare, ranked last with its reason
            picked.kept.append(p)
            continue
        sig = signature(task["data"]["text"])
        twin = index.nearest(sig)
        if twin is not None:
            key, sim = twin
            what = key if key.startswith("labelled ") else f"{key}, ranked above it"
            picked.left_out.append((p.source, f"near-duplicate (similarity ≈{sim:.2f}) of {what}"))
            continue
        index.add(p.source, sig)
        picked.kept.append(p)
    if top:
        picked.kept, picked.below_top = picked.kept[:top], picked.kept[top:]
    for p in picked.kept:
        if p.source in by_path:
            task = by_path[p.source]
            data = {**task["data"], "priority": p.score, "attention": _attention(task["data"]["attention"], p)}
            picked.tasks.append({**task, "data": data})
    return picked


def _attention(text: str, priority: Priority) -> str:
    """The task's attention text with the doubt reasons added (the first line holds the priority)."""
    first, _, rest = text.partition("\n")
    head = first.rsplit("priority", 1)[0] + f"priority {priority.score:g}"
    extra = [f"- {r}" for r in priority.reasons if f"- {r}" not in rest.splitlines()]
    return "\n".join([head, *extra, *([rest] if rest else [])])


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, as tasks record it in ``data.content_hash``."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _normalized(text: str) -> str:
    from gxie.text.normalize import normalize

    return normalize(text).text
