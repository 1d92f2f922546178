"""Real ``python -m gxie extract`` runs killed with SIGKILL (the whole process group, workers included) at
several moments, then run again: the journal holds each input exactly once and the tables are those of
a clean run. And a second run on a folder in use is refused while the first goes on unharmed.

The inputs are 30 small synthetic reports (the first 1,500 characters of generated ones: some give cells,
some fail with no table) so that the rules tagger takes a few seconds for all of them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from gxie.batch.discover import file_sha256
from gxie.training.synth import generate
from tests.fake_taggers import HANG

ROOT = Path(__file__).resolve().parents[1]
N_FILES = 30
KILL_AFTER_ROWS = 4
SMALL = 1500  # characters kept of each generated report
TABLES = ("reports.csv", "cells.csv")
FINISHED = [".gxie.lock", "cells.csv", "reports.csv", "results.jsonl", "summary.json"]


@dataclass(frozen=True)
class Corpus:
    """The inputs, and what a clean run made of them."""

    folder: Path
    hashes: dict[str, str]  # source -> sha256
    returncode: int
    tables: dict[str, bytes]


# ``python -m gxie`` whose table write holds still once the tables are in the scratch folder: written in a
# few milliseconds, the write is otherwise over before a poll sees it on a fast machine
SLOW_TABLES = """
import sys, time
import gxie.batch.run as run
write = run.write_tables
def held(*args, **kwargs):
    written = write(*args, **kwargs)
    time.sleep(60)
    return written
