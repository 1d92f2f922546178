"""The whole loop against a real Label Studio server on 127.0.0.1: tasks with predictions from the seed
reports, corrections made through the API as an annotator would, the export pulled, a tiny model retrained.

The server runs from its own virtual environment (annotations/install_label_studio.sh, by default
~/.cache/gxie-ls-venv; GXIE_LS_VENV or GXIE_LS_EXE point elsewhere) with a throwaway data folder, an admin
user and an API token given through environment variables. Without it the test is skipped, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from gxie.annotate.client import connect, find_project
from gxie.annotate.importer import from_results
from gxie.annotate.tasks import to_results
from gxie.cli import main
from gxie.training.synth import generate
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
    args += ["--work-dir", str(tmp_path / "round"), *(f"--set={k}={v}" for k, v in TINY_FINETUNE.items())]
    assert main(args) == 0, capsys.readouterr().out
    report = json.loads((tmp_path / "round" / "retrain_report.json").read_text(encoding="utf-8"))
    assert report["decision"] == "promoted"
    assert report["micro_f1"]["frozen_test"]["candidate"] > report["micro_f1"]["frozen_test"]["previous"]
    assert model_version(current) == report["candidate"]["version"]
    assert (tmp_path / "annotations" / "split.json").is_file()
