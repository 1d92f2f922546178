"""Run many files: discover inputs, extract each one, journal results, resume, write tidy tables.

Every file gets exactly one row in ``results.jsonl`` (a failed one says why); the run never stops for one
bad file. Rows are keyed by the sha256 of the file's bytes (an unreadable file by its resolved path,
``gxie.batch.journal``): a rerun skips what is there, whatever the file is called now, and retries a row
that failed with an error that may pass (internal error, timeout, dead worker) once. One run at a time
writes into an output folder (``gxie.batch.lock``). The files are extracted in chunks of ``batch_size`` by
``gxie.batch.jobs.extract_chunk`` (one batched tagging call per chunk), inline, in worker processes with a
per-file time limit (``gxie.batch.pool``) or on a Ray cluster (``engine="ray"``, ``gxie.batch.ray``); this
process only journals the results as chunks finish.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from gxie.batch.discover import RESULTS_FILE, SUMMARY_FILE, discover, file_sha256
from gxie.batch.jobs import FileResult, failed_report
from gxie.batch.journal import Entry, entry_key, journal_line, journal_row, read_journal, resolved_path
from gxie.batch.lock import OutputLock
from gxie.batch.summary import N_FAILURES, N_SLOWEST, BatchSummary, Progress
from gxie.export import TABLE_FORMATS, check_table_formats, write_tables
from gxie.gcpolicy import fewer_collections
from gxie.jsonl import JsonlWriter, Written, latest_reports
from gxie.report import Report
from gxie.tagging.base import Tagger
from gxie.templates import TEMPLATE_IDS
from gxie.types import IssueCode

logger = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = ("jsonl", *TABLE_FORMATS)
ENGINES: tuple[str, ...] = ("local", "ray")
DEFAULT_TIMEOUT = 300.0  # seconds one file may take in a batch run before it gets a failed row
_SCRATCH_PREFIX = ".gxie-tables-"


Item = tuple[str, str | None]  # (path, content hash)


class Engine(Protocol):
    """What runs the chunks: ``gxie.batch.pool.LocalEngine`` or ``gxie.batch.ray.RayEngine``."""

    label: str  # the tagger, as reports name it

    def run(self, chunks: Iterator[list[Item]]) -> Iterator[list[FileResult]]: ...

    def __enter__(self) -> Engine: ...

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None: ...


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
    engine: str = "local",
    timeout: float = DEFAULT_TIMEOUT,
    excel_csv: bool = False,
) -> BatchSummary:
    """Extract every input file into ``out_dir``; return counts, failures, the slowest files and the rate.

    Each finished file is appended to ``out_dir/results.jsonl`` at once (fsynced), so a killed run loses
    nothing it finished. With ``resume`` an input already there is skipped: by the sha256 of its bytes,
    or by its resolved path when it cannot be read; a failed row made by an error that may pass
    (``internal_error``, ``timeout``, ``worker_died``) is retried once, then kept. Without ``resume``
    every file is extracted again and the new rows supersede the old. At the end the tables are rebuilt
    from ``results.jsonl`` (the latest row per content and per file, sorted by source): ``reports.<fmt>``
    (one row per report) and ``cells.<fmt>`` (one row per cell) for each of ``formats`` among csv,
    parquet, xlsx; ``summary.json`` holds the summary. Tables and summary are replaced atomically. The
    folder is locked for the run: a second run on it raises ``gxie.batch.lock.OutputLocked``.

    ``template`` forces a format ("2019" or "2021"). ``batch_size`` documents are tagged per model call;
    ``workers`` processes (each loading the tagger once) or Ray actors (``engine="ray"``) extract chunks
    in parallel. ``timeout`` is the seconds one file may take (a chunk of n: ``n * timeout``) before its
    worker is killed and it gets a failed row (code ``timeout``); 0 means no limit, and with one worker
    the files then run in this process. The Ray engine does not apply it.
    ``excel_csv`` gives the CSV tables a byte-order mark.

    >>> run_batch(["reports/"], "out", tagger="rules").by_status  # doctest: +SKIP
    {'ok': 812, 'partial': 170, 'failed': 18}
    """
    if batch_size < 1 or workers < 1:
        raise ValueError(f"batch_size and workers must be at least 1, got {batch_size} and {workers}")
    if template is not None and template not in TEMPLATE_IDS:
        raise ValueError(f"unknown template {template!r}; use one of {', '.join(TEMPLATE_IDS)} or None")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if not timeout >= 0:  # also refuses NaN
        raise ValueError(f"timeout must be 0 (no limit) or a number of seconds above 0, got {timeout!r}")
    tables = [f for f in formats if f != "jsonl"]  # results.jsonl is written always
    check_table_formats(tables)  # before hours of work, not after
    files = discover(inputs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with OutputLock(out), fewer_collections():  # thousands of reports held: collect less often (gcpolicy)
        _clean_scratch(out)  # what a run killed while writing its tables left
        results = out / RESULTS_FILE
        done = read_journal(results) if resume and results.exists() else {}
        started = time.perf_counter()
        run = _Run(None, done, "")
        todo, unreadable = run.plan(files)
        if todo or unreadable:  # a resumed run with nothing left starts no worker and loads no tagger
            workers = max(1, min(workers, -(-len(todo) // batch_size)))  # no more workers than chunks
            with (
                _engine(engine, tagger, device, workers, template, batch_size, timeout) as runner,
                JsonlWriter(results, append=True) as journal,
            ):
                run.journal, run.label = journal, runner.label
                _extract(run, runner, todo, unreadable, batch_size, progress, workers)
        elapsed = time.perf_counter() - started
        for key in run.twins:
            run.count(run.now[key])
        return _finish(run, out, len(files), tables, elapsed, excel_csv)


def _finish(run: _Run, out: Path, n_files: int, tables: Sequence[str], elapsed: float, excel_csv: bool) -> BatchSummary:
    """Rebuild the tables from the journal, write ``summary.json`` and return the summary."""
    results = out / RESULTS_FILE
    outputs = [results]
    if tables:
        reports = sorted(latest_reports(results, run.recorded), key=lambda r: r.source) if results.exists() else []
        outputs += _replace_tables(reports, out, tables, excel_csv)
    slowest = sorted(run.seconds.items(), key=lambda item: item[1], reverse=True)[:N_SLOWEST]
    summary = BatchSummary(
        out, n_files, len(run.seconds), run.skipped, dict(run.statuses), dict(run.rules), slowest, elapsed
    )
    summary.failures = run.failures
    summary.retried = run.retried
    summary.outputs = [*outputs, out / SUMMARY_FILE]
    text = json.dumps(summary.to_dict(), ensure_ascii=False, indent=2)
    _replace_file(out / SUMMARY_FILE, text + "\n")
    return summary


def _extract(
    run: _Run,
    runner: Engine,
    todo: list[Item],
    unreadable: list[tuple[str, str]],
    batch_size: int,
    progress: bool,
    workers: int = 1,
) -> None:
    """Journal the unreadable files, then extract ``todo`` chunk by chunk (``_chunks``)."""
    with Progress(len(todo) + len(unreadable), enabled=progress) as bar:
        run.progress = bar
        for path, text in unreadable:
            failed = failed_report(path, IssueCode.READ_ERROR, text, runner.label)
            run.record(FileResult(path, None, failed, 0.0))
        chunks = _chunks(todo, batch_size, workers)
        for finished in runner.run(chunks):
            for result in finished:
                run.record(result)


def _chunks(todo: list[Item], batch_size: int, workers: int) -> Iterator[list[Item]]:
    """``todo`` in chunks of ``batch_size``; with several workers, the last ``workers * batch_size`` files in
    chunks of a quarter of that, so that the workers run out of files at nearly the same time (a worker
    left with a whole last chunk kept the others idle for most of it).

    >>> [len(c) for c in _chunks([("a", None)] * 40, 8, 2)]
    [8, 8, 8, 2, 2, 2, 2, 2, 2, 2, 2]
    """
    tail = min(len(todo), workers * batch_size) if workers > 1 else 0
    head = len(todo) - tail
    for i in range(0, head, batch_size):
        yield todo[i : min(i + batch_size, head)]
    small = max(1, batch_size // 4)
    for i in range(head, len(todo), small):
        yield todo[i : i + small]


def _engine(
    name: str, tagger: str | Tagger, device: str, workers: int, template: str | None, batch_size: int, timeout: float
) -> Engine:
    if name == "ray":
        from gxie.batch.ray import RayEngine

        return RayEngine(tagger, device, workers, template, batch_size, timeout)
    from gxie.batch.pool import LocalEngine

    return LocalEngine(tagger, device, workers, template, timeout=timeout)


class _Run:
    """The bookkeeping of one ``run_batch`` call: journal, progress, counts."""

    def __init__(self, journal: JsonlWriter | None, done: dict[str, Entry], label: str) -> None:
        self.journal, self.done, self.label = journal, done, label
        self.progress: Progress | None = None
        self.statuses: Counter[str] = Counter()
        self.rules: Counter[str] = Counter()
        self.seconds: dict[str, float] = {}  # source -> seconds, for each file extracted now
        self.failures: list[tuple[str, str]] = []  # (source, reason) of the first failed files
        self.now: dict[str, Entry] = {}  # journal key -> what this call recorded (or will) for it
        self.pending: dict[str, tuple[str, int]] = {}  # input as given -> (resolved path, attempt)
        self.twins: list[str] = []  # journal keys of inputs skipped as copies of an earlier input
        self.skipped = 0
        self.retried = 0
        self.recorded: list[Written] = []  # this call's journal rows and their reports (no text), in order: the tables'

    def count(self, entry: Entry) -> None:
        self.statuses[entry.status] += 1
        self.rules.update(entry.failed_rules)

    def plan(self, files: list[Path]) -> tuple[list[Item], list[tuple[str, str]]]:
        """``(files to extract, (path, reason) of unreadable ones)``; done and duplicate files are settled."""
        todo: list[Item] = []
        unreadable: list[tuple[str, str]] = []
        for path in files:
            where = resolved_path(path)
            content_hash, reason = None, ""
            if not path.is_file():  # hashing a pipe would wait forever
                reason = "not a regular file (a broken link, a folder, a pipe or a device)"
            else:
                try:
                    content_hash = file_sha256(path)
                except OSError as exc:
                    reason = str(exc)
            key = entry_key(content_hash, where)
            previous = self.done.get(key)
            if key in self.now:
                self.twins.append(key)
                self.skipped += 1
                continue
            if previous is not None and previous.final:
                self.count(previous)
                self.skipped += 1
                continue
            if previous is not None:  # it failed with an error that may pass: its one retry
                self.retried += 1
            self.now[key] = Entry("pending", (), False, 0)
            self.pending[str(path)] = (where, previous.attempts + 1 if previous is not None else 1)
            if content_hash is None:
                unreadable.append((str(path), f"cannot read {str(path)!r}: {reason}"))
            else:
                todo.append((str(path), content_hash))
        return todo, unreadable

    def record(self, result: FileResult) -> None:
        """Journal one finished file at once (the row is on disk before the next one is looked at)."""
        report = result.report
        where, attempt = self.pending.pop(result.path, (resolved_path(result.path), 1))
        assert self.journal is not None, "record() before the journal is open"
        if result.row is not None:  # the worker's JSON of the report: the same line, not serialized again
            line = self.journal.write_json(journal_line(result.row, where, attempt))
        else:
            line = self.journal.write(journal_row(report, where, attempt))
        self.recorded.append(Written.of(report.without_text(), where, line))  # the row decodes to it
        entry = Entry(report.status, tuple(c.rule for c in report.failed_checks), False, attempt)
        self.count(entry)
        self.now[entry_key(result.content_hash, where)] = entry
        self.seconds[report.source] = result.seconds
        if report.status == "failed" and len(self.failures) < N_FAILURES:
            self.failures.append((report.source, _reason(report)))
        if self.progress is not None:
            self.progress.update(report.status)


def _reason(report: Report) -> str:
    return "; ".join(m.message for m in report.issues if m.level == "error") or "no reason recorded"


def _clean_scratch(out: Path) -> None:
    """Remove the scratch files a killed run left in ``out`` (only with ``out``'s lock held)."""
    for folder in out.glob(f"{_SCRATCH_PREFIX}*"):
        shutil.rmtree(folder, ignore_errors=True)
    (out / f".{SUMMARY_FILE}.tmp").unlink(missing_ok=True)


def _replace_tables(reports: list[Report], out: Path, formats: Sequence[str], excel_csv: bool) -> list[Path]:
    """Write the tables beside ``out``'s files, then move each into place (a kill leaves old or new)."""
    scratch = Path(tempfile.mkdtemp(prefix=_SCRATCH_PREFIX, dir=out))  # hidden: never taken as an input
    try:
        written = write_tables(reports, scratch, formats, excel_csv=excel_csv)
        for path in written:
            os.replace(path, out / path.name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return [out / path.name for path in written]


def _replace_file(path: Path, text: str) -> None:
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_text(text, encoding="utf-8")
    os.replace(scratch, path)
