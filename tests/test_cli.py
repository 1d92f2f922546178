"""gxie.cli: the subcommand table, ``gxie extract`` outputs, exit codes (0 ok/partial, 1 failed, 2 usage)."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from functools import cache
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
from gxie.training.synth import generate
from gxie.types import Document
from tests.fakes import FakeTagger, report_texts

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every tagger name gives a ``tests.fakes.FakeTagger`` (the rules tagger, failing on cue words): in this
    process, and in the worker processes of a folder run (``run_batch`` is handed the tagger object, which
    pickles; a worker would otherwise load the named tagger)."""
    monkeypatch.setattr(gxie.pipeline, "get_tagger", lambda tagger="model", device="auto", **options: FakeTagger())
    run_batch = gxie.batch.run.run_batch

    def with_fake(inputs: list[str], out: Path, **options: Any) -> BatchSummary:
        return run_batch(inputs, out, **{**options, "tagger": FakeTagger()})

    monkeypatch.setattr(gxie.batch.run, "run_batch", with_fake)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Two generated reports the rules tagger reads as ok, and a file of a type gxie does not read."""
    out = {"a": tmp_path / "a.txt", "b": tmp_path / "b.txt", "junk": tmp_path / "junk.xyz"}
    out["a"].write_text(report_texts("ok", 2)[0], encoding="utf-8")
    out["b"].write_text(report_texts("ok", 2)[1], encoding="utf-8")
    out["junk"].write_text("?", encoding="utf-8")
    return out


def expected(path: Path | Document, tagger: Any = None) -> dict[str, Any]:
    """The report ``extract`` gives for ``path`` (with a ``FakeTagger`` unless told), without its timings."""
    report = gxie.pipeline.extract(path, tagger=tagger or FakeTagger()).to_dict()
    del report["timings"]
    return report


def untimed(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``reports`` as printed, without their timings (which differ from run to run)."""
    for report in reports:
        del report["timings"]
    return reports


def stdin_document(text: str) -> Document:
    """``text`` as ``gxie extract -`` should read it from stdin, whatever its encoding there."""
    return Document(text=text, source="<stdin>", kind="text")


@cache
def big5_text() -> str:
    """A generated report in Traditional characters that Big5 can encode and the rules tagger reads as ok."""
    for report in generate(20, seed=11, layouts=("tab_rows",), noise_levels=("traditional",), broken_share=0.0):
        try:
            report.text.encode("big5")
        except UnicodeEncodeError:
            continue
        if gxie.pipeline.extract_text(report.text, tagger="rules").status == "ok":
            return report.text
    raise RuntimeError("no generated Traditional report encodes in Big5 and reads as ok; change the seed")


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
def test_one_file_prints_a_json_list_of_one(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(files["a"])]) == 0
    out, err = capsys.readouterr()
    (report,) = json.loads(out)  # a list whatever the number of inputs
    assert report.pop("timings").keys() == {"read", "normalize", "tag", "grid"}
    assert report == expected(files["a"]) and report["source"] == str(files["a"]) and report["status"] == "ok"
    assert report["agency"] in out  # Chinese printed as is, not escaped
    assert err == "1 reports: 1 ok, 0 partial, 0 failed\n"
    assert main(["extract", str(files["a"]), str(files["b"])]) == 0
    assert untimed(json.loads(capsys.readouterr().out)) == [expected(files["a"]), expected(files["b"])]


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
def test_worker_processes_keep_the_input_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = []
    for i, text in enumerate(report_texts("ok", 7)):
        paths.append(tmp_path / f"r{i}.txt")
        paths[-1].write_text(text, encoding="utf-8")
    paths.insert(3, tmp_path / "junk.xyz")
    paths[3].write_text("?", encoding="utf-8")
    argv = ["extract", *map(str, paths), "--format", "jsonl", "--workers", "2", "--batch-size", "2", "-q"]
    assert main([*argv, "--tagger", "rules"]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["source"] for r in lines] == [str(p) for p in paths]
    for line, path in zip(lines, paths, strict=True):
        del line["timings"]
        assert line == expected(path, "rules")
    assert [r["status"] for r in lines] == ["ok"] * 3 + ["failed"] + ["ok"] * 4


