"""Batch throughput: reports/s and peak memory of ``gxie extract DIR -o OUT`` over generated reports.

    python -m training.batch_benchmark --n 1000 --out docs/batch_benchmark.md

Writes ``--n`` synthetic reports (``gxie.training.synth.generate(n, seed)``, typical size, both formats, every
layout and noise level) as .txt files into a temporary folder and runs the real command line
(``python -m gxie extract FOLDER -o OUT -q``) once per configuration, each in a fresh process, so that
the wall time counts everything a user waits for: start-up, model loading, workers, journaling and the
tables. Peak memory is the largest sum of the resident memory of the run's processes (main and
workers), sampled every 0.1 s. A second table varies the batch size over ``--scale-n`` reports. Prints
markdown and writes it, with the command, machine and date, to ``--out``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = 20_240_601
SAMPLE_SECONDS = 0.1


@dataclass(frozen=True)
class Config:
    tagger: str
    device: str
    workers: int
    batch_size: int


@dataclass(frozen=True)
class Measure:
    config: Config
    reports: int
    wall: float
    extract_rate: float  # the run's own reports/s (summary.json): extraction only, start-up excluded
    peak_mb: float
    by_status: dict[str, int]
    cpu: float  # CPU seconds (user + system) of the run's processes, all together
    load: float  # mean 1-minute load average of the machine while it ran

    @property
    def rate(self) -> float:
        return self.reports / self.wall

    def row(self) -> str:
        c = self.config
        counts = "/".join(str(self.by_status.get(s, 0)) for s in ("ok", "partial", "failed"))
        return (
            f"| {c.tagger} | {c.device} | {c.workers} | {c.batch_size} | {self.reports} | {self.wall:.1f} | "
            f"**{self.rate:.2f}** | {self.extract_rate:.2f} | {1000 * self.cpu / self.reports:.0f} | "
            f"{self.peak_mb:,.0f} | {self.load:.1f} | {counts} |"
        )


HEADER = (
    "| tagger | device | workers | batch size | reports | wall s | reports/s end to end | reports/s extracting "
    "| CPU ms/report | peak memory MB | load | ok/partial/failed |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def write_reports(n: int, seed: int, folder: Path) -> int:
    """``n`` generated reports as ``<id>.txt``; returns their total size in characters."""
    from gxie.training.synth import generate

    folder.mkdir(parents=True, exist_ok=True)
    chars = 0
    for report in generate(n, seed):
        (folder / f"{report.id}.txt").write_text(report.text, encoding="utf-8")
        chars += len(report.text)
    return chars


def tree_rss(pid: int) -> int:
    """Resident bytes of process ``pid`` and all of its descendants (0 once it is gone)."""
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += proc.memory_info().rss
    return total


def measure(config: Config, inputs: Path, reports: int, scratch: Path) -> Measure:
    """One fresh ``python -m gxie extract`` run of ``config`` over ``inputs``."""
    out = scratch / f"out-{config.tagger}-{config.device}-w{config.workers}-b{config.batch_size}"
    shutil.rmtree(out, ignore_errors=True)
    argv = [sys.executable, "-m", "gxie", "extract", str(inputs), "-o", str(out), "-q", "--tagger", config.tagger]
    argv += ["--device", config.device, "--workers", str(config.workers), "--batch-size", str(config.batch_size)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak, loads = 0, []
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        loads.append(os.getloadavg()[0])
        time.sleep(SAMPLE_SECONDS)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers were waited for by their parent
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):  # 1: some report failed, which generated broken reports may do
        raise RuntimeError(f"{' '.join(argv)} exited with {proc.returncode}: {err[-3000:]}")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    if summary["processed"] != reports:
        raise RuntimeError(f"expected {reports} reports extracted, the run says {summary['processed']}")
    shutil.rmtree(out, ignore_errors=True)
    load = sum(loads) / len(loads) if loads else os.getloadavg()[0]
    by_status = summary["by_status"]
    return Measure(config, reports, wall, summary["reports_per_second"], peak / 2**20, by_status, cpu, load)


def model_available() -> bool:
    from gxie.pipeline import default_model_dir

    return (default_model_dir() / "model.safetensors").is_file()


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
        names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
        cpu = names[0] if names else cpu
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB memory, {gpu}; Python {platform.python_version()}, "
        f"torch {torch.__version__}"
    )


def run(args: argparse.Namespace) -> tuple[list[Measure], list[Measure], dict[str, str]]:
    import torch

    taggers = [t for t in args.taggers if t != "model" or model_available()]
    devices = ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]
    scale_tagger = "model" if "model" in taggers else taggers[0]
    notes = {"load": ", ".join(f"{x:.2f}" for x in os.getloadavg())}
    if "model" in args.taggers and "model" not in taggers:
        notes["model"] = "models/default is missing: model rows left out"
    with tempfile.TemporaryDirectory(prefix="gxie-batch-bench-") as tmp:
        scratch = Path(tmp)
        inputs, small = scratch / "reports", scratch / "reports-small"
        chars = write_reports(args.n, args.seed, inputs)
        notes["chars"] = f"{chars / args.n:,.0f}"
        main = [
            measure(Config(tagger, device, workers, args.batch_size), inputs, args.n, scratch)
            for tagger in taggers
            for device in devices
            if tagger == "model" or device == "cpu"
            for workers in args.workers
        ]
        for m in main:
            print(m.row(), file=sys.stderr, flush=True)
        scaling: list[Measure] = []
        if args.scale_n:
            write_reports(args.scale_n, args.seed, small)
            for workers in args.workers:
                for batch_size in args.batch_sizes:
                    m = measure(Config(scale_tagger, "cpu", workers, batch_size), small, args.scale_n, scratch)
                    print(m.row(), file=sys.stderr, flush=True)
                    scaling.append(m)
    return main, scaling, notes


def markdown(main: list[Measure], scaling: list[Measure], notes: dict[str, str], command: str, n: int) -> str:
    import torch

    cuda = "" if torch.cuda.is_available() else " There is no GPU on this machine, so there are no CUDA rows."
    lines = [
        "## Batch throughput: `gxie extract FOLDER -o OUT`",
        "",
        f"Command: `{command}`  ",
        f"Date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; machine: {machine()}; "
        f"load average when it started: {notes['load']}.",
        "",
        f"{n} generated reports (`gxie.training.synth.generate({n}, seed)`: both formats, every layout and noise "
        f"level, {notes['chars']} characters on average) written as .txt files. Each row is one fresh "
        "`python -m gxie extract FOLDER -o OUT -q` process: *end to end* divides the reports by the wall time "
        "of the whole command (start-up, model loading, worker start, journal, tables); *extracting* is the "
        "run's own rate from `summary.json` (start-up excluded). *CPU ms/report*: user + system CPU time of "
        "the command and its workers per report; unlike the rates it does not depend on what else the machine "
        "was doing, and on an otherwise idle machine with C cores the rate approaches "
        "min(workers, C) × 1000 / (CPU ms/report). *Load*: the mean 1-minute load average while the row ran "
        "(the run itself adds about one per busy process). Peak memory: the largest sum of resident memory "
        f"over the main process and its workers, sampled every {SAMPLE_SECONDS} s.{cuda}",
        "",
    ]
    if "model" in notes:
        lines += [f"Note: {notes['model']}.", ""]
    lines += [HEADER, *(m.row() for m in main), ""]
    if scaling:
        lines += [
            f"### Batch size and workers ({scaling[0].reports} reports, {scaling[0].config.tagger} tagger)",
            "",
            "The batch size is the number of documents tagged in one call: their windows share forward passes.",
            "",
            HEADER,
            *(m.row() for m in scaling),
            "",
        ]
    return "\n".join(lines)


def parse_ints(text: str) -> list[int]:
    values = [int(x) for x in text.split(",") if x.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers of at least 1, got {text!r}")
    return values


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1000, help="reports in the main table (default 1000)")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--taggers", default="rules,model", type=lambda s: [t for t in s.split(",") if t])
    p.add_argument("--workers", type=parse_ints, default=[1, 2], help="comma-separated (default 1,2)")
    p.add_argument("--batch-size", type=int, default=16, help="batch size of the main table (default 16)")
    p.add_argument("--scale-n", type=int, default=200, help="reports in the batch-size table; 0 leaves it out")
    p.add_argument("--batch-sizes", type=parse_ints, default=[1, 4, 16, 64], help="default 1,4,16,64")
    p.add_argument("--out", type=Path, default=None, help="write the markdown to this file")
    args = p.parse_args(argv)
    unknown = [t for t in args.taggers if t not in ("rules", "model")]
    if unknown:
        p.error(f"unknown tagger(s) {', '.join(unknown)}; use rules, model or both")
    main_rows, scaling, notes = run(args)
    command = " ".join(["python -m training.batch_benchmark", *(argv if argv is not None else sys.argv[1:])])
    text = markdown(main_rows, scaling, notes, command, args.n)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
