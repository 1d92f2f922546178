"""A real ``python -m gxie extract`` run killed with SIGKILL part-way, then run again: nothing lost, nothing twice.

The inputs are 30 small synthetic reports (the first 1,500 characters of generated ones: some give cells,
some fail with no table) so that the rules tagger takes a few seconds for all of them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from gxie.batch.discover import file_sha256
from gxie.training.synth import generate

ROOT = Path(__file__).resolve().parents[1]
N_FILES = 30
KILL_AFTER_ROWS = 4
SMALL = 1500  # characters kept of each generated report


def make_inputs(folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for report in generate(N_FILES, seed=4242):
        path = folder / f"{report.id}.txt"
        path.write_text(report.text[:SMALL], encoding="utf-8")
        paths.append(path)
    return paths


def command(folder: Path, out: Path, workers: int) -> list[str]:
    args = ["extract", str(folder), "-o", str(out), "--tagger", "rules", "--batch-size", "1"]
    return [sys.executable, "-m", "gxie", *args, "--workers", str(workers)]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def kill_part_way(argv: list[str], results: Path) -> int:
    """Start the run, SIGKILL its whole process group once ``KILL_AFTER_ROWS`` rows are on disk."""
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 120
    try:
        while len(lines_of(results)) < KILL_AFTER_ROWS:
            if proc.poll() is not None:
                pytest.fail(f"the run ended before it could be killed: {proc.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("the run wrote no rows in 120 s")
            time.sleep(0.005)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        if proc.stderr is not None:
            proc.stderr.close()
    return proc.returncode


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_a_killed_run_resumes_with_every_report_exactly_once(tmp_path: Path, workers: int) -> None:
    paths = make_inputs(tmp_path / "in")
    out = tmp_path / "out"
    results = out / "results.jsonl"
    argv = command(tmp_path / "in", out, workers)

    assert kill_part_way(argv, results) == -signal.SIGKILL
    killed = [json.loads(line) for line in lines_of(results)]  # every line on disk is a whole JSON object
    assert KILL_AFTER_ROWS <= len(killed) < N_FILES
    assert not (out / "summary.json").exists()  # it really stopped before the end

    again = subprocess.run(argv, cwd=ROOT, env=environment(), capture_output=True, text=True, timeout=300)
    assert again.returncode in (0, 1), again.stderr  # 1: some small files have no table and fail
    assert "Traceback" not in again.stderr
    rows = [json.loads(line) for line in lines_of(results)]
    assert rows[: len(killed)] == killed  # the rerun appended; it did not rewrite what was there
    expected = {file_sha256(p): str(p) for p in paths}
    assert Counter(r["content_hash"] for r in rows) == Counter(set(expected))  # each report exactly once
    assert sorted(r["source"] for r in rows) == sorted(expected.values())
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["files"] == N_FILES
    assert summary["skipped"] == len(killed) and summary["processed"] == N_FILES - len(killed)
    assert sum(summary["by_status"].values()) == N_FILES
    assert summary["by_status"] == dict(Counter(r["status"] for r in rows))
    table = pd.read_csv(out / "reports.csv", encoding="utf-8-sig")
    assert sorted(table["source"]) == sorted(expected.values())
