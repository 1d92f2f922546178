"""The ML backend's endpoints over HTTP, without Label Studio: /health, /setup, /predict, /webhook, and a
retraining round started by annotation webhooks whose promoted model is served afterwards."""

from __future__ import annotations

import json
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gxie.annotate.backend import Backend, BackendSettings, make_server
from gxie.annotate.config import labeling_config
from gxie.annotate.importer import from_results, import_export
from gxie.annotate.rollback import entries, rollback
from gxie.annotate.tasks import original_spans, to_results
from gxie.pipeline import finish, prepare
from gxie.report import Report
from gxie.tagging.rules import RulesTagger
from gxie.types import Document
from tests.test_annotate_seeds import TINY_FINETUNE, corrected_spans, model_version, tiny_base_model


def call(url: str, path: str, payload: Any = None, *, raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
    """GET (no payload) or POST JSON; the status and the decoded JSON body, errors included."""
    data = raw if raw is not None else (None if payload is None else json.dumps(payload).encode("utf-8"))
    request = urllib.request.Request(url + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def running(backend: Backend) -> Iterator[str]:
    server = make_server(backend, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        backend.retrainer.wait(600)


class VersionedRules(RulesTagger):
    """The rules tagger, versioned by the model directory it is 'loaded' from (fast, exact cells)."""

    def __init__(self, folder: Path) -> None:
        self.version = model_version(folder)


@pytest.fixture()
def rules_backend(tmp_path: Path) -> Iterator[tuple[str, Backend]]:
    model = tmp_path / "model"
    model.mkdir()
    (model / "gxie_config.json").write_text(json.dumps({"model_version": "r1"}), encoding="utf-8")
    settings = BackendSettings(model=model, work_dir=tmp_path / "work", retrain_after=3)
    backend = Backend(settings, loader=VersionedRules)
    for url in running(backend):
        yield url, backend


def webhook(action: str, task_id: int, text: str, annotation_id: int, result: list[Any], **extra: Any) -> dict:
    annotation = {"id": annotation_id, "task": task_id, "result": result, "was_cancelled": False, "completed_by": 1}
    annotation["updated_at"] = f"2026-01-01T10:00:{annotation_id:02d}Z"
    task = {"id": task_id, "data": {"text": text, "source": f"t{task_id}.txt"}, "project": 1}
    return {"action": action, "annotation": {**annotation, **extra}, "task": task, "project": {"id": 1}}


def test_health_setup_and_routes(rules_backend: tuple[str, Backend]) -> None:
    url, _ = rules_backend
    status, health = call(url, "/health")
    assert status == 200 and health["status"] == "UP" and health["model_version"] == "rules:r1"
    assert health["retrain"] == {"after": 3, "new_annotations": 0, "running": False, "rounds": []}
    assert call(url, "/") == (200, health)
    assert call(url, "/setup", {"project": "1.1700000000", "schema": labeling_config()}) == (
        200,
        {"model_version": "rules:r1"},
    )
    foreign = (
        '<View><Text name="text" value="$text"/><Labels name="l" toName="text"><Label value="PER"/></Labels></View>'
    )
    status, body = call(url, "/setup", {"schema": foreign})
    assert status == 400 and body["error"].startswith("the project's labeling config has no Labels control on 'text'")
    assert call(url, "/setup", {"schema": "<View"})[1]["error"].startswith("the project's labeling config is not XML")
    assert call(url, "/nope")[0] == 404 and call(url, "/nope", {})[0] == 404
    assert call(url, "/predict", raw=b"{not json")[0] == 400
    status, body = call(url, "/predict", {"tasks": [{"id": 7, "data": {"report": "x"}}]})
    assert status == 400 and body["error"].startswith("task 7 has no string data.text; gxie predicts on")


def test_predict_gives_exact_regions_scores_grid_notes_and_version(
    rules_backend: tuple[str, Backend], seeds_dir: Path
) -> None:
    url, _ = rules_backend
    seed = sorted(seeds_dir.glob("*.txt"))[0].read_text(encoding="utf-8")
    odd = "  𠀀" + seed.replace("\n", "\r\n").replace("一、", "一、😀", 1) + " \r\n "
    tasks = [{"id": 1, "data": {"text": seed, "source": "a.txt"}}, {"id": 2, "data": {"text": odd}}]
    status, body = call(url, "/predict", {"tasks": tasks, "project": "1.1700000000", "label_config": "", "params": {}})
    assert status == 200 and len(body["results"]) == 2 and body["model_version"] == "rules:r1"
    rules = RulesTagger()
    for task, result in zip(tasks, body["results"], strict=True):
        text = task["data"]["text"]
        prepared = prepare(Document(text=text, source="x", kind="text"))
        assert not isinstance(prepared, Report)
        spans = rules.tag(prepared.normalized.text)
        expected, scores = original_spans(prepared, spans)
        assert from_results(text, result["result"]) == (sorted(expected), 0)  # UTF-16 offsets, exact
        assert [r["score"] for r in result["result"]] == [round(s, 4) for s in scores]
        assert result["model_version"] == "rules:r1" and result["score"] == pytest.approx(sum(scores) / len(scores))
        report = finish(prepared, spans, rules)
        assert result["status"] == report.status and result["grid"].splitlines()[0].startswith(report.cells[0].key)
        first = report.cells[0]  # the region over its number says which cell it became
        assert first.span is not None
        (region,) = [
            r
            for r, (a, b, _) in zip(result["result"], expected, strict=True)
            if a < first.span[1] and first.span[0] < b
        ]
        assert region["meta"]["text"] == [f"{first.key} = {first.value}"]
    assert "𠀀" in odd and body["results"][1]["result"][0]["value"]["start"] > 2  # counted in UTF-16 units


def test_webhooks_are_stored_counted_and_replayed(rules_backend: tuple[str, Backend], tmp_path: Path) -> None:
    url, backend = rules_backend
    text = "二、主动公开\n  自然人 𠀀 12\n"
    spans = [(text.index("自然人"), text.index("自然人") + 3, "COL"), (text.index("12"), text.index("12") + 2, "NUM")]
    result = to_results(text, spans)
    created = call(url, "/webhook", webhook("ANNOTATION_CREATED", 1, text, 11, result))
    assert created == (201, {"action": "ANNOTATION_CREATED", "new_annotations": 1,
                             "retrain": "1 of 3 new annotations before retraining"})  # fmt: skip
    skipped = call(url, "/webhook", webhook("ANNOTATION_CREATED", 2, text, 12, [], was_cancelled=True))
    assert skipped[1]["new_annotations"] == 0  # a skipped task is no new annotation
    updated = call(url, "/webhook", webhook("ANNOTATION_UPDATED", 1, text, 11, result[:1]))
    assert updated[1]["retrain"] == "2 of 3 new annotations before retraining"
    assert call(url, "/webhook", {"action": "PROJECT_UPDATED", "project": {"id": 1}})[1] == {
        "action": "PROJECT_UPDATED",
        "ignored": True,
    }
    export = backend.store.export()
    assert [(t["id"], [a["id"] for a in t["annotations"]]) for t in export] == [(1, [11]), (2, [12])]
    imported = import_export(export)
    assert [r["spans"] for r in imported.records] == [[list(spans[0])]]  # the update replaced the annotation
    assert imported.counts["skipped"] == 1
    call(url, "/webhook", {"action": "ANNOTATIONS_DELETED", "annotations": [{"id": 12}], "project": {"id": 1}})
    again = Backend(backend.settings, loader=VersionedRules)  # a restarted backend replays the log
    assert again.store.export() == [{"id": 1, "data": export[0]["data"], "annotations": export[0]["annotations"]}]
    assert call(url, "/health")[1]["stored_tasks"] == 2 and len(again.store.tasks[2]["annotations"]) == 0


def test_settings_refuse_a_negative_retrain_count(tmp_path: Path) -> None:
    from gxie.errors import ConfigError

    with pytest.raises(ConfigError, match=r"--retrain-after must be 0 \(never retrain\) or a number"):
        BackendSettings(model=tmp_path, work_dir=tmp_path, retrain_after=-1)


@pytest.mark.slow
def test_annotations_start_a_round_and_the_promoted_model_is_served(seeds_dir: Path, tmp_path: Path) -> None:
    model = tmp_path / "models" / "current"
    shutil.copytree(tiny_base_model(), model)
    before = f"model:{model_version(model)}"
    options = {"preset": "quick", "overrides": TINY_FINETUNE, "synthetic_check": 0, "min_test_reports": 2}
    settings = BackendSettings(model=model, work_dir=tmp_path / "work", retrain_after=5, retrain_options=options)
    backend = Backend(settings)
    seeds = sorted(seeds_dir.glob("*.txt"))
    for url in running(backend):
        text = seeds[0].read_text(encoding="utf-8")
        status, body = call(url, "/predict", {"tasks": [{"id": 1, "data": {"text": text}}]})
        assert status == 200 and body["results"][0]["model_version"] == before
        for k, path in enumerate(seeds, 1):
            text, spans = corrected_spans(path)
            reply = call(url, "/webhook", webhook("ANNOTATION_CREATED", k, text, 100 + k, to_results(text, spans)))[1]
        assert reply["retrain"] == "retraining started"
        assert backend.retrainer.wait(600)
        (round_,) = call(url, "/health")[1]["retrain"]["rounds"]
        assert round_["error"] == "" and round_["promoted"] is True, round_
        after = f"model:{round_['candidate_version']}"
        assert after != before and call(url, "/health")[1]["model_version"] == after
        status, body = call(url, "/predict", {"tasks": [{"id": 1, "data": {"text": text}}]})
        assert body["results"][0]["model_version"] == after
        assert [e.version for e in entries(model)] == [before.split(":")[1]]
        assert (settings.work_dir / "split.json").is_file() and Path(round_["report"]).is_file()
        rollback(model)  # the backend notices the directory changed and serves the old model again
        assert call(url, "/setup", {"schema": labeling_config()})[1] == {"model_version": before}
