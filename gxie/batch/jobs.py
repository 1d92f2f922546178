"""The per-file work of a batch run: a chunk of files in, one finished report per file out, never raising.

``extract_chunk`` is the one function every runner maps over the inputs: ``gxie.batch.run_batch`` calls it
inline (``workers=1``) or in worker processes, ``gxie.batch.ray`` on Ray actors. It hands the chunk to the
document loop ``gxie.pipeline.run`` (read, normalize, tag the whole chunk in one ``tag_many`` call, rebuild
the grids, validate), keys each report by its file's bytes and makes sure it writes as strict JSON. A
file that fails at any stage becomes a failed report saying where and why; the others go on.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from gxie import pipeline
from gxie.batch.discover import file_sha256
from gxie.pipeline import INTERNAL_ERROR as INTERNAL_ERROR  # a resumed run retries rows with this code
from gxie.report import Report
from gxie.tagging.base import Tagger, tagger_label
from gxie.types import IssueCode
from gxie.versions import current_versions

WORKER_DIED = "the worker process died while extracting this file (a crash in a reader, or out of memory)"


@dataclass
class FileResult:
    """One file's finished report and the seconds spent on it (its share of the chunk's tagging included)."""

    path: str
    content_hash: str | None
    report: Report
    seconds: float
    row: str | None = None  # the report's ``to_dict()`` as JSON, made when checking it (the journal line's start)


def failed_report(path: str, code: IssueCode, text: str, label: str, content_hash: str | None = None) -> Report:
    """A failed report for ``path`` that names the run's tagger (``label``, see ``tagger_label``).

    >>> failed_report("a.txt", "read_error", "cannot read 'a.txt'", "rules:1").tagger
    'rules:1'
    """
    return Report.failed(path, code, text, tagger=label, content_hash=content_hash, versions=current_versions(label))


def extract_chunk(
    items: Sequence[tuple[str, str | None]], tagger: Tagger, *, template: str | None = None
) -> list[FileResult]:
    """Extract each ``(path, content_hash)`` of ``items`` through ``gxie.pipeline.run``; one ``FileResult``
    per item, in order.

    ``content_hash`` keys the row (None: computed here from the file's bytes). The chunk is tagged in one
    ``tag_many`` call (one by one after a failure, so that only the culprit fails). Every report returned
    can be written as strict JSON.

    >>> [r.report.status for r in extract_chunk([("a.txt", None)], get_tagger("rules"))]  # doctest: +SKIP
    ['ok']
    """
    if not items:
        return []
    label = tagger_label(tagger)
    paths = [path for path, _ in items]
    hashes = [h if h is not None else _hash_or_none(p) for p, h in items]
    extractions = pipeline.run(paths, tagger=tagger, template=template, batch_size=len(items))
    return [
        _result(path, content_hash, extraction.report, extraction.seconds, label)
        for path, content_hash, extraction in zip(paths, hashes, extractions, strict=True)
    ]


def _result(path: str, content_hash: str | None, report: Report, seconds: float, label: str) -> FileResult:
    """Key the report by the file's bytes and make sure it writes as strict JSON."""
    if content_hash is not None:
        report = replace(report, content_hash=content_hash)  # rows are keyed by the bytes' hash, whatever read them
    try:
        row: str | None = json.dumps(report.to_dict(), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:  # a value JSON cannot hold (NaN, an object): still one row
        text = f"internal error while writing the result of {path!r}: {exc}"
        report, row = failed_report(path, INTERNAL_ERROR, text, label, content_hash), None
    return FileResult(path, content_hash, report, seconds, row)


def _hash_or_none(path: str) -> str | None:
    if not os.path.isfile(path):  # a pipe would never end; a broken link has no bytes
        return None
    try:
        return file_sha256(path)
    except OSError:
        return None


# --- worker processes ----------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}  # per worker process: tagger spec, device, threads, the loaded tagger


def start_worker(tagger: str | Tagger, device: str, threads: int) -> None:
    """Process-pool initializer: remember what to load; the tagger loads on the first job."""
    _WORKER.clear()
    _WORKER.update(spec=tagger, device=device, threads=threads)


def _worker_tagger() -> Tagger:
    """This process's tagger, loaded once; torch gets this worker's share of the cores."""
    if "tagger" not in _WORKER:
        _WORKER["tagger"] = pipeline.get_tagger(_WORKER["spec"], _WORKER["device"])
        if "torch" in sys.modules:  # a model tagger: workers x threads should not exceed the cores
            import torch

            torch.set_num_threads(_WORKER["threads"])
    tagger: Tagger = _WORKER["tagger"]
    return tagger


def load_job() -> str:
    """Load this worker's tagger and return its label (a run's first job: a load error stops the run)."""
    return tagger_label(_worker_tagger())


def chunk_job(items: Sequence[tuple[str, str | None]], template: str | None) -> list[FileResult]:
    """``extract_chunk`` in a worker process, with the worker's tagger; the reports go back to the main
    process without their text (a batch keeps none: the journal and the tables do not hold it)."""
    results = extract_chunk(items, _worker_tagger(), template=template)
    return [r if r.report.text is None else replace(r, report=r.report.without_text()) for r in results]


def threads_per_worker(workers: int) -> int:
    """The cores each of ``workers`` processes may use for torch (at least 1)."""
    return max(1, (os.cpu_count() or 1) // workers)