run.write_tables = held
from gxie.cli import main
raise SystemExit(main())
"""


def command(folder: Path, out: Path, workers: int, hold_tables: bool = False) -> list[str]:
    # --fail-on any: a resumed run exits like a clean one (the default, new, counts this run's failures only)
    args = ["extract", str(folder), "-o", str(out), "--tagger", "rules", "--batch-size", "1", "--fail-on", "any"]
    entry = ["-c", SLOW_TABLES] if hold_tables else ["-m", "gxie"]
    return [sys.executable, *entry, *args, "--workers", str(workers)]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    folder = tmp_path_factory.mktemp("kill") / "in"
    folder.mkdir()
    hashes = {}
    for report in generate(N_FILES, seed=4242):
        path = folder / f"{report.id}.txt"
        path.write_text(report.text[:SMALL], encoding="utf-8")
        hashes[str(path)] = file_sha256(path)
    out = folder.parent / "clean"
    clean = subprocess.run(command(folder, out, 1), cwd=ROOT, env=environment(), capture_output=True, timeout=300)
    assert clean.returncode in (0, 1), clean.stderr.decode()  # 1: some small files have no table and fail
    return Corpus(folder, hashes, clean.returncode, {name: (out / name).read_bytes() for name in TABLES})


def start(argv: list[str]) -> subprocess.Popen[bytes]:
    """Start a run in a process group of its own (its workers join it)."""
    return subprocess.Popen(
        argv, cwd=ROOT, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )


def kill_when(proc: subprocess.Popen[bytes], moment: Callable[[], bool], what: str) -> int:
    """SIGKILL the run's whole process group as soon as ``moment()`` holds; its return code."""
    deadline = time.monotonic() + 120
    try:
        while not moment():
            if proc.poll() is not None:
                stderr = proc.stderr.read().decode() if proc.stderr is not None else ""
                pytest.fail(f"the run ended before {what}, so it could not be killed then: {stderr[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"the run did not reach {what} in 120 s")
            time.sleep(0.001)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        if proc.stderr is not None:
            proc.stderr.close()
    return proc.returncode


def moments(out: Path) -> dict[str, Callable[[], bool]]:
    lock, results = out / ".gxie.lock", out / "results.jsonl"

    def locked_without_rows() -> bool:  # the lock is taken and says whose: the run is past its start
        return lock.exists() and lock.stat().st_size > 0 and not lines_of(results)

    def writing_tables() -> bool:  # the scratch folder holds the tables, not yet moved into place
        scratch = [out / name for name in os.listdir(out) if name.startswith(".gxie-tables-")] if out.is_dir() else []
        return any(sorted(p.name for p in folder.iterdir()) == sorted(TABLES) for folder in scratch)

    return {
        "before the first row": locked_without_rows,
        "mid-run": lambda: len(lines_of(results)) >= KILL_AFTER_ROWS,
        "during the table write": writing_tables,
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("moment", "workers"),
    [("before the first row", 1), ("mid-run", 1), ("mid-run", 2), ("during the table write", 1)],
)
def test_a_killed_run_resumes_with_every_report_exactly_once(
    tmp_path: Path, corpus: Corpus, moment: str, workers: int
) -> None:
    out = tmp_path / "out"
    results = out / "results.jsonl"
    argv = command(corpus.folder, out, workers)

    first = command(corpus.folder, out, workers, hold_tables=moment == "during the table write")
    assert kill_when(start(first), moments(out)[moment], moment) == -signal.SIGKILL
    killed = [json.loads(line) for line in lines_of(results)]  # every line on disk is a whole JSON object
    assert not (out / "summary.json").exists()  # it really stopped before the end
    if moment == "before the first row":
        assert killed == []
    elif moment == "mid-run":
        assert KILL_AFTER_ROWS <= len(killed) < N_FILES
    else:
        assert len(killed) == N_FILES and any(p.name.startswith(".gxie-tables-") for p in out.iterdir())
        assert not any((out / name).exists() for name in TABLES)  # killed before the tables were moved in

    again = subprocess.run(argv, cwd=ROOT, env=environment(), capture_output=True, text=True, timeout=300)
    assert again.returncode == corpus.returncode, again.stderr
    assert "Traceback" not in again.stderr
    rows = [json.loads(line) for line in lines_of(results)]
    assert rows[: len(killed)] == killed  # the rerun appended; it did not rewrite what was there
    assert Counter(r["content_hash"] for r in rows) == Counter(set(corpus.hashes.values()))  # each exactly once
    assert sorted(r["source"] for r in rows) == sorted(corpus.hashes)
    assert all(r["batch"]["attempt"] == 1 for r in rows)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (summary["files"], summary["skipped"], summary["processed"]) == (N_FILES, len(killed), N_FILES - len(killed))
    assert summary["by_status"] == dict(Counter(r["status"] for r in rows))
    assert {name: (out / name).read_bytes() for name in TABLES} == corpus.tables  # as a clean run made them
    assert sorted(p.name for p in out.iterdir()) == FINISHED  # the killed run's scratch files are gone


FIRST_RUN = """
import sys
from gxie.batch import run_batch
from tests.fake_taggers import MarkerTagger
folder, out, gate = sys.argv[1:]
run_batch([folder], out, tagger=MarkerTagger(gate=gate), batch_size=1, progress=False)
"""


@pytest.mark.slow
def test_a_second_run_on_a_folder_in_use_exits_1_and_the_first_finishes(tmp_path: Path, corpus: Corpus) -> None:
    out, gate = tmp_path / "out", tmp_path / "gate"
    gate.write_text("the first run waits while this file exists", encoding="utf-8")
    first = start([sys.executable, "-c", FIRST_RUN, str(corpus.folder), str(out), str(gate)])
    try:
        lock = out / ".gxie.lock"
        deadline = time.monotonic() + 120
        while not (lock.exists() and lock.read_text(encoding="utf-8").startswith(f"pid {first.pid} ")):
            assert first.poll() is None and time.monotonic() < deadline, "the first run did not take the lock"
            time.sleep(0.01)
        second = subprocess.run(
            command(corpus.folder, out, 1), cwd=ROOT, env=environment(), capture_output=True, text=True, timeout=120
        )
        assert second.returncode == 1 and second.stdout == ""
        pattern = (
            rf"gxie extract: error: the output folder {re.escape(repr(str(out)))} is in use by another gxie run "
            rf"\(pid {first.pid} on {re.escape(socket.gethostname())}, started \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\); "
            r"wait for it to finish, stop it, or give another output folder\n"
        )
        assert re.fullmatch(pattern, second.stderr), second.stderr
        assert lines_of(out / "results.jsonl") == []  # the second run did nothing; the first is still waiting
        gate.unlink()
        assert first.wait(timeout=120) == 0
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
        if first.stderr is not None:
            first.stderr.close()
    rows = [json.loads(line) for line in lines_of(out / "results.jsonl")]
    assert Counter(r["content_hash"] for r in rows) == Counter(set(corpus.hashes.values()))
    assert {name: (out / name).read_bytes() for name in TABLES} == corpus.tables


HANGING_RUN = """
import sys
from gxie.batch import run_batch
from tests.fake_taggers import MarkerTagger
folder, out, hung = sys.argv[1:]
run_batch([folder], out, tagger=MarkerTagger(hung=hung), progress=False)
"""


@pytest.mark.slow
def test_a_worker_in_a_hung_file_ends_when_the_main_process_is_killed(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(f"附件 {HANG}", encoding="utf-8")
    hung = tmp_path / "hung"
    run = start([sys.executable, "-c", HANGING_RUN, str(tmp_path / "in"), str(tmp_path / "out"), str(hung)])
    try:
        deadline = time.monotonic() + 120
        while not (hung.exists() and hung.read_text(encoding="utf-8")):
            assert run.poll() is None and time.monotonic() < deadline, "the worker did not start the file"
            time.sleep(0.01)
        worker = int(hung.read_text(encoding="utf-8"))
        assert worker != run.pid and os.getpgid(worker) == run.pid  # a worker process, in the run's group
        os.kill(run.pid, signal.SIGKILL)  # the main process only
        assert run.wait(timeout=30) == -signal.SIGKILL
        deadline = time.monotonic() + 30
        while True:  # the worker is not our child: wait for its process group to empty
            try:
                os.killpg(run.pid, 0)
            except ProcessLookupError:
                break
            assert time.monotonic() < deadline, f"worker {worker} still runs 30 s after its main process died"
            time.sleep(0.05)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
        if run.stderr is not None:
            run.stderr.close()
