"""Run chunks of files through ``gxie.batch.jobs.extract_chunk`` on this machine: inline, or in worker processes.

With ``workers=1`` everything runs in this process (no start-up cost, easy to debug). With more, each
worker process loads the tagger once and extracts whole chunks (read, normalize, tag the chunk in one
batched call, rebuild grids, validate); torch in each worker gets ``cores // workers`` threads. A worker
that dies (a crash in a reader, out of memory) costs no innocent file: the files of the chunks in flight
are retried one at a time, alone, in a fresh pool, and a file that kills its worker alone gets a failed
row.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

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
from gxie.tagging.base import Tagger, tagger_label

logger = logging.getLogger(__name__)

Item = tuple[str, str | None]  # (path, content hash)


class LocalEngine:
    """Extracts chunks inline (``workers=1``) or in ``workers`` processes; ``label`` names the tagger.

    The tagger is loaded when the engine starts, so a model that cannot load stops the run before any
    file (the error propagates from the constructor).

    >>> with LocalEngine("rules", "cpu", workers=2) as engine:  # doctest: +SKIP
    ...     for results in engine.run([[("a.txt", None), ("b.txt", None)]]):
    ...         print([r.report.status for r in results])
    """

    def __init__(self, tagger: str | Tagger, device: str, workers: int, template: str | None = None):
        self.spec, self.device, self.workers, self.template = tagger, device, workers, template
        self._pool: ProcessPoolExecutor | None = None
        self._tagger: Tagger | None = None
        if workers <= 1:
            self._tagger = pipeline.get_tagger(tagger, device)
            self.label = tagger_label(self._tagger)
        else:
            self._pool = self._new_pool()
            try:
                self.label = self._pool.submit(load_job).result()
            except BaseException:
                self.close(wait=False)
                raise

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn: a forked child would inherit torch's threads and locks from the main process
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_worker,
            initargs=(self.spec, self.device, threads_per_worker(self.workers)),
        )

    def run(self, chunks: Iterable[list[Item]]) -> Iterator[list[FileResult]]:
        """The results of each chunk as it finishes (in order inline; in completion order with workers)."""
        if self._tagger is not None:
            for chunk in chunks:
                yield extract_chunk(chunk, self._tagger, template=self.template)
            return
        yield from self._run_pool(iter(chunks))

    def _run_pool(self, chunks: Iterator[list[Item]]) -> Iterator[list[FileResult]]:
        assert self._pool is not None
        retry: deque[Item] = deque()  # files of chunks whose worker died: each runs alone, once
        alone: set[str] = set()
        in_flight: dict[Future[list[FileResult]], tuple[list[Item], int]] = {}
        generation, exhausted, limit = 0, False, 2 * self.workers
        while True:
            if retry:  # one file at a time, so that a crash names its file
                if not in_flight:
                    item = retry.popleft()
                    alone.add(item[0])
                    in_flight[self._pool.submit(chunk_job, [item], self.template)] = ([item], generation)
            else:
                while not exhausted and len(in_flight) < limit:
                    chunk = next(chunks, None)
                    if chunk is None:
                        exhausted = True
                    else:
                        in_flight[self._pool.submit(chunk_job, chunk, self.template)] = (chunk, generation)
            if not in_flight:
                return
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken = False
            for future in [f for f in in_flight if f in finished]:  # in submission order
                chunk, born = in_flight.pop(future)
                try:
                    yield future.result()
                except BrokenProcessPool:
                    broken = broken or born == generation
                    if len(chunk) == 1 and chunk[0][0] in alone:  # it ran alone: it killed the worker
                        yield [self._failed(chunk[0], WORKER_DIED)]
                    else:
                        retry.extend(chunk)
                except Exception as exc:  # a result that did not pickle, a tagger that failed to load
                    logger.warning("a chunk of %d files failed in the worker pool", len(chunk), exc_info=True)
                    yield [self._failed(item, f"{type(exc).__name__}: {exc}") for item in chunk]
            if broken:
                logger.warning("a worker process died; retrying its files one at a time in a new pool")
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool, generation = self._new_pool(), generation + 1

    def _failed(self, item: Item, reason: str) -> FileResult:
        text = f"internal error while extracting {item[0]!r}: {reason}"
        return FileResult(item[0], item[1], failed_report(item[0], INTERNAL_ERROR, text, self.label, item[1]), 0.0)

    def close(self, wait: bool = True) -> None:
        """Stop the worker processes (``wait=False``: do not wait for chunks still running)."""
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        self.close(wait=exc_type is None)