def csv_row(source: Path, cell: dict[str, Any]) -> str:
    """One line of the long cell table, as ``gxie extract -o cells.csv`` writes it."""
    key = f"{cell['table']}.{cell['row']}.{cell['col']}"
    values = [cell["table"], cell["row"], cell["col"], key, cell["value"], cell["raw"], *cell["span"]]
    return ",".join([str(source), *("" if v is None else str(v) for v in values), str(cell["confidence"])])


@pytest.mark.usefixtures("fake")
def test_output_files_by_suffix(files: dict[str, Path], tmp_path: Path) -> None:
    both = [str(files["a"]), str(files["b"])]
    reports = [expected(files[k]) for k in ("a", "b")]
    assert main(["extract", *both, "-o", str(tmp_path / "o" / "all.json"), "-q"]) == 0
    assert untimed(json.loads((tmp_path / "o" / "all.json").read_text("utf-8"))) == reports
    assert main(["extract", str(files["a"]), "-o", str(tmp_path / "one.json"), "-q"]) == 0
    assert [r["source"] for r in json.loads((tmp_path / "one.json").read_text("utf-8"))] == [str(files["a"])]
    assert main(["extract", str(files["a"]), "-o", str(tmp_path / "one.jsonl"), "-q"]) == 0
    assert [json.loads(line)["source"] for line in (tmp_path / "one.jsonl").read_text("utf-8").splitlines()] == [
        str(files["a"])
    ]
    assert main(["extract", *both, "-o", str(tmp_path / "all.jsonl"), "-q"]) == 0
    assert len((tmp_path / "all.jsonl").read_text("utf-8").splitlines()) == 2
    assert main(["extract", *both, "-o", str(tmp_path / "cells.csv"), "-q"]) == 0
    data = (tmp_path / "cells.csv").read_bytes()
    assert data[:1] == b"s"  # no byte-order mark by default
    lines = data.decode("utf-8").splitlines()
    first_cells = [r["cells"][0] for r in reports]
    n_a, n_b = (len(r["cells"]) for r in reports)
    assert lines[0] == ",".join(LONG_COLUMNS) and len(lines) == 1 + n_a + n_b
    assert lines[1] == csv_row(files["a"], first_cells[0])
    assert lines[1 + n_a] == csv_row(files["b"], first_cells[1])


@pytest.mark.usefixtures("fake")
def test_an_exception_on_one_file_keeps_the_others(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    files["a"].write_text("BADSPANS\n" + files["a"].read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["extract", str(files["a"]), str(files["b"])]) == 1
    reports = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in reports] == ["failed", "ok"]
    assert reports[0]["issues"][0]["code"] == "internal_error"
    message = reports[0]["issues"][0]["message"]
    assert f"while rebuilding the tables of {str(files['a'])!r}: AttributeError: 'tuple' object" in message
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
    failures = [("b.txt", "cannot read")] if by_status.get("failed") else []
    return BatchSummary(out, sum(by_status.values()), 2, 0, by_status, {}, [("a.txt", 0.5)], 1.0, [out / "x"], failures)


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
    argv += ["--engine", "ray", "--timeout", "2.5"]
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
                "timeout": 2.5,
                "excel_csv": False,
            },
        )
    ]
    err = capsys.readouterr().err
    assert "2 files:" in err
    assert ("failed in this run:\n  b.txt: cannot read\n" in err) is bool(by_status.get("failed"))
    assert main(["extract", str(tmp_path), "-o", str(tmp_path / "out"), "-q"]) == code
    assert calls[-1][2]["progress"] is False and calls[-1][2]["formats"] == ("jsonl", "csv")
    assert calls[-1][2]["engine"] == "local" and calls[-1][2]["workers"] == 1 and calls[-1][2]["batch_size"] == 16
    assert calls[-1][2]["timeout"] == 300.0
    assert capsys.readouterr().err == ""


