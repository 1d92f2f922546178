"""The per-file work of a batch run: a chunk of files in, one finished report per file out, never raising.

``extract_chunk`` is the one function every runner maps over the inputs: ``gxie.batch.run_batch`` calls it
inline (``workers=1``) or in worker processes, ``gxie.batch.ray`` on Ray actors. It reads and normalizes each
file, tags the whole chunk in one ``tag_many`` call (a model puts the windows of all of its documents
into shared forward passes), rebuilds the grids and validates them. A file that fails at any stage
becomes a failed report saying where and why; the others go on.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from gxie.batch.discover import file_sha256
from gxie.tagging.base import Tagger
from gxie.types import IssueCode, Report
from gxie.versions import current_versions

logger = logging.getLogger(__name__)

INTERNAL_ERROR = IssueCode.INTERNAL_ERROR  # a failed row made from an exception in gxie; a resumed run retries it
WORKER_DIED = "the worker process died while extracting this file (a crash in a reader, or out of memory)"


@dataclass(frozen=True)
class Steps:
    """The pipeline functions a job calls. Taken from ``gxie.pipeline`` when a run starts (so a test can
    replace them there) and handed to worker processes with the run."""

    prepare: Callable[..., Any]
    finish: Callable[..., Report]
    get_tagger: Callable[..., Tagger]

    @classmethod
    def current(cls) -> Steps:
        """The functions ``gxie.pipeline`` holds now."""
        import gxie.pipeline as pipeline

        return cls(pipeline.prepare, pipeline.finish, pipeline.get_tagger)


@dataclass
class FileResult:
    """One file's finished report and the seconds spent on it (its share of the chunk's tagging included)."""

    path: str
    content_hash: str | None
    report: Report
    seconds: float


def tagger_label(tagger: Tagger) -> str:
    """How a tagger is named in a report's ``tagger`` field: ``"<name>:<version>"``."""
    return f"{tagger.name}:{tagger.version}"


def failed_report(path: str, code: IssueCode, text: str, label: str, content_hash: str | None = None) -> Report:
    """A failed report for ``path`` that names the run's tagger."""
    return Report.failed(path, code, text, tagger=label, content_hash=content_hash, versions=current_versions(label))


def extract_chunk(
    items: Sequence[tuple[str, str | None]],
    tagger: Tagger,
    *,
    template: str | None = None,
    steps: Steps | None = None,
) -> list[FileResult]:
    """Extract each ``(path, content_hash)`` of ``items``; one ``FileResult`` per item, in order.

    ``content_hash`` keys the row (None: computed here from the file's bytes). Tagging happens in one
    ``tag_many`` call for the chunk; if that call fails, each document is tagged alone so that only the
    culprit fails. Every report returned can be written as strict JSON.

    >>> [r.report.status for r in extract_chunk([("a.txt", None)], get_tagger("rules"))]  # doctest: +SKIP
    ['ok']
    """
    steps = steps or Steps.current()
    label = tagger_label(tagger)
    results: list[FileResult | None] = [None] * len(items)
    ready: list[tuple[int, Any, float]] = []  # (index, Prepared, seconds spent preparing)
    hashes = [h if h is not None else _hash_or_none(p) for p, h in items]
    for i, (path, _) in enumerate(items):
        start = time.perf_counter()
        try:
            prepared = steps.prepare(path)
        except Exception as exc:  # a reader bug must not stop the chunk
            logger.warning("preparing %s failed", path, exc_info=True)
            text = f"internal error while reading {path!r}: {type(exc).__name__}: {exc}"
            report = failed_report(path, INTERNAL_ERROR, text, label)
            results[i] = _result(path, hashes[i], report, time.perf_counter() - start, label)
            continue
        if isinstance(prepared, Report):  # unreadable or unsupported: already a failed report
            results[i] = _result(path, hashes[i], prepared, time.perf_counter() - start, label)
        else:
            ready.append((i, prepared, time.perf_counter() - start))
    texts = [prepared.normalized.text for _, prepared, _ in ready]
    for (i, prepared, spent), (spans, share) in zip(ready, _tag(tagger, texts), strict=True):
        path = items[i][0]
        start = time.perf_counter()
        try:
            if isinstance(spans, Exception):
                raise spans
            report = steps.finish(prepared, spans, tagger, template=template, tag_seconds=share)
        except Exception as exc:
            logger.warning("extracting %s failed", path, exc_info=True)
            stage = "tagging" if exc is spans else "rebuilding the tables of"
            text = f"internal error while {stage} {path!r}: {type(exc).__name__}: {exc}"
            report = failed_report(path, INTERNAL_ERROR, text, label)
        results[i] = _result(path, hashes[i], report, spent + share + time.perf_counter() - start, label)
    return [r for r in results if r is not None]


