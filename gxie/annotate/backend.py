"""An ML backend for Label Studio: predictions from the current model, retraining from the annotations.

It speaks label-studio-ml-backend's protocol with the standard library only (that package pins Flask 1.1
and other versions that would downgrade gxie's dependencies):

- ``GET /health`` (and ``GET /``): ``{"status": "UP", "model_version": ..., "retrain": {...}}``.
- ``POST /setup`` (Label Studio calls it on connecting and before predicting): checks that the project's
  labeling config has gxie's labels and answers ``{"model_version": ...}``.
- ``POST /predict`` with ``{"tasks": [...], "project": "id.timestamp", "label_config": ..., "params": ...}``:
  one prediction per task, ``{"results": [{"result": [...], "score": ..., "model_version": ...}]}``. Regions
  carry UTF-16 offsets into the task's original text, a score each and, as their meta note, the grid cell
  they became (gxie.annotate.tasks.prediction_for); each result also carries the rebuilt grid and the
  report's status (``grid``, ``status``: read by API clients; Label Studio stores result, score, version).
- ``POST /webhook``: Label Studio's webhooks (it creates one for the backend when the backend is added).
  ``ANNOTATION_CREATED``, ``ANNOTATIONS_CREATED`` and ``ANNOTATION_UPDATED`` store the task and its
  annotation (an append-only log in the work folder, replayed on start) and count as new annotations;
  ``ANNOTATIONS_DELETED`` forgets them; ``START_TRAINING`` asks for a round now. After ``retrain_after``
  new annotations a retraining round (gxie.annotate.retrain) runs in a background thread on everything
  stored plus ``data``; its gate decides whether the new model replaces the served one.

The served model is reloaded whenever its directory changes (a promotion, ``gxie annotate rollback``):
the new model is loaded completely, then swapped in under a lock, so every prediction uses one model.

Example::

    >>> settings = BackendSettings(model=Path("models/current"), work_dir=Path("runs/backend"))  # doctest: +SKIP
    >>> backend = Backend(settings)  # doctest: +SKIP
    >>> serve(backend, "127.0.0.1", 9090)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from gxie.annotate.config import TO_NAME
from gxie.errors import ConfigError, GxieError
from gxie.labels import ENTITY_TYPES
from gxie.tagging.base import Tagger
from gxie.types import IssueCode

log = logging.getLogger(__name__)
DEFAULT_PORT = 9090
RETRAIN_AFTER = 20  # new annotations that start a retraining round
LOG_FILE = "webhooks.jsonl"  # annotation events received, replayed on start
SPLIT_FILE = "split.json"  # the frozen split of the rounds this backend runs
MAX_BODY = 256 * 1024 * 1024  # bytes of one request body
STORE_ACTIONS = ("ANNOTATION_CREATED", "ANNOTATIONS_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_DELETED")


class BackendError(GxieError):
    """A request the backend cannot answer (bad JSON, a task without text, a foreign labeling config)."""

    code = IssueCode.BACKEND_ERROR


@dataclass
class BackendSettings:
    """What the backend serves and how it retrains: the model directory it predicts with and promotes
    into, its work folder, retraining after ``retrain_after`` new annotations (0: never), extra labelled
    ``data`` for every round, and keyword arguments for gxie.annotate.retrain.retrain."""

    model: Path
    work_dir: Path
    retrain_after: int = RETRAIN_AFTER
    data: list[Path] = field(default_factory=list)
    retrain_options: dict[str, Any] = field(default_factory=dict)
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.retrain_after < 0:
            raise ConfigError(
                f"--retrain-after must be 0 (never retrain) or a number of new annotations, got {self.retrain_after}"
            )


class ModelHolder:
    """The served tagger, reloaded when its model directory changes and swapped in atomically."""

    def __init__(self, model: Path, device: str = "cpu", loader: Callable[[Path], Tagger] | None = None) -> None:
        self.model = Path(model)
        self.device = device
        self._loader = loader or self._load
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._tagger: Tagger | None = None
        self.reload()

    def _load(self, path: Path) -> Tagger:
        from gxie.tagging.model import ModelTagger

        return ModelTagger.from_pretrained(path, device=self.device)

    def _current_stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.model / "gxie_config.json")
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns

    def reload(self) -> bool:
        """Load the model directory again if it changed; True when a new model is now served. While the
        directory is being swapped (or broken) the model loaded before stays in service."""
        stamp = self._current_stamp()
        if stamp is not None and stamp == self._stamp and self._tagger is not None:
            return False
        with self._lock:
            stamp = self._current_stamp()
            if stamp is not None and stamp == self._stamp and self._tagger is not None:
                return False
            try:
                tagger = self._loader(self.model)
            except GxieError as exc:
                if self._tagger is None:
                    raise
                log.warning("model directory %s could not be reloaded (%s); serving %s", self.model, exc, self.version)
                return False
            self._tagger, self._stamp = tagger, stamp
        log.info("serving model %s from %s", self.version, self.model)
        return True

    @property
    def tagger(self) -> Tagger:
        """The tagger to use for one request (checks the directory first)."""
        self.reload()
        assert self._tagger is not None
        return self._tagger

    @property
    def version(self) -> str:
        """``name:version`` of the served tagger, what predictions carry as ``model_version``."""
        assert self._tagger is not None
        return f"{self._tagger.name}:{self._tagger.version}"


class AnnotationStore:
    """Tasks and their annotations as received through webhooks; written as an append-only log."""

    def __init__(self, log_path: Path) -> None:
        self.path = Path(log_path)
        self._lock = threading.Lock()
        self.tasks: dict[Any, dict[str, Any]] = {}  # task id -> {"id", "data", "annotations": {id: annotation}}
        if self.path.is_file():
            with self.path.open(encoding="utf-8") as fh:
                for n, line in enumerate(fh, 1):
                    if line.strip():
                        try:
                            event = json.loads(line)
                        except ValueError:
                            log.warning("%s:%d is not JSON (an interrupted write?); skipped", self.path, n)
                            continue
                        self._apply(event["action"], event)

    def apply(self, action: str, payload: Mapping[str, Any]) -> int:
        """Record one webhook event; returns how many new or changed annotations it brought (cancelled
        ones, i.e. skipped tasks, do not count)."""
        if action not in STORE_ACTIONS:
            return 0
        event = {"action": action, **{k: payload[k] for k in ("annotation", "annotations", "task") if k in payload}}
        with self._lock:
            counted = self._apply(action, event)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(event, ensure_ascii=False) + "\n")
        return counted

    def _apply(self, action: str, event: Mapping[str, Any]) -> int:
        if action == "ANNOTATIONS_DELETED":
            gone = {a.get("id") for a in _as_list(event.get("annotations"))}
            for task in self.tasks.values():
                for aid in gone & set(task["annotations"]):
                    del task["annotations"][aid]
            return 0
        annotations = _as_list(event.get("annotation"))
        tasks = {t.get("id"): t for t in _as_list(event.get("task"))}
        counted = 0
        for a in annotations:
            task_id = a.get("task")
            task_id = task_id.get("id") if isinstance(task_id, Mapping) else task_id
            source = tasks.get(task_id) or (next(iter(tasks.values())) if len(tasks) == 1 else None)
            if source is None:
                log.warning("annotation %s came without its task; ignored", a.get("id"))
                continue
            entry = self.tasks.setdefault(source["id"], {"id": source["id"], "annotations": {}})
            entry["data"] = source.get("data") or {}
            entry["annotations"][a.get("id")] = dict(a)
            counted += not a.get("was_cancelled")
        return counted

    def export(self) -> list[dict[str, Any]]:
        """The stored tasks that still have annotations, as a Label Studio JSON export (what
        gxie.annotate.importer reads)."""
        with self._lock:
            return [
                {"id": t["id"], "data": t.get("data") or {}, "annotations": list(t["annotations"].values())}
                for t in self.tasks.values()
                if t["annotations"]
            ]


@dataclass
class Round:
    """One retraining round the backend ran: when, on how many tasks, and what the gate said."""

    number: int
    started: float
    tasks: int
    finished: float | None = None
    promoted: bool | None = None
    reason: str = ""
    candidate_version: str = ""
    report: str = ""
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data for /health."""
        return dict(vars(self))


