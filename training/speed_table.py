"""The speed table of docs/speed.md from one run (``python -m training.bench.speed --table``; see there)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from training.bench.speed import TYPICAL, typical_texts
from training.inference_check import cpu_model

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample_report.txt"
SAMPLE_SECONDS = 0.1
# (row name, extra `gxie extract` options): default settings first, then the alternatives on the same files
CONFIGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("model, ONNX (default: int8, prose cascade, rules first)", ()),
    ("model, ONNX fp32, whole text of every report", ("--exact",)),
    ("rules", ("--tagger", "rules")),
    ("model, torch backend (fp32, prose cascade, rules first)", ("--backend", "torch")),
)


@dataclass(frozen=True)
class Row:
    name: str
    options: tuple[str, ...]
    reports: int
    wall: float
    extract_rate: float
    cpu: float
    peak_main_mb: float
    peak_worker_mb: float  # the largest worker process (the main process when it extracts inline)
    peak_total_mb: float
    processes: int
    load: float
    by_status: dict[str, int]

    def markdown(self) -> str:
        counts = "/".join(str(self.by_status.get(s, 0)) for s in ("ok", "partial", "failed"))
        options = " ".join(self.options) or "(none)"
        return (
            f"| {self.name} | `{options}` | {self.reports} | {self.wall:.1f} | **{self.reports / self.wall:.1f}** | "
            f"{self.extract_rate:.1f} | {1000 * self.cpu / self.reports:.0f} | {self.peak_worker_mb:.0f} | "
            f"{self.peak_main_mb:.0f} | {self.peak_total_mb:.0f} ({self.processes}) | {self.load:.2f} | {counts} |"
        )


HEADER = (
    "| configuration | `gxie extract` options | reports | wall s | reports/s end to end | reports/s extracting | "
    "CPU ms/report | peak RSS per worker MB | peak RSS main process MB | peak RSS all processes MB (processes) | "
    "load | ok/partial/failed |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def _hwm_mb(pid: int) -> float | None:
    """The high-water mark of the resident memory of ``pid`` (``VmHWM``), or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def _children(pid: int) -> list[int]:
    """``pid`` and its descendants (from ``/proc/<pid>/task/*/children``)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            with contextlib.suppress(OSError, ValueError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return out


def _is_worker(pid: int) -> bool:
    """Whether ``pid`` is a worker of a process pool (started by multiprocessing's spawn)."""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def run_cli(
    options: tuple[str, ...], inputs: Path, out: Path
) -> tuple[float, float, dict[int, float], set[int], int, list[float]]:
    """One fresh ``python -m gxie extract inputs -o out -q OPTIONS``: wall s, CPU s, peak MB per process, the
    worker pids, the main pid, loads."""
    argv = [sys.executable, "-m", "gxie", "extract", str(inputs), "-o", str(out), "-q", *options]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    shutil.rmtree(out, ignore_errors=True)
    before = os.times()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks: dict[int, float] = {}
    workers: set[int] = set()
    loads: list[float] = []
    while proc.poll() is None:
        for pid in _children(proc.pid):
            mb = _hwm_mb(pid)
            if mb is not None:
                peaks[pid] = max(peaks.get(pid, 0.0), mb)
                if pid not in workers and _is_worker(pid):
                    workers.add(pid)
        loads.append(os.getloadavg()[0])
        time.sleep(SAMPLE_SECONDS)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user + after.children_system) - (before.children_user + before.children_system)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv)} exited with {proc.returncode}: {err[-3000:]}")
    return wall, cpu, peaks, workers, proc.pid, loads


def measure(name: str, options: tuple[str, ...], inputs: Path, reports: int, scratch: Path) -> Row:
    """One configuration over all of ``inputs``."""
    out = scratch / "out"
    wall, cpu, peaks, workers, main, loads = run_cli(options, inputs, out)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    if summary["processed"] != reports:
        raise RuntimeError(f"{name}: expected {reports} reports extracted, the run says {summary['processed']}")
    load = sum(loads) / len(loads) if loads else os.getloadavg()[0]
    return Row(
        name,
        options,
        reports,
        wall,
        float(summary["reports_per_second"]),
        cpu,
        peaks.get(main, 0.0),
        max((peaks[p] for p in workers), default=peaks.get(main, 0.0)),
        sum(peaks.values()),
        len(peaks),
        load,
        dict(summary["by_status"]),
    )