@pytest.mark.usefixtures("files")  # a folder without report files exits 2 before the run
def test_an_interrupted_folder_run_says_how_to_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*args: Any, **options: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(gxie.batch.run, "run_batch", interrupted)
    assert main(["extract", str(tmp_path), "-o", str(tmp_path / "out")]) == 130
    assert "run the same command again" in capsys.readouterr().err


def test_the_real_pipeline_from_the_command_line(
    seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = sorted(seeds_dir.glob("*.txt"))[0]
    expected = gxie.pipeline.extract(seed, tagger="rules").to_dict()
    code = 1 if expected["status"] == "failed" else 0
    assert main(["extract", str(seed), "--tagger", "rules"]) == code
    (printed,) = json.loads(capsys.readouterr().out)
    assert printed.pop("timings").keys() == expected.pop("timings").keys()
    assert printed == expected
    assert main(["extract", str(seed), "-o", str(tmp_path / "out"), "--tagger", "rules", "-q"]) == code
    (row,) = read_jsonl(tmp_path / "out" / "results.jsonl")
    assert row["cells"] == expected["cells"] and row["status"] == expected["status"]
    gbk = seed.read_text(encoding="utf-8").encode("gb18030")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(gbk)))
    assert main(["extract", "-", "--tagger", "rules", "--format", "jsonl", "-q"]) == code
    (piped,) = map(json.loads, capsys.readouterr().out.splitlines())
    assert piped["source"] == "<stdin>" and piped["cells"] == expected["cells"]


# --- nothing to do -------------------------------------------------------------------------------------


NOTHING_FOUND = (
    "(folders are searched recursively; hidden files, Office lock files and gxie's own output files are "
    "skipped); nothing was extracted. Check the paths, or give the files themselves\n"
)