class Retrainer:
    """Counts new annotations and runs retraining rounds in a background thread, one at a time."""

    def __init__(self, settings: BackendSettings, store: AnnotationStore, holder: ModelHolder) -> None:
        self.settings, self.store, self.holder = settings, store, holder
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.new_annotations = 0
        self.rounds: list[Round] = []
        self._wanted = False  # a round was asked for (START_TRAINING) or the count was reached

    def note(self, new: int) -> str:
        """Count ``new`` annotations; start a round when enough came in. Returns what happens next."""
        with self._lock:
            self.new_annotations += new
            if self.settings.retrain_after and self.new_annotations >= self.settings.retrain_after:
                self._wanted = True
            return self._maybe_start()

    def request(self) -> str:
        """Ask for a round now (Label Studio's Start training)."""
        with self._lock:
            self._wanted = True
            return self._maybe_start()

    @property
    def running(self) -> bool:
        """Whether a round is running."""
        return self._thread is not None and self._thread.is_alive()

    def _maybe_start(self) -> str:
        if self.running:
            return "a retraining round is running; another starts after it" if self._wanted else "retraining"
        if not self._wanted:
            after = self.settings.retrain_after
            return f"{self.new_annotations} of {after} new annotations before retraining" if after else "no retraining"
        self._wanted = False
        self.new_annotations = 0
        self._thread = threading.Thread(target=self._run, name="gxie-retrain", daemon=True)
        self._thread.start()
        return "retraining started"

    def _run(self) -> None:
        from gxie.annotate.retrain import retrain

        tasks = self.store.export()
        round_ = Round(len(self.rounds) + 1, time.time(), len(tasks))
        self.rounds.append(round_)
        folder = self.settings.work_dir / "rounds" / f"{round_.number:03d}"
        try:
            export = folder / "export.json"
            export.parent.mkdir(parents=True, exist_ok=True)
            export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
            options = {"split_path": self.settings.work_dir / SPLIT_FILE, **self.settings.retrain_options}
            outcome = retrain(
                [*self.settings.data, export],
                init_from=self.holder.model,
                work_dir=folder,
                promote_to=self.holder.model,
                **options,
            )
            round_.promoted, round_.reason = outcome.promoted, outcome.reason
            round_.candidate_version, round_.report = outcome.candidate_version, str(outcome.report_path)
            if outcome.promoted:
                self.holder.reload()
        except Exception as exc:  # a failed round must not stop the backend; it is reported on /health
            log.exception("retraining round %d failed", round_.number)
            round_.error = f"{type(exc).__name__}: {exc}"
        finally:
            round_.finished = time.time()
            log.info("retraining round %d: %s", round_.number, round_.error or round_.reason)
            with self._lock:
                self._thread = None
                self._maybe_start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no round is running (for tests and shutdown); True when idle."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            thread = self._thread
            if thread is None:
                return True
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            thread.join(remaining)
            if thread.is_alive():
                return False

    def status(self) -> dict[str, Any]:
        """Counts and rounds for /health."""
        return {
            "after": self.settings.retrain_after,
            "new_annotations": self.new_annotations,
            "running": self.running,
            "rounds": [r.to_dict() for r in self.rounds],
        }


