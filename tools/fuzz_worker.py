"""The worker side of ``python -m tools.fuzz``: rebuild each input from its id, run gxie on it, check the
contract, and report one ``Outcome`` per input to the parent over a pipe.

An input is known by its id alone: ``r:<i>`` (mutation ``i``, rules tagger), ``m:<j>`` (model-tagger sample
``j``) or ``h:<kind>`` (a hostile file). With the run's seed the id gives back the same input every time, so
a finding is reproduced by ``python -m tools.fuzz --seed S --replay ID``.
"""

from __future__ import annotations

import logging
import os
import random
import resource
import time
import traceback
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path

from tools.fuzz_inputs import BASE_POOL, FILE_FAMILIES, TEXT_FAMILIES, base_text, made_file

# Round-robin order of the mutation families: every text family twice per round, every file family once
# (a file input costs several text inputs of time).
SCHEDULE: tuple[str, ...] = tuple(list(TEXT_FAMILIES) * 2 + list(FILE_FAMILIES))
TEXT_SCHEDULE: tuple[str, ...] = tuple(TEXT_FAMILIES)
MEMORY_FLAG_SHARE = 0.9  # an input whose peak grew the worker by this share of the cap is flagged "memory"


@dataclass(frozen=True)
class Job:
    """One input to run: its id, its category (mutation family or hostile kind) and the tagger."""

    id: str
    category: str
    tagger: str


@dataclass
class Outcome:
    """What happened on one input."""

    id: str
    category: str
    tagger: str
    status: str | None = None  # the report's status; None when no report came back
    error: str | None = None  # "ExceptionType: message" of an uncaught exception, or the hang / death
    where: str | None = None  # the innermost gxie frame of the exception ("gxie/x.py:12 in f")
    stage: str = "extract"  # "input" (the harness failed to build it), "extract", "contract", "hang", "died"
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0  # wall-clock time
    cpu_seconds: float = 0.0  # CPU time of the worker process (all its threads)
    peak_mb: float = 0.0  # the worker's peak resident memory during this input
    growth_mb: float = 0.0  # that peak less the resident memory when the input started
    memory: bool = False  # MemoryError, or the peak came near the memory cap
    message: str | None = None  # the first error issue of a failed report (cut to 200 characters)

    @property
    def crashed(self) -> bool:
        return self.error is not None and self.stage in ("extract", "contract", "died")

    @property
    def hung(self) -> bool:
        return self.stage == "hang"


@dataclass(frozen=True)
class WorkerConfig:
    """How a worker runs: the seed, the hostile files by kind, a scratch folder, preloads and the memory cap."""

    seed: int
    hostile: dict[str, str]
    folder: str
    preload_model: bool = False
    mem_cap_mb: int = 1024


def job_for(job_id: str) -> Job:
    """The ``Job`` of an input id (``r:17``, ``m:3``, ``h:pdf_page_14400pt``)."""
    prefix, _, rest = job_id.partition(":")
    if prefix == "r":
        return Job(job_id, SCHEDULE[int(rest) % len(SCHEDULE)], "rules")
    if prefix == "m":
        return Job(job_id, TEXT_SCHEDULE[int(rest) % len(TEXT_SCHEDULE)], "model")
    if prefix == "h":
        return Job(job_id, rest, "rules")
    raise ValueError(f"input id {job_id!r} is not r:<n>, m:<n> or h:<kind>")


def build_input(job: Job, seed: int, folder: Path, hostile: dict[str, str]) -> tuple[str, str]:
    """``("text", text)`` or ``("file", path)`` for one input, the same for the same seed and id."""
    if job.id.startswith("h:"):
        return "file", hostile[job.category]
    rng = random.Random(f"gxie-fuzz:{seed}:{job.id}")
    base = base_text(rng.randrange(BASE_POOL), seed)
    if job.category in TEXT_FAMILIES:
        return "text", TEXT_FAMILIES[job.category](rng, base)
    return "file", str(FILE_FAMILIES[job.category](rng, base, folder))


def run_input(kind: str, payload: str, tagger: str) -> object:
    """gxie on one input: ``extract_text`` for text, ``extract`` for a file."""
    from gxie import extract, extract_text

    if kind == "text":
        return extract_text(payload, tagger=tagger)
    return extract(payload, tagger=tagger)


