"""Run many files: discover inputs, extract each one, journal results, resume, write tidy tables.

Every file gets exactly one row in ``results.jsonl`` (a failed one says why); the run never stops for one
bad file. Rows are keyed by the sha256 of the file's bytes: a rerun skips content already there, whatever
the file is called now. The files are extracted in chunks of ``batch_size`` by ``gxie.batch.jobs.extract_chunk``
(one batched tagging call per chunk), inline, in ``workers`` processes (``gxie.batch.pool``) or on a Ray cluster
(``engine="ray"``, ``gxie.batch.ray``); this process only journals the results as chunks finish.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from gxie.batch.discover import RESULTS_FILE, SUMMARY_FILE, discover, file_sha256
from gxie.batch.jobs import INTERNAL_ERROR, FileResult, Steps, failed_report
from gxie.batch.summary import N_FAILURES, N_SLOWEST, BatchSummary, Progress
from gxie.export import TABLE_FORMATS, JsonlWriter, check_table_formats, latest_reports, read_jsonl, write_tables
from gxie.report import Report
from gxie.tagging.base import Tagger
from gxie.templates import TEMPLATE_IDS

logger = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = ("jsonl", *TABLE_FORMATS)
ENGINES: tuple[str, ...] = ("local", "ray")


Item = tuple[str, str | None]  # (path, content hash)


class Engine(Protocol):
    """What runs the chunks: ``gxie.batch.pool.LocalEngine`` or ``gxie.batch.ray.RayEngine``."""

    label: str  # the tagger, as reports name it

    def run(self, chunks: Iterator[list[Item]]) -> Iterator[list[FileResult]]: ...

    def __enter__(self) -> Engine: ...

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None: ...


@dataclass(frozen=True)
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
    engine: str = "local",
) -> BatchSummary:
    """Extract every input file into ``out_dir``; return counts, failures, the slowest files and the rate.

    Each finished file is appended to ``out_dir/results.jsonl`` at once (fsynced), so a killed run loses
    nothing it finished. With ``resume`` a file whose content is already there is skipped (failed rows
    made by an internal error are retried); without it every file is extracted again and the new rows
    supersede the old. At the end the tables are rebuilt from ``results.jsonl`` (last row per content
    wins, rows sorted by source): ``reports.<fmt>`` (one row per report) and ``cells.<fmt>`` (one row per
    cell) for each of ``formats`` among csv, parquet, xlsx; ``summary.json`` holds the summary. Tables and
    summary are replaced atomically. ``template`` forces a format ("2019" or "2021"). ``batch_size``
    documents are tagged per model call; ``workers`` processes (each loading the tagger once) or Ray
    actors (``engine="ray"``) extract chunks in parallel.

    >>> run_batch(["reports/"], "out", tagger="rules").by_status  # doctest: +SKIP
    {'ok': 812, 'partial': 170, 'failed': 18}
    """
    if batch_size < 1 or workers < 1:
        raise ValueError(f"batch_size and workers must be at least 1, got {batch_size} and {workers}")
    if template is not None and template not in TEMPLATE_IDS:
        raise ValueError(f"unknown template {template!r}; use one of {', '.join(TEMPLATE_IDS)} or None")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    tables = [f for f in formats if f != "jsonl"]  # results.jsonl is written always
    check_table_formats(tables)  # before hours of work, not after
    files = discover(inputs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = out / RESULTS_FILE
    done: dict[str, _Done] = {}
    if resume and results.exists():
        done = {d["content_hash"]: _done_of(d) for d in read_jsonl(results) if d.get("content_hash")}

    started = time.perf_counter()
    run = _Run(None, done, "")
    todo, unreadable = run.plan(files)
    # no more workers than chunks; nothing to extract: no worker at all (a lazy tagger loads nothing)
    workers = max(1, min(workers, -(-len(todo) // batch_size)))
    with (
        _engine(engine, tagger, device, workers, template, batch_size) as runner,
        JsonlWriter(results, append=True) as journal,
    ):
        run.journal, run.label = journal, runner.label
        _extract(run, runner, todo, unreadable, batch_size, progress)
    elapsed = time.perf_counter() - started
    for content_hash in run.twins:
        run.count(run.now[content_hash])

    outputs = [results]
    if tables:
        reports = sorted(latest_reports(results), key=lambda r: r.source) if results.exists() else []
        outputs += _replace_tables(reports, out, tables)
    slowest = sorted(run.seconds.items(), key=lambda item: item[1], reverse=True)[:N_SLOWEST]
    summary = BatchSummary(
        out, len(files), len(run.seconds), run.skipped, dict(run.statuses), dict(run.rules), slowest, elapsed
    )
    summary.failures = run.failures
    summary.outputs = [*outputs, out / SUMMARY_FILE]
    text = json.dumps(summary.to_dict(), ensure_ascii=False, indent=2)
    _replace_file(out / SUMMARY_FILE, text + "\n")
    return summary


def _extract(
    run: _Run, runner: Engine, todo: list[Item], unreadable: list[tuple[str, str]], batch_size: int, progress: bool
) -> None:
    """Journal the unreadable files, then extract ``todo`` chunk by chunk."""
    with Progress(len(todo) + len(unreadable), enabled=progress) as bar:
        run.progress = bar
        for path, text in unreadable:
            run.record(FileResult(path, None, failed_report(path, "read_error", text, runner.label), 0.0))
        chunks = (todo[i : i + batch_size] for i in range(0, len(todo), batch_size))
        for finished in runner.run(chunks):
            for result in finished:
                run.record(result)


def _engine(
    name: str, tagger: str | Tagger, device: str, workers: int, template: str | None, batch_size: int
) -> Engine:
    steps = Steps.current()
    if name == "ray":
        from gxie.batch.ray import RayEngine

        return RayEngine(steps, tagger, device, workers, template, batch_size)
    from gxie.batch.pool import LocalEngine

    return LocalEngine(steps, tagger, device, workers, template)


class _Run:
    """The bookkeeping of one ``run_batch`` call: journal, progress, counts."""

    def __init__(self, journal: JsonlWriter | None, done: dict[str, _Done], label: str) -> None:
        self.journal, self.done, self.label = journal, done, label
        self.progress: Progress | None = None
        self.statuses: Counter[str] = Counter()
        self.rules: Counter[str] = Counter()
        self.seconds: dict[str, float] = {}  # source -> seconds, for each file extracted now
        self.failures: list[tuple[str, str]] = []  # (source, reason) of the first failed files
        self.now: dict[str, _Done] = {}  # content hash -> what this call recorded for it
        self.twins: list[str] = []  # content hashes of inputs skipped as copies of an earlier input
        self.skipped = 0

    def count(self, done: _Done) -> None:
        self.statuses[done.status] += 1
        self.rules.update(done.failed_rules)

    def plan(self, files: list[Path]) -> tuple[list[Item], list[tuple[str, str]]]:
        """``(files to extract, (path, reason) of unreadable ones)``; done and duplicate files are settled."""
        todo: list[Item] = []
        unreadable: list[tuple[str, str]] = []
        for path in files:
            if not path.is_file():  # hashing a pipe would wait forever
                reason = "not a regular file (a broken link, a folder, a pipe or a device)"
                unreadable.append((str(path), f"cannot read {str(path)!r}: {reason}"))
                continue
            try:
                content_hash = file_sha256(path)
            except OSError as exc:
                unreadable.append((str(path), f"cannot read {str(path)!r}: {exc}"))
                continue
            previous = self.done.get(content_hash)
            if content_hash in self.now:
                self.twins.append(content_hash)
                self.skipped += 1
            elif previous is not None and not previous.retry:
                self.count(previous)
                self.skipped += 1
            else:
                self.now[content_hash] = _Done("pending", (), False)
                todo.append((str(path), content_hash))
        return todo, unreadable

    def record(self, result: FileResult) -> None:
        """Journal one finished file at once (the row is on disk before the next one is looked at)."""
        report = result.report
        assert self.journal is not None, "record() before the journal is open"
        self.journal.write(report)
        done = _Done(report.status, tuple(c.rule for c in report.failed_checks), False)
        self.count(done)
        if result.content_hash is not None:
            self.now[result.content_hash] = done
        self.seconds[report.source] = result.seconds
        if report.status == "failed" and len(self.failures) < N_FAILURES:
            self.failures.append((report.source, _reason(report)))
        if self.progress is not None:
            self.progress.update(report.status)


def _reason(report: Report) -> str:
    return "; ".join(m.text for m in report.issues if m.level == "error") or "no reason recorded"


def _replace_tables(reports: list[Report], out: Path, formats: Sequence[str]) -> list[Path]:
    """Write the tables beside ``out``'s files, then move each into place (a kill leaves old or new)."""
    scratch = Path(tempfile.mkdtemp(prefix=".gxie-tables-", dir=out))  # hidden: never taken as an input
    try:
        written = write_tables(reports, scratch, formats)
        for path in written:
            os.replace(path, out / path.name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return [out / path.name for path in written]


def _replace_file(path: Path, text: str) -> None:
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_text(text, encoding="utf-8")
    os.replace(scratch, path)
