"""Run many files: discover inputs, extract each one, journal results, resume, write tidy tables.

Every file gets exactly one row in ``results.jsonl`` (a failed one says why); the run never stops for one
bad file. Rows are keyed by the sha256 of the file's bytes: a rerun skips content already there, whatever
the file is called now. Reading, normalizing, grid rebuilding and validation run in worker processes (or
inline with ``workers=1``); tagging runs batched over several documents in the main process.
"""

from __future__ import annotations

import glob
import hashlib
import importlib
import json
import logging
import multiprocessing
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from gxie.export import (
    TABLE_FORMATS,
    TABLE_NAMES,
    JsonlWriter,
    check_table_formats,
    latest_reports,
    read_jsonl,
    write_tables,
)
from gxie.report import Report, current_versions
from gxie.tagging.base import Tagger
from gxie.templates import TEMPLATE_IDS

logger = logging.getLogger(__name__)

RESULTS_FILE = "results.jsonl"
SUMMARY_FILE = "summary.json"
FORMATS: tuple[str, ...] = ("jsonl", *TABLE_FORMATS)
# Files a run writes into its output folder; discover() never takes them as inputs.
OUTPUT_FILES: frozenset[str] = frozenset(
    {RESULTS_FILE, SUMMARY_FILE} | {f"{name}.{fmt}" for name in TABLE_NAMES for fmt in TABLE_FORMATS}
)
INTERNAL_ERROR = "internal_error"  # a failed row made from an exception in gxie; a resumed run retries it
N_SLOWEST = 5
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass
class BatchSummary:
    """What a ``run_batch`` call did. Counts cover this call's inputs, skipped ones by their stored row."""

    out_dir: Path
    files: int  # inputs found
    processed: int  # extracted in this call
    skipped: int  # already in results.jsonl (resume) or the same content as an earlier input
    by_status: dict[str, int]
    failed_checks: dict[str, int]  # failed relations by rule id
    slowest: list[tuple[str, float]]  # (source, seconds) of the slowest files extracted in this call
    seconds: float
    outputs: list[Path] = field(default_factory=list)

    @property
    def reports_per_second(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0

    @property
    def any_failed(self) -> bool:
        return self.by_status.get("failed", 0) > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "files": self.files,
            "processed": self.processed,
            "skipped": self.skipped,
            "by_status": dict(self.by_status),
            "failed_checks": dict(self.failed_checks),
            "slowest": [{"source": s, "seconds": round(t, 3)} for s, t in self.slowest],
            "seconds": round(self.seconds, 3),
            "reports_per_second": round(self.reports_per_second, 3),
            "outputs": [str(p) for p in self.outputs],
        }

    def format(self) -> str:
        """A few human-readable lines (what ``gxie extract`` prints to stderr)."""
        status = ", ".join(f"{self.by_status.get(s, 0)} {s}" for s in ("ok", "partial", "failed"))
        lines = [
            f"{self.files} files: {status} ({self.processed} extracted, {self.skipped} skipped as done) "
            f"in {self.seconds:.1f} s, {self.reports_per_second:.2f} reports/s"
        ]
        if self.failed_checks:
            rules = ", ".join(f"{rule} {n}" for rule, n in sorted(self.failed_checks.items()))
            lines.append(f"failed checks by rule: {rules}")
        if self.slowest:
            lines.append("slowest files:")
            lines.extend(f"  {t:6.2f} s  {s}" for s, t in self.slowest)
        lines.append(f"results in {self.out_dir}: " + ", ".join(p.name for p in self.outputs))
        return "\n".join(lines)


