"""The whole loop against a real Label Studio server on 127.0.0.1: tasks with predictions from the seed
reports, corrections made through the API as an annotator would, the export pulled, a tiny model retrained;
and the same with gxie's ML backend connected to the server: predictions served on demand, annotation
webhooks starting a retraining round, the promoted model's predictions served afterwards.

The server runs from its own virtual environment (annotations/install_label_studio.sh, by default
~/.cache/gxie-ls-venv; GXIE_LS_VENV or GXIE_LS_EXE point elsewhere) with a throwaway data folder, an admin
user and an API token given through environment variables. Without it the tests are skipped, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gxie.annotate.client import connect, find_project
from gxie.annotate.config import labeling_config
from gxie.annotate.importer import from_results
from gxie.annotate.tasks import to_results
from gxie.cli import main
from gxie.training.synth import generate
from tests.conftest import ROOT
from tests.test_annotate_seeds import TINY_FINETUNE, corrected_spans, model_version, tiny_base_model

pytestmark = [pytest.mark.integration, pytest.mark.slow]
START_TIMEOUT_S = 300  # first start migrates a fresh database: ~22 s on an idle 2-core machine
TOKEN = "gxie-test-token-5f1c0a"
PROJECT = "gxie seeds (integration test)"


def label_studio_executable() -> Path:
    """The ``label-studio`` executable of the server's own venv (see annotations/install_label_studio.sh)."""
    if os.environ.get("GXIE_LS_EXE"):
        return Path(os.environ["GXIE_LS_EXE"])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(os.environ.get("GXIE_LS_VENV") or cache / "gxie-ls-venv") / "bin" / "label-studio"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh Label Studio server on a free loopback port; its URL. Stopped (by its pid) afterwards."""
    exe = label_studio_executable()
    if not exe.is_file():
        pytest.skip(
            f"Label Studio server not installed ({exe} not found): run annotations/install_label_studio.sh "
            "to install it into its own virtual environment, or set GXIE_LS_VENV / GXIE_LS_EXE"
        )
    data = tmp_path_factory.mktemp("label-studio-data")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("USERNAME", "PASSWORD", "PORT", "HOST")}
    env.update(
        LABEL_STUDIO_BASE_DATA_DIR=str(data),
        LABEL_STUDIO_USERNAME="annotator@example.com",
        LABEL_STUDIO_PASSWORD="gxie-test-password",
        LABEL_STUDIO_USER_TOKEN=TOKEN,
        LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
        LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="true",
        LABEL_STUDIO_LATEST_VERSION_CHECK="false",  # no call to pypi.org
        # an ML backend and its webhook on 127.0.0.1: Label Studio refuses local addresses unless told
        LABEL_STUDIO_ML_BLOCK_LOCAL_IP="false",
        LABEL_STUDIO_SSRF_PROTECTION_ENABLED="false",
        # /health and /setup answer in milliseconds, but a loaded 2-core machine can stall a request
        LABEL_STUDIO_ML_TIMEOUT_HEALTH="10",
        LABEL_STUDIO_ML_TIMEOUT_SETUP="30",
    )
    command = [str(exe), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port)]
    log_path = data / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=data, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(url):
            tail = log_path.read_text(errors="replace")[-3000:]
            assert process.poll() is None, f"Label Studio exited with {process.returncode}:\n{tail}"
            assert time.monotonic() < deadline, f"Label Studio not up after {START_TIMEOUT_S}s:\n{tail}"
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _reports(seeds_dir: Path, folder: Path) -> list[Path]:
    """The seeds, one seed again with CRLF line ends, spaces around and characters outside the BMP, and a
    generated report the annotator will skip."""
    folder.mkdir()
    seeds = sorted(seeds_dir.glob("*.txt"))
    for path in seeds:
        shutil.copy(path, folder / path.name)
    text = seeds[0].read_text(encoding="utf-8")
    odd = "  𠀀" + text.replace("\n", "\r\n").replace("一、", "一、😀", 1) + " \r\n "
    (folder / "odd.txt").write_bytes(odd.encode("utf-8"))
    (folder / "skip.txt").write_text(next(iter(generate(1, seed=3))).text, encoding="utf-8")
    return sorted(folder.glob("*.txt"))


def test_label_studio_loop_round_trip_and_retraining(
    server: str, seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GXIE_LS_URL", server)
    monkeypatch.setenv("GXIE_LS_API_KEY", TOKEN)
    paths = _reports(seeds_dir, tmp_path / "reports")
    current = tmp_path / "models" / "current"
    shutil.copytree(tiny_base_model(), current)
    tasks_file = tmp_path / "tasks.json"
    args = ["annotate", "tasks", str(tmp_path / "reports"), "--tagger", str(current), "--device", "cpu"]
    assert main([*args, "-o", str(tasks_file)]) == 0
    assert main(["annotate", "push", str(tasks_file), "--project", PROJECT]) == 0
    assert main(["annotate", "push", str(tasks_file), "--project", PROJECT]) == 0  # nothing imported twice
    pushed = capsys.readouterr()
    assert f"{len(paths)} task(s) imported" in pushed.out and f"0 task(s) imported, {len(paths)} already" in pushed.out
    assert TOKEN not in pushed.out + pushed.err

    local = {t["data"]["path"]: t for t in json.loads(tasks_file.read_text(encoding="utf-8"))}
    ls = connect()
    project = find_project(ls, PROJECT)
    assert project is not None
    expected: dict[int, list[list[object]]] = {}
    for task in ls.tasks.list(project=project, fields="all"):
        path = Path(task.data["path"])
        text = task.data["text"]
        assert text == path.read_bytes().decode("utf-8")  # CRLF, edge spaces, astral characters kept
        (prediction,) = ls.predictions.list(task=task.id)
        mine = local[str(path)]["predictions"][0]
        assert prediction.model_version == mine["model_version"] == f"model:{model_version(current)}"
        assert from_results(text, prediction.result) == from_results(text, mine["result"])  # exact round trip
        assert [r["value"] for r in prediction.result] == [r["value"] for r in mine["result"]]
        if path.name == "skip.txt":
            ls.annotations.create(id=task.id, result=[], was_cancelled=True)
            continue
        _, spans = corrected_spans(path)
        fixed = to_results(text, spans)
        if path.name == paths[0].name:  # accepted the prediction first, corrected it later: newest wins
            ls.annotations.create(id=task.id, result=prediction.result)
            ls.annotations.create(id=task.id, result=fixed)
        elif path.name == paths[1].name:  # a reviewer's ground truth beats a newer annotation
            ls.annotations.create(id=task.id, result=fixed, ground_truth=True)
            ls.annotations.create(id=task.id, result=prediction.result)
        else:
            ls.annotations.create(id=task.id, result=fixed)
        expected[task.id] = [list(s) for s in spans]

    export = tmp_path / "annotations" / "export.json"
    records = tmp_path / "annotations" / "labelled.jsonl"
    assert main(["annotate", "pull", "--project", PROJECT, "-o", str(export), "--records", str(records)]) == 0
    pulled = capsys.readouterr().out
    assert f"{len(paths)} tasks: {len(paths) - 1} labelled reports" in pulled and "1 skipped or cancelled" in pulled
    got = [json.loads(line) for line in records.read_text(encoding="utf-8").splitlines()]
    assert {r["task_id"]: r["spans"] for r in got} == expected  # every span exactly as the annotator left it

    args = ["annotate", "retrain", "--data", str(export), "--init-from", str(current), "--synthetic-check", "0"]
    args += ["--min-test-reports", "2", "--work-dir", str(tmp_path / "round")]
    args += [f"--set={k}={v}" for k, v in TINY_FINETUNE.items()]
    assert main(args) == 0, capsys.readouterr().out
    report = json.loads((tmp_path / "round" / "retrain_report.json").read_text(encoding="utf-8"))
    assert report["decision"] == "promoted"
    assert report["micro_f1"]["frozen_test"]["candidate"] > report["micro_f1"]["frozen_test"]["previous"]
    assert model_version(current) == report["candidate"]["version"]
    assert (tmp_path / "annotations" / "split.json").is_file()


BACKEND_PROJECT = "gxie seeds (ML backend)"
BACKEND_TIMEOUT_S = 900  # the tiny retraining round: ~1 min on an idle machine


def _get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=30) as response:
        body: dict[str, Any] = json.loads(response.read())
        return body


@pytest.fixture()
def backend(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """``gxie annotate backend`` in its own process on a free loopback port, retraining after 5 new
    annotations with the tiny settings; its URL, model directory and work folder. Stopped by its pid."""
    model = tmp_path / "models" / "current"
    shutil.copytree(tiny_base_model(), model)
    work = tmp_path / "backend"
    port = _free_port()
    command = [sys.executable, "-m", "gxie", "annotate", "backend", "--model", str(model), "--port", str(port)]
    command += ["--work-dir", str(work), "--retrain-after", "5", "--preset", "quick", "--synthetic-check", "0"]
    command += ["--min-test-reports", "2", *(f"--set={k}={v}" for k, v in TINY_FINETUNE.items())]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    log_path = tmp_path / "backend.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while not _healthy(url):
            tail = log_path.read_text(errors="replace")[-3000:]
            assert process.poll() is None, f"the backend exited with {process.returncode}:\n{tail}"
            assert time.monotonic() < deadline, f"the backend is not up after 300 s:\n{tail}"
            time.sleep(0.5)
        yield url, model, work
    finally:
        process.terminate()
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        print(log_path.read_text(errors="replace")[-4000:])


def test_ml_backend_predicts_for_label_studio_and_retrains_from_its_webhooks(
    server: str, backend: tuple[str, Path, Path], seeds_dir: Path
) -> None:
    backend_url, model, work = backend
    ls = connect(server, TOKEN)
    project = ls.projects.create(title=BACKEND_PROJECT, label_config=labeling_config())
    seeds = sorted(seeds_dir.glob("*.txt"))
    texts = {path.name: corrected_spans(path) for path in seeds}
    shown = {"attention": "pre-annotated by the ML backend", "grid": "in the predictions' region notes"}
    ls.projects.import_tasks(
        project.id, request=[{"data": {"text": t, "source": n, **shown}} for n, (t, _) in texts.items()]
    )
    tasks = {t.data["source"]: t for t in ls.tasks.list(project=project.id, fields="all")}
    assert len(tasks) == len(seeds)
    before = f"model:{model_version(model)}"

    connection = ls.ml.create(project=project.id, url=backend_url, title="gxie")  # calls /health and /setup
    assert connection.state == "CO", connection  # connected
    hooks = ls.webhooks.list(project=project.id)
    assert [h.url for h in hooks] == [backend_url + "/webhook"]  # made by Label Studio for the backend

    first = tasks[seeds[0].name]
    opened = ls.tasks.get(first.id)  # opening a task without predictions asks the backend for them
    assert [p.model_version for p in opened.predictions] == [before]
    ls.actions.create(id="retrieve_tasks_predictions", project=project.id, selected_items={"all": True, "excluded": []})
    for name, task in tasks.items():
        (prediction,) = ls.predictions.list(task=task.id)
        assert prediction.model_version == before
        text = texts[name][0]
        spans, _ = from_results(text, prediction.result)  # regions in UTF-16 units that cover their text
        assert all(isinstance(r["score"], float) for r in prediction.result)
        mean = sum(r["score"] for r in prediction.result) / max(1, len(spans))  # of scores rounded to 4 places
        assert prediction.score == pytest.approx(mean, abs=1e-4)

    for name, task in tasks.items():  # the annotators' corrections; each one reaches /webhook
        text, spans = texts[name]
        ls.annotations.create(id=task.id, result=to_results(text, spans))
    deadline = time.monotonic() + BACKEND_TIMEOUT_S
    while not (rounds := _get(backend_url + "/health")["retrain"]["rounds"]) or rounds[0]["finished"] is None:
        assert time.monotonic() < deadline, f"no retraining round finished in {BACKEND_TIMEOUT_S} s: {rounds}"
        time.sleep(2)
    (round_,) = rounds
    assert round_["tasks"] == len(seeds) and round_["error"] == "", round_
    assert round_["promoted"] is True, round_["reason"]
    after = f"model:{round_['candidate_version']}"
    assert after != before and _get(backend_url + "/health")["model_version"] == after
    assert model_version(model) == round_["candidate_version"]
    assert json.loads((work / "split.json").read_text(encoding="utf-8"))["test"]

    ls.actions.create(id="retrieve_tasks_predictions", project=project.id, selected_items={"all": True, "excluded": []})
    for task in tasks.values():  # the new model's predictions, next to the old ones
        versions = sorted(p.model_version for p in ls.predictions.list(task=task.id))
        assert versions == sorted([before, after])