class Backend:
    """The four endpoints, independent of HTTP (see the module docstring)."""

    def __init__(self, settings: BackendSettings, *, loader: Callable[[Path], Tagger] | None = None) -> None:
        self.settings = settings
        self.holder = ModelHolder(settings.model, settings.device, loader)
        self.store = AnnotationStore(settings.work_dir / LOG_FILE)
        self.retrainer = Retrainer(settings, self.store, self.holder)

    def health(self) -> dict[str, Any]:
        """``GET /health``."""
        return {
            "status": "UP",
            "v2": True,
            "model_dir": str(self.settings.model),
            "model_version": self.holder.version,
            "stored_tasks": len(self.store.tasks),
            "retrain": self.retrainer.status(),
        }

    def setup(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /setup``: the project's labeling config must carry gxie's labels on the text."""
        schema = payload.get("schema")
        if isinstance(schema, str) and schema.strip():
            check_label_config(schema)
        self.holder.reload()
        return {"model_version": self.holder.version}

    def predict(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /predict``: one prediction per task, in order."""
        from gxie.annotate.tasks import grid_text, predict_texts

        tasks = payload.get("tasks")
        if not isinstance(tasks, list):
            raise BackendError(f"/predict needs 'tasks', a list of Label Studio tasks; got {type(tasks).__name__}")
        items = []
        for k, task in enumerate(tasks):
            task = task if isinstance(task, Mapping) else {"id": f"#{k}"}
            data = task.get("data")
            data = data if isinstance(data, Mapping) else {}
            text = data.get(TO_NAME)
            if not isinstance(text, str):
                raise BackendError(
                    f"task {task.get('id')} has no string data.{TO_NAME}; gxie predicts on the report text in the "
                    f"task field '{TO_NAME}' (tasks made by `gxie annotate tasks` have it)"
                )
            items.append((str(data.get("source") or f"task {task.get('id')}"), text))
        tagger = self.holder.tagger
        results = []
        for prediction, report in predict_texts(items, tagger):
            results.append({**prediction, "grid": grid_text(report.cells), "status": report.status})
        return {"results": results, "model_version": f"{tagger.name}:{tagger.version}"}

    def webhook(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /webhook``: store annotations, count them, start retraining rounds."""
        action = str(payload.get("action") or "")
        if action == "START_TRAINING":
            return {"action": action, "retrain": self.retrainer.request()}
        new = self.store.apply(action, payload)
        if action not in STORE_ACTIONS:
            return {"action": action, "ignored": True}
        return {"action": action, "new_annotations": new, "retrain": self.retrainer.note(new)}


def check_label_config(schema: str) -> None:
    """Refuse a labeling config without a ``Labels`` control holding every gxie label on ``$text``."""
    try:
        root = ET.fromstring(schema)
    except ET.ParseError as exc:
        raise BackendError(f"the project's labeling config is not XML: {exc}") from exc
    for labels in root.iter("Labels"):
        values = {label.get("value") for label in labels.iter("Label")}
        if labels.get("toName") == TO_NAME and set(ENTITY_TYPES) <= values:
            return
    raise BackendError(
        f"the project's labeling config has no Labels control on '{TO_NAME}' with gxie's labels "
        f"({', '.join(ENTITY_TYPES)}); set it to the output of `gxie annotate config`"
    )


def make_server(backend: Backend, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
    """An HTTP server for ``backend`` (not started: call ``serve_forever``)."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "gxie-ml-backend"

        def do_GET(self) -> None:
            if self.path.split("?")[0].rstrip("/") in ("", "/health"):
                self._reply(HTTPStatus.OK, backend.health())
            else:
                self._reply(HTTPStatus.NOT_FOUND, {"error": f"no GET {self.path}; try /health"})

        def do_POST(self) -> None:
            routes: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
                "/setup": backend.setup,
                "/predict": backend.predict,
                "/webhook": backend.webhook,
            }
            path = self.path.split("?")[0].rstrip("/")
            route = routes.get(path)
            if route is None:
                self._reply(HTTPStatus.NOT_FOUND, {"error": f"no POST {self.path}; use {', '.join(routes)}"})
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    raise BackendError(f"request body of {length} bytes is over the limit of {MAX_BODY}")
                payload = json.loads(self.rfile.read(length) or b"{}")
                if not isinstance(payload, dict):
                    raise BackendError(f"the request body must be a JSON object, got {type(payload).__name__}")
                status = HTTPStatus.CREATED if path == "/webhook" else HTTPStatus.OK
                self._reply(status, route(payload))
            except (BackendError, ValueError) as exc:
                log.warning("%s refused: %s", self.path, exc)
                self._reply(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            except Exception as exc:
                log.exception("%s failed", self.path)
                self._reply(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"{type(exc).__name__}: {exc}"})

        def _reply(self, status: HTTPStatus, body: Mapping[str, Any]) -> None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s %s", self.address_string(), format % args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve(backend: Backend, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM); a running retraining round is waited for."""
    import signal

    server = make_server(backend, host, port)
    previous = signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    log.info("gxie ML backend on http://%s:%d serving %s", host, server.server_address[1], backend.holder.version)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
        if backend.retrainer.running:
            log.info("waiting for the retraining round to finish")
            backend.retrainer.wait()


def _as_list(value: object) -> list[dict[str, Any]]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return [value] if isinstance(value, dict) else []
