"""Run chunks of files through ``gxie.batch.jobs.extract_chunk`` on this machine: inline, or in worker processes.

With ``workers=1`` and no ``timeout`` everything runs in this process (no start-up cost, easy to debug,
but nothing can stop a file that hangs). Otherwise ``workers`` processes each load the tagger once and
extract whole chunks (read, normalize, tag the chunk in one batched call, rebuild grids, validate); torch
in each gets ``cores // workers`` threads. A worker holds one chunk at a time, so each chunk's clock is
its own: a chunk of n files may take ``n * timeout`` seconds. A worker that runs past that is killed and
replaced, as is one that dies (a crash in a reader, out of memory). The files of such a chunk, or of one
whose results fail to come back, run again one at a time, each alone with ``timeout`` seconds, so only the
culprit gets a failed row (code ``timeout``, ``worker_died`` or ``internal_error``), the others their own.
A worker ends when the main process dies, however (``kill -9``), even in the middle of a file that hangs."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from typing import Any

from gxie import pipeline
from gxie.batch.jobs import (
    INTERNAL_ERROR,
    WORKER_DIED,
    FileResult,
    chunk_job,
    extract_chunk,
    failed_report,
    load_job,
    start_worker,
    threads_per_worker,
)
from gxie.batch.journal import TIMEOUT, WORKER_DIED_CODE
from gxie.gcpolicy import settle_worker
from gxie.tagging.base import Tagger, tagger_label
from gxie.types import IssueCode

logger = logging.getLogger(__name__)

Item = tuple[str, str | None]  # (path, content hash)
_STOP_SECONDS = 5.0  # how long a worker may take to exit when asked before it is killed


class LocalEngine:
    """Extracts chunks inline (``workers=1``, no ``timeout``) or in worker processes; ``label`` names the tagger.

    ``timeout`` is the seconds one file may take (0: no limit). The tagger is loaded when the engine
    starts, so a model that cannot load stops the run before any file (the error propagates from the
    constructor).

    >>> with LocalEngine("rules", "cpu", workers=2, timeout=60) as engine:  # doctest: +SKIP
    ...     for results in engine.run([[("a.txt", None), ("b.txt", None)]]):
    ...         print([r.report.status for r in results])
    """

    def __init__(
        self,
        tagger: str | Tagger,
        device: str,
        workers: int,
        template: str | None = None,
        *,
        timeout: float = 0.0,
    ) -> None:
        if not timeout >= 0:  # also refuses NaN
            raise ValueError(f"timeout must be 0 (no limit) or a number of seconds above 0, got {timeout!r}")
        self.spec, self.device, self.workers, self.template = tagger, device, workers, template
        self.timeout = float(timeout)
        self._tagger: Tagger | None = None
        self._workers: list[_Worker] = []
        if workers <= 1 and not self.timeout:
            self._tagger = pipeline.get_tagger(tagger, device)
            self.label = tagger_label(self._tagger)
            return
        try:
            self._workers = [self._start() for _ in range(workers)]
            labels = [worker.wait_ready() for worker in self._workers]
        except BaseException:
            self.close(wait=False)
            raise
        self.label = labels[0]

    def _start(self) -> _Worker:
        level = logging.getLogger("gxie").getEffectiveLevel()  # what this process logs (gxie -q: ERROR)
        return _Worker((self.spec, self.device, threads_per_worker(self.workers), self.template, level))

    def run(self, chunks: Iterable[list[Item]]) -> Iterator[list[FileResult]]:
        """The results of each chunk as it finishes (in order inline; in completion order with workers, whose
        reports come without their ``text``: nothing a batch writes holds it)."""
        if self._tagger is not None:
            for chunk in chunks:
                yield extract_chunk(chunk, self._tagger, template=self.template)
            return
        yield from self._run_workers(iter(chunks))

    def _run_workers(self, chunks: Iterator[list[Item]]) -> Iterator[list[FileResult]]:
        alone: deque[Item] = deque()  # files of a chunk that timed out, lost its worker or failed: one at a time
        exhausted = False
        done: list[list[FileResult]] = []  # results taken from the workers, handed out once they work again
        received: list[_Received] = []  # chunks' results read from the pipes, decoded once the workers work again
        while True:
            for i, worker in enumerate(self._workers):
                if worker.idle and not worker.process.is_alive():  # died between chunks (killed from outside)
                    worker.stop(wait=False)
                    self._workers[i] = worker = self._start()
                while worker.idle and (alone or not exhausted):
                    if alone:
                        worker.give([alone.popleft()], self.timeout)
                    elif (chunk := next(chunks, None)) is None:
                        exhausted = True
                    elif chunk:
                        worker.give(chunk, self.timeout)
            if received:  # unpickled while the workers run their next chunks
                for got in received:
                    self._open(got, done, alone)
                received = []
                if alone:
                    continue  # to an idle worker first
            if done:  # the caller journals these while the workers run their next chunks
                yield from done
                done = []
            if exhausted and not alone and all(worker.job is None for worker in self._workers):
                return
            deadlines = [worker.deadline for worker in self._workers if worker.deadline is not None]
            left = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            wait([handle for w in self._workers for handle in (w.conn, w.process.sentinel)], timeout=left)
            for i, worker in enumerate(self._workers):
                if not worker.ready:
                    worker.check_ready()
                    continue
                job = worker.job
                outcome = worker.poll() if job is not None else None
                if job is None or outcome is None:
                    continue
                if isinstance(outcome, _Received):
                    received.append(outcome)
                    continue
                if outcome.code != INTERNAL_ERROR:  # dead or killed: a fresh worker takes its place
                    self._workers[i] = self._start()
                self._after_loss(job, outcome, done, alone)

    def _open(self, got: _Received, done: list[list[FileResult]], alone: deque[Item]) -> None:
        """Decode a chunk's message: its results into ``done``; the files of a chunk that raised in the worker
        into ``alone`` (one at a time), or a failed row for a single file."""
        try:
            kind, value = ForkingPickler.loads(got.raw)
        except Exception as exc:  # a result that does not unpickle
            kind, value = "failed", f"{type(exc).__name__}: {exc}"
        if kind == "done":
            done.append(list(value))
            return
        self._after_loss(got.job, _Lost(INTERNAL_ERROR, got.seconds, str(value)), done, alone)

    def _after_loss(self, job: list[Item], lost: _Lost, done: list[list[FileResult]], alone: deque[Item]) -> None:
        """A chunk that gave no results: its files one at a time (``alone``), or a failed row for a single file."""
        if len(job) > 1:
            logger.warning("a chunk of %d files %s; running them one at a time", len(job), lost.what)
            alone.extend(job)
        else:
            done.append([self._failed(job[0], lost)])

    def _failed(self, item: Item, lost: _Lost) -> FileResult:
        if lost.code == TIMEOUT:
            text = (
                f"timed out: extracting {item[0]!r} took longer than the limit of {self.timeout:g} s per file, "
                "so its worker process was stopped; if the file is only slow, run again with a higher "
                "--timeout (timeout= in Python; 0: no limit)"
            )
        elif lost.code == WORKER_DIED_CODE:
            text = f"internal error while extracting {item[0]!r}: {WORKER_DIED} (exit code {lost.reason})"
        else:
            text = f"internal error while extracting {item[0]!r}: {lost.reason}"
        report = failed_report(item[0], lost.code, text, self.label, item[1])
        return FileResult(item[0], item[1], report, lost.seconds)

    def close(self, wait: bool = True) -> None:
        """Stop the worker processes (``wait=False``: kill them at once, chunks still running included)."""
        if wait:  # all asked first: they exit side by side
            for worker in self._workers:
                worker.ask_to_stop()
        for worker in self._workers:
            worker.stop(wait)
        self._workers = []

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self.close(wait=exc_type is None)


@dataclass(frozen=True)
class _Received:
    """A chunk's message as read from the pipe (``raw``, not unpickled yet): its ``job`` and its seconds."""

    job: list[Item]
    raw: bytes
    seconds: float