def one_file_seconds(options: tuple[str, ...], repeats: int) -> list[float]:
    """Wall seconds of ``repeats`` fresh ``python -m gxie extract examples/sample_report.txt`` processes."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        argv = [sys.executable, "-m", "gxie", "extract", str(SAMPLE), "-q", *options]
        subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return times


MARK = "<!-- end of the measured section: written by python -m training.bench.speed --table -->"


def write_measured(path: Path, measured: str) -> None:
    """Write ``measured`` to ``path``; where ``path`` has ``MARK``, only what stands before it is replaced
    (the hand-written text after the mark stays)."""
    rest = ""
    if path.is_file():
        old = path.read_text(encoding="utf-8")
        if MARK in old:
            rest = old[old.index(MARK) + len(MARK) :]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(measured.rstrip("\n") + "\n\n" + MARK + (rest or "\n"), encoding="utf-8")


BEGIN = "<!-- speed table: written by python -m training.bench.speed --table --also FILE -->"
END = "<!-- end of the speed table -->"


def block_span(page: str) -> tuple[int, int] | None:
    """``[start, end)`` of the speed table block (``BEGIN`` .. ``END``, markers included) in ``page``, or None."""
    if BEGIN not in page:
        return None
    start = page.index(BEGIN)
    stop = page.find(END, start)
    return None if stop < 0 else (start, stop + len(END))


def write_block(path: Path, measured: str) -> None:
    """Put ``measured`` (the same run's table, without its ``# `` title) into another page, ``path``: between
    ``BEGIN`` and ``END`` where the page has them, else at its end; the rest of the page stays."""
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    body = measured.strip()
    if body.startswith("# "):  # the page has its own title
        body = body.split("\n", 1)[1].strip() if "\n" in body else ""
    block = f"{BEGIN}\n{body}\n{END}"
    span = block_span(old)
    if span is not None:
        text = old[: span[0]] + block + old[span[1] :]
    else:
        text = old.rstrip("\n") + ("\n\n" if old else "") + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def speed_table(n: int, repeats: int, command: str) -> str:
    """Run every configuration of ``CONFIGS`` on the same ``n`` reports and the one-file timings; markdown."""
    started, load_before = dt.datetime.now(dt.timezone.utc), _load()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="gxie-speed-") as tmp:
        scratch = Path(tmp)
        inputs = scratch / "reports"
        inputs.mkdir()
        texts = typical_texts(n)
        for i, text in enumerate(texts):
            (inputs / f"r{i:05d}.txt").write_text(text, encoding="utf-8")
        for name, options in CONFIGS:
            row = measure(name, options, inputs, n, scratch)
            print(row.markdown(), file=sys.stderr, flush=True)
            rows.append(row)
    single = {
        name: one_file_seconds(options, repeats)
        for name, options in (("model, ONNX", ()), ("rules", ("--tagger", "rules")), ("model, torch backend",
                                                                                        ("--backend", "torch")))
    }  # fmt: skip
    mean_chars = sum(map(len, texts)) / len(texts)
    lines = [
        "# Speed and memory",
        "",
        "## Speed: `gxie extract` end to end",
        "",
        f"Command: `{command}`  ",
        f"Date: {started.strftime('%Y-%m-%d %H:%M UTC')}; CPU: {cpu_model()}, {os.cpu_count()} cores; "
        f"load average before: {load_before}; after: {_load()}.",
        "",
        f"{n} typical generated reports ({TYPICAL[0]:,}-{TYPICAL[1]:,} characters, mean {mean_chars:,.0f}; clean, "
        "every layout family) as .txt files; each row is one fresh `python -m gxie extract FOLDER -o OUT -q` "
        "process over all of them (journal and CSV tables included). *End to end*: reports / wall time of the "
        "whole command; *extracting*: the run's own rate (`summary.json`, start-up excluded); *CPU ms/report*: "
        "user + system time of the command and its workers, per report (less sensitive to other load than the "
        "rates); peak RSS: each process's high-water mark (`VmHWM`), for the largest worker process (the main "
        "process where it extracts inline, with one worker), the main process (which also journals and builds "
        "the tables of all reports at the end) and all processes together; *load*: mean 1-minute load average "
        "while "
        "the row ran (the run adds about one per busy process).",
        "",
        HEADER,
        *(r.markdown() for r in rows),
        "",
        f"One-file `gxie extract examples/sample_report.txt`, fresh process, {repeats} runs:",
        "",
        "| tagger | median s | min s | max s |",
        "|---|---|---|---|",
        *(f"| {name} | **{statistics.median(t):.2f}** | {min(t):.2f} | {max(t):.2f} |" for name, t in single.items()),
        "",
    ]
    return "\n".join(lines)
