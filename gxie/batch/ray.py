"""Scale-out on Ray Data: the batch's per-chunk function (``gxie.batch.jobs.extract_chunk``) on Ray actors.

Needs the ``gxie[scale]`` extra (``ray[data]``). Two ways in:

- ``gxie extract DIR -o OUT --engine ray --workers N`` (``run_batch(..., engine="ray")``): discovery, resume
  by content hash, the journal, the tables and the summary work exactly as for a local run; only the
  extraction runs on Ray actors (each loads the tagger once). ``ray.init()`` joins the cluster named by
  ``RAY_ADDRESS``, or starts a local one.
- ``extract_dataset(ds)``: a Ray Dataset of file paths in, a Dataset of results out (``RESULT_COLUMNS``;
  ``report`` is the ``Report.to_dict()`` JSON), to compose with your own Ray Data pipeline.

Every actor must see the files at the same paths (a shared file system), and must be able to import gxie.

>>> import ray.data  # doctest: +SKIP
>>> ds = ray.data.from_items([{"path": "reports/a.pdf"}, {"path": "reports/b.docx"}])  # doctest: +SKIP
>>> [json.loads(row["report"])["status"] for row in extract_dataset(ds).iter_rows()]  # doctest: +SKIP
['ok', 'partial']
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from gxie import pipeline
from gxie.batch.jobs import FileResult, extract_chunk
from gxie.batch.pool import LocalEngine
from gxie.errors import MissingExtraError
from gxie.gcpolicy import settle_worker
from gxie.report import Report
from gxie.tagging.base import Tagger, tagger_label

logger = logging.getLogger(__name__)

# Columns of ``extract_dataset``'s rows: the input path, the sha256 of its bytes, the report's status,
# seconds spent on it, and the full report as JSON text (one type per column whatever the report holds).
RESULT_COLUMNS: tuple[str, ...] = ("path", "content_hash", "status", "seconds", "report")
Item = tuple[str, str | None]


def _ray() -> Any:
    try:
        import ray
        import ray.data
    except ModuleNotFoundError as exc:
        raise MissingExtraError("ray", "scale", "Running on Ray (engine 'ray', gxie.batch.ray)") from exc
    return ray


class ChunkExtractor:
    """A Ray Data callable class: each actor loads the tagger once, then extracts one batch per call.

    A batch is a dict of columns with ``path`` (and optionally ``content_hash``); the answer has the
    columns of ``RESULT_COLUMNS``, one row per input row. With a ``timeout`` (seconds per file, 0: none)
    the actor extracts in a worker process of its own (``gxie.batch.pool.LocalEngine``, one worker): a
    file that runs past the limit, or kills that process, gets a failed row (code ``timeout`` or
    ``worker_died``) and the batch's other files their own, as in a local run.
    """

    def __init__(self, tagger: str | Tagger, device: str, template: str | None, timeout: float = 0.0):
        self.template = template
        self.engine: LocalEngine | None = None
        self.tagger: Tagger | None = None
        if timeout:
            self.engine = LocalEngine(tagger, device, 1, template, timeout=timeout)
        else:
            self.tagger = pipeline.get_tagger(tagger, device)
        settle_worker()  # an actor is a process of its own: the loaded tagger frozen, fewer collections

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        paths = [str(p) for p in batch["path"]]
        hashes = list(batch["content_hash"]) if "content_hash" in batch else [None] * len(paths)
        items = [(p, str(h) if h else None) for p, h in zip(paths, hashes, strict=True)]
        if self.engine is None:
            assert self.tagger is not None
            results = extract_chunk(items, self.tagger, template=self.template)
        else:  # in the order given: a file retried alone after a timeout comes back later
            done = {(r.path, r.content_hash): r for got in self.engine.run([items]) for r in got}
            results = [done[item] for item in items]
        return {
            "path": [r.path for r in results],
            "content_hash": [r.content_hash for r in results],
            "status": [r.report.status for r in results],
            "seconds": [r.seconds for r in results],
            "report": [json.dumps(r.report.to_dict(), ensure_ascii=False, allow_nan=False) for r in results],
        }


def extract_dataset(
    ds: Any,
    *,
    tagger: str | Tagger = "model",
    template: str | None = None,
    device: str = "auto",
    batch_size: int = 16,
    concurrency: int = 2,
    num_gpus: float = 0.0,
    timeout: float = 0.0,
) -> Any:
    """Map a Ray Dataset with a ``path`` column (and optional ``content_hash``) to rows of ``RESULT_COLUMNS``.

    ``concurrency`` actors each load the tagger once and tag ``batch_size`` documents per model call;
    ``num_gpus`` is each actor's share of a GPU (e.g. 1, or 0.25 for four actors on one GPU) when
    ``device`` is "cuda" or "auto". ``timeout``: the seconds one file may take (0: no limit), enforced by
    a worker process per actor (``ChunkExtractor``). Lazy, like any Ray Dataset: nothing runs until it is
    consumed.
    """
    ray = _ray()
    if batch_size < 1 or concurrency < 1:
        raise ValueError(f"batch_size and concurrency must be at least 1, got {batch_size} and {concurrency}")
    if not timeout >= 0:  # also refuses NaN
        raise ValueError(f"timeout must be 0 (no limit) or a number of seconds above 0, got {timeout!r}")
    return ds.map_batches(
        ChunkExtractor,
        fn_constructor_kwargs={"tagger": tagger, "device": device, "template": template, "timeout": timeout},
        batch_size=batch_size,
        batch_format="default",
        compute=ray.data.ActorPoolStrategy(size=concurrency),
        num_gpus=num_gpus or None,
    )


def report_dicts(results: Any) -> Iterator[dict[str, Any]]:
    """The ``Report.to_dict()`` of each row of an ``extract_dataset`` result, as they stream in."""
    for row in results.iter_rows():
        yield json.loads(row["report"])


class RayEngine:
    """``run_batch``'s engine for ``engine="ray"``: chunks run on ``workers`` Ray actors.

    Joins the cluster of ``RAY_ADDRESS`` (or a running one) when Ray is not initialised yet, else starts a
    local one; a cluster this engine started is shut down when it closes. The tagger is loaded here on
    the CPU first, so that a model that cannot load stops the run before any file.
    """

    def __init__(
        self,
        tagger: str | Tagger,
        device: str,
        workers: int,
        template: str | None = None,
        batch_size: int = 16,
        timeout: float = 0.0,
    ) -> None:
        ray = _ray()
        self.spec, self.device, self.workers, self.template = tagger, device, workers, template
        self.batch_size, self.timeout = batch_size, timeout
        self.label = tagger_label(pipeline.get_tagger(tagger, "cpu" if device == "cuda" else device))
        self._started = False
        if not ray.is_initialized():
            address = os.environ.get("RAY_ADDRESS") or None
            # a local cluster's actors import gxie from where this process does (a checkout need not be installed)
            here = str(Path(__file__).resolve().parent.parent)
            path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
            runtime_env = None if address else {"env_vars": {"PYTHONPATH": path}}
            ray.init(
                address=address,
                include_dashboard=False,
                configure_logging=False,
                log_to_driver=False,
                runtime_env=runtime_env,
            )
            self._started = True
        ray.data.DataContext.get_current().enable_progress_bars = False  # run_batch shows its own
        logging.getLogger("ray.data").setLevel(logging.WARNING)  # no per-dataset INFO lines around the bar

    def run(self, chunks: Iterable[list[Item]]) -> Iterator[list[FileResult]]:
        """Results in batches, in the order Ray finishes them."""
        ray = _ray()
        rows = [{"path": p, "content_hash": h} for chunk in chunks for p, h in chunk]
        if not rows:
            return
        ds = ray.data.from_items(rows)
        results = extract_dataset(
            ds,
            tagger=self.spec,
            template=self.template,
            device=self.device,
            batch_size=self.batch_size,
            concurrency=self.workers,
            num_gpus=1.0 if self.device == "cuda" else 0.0,
            timeout=self.timeout,
        )
        for batch in results.iter_batches(batch_size=None, batch_format="default"):
            yield [
                FileResult(str(p), h or None, Report.from_dict(json.loads(r)), float(s))
                for p, h, r, s in zip(
                    batch["path"], batch["content_hash"], batch["report"], batch["seconds"], strict=True
                )
            ]

    def __enter__(self) -> RayEngine:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        if self._started:
            _ray().shutdown()
            self._started = False