@dataclass(frozen=True)
class _Lost:
    """A chunk that gave no results: it timed out, its worker died, or it raised in the worker."""

    code: IssueCode  # TIMEOUT, WORKER_DIED_CODE or INTERNAL_ERROR
    seconds: float
    reason: str  # the worker's exit code, or the exception

    @property
    def what(self) -> str:
        return {TIMEOUT: "ran past its time limit", WORKER_DIED_CODE: "lost its worker process"}.get(
            self.code, f"failed in its worker ({self.reason})"
        )


class _Worker:
    """One worker process (``_serve``), the pipe to it and the chunk it holds (``job``) with its deadline."""

    def __init__(self, args: tuple[Any, ...]) -> None:
        # spawn: a forked child would inherit torch's threads and locks from the main process
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, *args), daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.job: list[Item] | None = None
        self.started = 0.0
        self.deadline: float | None = None
        self.asked = False  # told to exit

    @property
    def idle(self) -> bool:
        return self.ready and self.job is None

    def wait_ready(self) -> str:
        """Block until the worker has loaded its tagger; its label, or the worker's error raised here."""
        label = ""
        while not self.ready:
            wait([self.conn, self.process.sentinel])
            label = self.check_ready()
        return label

    def check_ready(self) -> str:
        """Take the worker's start-up message if there is one; raise its error if loading failed."""
        if self.conn.poll():
            try:
                kind, value = self.conn.recv()
            except (EOFError, OSError):
                kind, value = "died", None
            if kind == "ready":
                self.ready = True
                return str(value)
            if kind == "error":
                raise value
        elif self.process.is_alive():
            return ""
        raise RuntimeError(
            f"a worker process exited with code {self.process.exitcode} while loading the tagger, before any "
            "file; run with --workers 1 --timeout 0 to see the error in this process"
        )

    def give(self, items: list[Item], timeout: float) -> None:
        """Send a chunk; it must finish within ``timeout`` seconds per file (0: no limit)."""
        self.conn.send(items)
        self.job, self.started = items, time.monotonic()
        self.deadline = self.started + timeout * len(items) if timeout else None

    def poll(self) -> _Received | _Lost | None:
        """The chunk's message, read but not unpickled (the worker is idle again: give it work first); a
        ``_Lost`` when it timed out or the worker died; None: running."""
        assert self.job is not None
        if self.conn.poll():
            try:
                raw = self.conn.recv_bytes()
            except (EOFError, OSError):
                return self._lost(WORKER_DIED_CODE)
            got = _Received(self.job, raw, time.monotonic() - self.started)
            self.job, self.deadline = None, None
            return got
        if not self.process.is_alive():
            return self._lost(WORKER_DIED_CODE)
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return self._lost(TIMEOUT)
        return None

    def _lost(self, code: IssueCode) -> _Lost:
        seconds = time.monotonic() - self.started
        self.stop(wait=False)
        return _Lost(code, seconds, str(self.process.exitcode))

    def ask_to_stop(self) -> None:
        """Tell the worker to exit once it is idle (``stop`` waits for it)."""
        if not self.asked and self.process.is_alive():
            with contextlib.suppress(OSError):  # it died already
                self.conn.send(None)
            self.asked = True

    def stop(self, wait: bool) -> None:
        """Ask the worker to exit (``wait``), killing it if it does not within a few seconds; or kill it now."""
        if wait:
            self.ask_to_stop()
            self.process.join(_STOP_SECONDS)
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