def discover(inputs: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The files named by ``inputs``: files, folders (recursively) and glob patterns, in a stable order.

    Folders and globs skip hidden files and folders, Office lock files (``~$…``) and gxie's own output
    files; a file named explicitly is always taken. Files of any type are kept: an unsupported one gets
    a failed row saying why. Raises ``FileNotFoundError`` for an input that names nothing.

    >>> discover(["reports/", "extra/*.pdf"])  # doctest: +SKIP
    [PosixPath('reports/a.txt'), PosixPath('reports/sub/b.docx'), PosixPath('extra/c.pdf')]
    """
    found: dict[Path, None] = {}
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found.update(dict.fromkeys(_walk(path)))
        elif path.exists():
            found[path] = None
        elif _GLOB_CHARS.search(str(item)):
            matches = [Path(m) for m in sorted(glob.glob(str(item), recursive=True))]
            files = [f for m in matches for f in (_walk(m) if m.is_dir() else [m]) if _wanted(f.name)]
            if not files:
                raise FileNotFoundError(f"the pattern {str(item)!r} matched no files; check the path and quoting")
            found.update(dict.fromkeys(files))
        else:
            raise FileNotFoundError(
                f"input {str(item)!r} does not exist; give existing files, folders or glob patterns "
                "such as 'reports/**/*.pdf'"
            )
    return list(found)


def _wanted(name: str) -> bool:
    return not name.startswith((".", "~$")) and name not in OUTPUT_FILES


def _walk(folder: Path) -> list[Path]:
    files: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files.extend(Path(root) / n for n in sorted(names) if _wanted(n))
    return files


def file_sha256(path: Path) -> str:
    """sha256 hex digest of a file's bytes (the key of its row in ``results.jsonl``)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def tagger_label(tagger: Tagger) -> str:
    """How a tagger is named in a report's ``tagger`` field: ``"<name>:<version>"``."""
    return f"{tagger.name}:{tagger.version}"


def _pipeline() -> ModuleType:
    return importlib.import_module("gxie.pipeline")


def _prepare_job(prepare: Any, path: str) -> tuple[bool, Any, float]:
    """Worker side: ``(True, Prepared | failed Report, seconds)`` or ``(False, error text, seconds)``."""
    start = time.perf_counter()
    try:
        return True, prepare(path), time.perf_counter() - start
    except Exception as exc:  # one bad file must not stop the run: the main process records it
        logger.debug("preparing %s failed", path, exc_info=True)
        return False, f"{type(exc).__name__}: {exc}", time.perf_counter() - start


class _InlineExecutor(Executor):
    """Runs each job at once in this process (``workers=1``): no process start-up, easy debugging."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


def _executor(workers: int) -> Executor:
    if workers <= 1:
        return _InlineExecutor()
    # spawn: a forked child would inherit torch's threads and locks from the main process
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


@dataclass
class _Done:
    """What the journal holds for one content hash."""

    status: str
    failed_rules: tuple[str, ...]
    retry: bool


def _done_of(d: dict[str, Any]) -> _Done:
    rules = tuple(c["rule"] for c in d.get("checks", ()) if c.get("passed") is False)
    retry = d.get("status") == "failed" and any(m.get("code") == INTERNAL_ERROR for m in d.get("issues", ()))
    return _Done(str(d.get("status")), rules, retry)


def run_batch(
    inputs: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    tagger: str | Tagger = "model",
    template: str | None = None,
    device: str = "auto",
    batch_size: int = 16,
    workers: int = 1,
    formats: Sequence[str] = ("jsonl", "csv"),
    resume: bool = True,
    progress: bool = True,
) -> BatchSummary:
    """Extract every input file into ``out_dir``; return counts, the slowest files and the rate.

    Each finished file is appended to ``out_dir/results.jsonl`` at once (fsynced), so a killed run loses
    nothing it finished. With ``resume`` a file whose content is already there is skipped (failed rows
    made by an internal error are retried); without it every file is extracted again and the new rows
    supersede the old. At the end the tables are rebuilt from ``results.jsonl`` (last row per content
    wins): ``reports.<fmt>`` (one row per report) and ``cells.<fmt>`` (one row per cell) for each of
    ``formats`` among csv, parquet, xlsx; ``summary.json`` holds the summary. ``template`` forces a
    format ("2019" or "2021") instead of detecting it per report.

    >>> run_batch(["reports/"], "out", tagger="rules").by_status  # doctest: +SKIP
    {'ok': 812, 'partial': 170, 'failed': 18}
    """
    if batch_size < 1 or workers < 1:
        raise ValueError(f"batch_size and workers must be at least 1, got {batch_size} and {workers}")
    if template is not None and template not in TEMPLATE_IDS:
        raise ValueError(f"unknown template {template!r}; use one of {', '.join(TEMPLATE_IDS)} or None")
    tables = [f for f in formats if f != "jsonl"]  # results.jsonl is written always
    check_table_formats(tables)  # before hours of work, not after
    files = discover(inputs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = out / RESULTS_FILE
    done: dict[str, _Done] = {}
    if resume and results.exists():
        done = {d["content_hash"]: _done_of(d) for d in read_jsonl(results) if d.get("content_hash")}
    pipeline = _pipeline()
    tagger_obj = pipeline.get_tagger(tagger, device)

    from tqdm import tqdm

    started = time.perf_counter()
    hidden = not progress or not sys.stderr.isatty()
    with (
        JsonlWriter(results, append=True) as journal,
        tqdm(total=len(files), unit="file", file=sys.stderr, disable=hidden) as bar,
    ):
        run = _Run(pipeline, tagger_obj, template, journal, bar, done)
        run.process(run.todo(files), workers, batch_size)
    elapsed = time.perf_counter() - started
    for content_hash in run.twins:
        run.count(run.now[content_hash])

    outputs = [results]
    if tables:
        outputs += write_tables(latest_reports(results) if results.exists() else [], out, tables)
    slowest = sorted(run.seconds.items(), key=lambda item: item[1], reverse=True)[:N_SLOWEST]
    summary = BatchSummary(
        out, len(files), len(run.seconds), run.skipped, dict(run.statuses), dict(run.rules), slowest, elapsed
    )
    summary.outputs = [*outputs, out / SUMMARY_FILE]
    text = json.dumps(summary.to_dict(), ensure_ascii=False, indent=2)
    (out / SUMMARY_FILE).write_text(text + "\n", encoding="utf-8")
    return summary


class _Run:
    """The state of one ``run_batch`` call: journal, progress bar, counts."""

    def __init__(
        self,
        pipeline: ModuleType,
        tagger: Tagger,
        template: str | None,
        journal: JsonlWriter,
        bar: Any,
        done: dict[str, _Done],
    ) -> None:
        self.pipeline, self.tagger, self.template = pipeline, tagger, template
        self.journal, self.bar, self.done = journal, bar, done
        self.label = tagger_label(tagger)
        self.statuses: Counter[str] = Counter()
        self.rules: Counter[str] = Counter()
        self.seconds: dict[str, float] = {}  # source -> seconds, for each file extracted now
        self.now: dict[str, _Done] = {}  # content hash -> what this call recorded for it
        self.twins: list[str] = []  # content hashes of inputs skipped as copies of an earlier input
        self.skipped = 0

    def count(self, done: _Done) -> None:
        self.statuses[done.status] += 1
        self.rules.update(done.failed_rules)

    def failed(self, path: Path, content_hash: str | None, code: str, text: str) -> Report:
        versions = current_versions(self.label)
        return Report.failed(str(path), code, text, tagger=self.label, content_hash=content_hash, versions=versions)

    def fail(self, path: Path, content_hash: str | None, text: str, spent: float = 0.0) -> None:
        """Record a failed row for an exception in gxie (a resumed run retries it)."""
        self.record(self.failed(path, content_hash, INTERNAL_ERROR, text), content_hash, spent)

    def record(self, report: Report, content_hash: str | None, spent: float) -> None:
        """Journal one finished file at once (the row is on disk before the next file is looked at)."""
        if content_hash is not None:
            report.content_hash = content_hash  # rows are keyed by the bytes' hash, whatever read them
        if not report.tagger:  # a file that failed before tagging still names the tagger of the run
            report.tagger = self.label
            report.versions.setdefault("tagger", self.label)
        try:
            self.journal.write(report)
        except (TypeError, ValueError) as exc:  # a value JSON cannot hold (NaN, an object): still one row
            text = f"internal error while writing the result of {report.source!r}: {exc}"
            report = self.failed(Path(report.source), content_hash, INTERNAL_ERROR, text)
            self.journal.write(report)
        done = _Done(report.status, tuple(c.rule for c in report.failed_checks), False)
        self.count(done)
        if content_hash is not None:
            self.now[content_hash] = done
        self.seconds[report.source] = spent
        self.bar.update(1)

    def todo(self, files: list[Path]) -> Iterator[tuple[Path, str]]:
        """The files to extract; unreadable, already done and duplicate ones are settled here."""
        for path in files:
            try:
                content_hash = file_sha256(path)
            except OSError as exc:
                text = f"cannot read {str(path)!r}: {exc}"
                self.record(self.failed(path, None, "read_error", text), None, 0.0)
                continue
            previous = self.done.get(content_hash)
            if content_hash in self.now or (previous is not None and not previous.retry):
                if content_hash in self.now:
                    self.twins.append(content_hash)
                elif previous is not None:
                    self.count(previous)
                self.skipped += 1
                self.bar.update(1)
            else:
                self.now[content_hash] = _Done("pending", (), False)
                yield path, content_hash

    def process(self, items: Iterator[tuple[Path, str]], workers: int, batch_size: int) -> None:
        """Prepare in the executor, tag ``batch_size`` documents at a time here, finish, record each."""
        limit = max(batch_size, 2 * workers)
        in_flight: dict[Future[Any], tuple[Path, str, int]] = {}
        ready: list[tuple[Path, str, Any, float]] = []
        executor, generation = _executor(workers), 0
        exhausted = False
        try:
            while True:
                while not exhausted and len(in_flight) < limit:
                    item = next(items, None)
                    if item is None:
                        exhausted = True
                        break
                    future = executor.submit(_prepare_job, self.pipeline.prepare, str(item[0]))
                    in_flight[future] = (*item, generation)
                if len(ready) >= batch_size or (ready and not in_flight):
                    self.tag_and_finish(ready[:batch_size])
                    del ready[:batch_size]
                    continue
                if not in_flight:
                    break
                finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                broken = False
                for future in [f for f in in_flight if f in finished]:  # in input order
                    path, content_hash, born = in_flight.pop(future)
                    try:
                        ok, payload, spent = future.result()
                    except Exception as exc:  # a worker died (BrokenProcessPool) or a result did not pickle
                        broken = broken or (isinstance(exc, BrokenProcessPool) and born == generation)
                        logger.warning("preparing %s failed in the worker pool", path, exc_info=True)
                        ok, payload, spent = False, f"{type(exc).__name__}: {exc}", 0.0
                    if not ok:
                        text = f"internal error while reading {str(path)!r}: {payload}"
                        self.fail(path, content_hash, text, spent)
                    elif isinstance(payload, Report):
                        self.record(payload, content_hash, spent)
                    else:
                        ready.append((path, content_hash, payload, spent))
                if broken:  # the files still in flight in the dead pool fail too; a resumed run retries them
                    executor.shutdown(wait=False, cancel_futures=True)
                    executor, generation = _executor(workers), generation + 1
        finally:
            executor.shutdown(wait=True, cancel_futures=True)

    def tag_and_finish(self, batch: list[tuple[Path, str, Any, float]]) -> None:
        """Tag several documents in one ``tag_many`` call; one failing document does not fail the others."""
        texts = [prepared.normalized.text for _, _, prepared, _ in batch]
        start = time.perf_counter()
        results: list[Any]
        try:
            results = list(self.tagger.tag_many(texts))
            if len(results) != len(texts):
                raise RuntimeError(f"tag_many returned {len(results)} results for {len(texts)} texts")
            total = max(1, sum(map(len, texts)))
            shares = [(time.perf_counter() - start) * len(t) / total for t in texts]
        except Exception:
            logger.warning("tagging %d documents together failed; tagging them one by one", len(texts), exc_info=True)
            results, shares = [], []
            for text in texts:
                one = time.perf_counter()
                try:
                    results.append(self.tagger.tag_many([text])[0])
                except Exception as exc:
                    results.append(exc)
                shares.append(time.perf_counter() - one)
        for (path, content_hash, prepared, spent), spans, share in zip(batch, results, shares, strict=True):
            one = time.perf_counter()
            try:
                if isinstance(spans, Exception):
                    raise spans
                report = self.pipeline.finish(prepared, spans, self.tagger, template=self.template, tag_seconds=share)
            except Exception as exc:
                logger.warning("extracting %s failed", path, exc_info=True)
                stage = "tagging" if exc is spans else "rebuilding the tables of"
                text = f"internal error while {stage} {str(path)!r}: {type(exc).__name__}: {exc}"
                self.fail(path, content_hash, text, spent + share)
                continue
            self.record(report, content_hash, spent + share + time.perf_counter() - one)
