"""Push and pull against an in-memory stand-in for the SDK client; credentials; the key is never shown."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from gxie.annotate.client import ServerError, connect, credentials, pull, push
from gxie.annotate.config import labeling_config
from gxie.cli import main
from gxie.errors import ConfigError

SECRET = "s3cret-token-0123456789"


class Projects:
    """The part of ``LabelStudio.projects`` gxie uses, kept in memory."""

    def __init__(self) -> None:
        self.items: dict[int, dict[str, Any]] = {}
        self.tasks: dict[int, list[dict[str, Any]]] = {}
        self.exports = SimpleNamespace(download_sync=self._export)

    def list(self, title: str) -> list[SimpleNamespace]:
        return [SimpleNamespace(id=i, title=p["title"]) for i, p in self.items.items() if title in p["title"]]

    def create(self, title: str, label_config: str) -> SimpleNamespace:
        pid = len(self.items) + 1
        self.items[pid] = {"title": title, "label_config": label_config}
        self.tasks[pid] = []
        return SimpleNamespace(id=pid)

    def update(self, pid: int, label_config: str) -> None:
        self.items[pid]["label_config"] = label_config

    def import_tasks(self, pid: int, request: list[dict[str, Any]]) -> None:
        self.tasks[pid] += [{**t, "id": 100 * pid + len(self.tasks[pid])} for t in request]

    def _export(self, pid: int, export_type: str, download_all_tasks: bool) -> list[bytes]:
        assert (export_type, download_all_tasks) == ("JSON", True)
        data = json.dumps(self.tasks[pid]).encode()
        return [data[:10], data[10:]]


def fake_client() -> SimpleNamespace:
    projects = Projects()
    tasks = SimpleNamespace(
        list=lambda project, fields: [SimpleNamespace(id=t["id"], data=t["data"]) for t in projects.tasks[project]]
    )
    return SimpleNamespace(projects=projects, tasks=tasks)


def make_task(n: int) -> dict[str, Any]:
    return {"data": {"text": f"报告{n}", "content_hash": f"h{n}"}, "predictions": []}


def test_push_creates_then_reuses_the_project_and_skips_reports_already_there() -> None:
    ls: Any = fake_client()
    ls.projects.create("gxie reports (old)", "<View/>")  # a title that only contains the wanted one
    first = push(ls, "gxie reports", [make_task(1), make_task(2)])
    assert (first.project_id, first.created, first.imported, first.already_there) == (2, True, 2, 0)
    ls.projects.update(2, "<View/>")
    second = push(ls, "gxie reports", [make_task(2), make_task(3)])
    assert (second.project_id, second.created, second.imported, second.already_there) == (2, False, 1, 1)
    assert ls.projects.items[2]["label_config"] == labeling_config()
    exported = pull(ls, "gxie reports")
    assert [t["data"]["content_hash"] for t in exported] == ["h1", "h2", "h3"]
    assert pull(ls, 2) == exported
    with pytest.raises(ConfigError, match="no Label Studio project is called 'nope'"):
        pull(ls, "nope")


def test_credentials_come_from_options_then_gxie_then_label_studio_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GXIE_LS_URL", "LABEL_STUDIO_URL", "GXIE_LS_API_KEY", "LABEL_STUDIO_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ConfigError, match="set GXIE_LS_URL or LABEL_STUDIO_URL"):
        credentials()
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://ls.example:8080/")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "b")
    assert credentials() == ("http://ls.example:8080", "b")
    monkeypatch.setenv("GXIE_LS_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("GXIE_LS_API_KEY", "a")
    assert credentials() == ("http://127.0.0.1:9", "a")
    assert credentials("http://other", "c") == ("http://other", "c")
    monkeypatch.delenv("GXIE_LS_API_KEY")
    monkeypatch.delenv("LABEL_STUDIO_API_KEY")
    with pytest.raises(ConfigError, match="no Label Studio API key") as info:
        credentials()
    assert "GXIE_LS_API_KEY or LABEL_STUDIO_API_KEY" in str(info.value)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_server_is_reported_without_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(ServerError, match="Label Studio could not list projects") as info:
        pull(connect(url, SECRET, retries=0), "gxie reports")
    assert SECRET not in str(info.value)
    tasks = tmp_path / "tasks.json"
    tasks.write_text(json.dumps([make_task(1)]), encoding="utf-8")
    monkeypatch.setenv("GXIE_LS_URL", url)
    monkeypatch.setenv("GXIE_LS_API_KEY", SECRET)
    monkeypatch.setattr("gxie.annotate.client.RETRIES", 0)
    assert main(["annotate", "push", str(tasks), "--project", "gxie reports"]) == 2
    captured = capsys.readouterr()
    assert "Label Studio could not list projects" in captured.err
    assert SECRET not in captured.out + captured.err