def _exit_with(parent: Any) -> None:
    parent.join()
    os._exit(1)


def _serve(
    conn: Connection, spec: str | Tagger, device: str, threads: int, template: str | None, log_level: int
) -> None:
    """A worker process: load the tagger, say ``ready`` (or the error), then extract each chunk sent.

    gxie's records below ``log_level`` (the main process's level) are dropped here as they are there, so
    that ``gxie extract -q`` silences the warnings of its workers too."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    logging.getLogger("gxie").setLevel(log_level)
    parent = multiprocessing.parent_process()
    if parent is not None:  # the main process killed (kill -9): end this one too, even in a file that hangs
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    try:
        start_worker(spec, device, threads)
        label = load_job()
    except Exception as exc:
        try:
            conn.send(("error", exc))
        except Exception:  # an exception that does not pickle
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
        return
    settle_worker()  # its own process: the loaded tagger frozen, fewer collections
    conn.send(("ready", label))
    while True:
        try:
            items = conn.recv()
        except (EOFError, OSError):  # the main process is gone
            return
        if items is None:  # done: exit now, without the interpreter's teardown of a large heap (0.4 s)
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        try:
            message: tuple[str, Any] = ("done", chunk_job(items, template))
        except Exception as exc:  # extract_chunk does not raise; this is a bug around it
            message = ("failed", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(message)
        except OSError:  # the main process is gone
            return
        except Exception as exc:  # a result that does not pickle (pickling happens before any byte is sent)
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))
