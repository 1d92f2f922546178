"""gxie.cli: the subcommand table, ``gxie extract`` outputs, exit codes (0 ok/partial, 1 failed, 2 usage)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import gxie.batch.run
import gxie.pipeline
from gxie._version import __version__
from gxie.batch import BatchSummary
from gxie.cli import COMMANDS, main
from gxie.errors import ModelError
from gxie.export import LONG_COLUMNS, read_jsonl
from gxie.types import Cell, IssueCode, Report, Span
from gxie.versions import current_versions
from tests.fakes import FakeNormalized, FakePrepared

ROOT = Path(__file__).resolve().parents[1]


class FakeTagger:
    name = "fake"
    version = "1"

    def tag(self, text: str) -> list[Span]:
        return []

    def tag_many(self, texts: Sequence[str]) -> list[list[Span]]:
        return [[] for _ in texts]


def fake_prepare(source: str) -> FakePrepared | Report:
    """A text file holding one number is a report with one cell; anything else fails like the pipeline."""
    path = Path(source)
    if path.suffix != ".txt":
        text = f"unsupported file type {path.suffix!r}"
        return Report.failed(str(path), IssueCode.UNSUPPORTED_FORMAT, text, versions=current_versions())
    return FakePrepared(str(path), FakeNormalized(path.read_text(encoding="utf-8")))


def fake_finish(
    prepared: FakePrepared, spans: list[Span], tagger: FakeTagger, *, template: str | None = None, tag_seconds: float
) -> Report:
    text = prepared.normalized.text
    if text.startswith("CRASH"):
        raise RuntimeError("grid index out of range")
    cell = Cell("section3", "new_received", "total", int(text), text, (0, len(text)), 1.0)
    return Report(
        source=prepared.source,
        status="ok",
        template=template or "2021",
        agency="某市统计局",
        year=2022,
        date_issued=None,
        sections=(),
        cells=(cell,),
        checks=(),
        issues=(),
        tagger="fake:1",
        input_kind="text",
        content_hash=None,
        versions=current_versions("fake:1"),
    )


def fake_get_tagger(tagger: object, device: str) -> FakeTagger:
    return FakeTagger()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gxie.pipeline, "prepare", fake_prepare)
    monkeypatch.setattr(gxie.pipeline, "finish", fake_finish)
    monkeypatch.setattr(gxie.pipeline, "get_tagger", fake_get_tagger)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {"a": tmp_path / "a.txt", "b": tmp_path / "b.txt", "junk": tmp_path / "junk.xyz"}
    out["a"].write_text("0", encoding="utf-8")
    out["b"].write_text("42", encoding="utf-8")
    out["junk"].write_text("?", encoding="utf-8")
    return out


# --- the command table ---------------------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"gxie {__version__}"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "required: COMMAND"),
        (["extract"], "required: FILE|DIR|GLOB"),
        (["nope"], "invalid choice: 'nope'"),
        (["extract", "a.txt", "--batch-size", "0"], "at least 1, got '0'"),
        (["extract", "a.txt", "--tagger", "gpt"], "invalid choice: 'gpt'"),
        (["extract", "a.txt", "--tables", "csv,json"], "unknown table format(s) 'json'"),
        (["extract", "a.txt", "--engine", "spark"], "invalid choice: 'spark'"),
        (["extract", "a.txt", "--workers", "-1"], "at least 1, got '-1'"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_extract_help_imports_neither_torch_nor_pandas() -> None:
    code = (
        "import sys\nfrom gxie.cli import main\nassert main(['extract', '--help']) == 0\n"
        "print(sorted(m for m in ('torch', 'pandas', 'transformers') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "--batch-size" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_a_command_whose_module_is_missing_fails_only_when_used(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(COMMANDS, "ghost", ("gxie.no_such_command", "a command from a later release", None))
    assert main(["ghost", "--epochs", "3"]) == 1
    assert "'ghost' command is not available: its module gxie.no_such_command is not part" in capsys.readouterr().err
    assert main(["extract", "--help"]) == 0  # the other commands still work
    assert main(["--help"]) == 0
    assert "ghost" in capsys.readouterr().out


def test_a_command_missing_a_dependency_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "needy_command.py").write_text("import gxie_absent_dependency\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(COMMANDS, "needy", ("needy_command", "needs a package", "train"))
    assert main(["needy"]) == 1
    err = capsys.readouterr().err
    assert "'gxie_absent_dependency', which is not installed" in err and "pip install 'gxie[train]'" in err


# --- gxie extract to stdout and files ------------------------------------------------------------------


@pytest.mark.usefixtures("fake")
def test_one_file_prints_its_json(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(files["a"])]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["source"] == str(files["a"]) and report["cells"][0]["value"] == 0
    assert "某市统计局" in out
    assert err.startswith("1 reports: 1 ok, 0 partial, 0 failed")


@pytest.mark.usefixtures("fake")
def test_several_files_as_json_lines_and_a_failure_exits_1(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["extract", str(files["a"]), str(files["b"]), str(files["junk"]), "--format", "jsonl"]
    assert main(argv) == 1
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(Path(r["source"]).name, r["status"]) for r in lines] == [
        ("a.txt", "ok"),
        ("b.txt", "ok"),
        ("junk.xyz", "failed"),
    ]
    assert "3 reports: 2 ok, 0 partial, 1 failed" in err
    assert f"failed: {files['junk']}: unsupported file type '.xyz'" in err


@pytest.mark.slow
@pytest.mark.usefixtures("fake")
def test_worker_processes_keep_the_input_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = []
    for i in range(7):
        paths.append(tmp_path / f"r{i}.txt")
        paths[-1].write_text(str(i * 11), encoding="utf-8")
    paths.insert(3, tmp_path / "junk.xyz")
    paths[3].write_text("?", encoding="utf-8")
    argv = ["extract", *map(str, paths), "--format", "jsonl", "--workers", "2", "--batch-size", "2", "-q"]
    assert main(argv) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["source"] for r in lines] == [str(p) for p in paths]
    assert [r["cells"][0]["value"] if r["cells"] else None for r in lines] == [0, 11, 22, None, 33, 44, 55, 66]


@pytest.mark.usefixtures("fake")
def test_output_files_by_suffix(files: dict[str, Path], tmp_path: Path) -> None:
    both = [str(files["a"]), str(files["b"])]
    assert main(["extract", *both, "-o", str(tmp_path / "o" / "all.json"), "-q"]) == 0
    assert [r["cells"][0]["value"] for r in json.loads((tmp_path / "o" / "all.json").read_text("utf-8"))] == [
        0,
        42,
    ]
    assert main(["extract", str(files["a"]), "-o", str(tmp_path / "one.json"), "-q"]) == 0
    assert json.loads((tmp_path / "one.json").read_text("utf-8"))["source"] == str(files["a"])
    assert main(["extract", *both, "-o", str(tmp_path / "all.jsonl"), "-q"]) == 0
    assert len((tmp_path / "all.jsonl").read_text("utf-8").splitlines()) == 2
    assert main(["extract", *both, "-o", str(tmp_path / "cells.csv"), "-q"]) == 0
    data = (tmp_path / "cells.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    header, first, second = data[3:].decode("utf-8").splitlines()
    assert header == ",".join(LONG_COLUMNS)
    assert first == f"{files['a']},section3,new_received,total,section3.new_received.total,0,0,0,1,1.0"
    assert second.split(",")[5] == "42"


@pytest.mark.usefixtures("fake")
def test_an_exception_on_one_file_keeps_the_others(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    files["a"].write_text("CRASH", encoding="utf-8")
    assert main(["extract", str(files["a"]), str(files["b"])]) == 1
    reports = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in reports] == ["failed", "ok"]
    assert reports[0]["issues"][0]["code"] == "internal_error"
    assert "RuntimeError: grid index out of range" in reports[0]["issues"][0]["message"]
    assert reports[0]["tagger"] == "fake:1"


@pytest.mark.usefixtures("fake")
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--format", "csv", "-o", "x.json"], "--format csv does not match the output file"),
        (["-o", "x.txt"], "a file output ends in .json, .jsonl or .csv"),
        (["-o", "folder", "--format", "json"], "--format chooses the output for stdout or one file"),
        (["--engine", "ray"], "--engine ray runs a folder output only"),
    ],
)
def test_conflicting_outputs_exit_2(
    files: dict[str, Path], tmp_path: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = [str(tmp_path / e) if e in ("x.json", "x.txt", "folder") else e for e in extra]
    assert main(["extract", str(files["a"]), *extra]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.usefixtures("fake")
def test_a_missing_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(tmp_path / "nope.pdf")]) == 2
    assert "nope.pdf' does not exist" in capsys.readouterr().err


def test_a_tagger_that_cannot_load_exits_1(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(tagger: str, device: str) -> None:
        raise ModelError("model directory models/default has no model.safetensors; reinstall gxie")

    monkeypatch.setattr(gxie.pipeline, "get_tagger", broken)
    assert main(["extract", str(files["a"])]) == 1
    assert "no model.safetensors" in capsys.readouterr().err


# --- gxie extract to a folder --------------------------------------------------------------------------


def summary_of(out: Path, by_status: dict[str, int]) -> BatchSummary:
    return BatchSummary(out, sum(by_status.values()), 2, 0, by_status, {}, [("a.txt", 0.5)], 1.0, [out / "x"])


@pytest.mark.parametrize(("by_status", "code"), [({"ok": 1, "partial": 1}, 0), ({"ok": 1, "failed": 1}, 1)])
def test_a_folder_output_runs_the_batch(
    files: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    by_status: dict[str, int],
    code: int,
) -> None:
    calls: list[tuple[Any, ...]] = []

    def recorder(inputs: list[str], out: Path, **options: Any) -> BatchSummary:
        calls.append((inputs, out, options))
        return summary_of(out, by_status)

    monkeypatch.setattr(gxie.batch.run, "run_batch", recorder)
    argv = ["extract", str(tmp_path), "-o", str(tmp_path / "out"), "--tagger", "rules", "--template", "2019"]
    argv += ["--device", "cpu", "--batch-size", "4", "--workers", "2", "--tables", "csv,xlsx", "--no-resume"]
    argv += ["--engine", "ray"]
    assert main(argv) == code
    assert calls == [
        (
            [str(tmp_path)],
            tmp_path / "out",
            {
                "tagger": "rules",
                "template": "2019",
                "device": "cpu",
                "batch_size": 4,
                "workers": 2,
                "formats": ("jsonl", "csv", "xlsx"),
                "resume": False,
                "progress": True,
                "engine": "ray",
            },
        )
    ]
    assert "2 files:" in capsys.readouterr().err
    assert main(["extract", str(tmp_path), "-o", str(tmp_path / "out"), "-q"]) == code
    assert calls[-1][2]["progress"] is False and calls[-1][2]["formats"] == ("jsonl", "csv")
    assert calls[-1][2]["engine"] == "local" and calls[-1][2]["workers"] == 1 and calls[-1][2]["batch_size"] == 16
    assert capsys.readouterr().err == ""


def test_an_interrupted_folder_run_says_how_to_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*args: Any, **options: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(gxie.batch.run, "run_batch", interrupted)
    assert main(["extract", str(tmp_path), "-o", str(tmp_path / "out")]) == 130
    assert "run the same command again" in capsys.readouterr().err


def test_the_real_pipeline_from_the_command_line(
    seeds_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = sorted(seeds_dir.glob("*.txt"))[0]
    expected = gxie.pipeline.extract(seed, tagger="rules").to_dict()
    code = 1 if expected["status"] == "failed" else 0
    assert main(["extract", str(seed), "--tagger", "rules"]) == code
    printed = json.loads(capsys.readouterr().out)
    assert printed.pop("timings").keys() == expected.pop("timings").keys()
    assert printed == expected
    assert main(["extract", str(seed), "-o", str(tmp_path / "out"), "--tagger", "rules", "-q"]) == code
    (row,) = read_jsonl(tmp_path / "out" / "results.jsonl")
    assert row["cells"] == expected["cells"] and row["status"] == expected["status"]