def innermost_gxie_frame(exc: BaseException) -> str | None:
    """``"gxie/grid/values.py:37 in _tidy"``: the deepest traceback frame inside gxie (else the deepest)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return None
    inside = [f for f in frames if "/gxie/" in f.filename.replace(os.sep, "/")]
    frame = (inside or frames)[-1]
    name = frame.filename.replace(os.sep, "/")
    name = name[name.rindex("/gxie/") + 1 :] if "/gxie/" in name else Path(name).name
    return f"{name}:{frame.lineno} in {frame.name}"


def describe(exc: BaseException) -> str:
    """``"Type: message"`` cut to 300 characters."""
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 300 else text[:297] + "..."


def _status_mb(field_name: str) -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    try:  # Linux >= 4.0: "5" resets the peak resident set size (VmHWM) to the current one
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def execute(job: Job, config: WorkerConfig, *, cap_memory: bool = False) -> Outcome:
    """Run one job in this process and check its report against the contract; with ``cap_memory`` the
    address space is first capped at what the process has now plus ``config.mem_cap_mb``."""
    from tools.fuzz_contract import contract_violations

    out = Outcome(job.id, job.category, job.tagger)
    folder = Path(config.folder)
    if cap_memory:
        _limit_memory(config.mem_cap_mb)
    _reset_peak()
    start_mb = _status_mb("VmRSS")
    t0, c0 = time.perf_counter(), time.process_time()
    made: str | None = None
    try:
        kind, payload = build_input(job, config.seed, folder, config.hostile)
        made = payload if kind == "file" and not job.id.startswith("h:") else None
    except Exception as exc:
        out.stage, out.error, out.where = "input", describe(exc), innermost_gxie_frame(exc)
        return out
    try:
        report = run_input(kind, payload, job.tagger)
    except BaseException as exc:  # MemoryError and RecursionError included: the pipeline must catch them
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        out.error, out.where, out.memory = describe(exc), innermost_gxie_frame(exc), isinstance(exc, MemoryError)
        report = None
    out.seconds, out.cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    if report is not None:
        out.status = getattr(report, "status", None)
        try:
            out.violations = contract_violations(report, payload if kind == "text" else None)
        except Exception as exc:
            out.stage, out.error, out.where = "contract", describe(exc), innermost_gxie_frame(exc)
        issues = getattr(report, "issues", [])
        out.memory = any("MemoryError" in getattr(m, "text", "") for m in issues)
        errors = [str(getattr(m, "text", "")) for m in issues if getattr(m, "level", None) == "error"]
        out.message = errors[0][:200] if errors else None
    out.peak_mb = round(_status_mb("VmHWM"), 1)
    out.growth_mb = round(max(0.0, out.peak_mb - start_mb), 1)
    if config.mem_cap_mb and out.growth_mb >= MEMORY_FLAG_SHARE * config.mem_cap_mb:
        out.memory = True
    if made is not None:
        Path(made).unlink(missing_ok=True)
    return out


def _limit_memory(cap_mb: int) -> None:
    """Cap the address space at what this process has now plus ``cap_mb`` (soft limit; set again before each
    input, so what a worker loads on the way, such as the OCR engine, does not eat the next input's share)."""
    if cap_mb <= 0:
        return
    limit = int((_status_mb("VmSize") + cap_mb) * 1024 * 1024)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def warm_up(folder: Path) -> None:
    """Import what a first input of each kind would import (the readers and their libraries) and run the rules
    tagger once, so that loading does not count against a first input's time cap. The OCR engine is left to
    load on the first image (about a second of CPU)."""
    import importlib

    from gxie import extract, extract_text

    extract_text("预热", tagger="rules")
    for module in ("docx", "pdfplumber", "bs4", "lxml.html", "PIL.Image"):
        importlib.import_module(module)
    for suffix in (".html", ".docx", ".pdf"):
        path = folder / f"warm-up{suffix}"
        path.write_bytes(made_file(suffix, 0))
        extract(path, tagger="rules")
        path.unlink()


def worker_main(conn: Connection, config: WorkerConfig) -> None:
    """The worker loop: load the taggers, cap memory, then run the job lists the parent sends (None stops)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and kills its workers
    logging.disable(logging.WARNING)  # the readers' libraries warn on every damaged file; errors still show
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GXIE_OCR_THREADS"):
        os.environ.setdefault(var, "1")
    from gxie import extract_text

    own = Path(config.folder) / f"worker-{os.getpid()}"  # file inputs have fixed names: one folder per worker
    own.mkdir(parents=True, exist_ok=True)
    config = replace(config, folder=str(own))
    warm_up(own)
    if config.preload_model:
        import torch

        torch.set_num_threads(1)
        extract_text("预热", tagger="model")
    base_text(0, config.seed)
    conn.send(("ready", os.getpid(), round(_status_mb("VmRSS"), 1)))
    while True:
        jobs = conn.recv()
        if jobs is None:
            break
        for job in jobs:
            conn.send(("start", job.id))
            conn.send(("done", execute(job, config, cap_memory=True)))
    conn.close()