@pytest.mark.parametrize("output", [None, "out.json", "out"])
def test_an_empty_folder_warns_and_exits_2(
    tmp_path: Path, output: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "reports"
    (empty / ".hidden").mkdir(parents=True)
    (empty / ".hidden" / "a.txt").write_text(report_texts("ok", 1)[0], encoding="utf-8")
    (empty / "results.jsonl").write_text("", encoding="utf-8")  # gxie's own output: never an input
    extra = [] if output is None else ["-o", str(tmp_path / output)]
    assert main(["extract", str(empty), *extra, "-q"]) == 2  # said even with -q: it is why the exit is 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"gxie extract: warning: no report files found in '{empty}' {NOTHING_FOUND}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]  # nothing written


def test_a_glob_matching_nothing_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pattern = str(tmp_path / "*.pdf")
    for extra in ([], ["-o", str(tmp_path / "out")]):
        assert main(["extract", pattern, *extra]) == 2
        assert capsys.readouterr().err == (
            f"gxie extract: error: the pattern '{pattern}' matched no files; check the path and quoting\n"
        )
    assert list(tmp_path.iterdir()) == []


# --- --fail-on on a resumed folder run -----------------------------------------------------------------


@pytest.mark.usefixtures("fake")
def test_fail_on_counts_new_failures_on_a_resumed_run(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = ["extract", str(files["a"]), str(files["b"]), str(files["junk"]), "-o", str(out), "-q"]
    assert main(argv) == 1  # junk.xyz failed in this run; the default is --fail-on new
    assert main(argv) == 0  # resumed: its failed row is an earlier run's
    assert main([*argv, "--fail-on", "new"]) == 0
    assert main([*argv, "--fail-on", "any"]) == 1  # the output still holds a failed report
    assert main([*argv, "--fail-on", "never"]) == 0
    assert [r["source"] for r in read_jsonl(out / "results.jsonl")] == [str(p) for p in files.values()]
    assert main([*argv, "--no-resume", "--fail-on", "never"]) == 0  # failed again, in this run
    assert main([*argv, "--no-resume"]) == 1


@pytest.mark.usefixtures("fake")
def test_fail_on_new_counts_a_retried_internal_error(files: dict[str, Path], tmp_path: Path) -> None:
    files["a"].write_text("BADSPANS\n" + files["a"].read_text(encoding="utf-8"), encoding="utf-8")
    argv = ["extract", str(files["a"]), str(files["b"]), "-o", str(tmp_path / "out"), "-q"]
    assert main(argv) == 1
    assert main(argv) == 1  # an internal error is retried on resume, and it failed again now
    rows = list(read_jsonl(tmp_path / "out" / "results.jsonl"))
    retry = ("a.txt", "failed")  # the row of the retry on resume
    assert [(Path(r["source"]).name, r["status"]) for r in rows] == [("a.txt", "failed"), ("b.txt", "ok"), retry]
    assert rows[-1]["issues"][0]["code"] == "internal_error"


@pytest.mark.usefixtures("fake")
@pytest.mark.parametrize(("fail_on", "code"), [("any", 1), ("new", 1), ("never", 0)])
def test_fail_on_for_stdout(files: dict[str, Path], fail_on: str, code: int) -> None:
    assert main(["extract", str(files["a"]), str(files["junk"]), "--fail-on", fail_on, "-q"]) == code


# --- stdin ---------------------------------------------------------------------------------------------


def feed(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


@pytest.mark.usefixtures("fake")
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "utf-16", "big5"])
def test_dash_reads_a_report_from_stdin(
    encoding: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = big5_text() if encoding == "big5" else report_texts("ok", 1)[0]
    feed(monkeypatch, text.encode(encoding))
    assert main(["extract", "-"]) == 0
    out, err = capsys.readouterr()
    (report,) = untimed(json.loads(out))
    want = expected(stdin_document(text))
    assert report == want and (report["source"], report["status"]) == ("<stdin>", "ok")
    assert report["agency"] == want["agency"] and report["agency"] in out
    assert err == "1 reports: 1 ok, 0 partial, 0 failed\n"


@pytest.mark.usefixtures("fake")
def test_stdin_keeps_its_place_among_the_inputs(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = report_texts("ok", 3)[2]
    feed(monkeypatch, text.encode("utf-8"))
    assert main(["extract", str(files["a"]), "-", str(files["b"]), "--format", "jsonl", "-q"]) == 0
    rows = untimed([json.loads(line) for line in capsys.readouterr().out.splitlines()])
    assert [r["source"] for r in rows] == [str(files["a"]), "<stdin>", str(files["b"])]
    assert rows == [expected(files["a"]), expected(stdin_document(text)), expected(files["b"])]


@pytest.mark.usefixtures("fake")
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01\x02\x03\x04\x05", "<stdin> looks like binary data, not text (it contains NUL bytes)"),
        (b" \n\t", "<stdin> contains only whitespace; supply the report's content"),
    ],
)
def test_bad_stdin_is_a_failed_report(
    data: bytes, message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feed(monkeypatch, data)
    assert main(["extract", "-", "-q"]) == 1
    (report,) = json.loads(capsys.readouterr().out)
    assert (report["source"], report["status"], report["tagger"]) == ("<stdin>", "failed", "fake:1")
    assert report["issues"][0]["code"] == "read_error" and report["issues"][0]["message"].startswith(message)


@pytest.mark.usefixtures("fake")
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-", "-"], "'-' (stdin) is given 2 times; stdin holds one report, give it once"),
        (
            ["-", "-o", "OUT"],
            "'-' (stdin) cannot go to a folder output, which resumes files by their content; print to stdout "
            "or give -o FILE.json, .jsonl or .csv",
        ),
    ],
)
def test_stdin_usage_errors(argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in argv]
    assert main(["extract", *argv]) == 2
    assert capsys.readouterr().err == f"gxie extract: error: {message}\n"


# --- CSV byte-order mark -------------------------------------------------------------------------------


