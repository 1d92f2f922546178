"""The per-file time limit: a file that hangs or kills its worker gets a failed row, the others their own.

The real pipeline with the rules tagger, except on marker texts (``tests.fake_taggers.MarkerTagger``,
passed as a Tagger object so that it reaches the worker processes), and time limits of a few seconds
(innocent files need a fraction of that, but the machine may be busy).
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

import gxie.cli.extract as cli_extract
from gxie.batch import DEFAULT_TIMEOUT, TIMEOUT, WORKER_DIED_CODE, run_batch
from gxie.batch.jobs import WORKER_DIED
from gxie.batch.journal import Entry, read_journal
from gxie.cli import main
from gxie.export import read_jsonl
from gxie.training.synth import generate
from tests.fake_taggers import DIE, HANG, MarkerTagger

TEXTS = [r.text for r in generate(3, seed=4242, broken_share=0.0)]  # rules: ok, ok, partial


def make(folder: Path, files: dict[str, str]) -> dict[str, Path]:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return {name: folder / name for name in files}


def outcome(out: Path) -> dict[str, tuple[str, str | None]]:
    """``{file name: (status, error code)}`` of the journal."""
    found = {}
    for row in read_jsonl(out / "results.jsonl"):
        codes = [m["code"] for m in row["issues"] if m["level"] == "error"]
        found[Path(row["source"]).name] = (row["status"], codes[0] if codes else None)
    return found


def timed_out(path: Path, limit: int) -> str:
    return (
        f"timed out: extracting {str(path)!r} took longer than the limit of {limit} s per file, so its worker process "
        "was stopped; if the file is only slow, run again with a higher --timeout (timeout= in Python; 0: no limit)"
    )


def go(folder: Path, out: Path, **options: Any) -> Any:
    return run_batch([str(folder)], out, tagger=MarkerTagger(), progress=False, **options)


def test_a_hanging_file_times_out_in_one_worker_while_the_others_finish(tmp_path: Path) -> None:
    files = make(tmp_path / "in", {"a.txt": TEXTS[0], "b.txt": TEXTS[2], "c_hang.txt": TEXTS[1] + HANG})
    out = tmp_path / "out"
    summary = go(tmp_path / "in", out, batch_size=2, timeout=2)  # [a, b] then [c_hang]
    assert outcome(out) == {"a.txt": ("ok", None), "b.txt": ("partial", None), "c_hang.txt": ("failed", TIMEOUT)}
    rows = {Path(r["source"]).name: r for r in read_jsonl(out / "results.jsonl")}
    assert len(rows) == 3 == sum(1 for _ in read_jsonl(out / "results.jsonl"))
    assert rows["c_hang.txt"]["issues"][0]["message"] == timed_out(files["c_hang.txt"], 2)
    assert rows["c_hang.txt"]["tagger"] == "marker:1" and rows["c_hang.txt"]["batch"]["attempt"] == 1
    assert summary.by_status == {"ok": 1, "partial": 1, "failed": 1} and summary.processed == 3
    assert summary.failures == [(str(files["c_hang.txt"]), timed_out(files["c_hang.txt"], 2))]
    assert dict(summary.slowest)[str(files["c_hang.txt"])] >= 2
    entry = read_journal(out / "results.jsonl")[rows["c_hang.txt"]["content_hash"]]
    assert entry == Entry("failed", (), True, 1) and not entry.final  # the next run tries it once more
    assert multiprocessing.active_children() == []  # every worker is gone, the killed one included


@pytest.mark.slow
def test_with_two_workers_only_the_culprits_of_a_hang_and_a_crash_fail(tmp_path: Path) -> None:
    files = {"a.txt": TEXTS[0], "b_die.txt": DIE + TEXTS[1], "c.txt": TEXTS[2], "d_hang.txt": HANG}
    files |= {"e.txt": TEXTS[1]}
    paths = make(tmp_path / "in", files)
    out = tmp_path / "out"
    summary = go(tmp_path / "in", out, batch_size=2, workers=2, timeout=3)  # [a, b_die], [c, d_hang] fail
    assert outcome(out) == {
        "a.txt": ("ok", None),
        "b_die.txt": ("failed", WORKER_DIED_CODE),
        "c.txt": ("partial", None),
        "d_hang.txt": ("failed", TIMEOUT),
        "e.txt": ("ok", None),
    }
    rows = {Path(r["source"]).name: r for r in read_jsonl(out / "results.jsonl")}
    assert rows["b_die.txt"]["issues"][0]["message"] == (
        f"internal error while extracting {str(paths['b_die.txt'])!r}: {WORKER_DIED} (exit code 3)"
    )
    assert rows["d_hang.txt"]["issues"][0]["message"] == timed_out(paths["d_hang.txt"], 3)
    assert len(rows) == 5 == sum(1 for _ in read_jsonl(out / "results.jsonl"))
    assert summary.by_status == {"ok": 2, "partial": 1, "failed": 2}
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("timeout", [-1.0, float("nan")])
def test_a_bad_timeout_is_refused_before_any_work(tmp_path: Path, timeout: float) -> None:
    with pytest.raises(ValueError, match=r"timeout must be 0 \(no limit\) or a number of seconds above 0, got "):
        run_batch([str(tmp_path)], tmp_path / "out", tagger="rules", timeout=timeout)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["-1", "soon", "nan", "inf"])
def test_the_command_line_refuses_a_bad_timeout(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", "a.txt", "-o", "out", "--timeout", value]) == 2
    assert f"expected a number of seconds, 0 or more (0: no limit), got {value!r}" in capsys.readouterr().err


def test_the_command_lines_default_timeout_is_the_batchs() -> None:
    assert cli_extract.DEFAULT_TIMEOUT == DEFAULT_TIMEOUT == 300.0


def test_closing_the_engine_tells_every_worker_before_waiting_and_they_exit_cleanly(tmp_path: Path) -> None:
    """``close`` asks all workers to stop first, so they exit side by side; each leaves with code 0 through
    ``os._exit`` (not the interpreter's teardown of its heap)."""
    from gxie.batch.pool import LocalEngine

    files = make(tmp_path / "in", {"a.txt": TEXTS[0], "b.txt": TEXTS[1]})
    engine = LocalEngine(MarkerTagger(), "cpu", workers=2)
    workers = list(engine._workers)
    results = [r for chunk in engine.run([[(str(files["a.txt"]), None)], [(str(files["b.txt"]), None)]]) for r in chunk]
    assert sorted(r.report.status for r in results) == ["ok", "ok"]
    assert all(r.report.text is None and r.row is not None for r in results)  # no text back from a worker
    asked_before_join: list[bool] = []
    for worker in workers:
        join = worker.process.join

        def checked(timeout: float | None = None, join: Any = join) -> None:
            asked_before_join.append(all(w.asked for w in workers))
            join(timeout)

        worker.process.join = checked  # type: ignore[method-assign]
    engine.close()
    assert asked_before_join and all(asked_before_join)
    assert [w.process.exitcode for w in workers] == [0, 0]


def test_a_worker_has_its_next_chunk_before_the_caller_gets_its_results(tmp_path: Path) -> None:
    """Journaling a chunk's results (a write and an fsync per file) happens while the worker already runs
    the next chunk, not while it waits for one."""
    from gxie.batch.pool import LocalEngine

    files = make(tmp_path / "in", {f"{k}.txt": TEXTS[k % 2] for k in range(3)})
    chunks = [[(str(files[f"{k}.txt"]), None)] for k in range(3)]
    with LocalEngine(MarkerTagger(), "cpu", workers=1, timeout=60) as engine:
        seen = []
        for results in engine.run(iter(chunks)):
            job = engine._workers[0].job
            seen.append((Path(results[0].path).name, Path(job[0][0]).name if job else None))
    assert seen == [("0.txt", "1.txt"), ("1.txt", "2.txt"), ("2.txt", None)]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_batch_collects_garbage_less_often_and_gives_the_thresholds_back(tmp_path: Path, workers: int) -> None:
    """Workers freeze what they loaded and raise the collector's thresholds (``gxie.gcpolicy``); a run
    in this process raises them only while it runs."""
    import gc
    import json

    from gxie.gcpolicy import THRESHOLDS
    from tests.fake_taggers import GcTagger

    folder = tmp_path / "in"
    make(folder, {"a.txt": TEXTS[0], "b.txt": TEXTS[1]})
    log = tmp_path / "gc.json"
    before = gc.get_threshold()
    summary = run_batch([str(folder)], tmp_path / "out", tagger=GcTagger(str(log)), workers=workers, progress=False)
    assert summary.processed == 2
    thresholds, frozen = json.loads(log.read_text(encoding="utf-8"))
    assert tuple(thresholds) == THRESHOLDS
    assert frozen > 0 or workers == 1  # a worker process froze what it loaded
    assert gc.get_threshold() == before


def test_a_chunk_message_is_decoded_after_the_worker_got_new_work() -> None:
    """``LocalEngine._open``: a chunk that raised in its worker (or whose message does not unpickle) sends its
    files one at a time, and a single file gets a failed row naming the error."""
    import pickle
    from collections import deque

    from gxie.batch.pool import LocalEngine, _Received

    engine = LocalEngine(MarkerTagger(), "cpu", workers=1)  # inline: no process needed to decode
    done: list[list[Any]] = []
    alone: deque[tuple[str, str | None]] = deque()
    two = [("a.txt", None), ("b.txt", None)]
    engine._open(_Received(two, pickle.dumps(("failed", "RuntimeError: boom")), 0.5), done, alone)
    assert list(alone) == two and done == []
    engine._open(_Received([("c.txt", "h")], b"not a pickle", 0.5), done, alone)
    (result,) = done[0]
    assert result.path == "c.txt" and result.report.status == "failed"
    assert "internal error while extracting 'c.txt'" in result.report.issues[0].message