def _tag(tagger: Tagger, texts: list[str]) -> list[tuple[Any, float]]:
    """``(spans or the exception, seconds)`` per text: one call for all, or one by one after a failure."""
    if not texts:
        return []
    start = time.perf_counter()
    try:
        tagged = list(tagger.tag_many(texts))
        if len(tagged) != len(texts):
            raise RuntimeError(f"tag_many returned {len(tagged)} results for {len(texts)} texts")
    except Exception:
        logger.warning("tagging %d documents together failed; tagging them one by one", len(texts), exc_info=True)
    else:
        spent, total = time.perf_counter() - start, max(1, sum(map(len, texts)))
        return [(spans, spent * len(t) / total) for spans, t in zip(tagged, texts, strict=True)]
    out: list[tuple[Any, float]] = []
    for text in texts:
        one = time.perf_counter()
        try:
            spans: Any = tagger.tag_many([text])[0]
        except Exception as exc:
            spans = exc
        out.append((spans, time.perf_counter() - one))
    return out


def _result(path: str, content_hash: str | None, report: Report, seconds: float, label: str) -> FileResult:
    """Key the report by the file's bytes, name the tagger, and make sure it writes as strict JSON."""
    if content_hash is not None:  # rows are keyed by the bytes' hash, whatever read them
        report = replace(report, content_hash=content_hash)
    if not report.tagger:  # a file that failed before tagging still names the tagger of the run
        versions = {**report.versions, "tagger": report.versions.get("tagger", label)}
        report = replace(report, tagger=label, versions=versions)
    try:
        json.dumps(report.to_dict(), allow_nan=False)
    except (TypeError, ValueError) as exc:  # a value JSON cannot hold (NaN, an object): still one row
        text = f"internal error while writing the result of {path!r}: {exc}"
        report = failed_report(path, INTERNAL_ERROR, text, label, content_hash)
    return FileResult(path, content_hash, report, seconds)


def _hash_or_none(path: str) -> str | None:
    if not os.path.isfile(path):  # a pipe would never end; a broken link has no bytes
        return None
    try:
        return file_sha256(path)
    except OSError:
        return None


# --- worker processes ----------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}  # per worker process: steps, tagger spec, device, threads, the loaded tagger


def start_worker(steps: Steps, tagger: str | Tagger, device: str, threads: int) -> None:
    """Process-pool initializer: remember what to load; the tagger loads on the first job."""
    _WORKER.clear()
    _WORKER.update(steps=steps, spec=tagger, device=device, threads=threads)


def _worker_tagger() -> Tagger:
    """This process's tagger, loaded once; torch gets this worker's share of the cores."""
    if "tagger" not in _WORKER:
        _WORKER["tagger"] = _WORKER["steps"].get_tagger(_WORKER["spec"], _WORKER["device"])
        if "torch" in sys.modules:  # a model tagger: workers x threads should not exceed the cores
            import torch

            torch.set_num_threads(_WORKER["threads"])
    tagger: Tagger = _WORKER["tagger"]
    return tagger


def load_job() -> str:
    """Load this worker's tagger and return its label (a run's first job: a load error stops the run)."""
    return tagger_label(_worker_tagger())


def chunk_job(items: Sequence[tuple[str, str | None]], template: str | None) -> list[FileResult]:
    """``extract_chunk`` in a worker process, with the worker's tagger."""
    return extract_chunk(items, _worker_tagger(), template=template, steps=_WORKER["steps"])


def threads_per_worker(workers: int) -> int:
    """The cores each of ``workers`` processes may use for torch (at least 1)."""
    return max(1, (os.cpu_count() or 1) // workers)