@pytest.mark.usefixtures("fake")
def test_csv_has_no_bom_unless_excel_csv(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = str(files["a"])
    header = ",".join(LONG_COLUMNS)
    assert main(["extract", one, "--format", "csv", "-q"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == header
    assert main(["extract", one, "--format", "csv", "--excel-csv", "-q"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "\ufeff" + header
    assert main(["extract", one, "-o", str(tmp_path / "plain.csv"), "-q"]) == 0
    assert (tmp_path / "plain.csv").read_bytes().startswith(header.encode())
    assert main(["extract", one, "-o", str(tmp_path / "excel.csv"), "--excel-csv", "-q"]) == 0
    assert (tmp_path / "excel.csv").read_bytes().startswith(b"\xef\xbb\xbf" + header.encode())
    for folder, extra in (("plain", []), ("excel", ["--excel-csv"])):
        assert main(["extract", one, "-o", str(tmp_path / folder), *extra, "-q"]) == 0
    for name in ("reports.csv", "cells.csv"):
        assert (tmp_path / "plain" / name).read_bytes()[:7] == b"source,"
        assert (tmp_path / "excel" / name).read_bytes()[:10] == b"\xef\xbb\xbfsource,"


@pytest.mark.usefixtures("fake")
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "--excel-csv changes CSV output, but the output here is json; leave it out"),
        (["-o", "OUT", "--tables", "parquet"], "--excel-csv changes CSV tables, but --tables is parquet"),
    ],
)
def test_excel_csv_without_csv_is_a_usage_error(
    files: dict[str, Path], tmp_path: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = [str(tmp_path / "out") if e == "OUT" else e for e in extra]
    assert main(["extract", str(files["a"]), "--excel-csv", *extra]) == 2
    assert capsys.readouterr().err == f"gxie extract: error: {message}\n"


# --- -v, -q, --log-level -------------------------------------------------------------------------------


@pytest.mark.usefixtures("fake")
@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_silences_progress_summary_and_warnings(
    files: dict[str, Path], tmp_path: Path, where: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """capfd, not capsys: a folder run extracts in a worker process, which writes to the stderr file itself."""
    files["a"].write_text("BADSPANS\n" + files["a"].read_text(encoding="utf-8"), encoding="utf-8")  # logs a warning
    inputs = [str(files["a"]), str(files["b"]), str(files["junk"])]
    for output in ([], ["-o", str(tmp_path / "all.json")], ["-o", str(tmp_path / "out")]):
        argv = ["-q", "extract", *inputs, *output] if where == "before" else ["extract", *inputs, *output, "-q"]
        assert main(argv) == 1
        assert capfd.readouterr().err == ""
    assert main(["-q", "extract", str(tmp_path / "missing.txt")]) == 2  # errors are still said
    assert capfd.readouterr().err == (
        f"gxie extract: error: input '{tmp_path / 'missing.txt'}' does not exist; give existing files, "
        "folders or glob patterns such as 'reports/**/*.pdf'\n"
    )


@pytest.mark.usefixtures("fake")
def test_log_levels(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    files["a"].write_text("BADSPANS\n" + files["a"].read_text(encoding="utf-8"), encoding="utf-8")
    argv = ["extract", str(files["a"])]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f" WARNING internal error while rebuilding the tables of {files['a']}\nTraceback" in err
    assert "AttributeError: 'tuple' object has no attribute" in err and "1 reports: 0 ok, 0 partial, 1 failed" in err
    for level in (["--log-level", "error"], ["--log-level=CRITICAL"]):
        assert main([*level, *argv]) == 1
        err = capsys.readouterr().err
        assert "WARNING" not in err and err.startswith("1 reports: 0 ok, 0 partial, 1 failed\n")  # summary kept
    assert main([*argv, "-v"]) == 1
    assert "WARNING internal error while rebuilding" in capsys.readouterr().err
    assert logging.getLogger("gxie").level == logging.NOTSET  # the set-up lasts for the command only


def test_log_level_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--log-level", "loud", "extract", "a.txt"]) == 2
    assert "unknown log level 'loud'; use one of DEBUG, INFO, WARNING, ERROR, CRITICAL" in capsys.readouterr().err
    assert main(["-v", "extract", "a.txt", "-q"]) == 2
    assert (
        capsys.readouterr().err == "gxie: error: -q (quiet) and -v (verbose) contradict each other; give one of them\n"
    )


@pytest.mark.parametrize("command", ["extract", "train", "annotate"])
def test_every_command_takes_the_message_options(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("datasets" if command == "train" else "label_studio_sdk" if command == "annotate" else "gxie")
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "-v, --verbose" in out and "-q, --quiet" in out and "--log-level LEVEL" in out
