"""Long fuzz run of gxie: mutated reports, damaged files and a catalogue of hostile files, each under a time
and a memory cap, summarised as markdown tables.

    python -m tools.fuzz --n 100000 --out docs/reliability.md     # the full run (85 min on 2 cores)
    python -m tools.fuzz --quick --out /tmp/fuzz.md              # 2,000 inputs, a 100-input model sample
    python -m tools.fuzz --seed 0 --replay r:1234 --dump /tmp/x  # one input again, in this process

Inputs: ``--n`` mutations of generated reports with the rules tagger (every family of
``tools.fuzz_inputs.TEXT_FAMILIES`` and ``FILE_FAMILIES`` in turn), ``--model-sample`` text mutations with the
model tagger, and every kind of ``tools.fuzz_hostile.HOSTILE``. Each input runs in a worker process (``--workers``,
default 2) under ``--time-cap`` seconds and ``--mem-cap-mb`` of address space above the loaded worker; a worker
that passes the time cap is killed and the input counted as a hang, one that dies as a crash; either way a
new worker takes over the rest of its chunk. An uncaught exception is a crash; a report that breaks
``tools.fuzz_contract.contract_violations`` is a contract violation.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from multiprocessing import get_context
from multiprocessing.connection import wait
from pathlib import Path

from tools.fuzz_contract import violation_code
from tools.fuzz_worker import Job, Outcome, WorkerConfig, execute, job_for, worker_main

FULL_N = 100_000
QUICK_N = 2_000
FULL_MODEL_SAMPLE = 2_000
QUICK_MODEL_SAMPLE = 100
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
STARTUP_CAP_S = 180.0  # a worker must load gxie (and the model) within this
MAX_RESTART_FAILURES = 3
COLUMNS: tuple[str, ...] = (
    "category",
    "inputs",
    "ok",
    "partial",
    "failed",
    "crashes",
    "hangs",
    "over memory cap",
    "memory peak (max RSS MB)",
    "max growth MB",
    "contract violations",
    "mean CPU ms",
    "max CPU ms",
    "max wall ms",
)
TABLES: tuple[tuple[str, str], ...] = (
    ("rules", "Mutation families, rules tagger"),
    ("model", "Mutation families, model tagger (sample)"),
    ("hostile", "Hostile files (rules tagger)"),
)


@dataclass
class Row:
    """The counts of one category."""

    inputs: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    crashes: int = 0
    hangs: int = 0
    memory: int = 0
    peak_mb: float = 0.0
    growth_mb: float = 0.0
    violations: int = 0
    seconds: float = 0.0  # CPU
    max_seconds: float = 0.0  # CPU
    max_wall: float = 0.0

    def add(self, o: Outcome) -> None:
        self.inputs += 1
        if o.status:
            self.statuses[o.status] += 1
        self.crashes += o.crashed
        self.hangs += o.hung
        self.memory += o.memory
        self.peak_mb = max(self.peak_mb, o.peak_mb)
        self.growth_mb = max(self.growth_mb, o.growth_mb)
        self.violations += bool(o.violations)
        self.seconds += o.cpu_seconds
        self.max_seconds = max(self.max_seconds, o.cpu_seconds)
        self.max_wall = max(self.max_wall, o.seconds)

    def cells(self, category: str) -> list[str]:
        mean = 1000 * self.seconds / self.inputs if self.inputs else 0.0
        return [
            f"`{category}`",
            str(self.inputs),
            str(self.statuses["ok"]),
            str(self.statuses["partial"]),
            str(self.statuses["failed"]),
            str(self.crashes),
            str(self.hangs),
            str(self.memory),
            f"{self.peak_mb:.0f}",
            f"{self.growth_mb:.0f}",
            str(self.violations),
            f"{mean:.0f}",
            f"{1000 * self.max_seconds:.0f}",
            f"{1000 * self.max_wall:.0f}",
        ]


@dataclass
class Finding:
    """One kind of failure (a crash site, a hang, a violation code) with where it was seen."""

    kind: str  # "crash" | "hang" | "memory" | "violation" | "harness"
    title: str
    count: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    examples: list[tuple[str, str]] = field(default_factory=list)  # (input id, detail)


class Results:
    """Every outcome folded into per-category rows and findings."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Row]] = {table: {} for table, _ in TABLES}
        self.findings: dict[tuple[str, str], Finding] = {}
        self.done = 0

    @staticmethod
    def table_of(o: Outcome) -> str:
        if o.id.startswith("h:"):
            return "hostile"
        return "model" if o.tagger == "model" else "rules"

    def add(self, o: Outcome) -> None:
        self.done += 1
        self.rows[self.table_of(o)].setdefault(o.category, Row()).add(o)
        if o.stage == "input":
            self._note("harness", f"input could not be built: {_generic(o.error or '')}", o, o.error or "")
        elif o.hung:
            self._note("hang", f"`{o.category}`: over the time cap", o, o.error or "")
        elif o.crashed:
            self._note("crash", f"{_generic(o.error or '')} at `{o.where}`", o, o.error or "")
        if o.memory:
            detail = f"peak {o.peak_mb:.0f} MB" + (f"; {o.message}" if o.message else "")
            self._note("memory", f"`{o.category}`: near or over the memory cap", o, detail)
        for code in dict.fromkeys(violation_code(v) for v in o.violations):
            detail = next(v for v in o.violations if violation_code(v) == code)
            self._note("violation", f"`{code}`", o, detail)

    def _note(self, kind: str, title: str, o: Outcome, detail: str) -> None:
        f = self.findings.setdefault((kind, title), Finding(kind, title))
        f.count += 1
        f.categories[o.category] += 1
        if len(f.examples) < 3:
            f.examples.append((o.id, detail))

    def totals(self) -> Row:
        total = Row()
        for rows in self.rows.values():
            for r in rows.values():
                total.inputs += r.inputs
                total.statuses.update(r.statuses)
                total.crashes += r.crashes
                total.hangs += r.hangs
                total.memory += r.memory
                total.violations += r.violations
                total.seconds += r.seconds
                total.peak_mb = max(total.peak_mb, r.peak_mb)
                total.growth_mb = max(total.growth_mb, r.growth_mb)
                total.max_seconds = max(total.max_seconds, r.max_seconds)
                total.max_wall = max(total.max_wall, r.max_wall)
        return total


def _generic(error: str) -> str:
    """An error message with its numbers and quoted parts blurred, so equal bugs group together."""
    text = re.sub(r"'[^']{20,}'", "'…'", error)
    text = re.sub(r"\d{3,}", "N", text)
    return text[:160]


# ---- the worker pool ---------------------------------------------------------------------------------------


class _Worker:
    """One worker process, the chunk it is working through, and the input it is on."""

    def __init__(self, config: WorkerConfig) -> None:
        ctx = get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=worker_main, args=(child, config), daemon=True)
        self.proc.start()
        child.close()
        self.spawned = time.monotonic()
        self.ready = False
        self.baseline_mb = 0.0
        self.pending: deque[Job] = deque()
        self.current: Job | None = None
        self.started = 0.0
        self.cpu_started = 0.0

    def cpu(self) -> float | None:
        """CPU seconds the worker process has used (all threads), from /proc; None where unreadable."""
        try:
            stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def give(self, jobs: Iterable[Job]) -> None:
        self.pending.extend(jobs)
        if self.ready and self.pending:
            self.conn.send(list(self.pending))

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(10)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.proc.join(10)
        self.kill()


def _exit_text(proc: object) -> str:
    code = getattr(proc, "exitcode", None)
    if code is not None and code < 0:
        import signal

        try:
            return f"worker killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"worker killed by signal {-code}"
    return f"worker exited with code {code}"


def run_pool(
    chunks: Sequence[Sequence[Job]],
    config: WorkerConfig,
    *,
    workers: int,
    time_cap: float,
    wall_cap: float,
    on_outcome: Callable[[Outcome], None],
) -> list[float]:
    """Run every chunk on ``workers`` processes; ``on_outcome`` gets one ``Outcome`` per job. An input is a
    hang when it takes more than ``time_cap`` seconds of CPU (the machine's load from others does not count)
    or ``wall_cap`` seconds of wall-clock time (an input that blocks, e.g. on a pipe). Returns the workers'
    baseline resident memory (MB) after loading."""
    queue: deque[Sequence[Job]] = deque(c for c in chunks if c)
    pool = [_Worker(config) for _ in range(min(workers, len(queue)))]
    baselines: list[float] = []
    failures = 0
    try:
        while queue or any(w.pending for w in pool):
            for w in pool:
                if w.ready and not w.pending and queue:
                    w.give(queue.popleft())
            wait([w.conn for w in pool] + [w.proc.sentinel for w in pool], timeout=0.25)
            now = time.monotonic()
            for i, w in enumerate(pool):
                dead = False
                try:
                    while w.conn.poll():
                        msg = w.conn.recv()
                        if msg[0] == "ready":
                            w.ready, w.baseline_mb, failures = True, msg[2], 0
                            baselines.append(msg[2])
                            if w.pending:
                                w.conn.send(list(w.pending))
                        elif msg[0] == "start":
                            w.current, w.started, w.cpu_started = w.pending[0], time.monotonic(), w.cpu() or 0.0
                        elif msg[0] == "done":
                            w.pending.popleft()
                            w.current = None
                            on_outcome(msg[1])
                except (EOFError, OSError):
                    dead = True
                dead = dead or not w.proc.is_alive()
                hung, cpu_used = False, 0.0
                if w.current is not None and not dead:
                    cpu = w.cpu()
                    cpu_used = cpu - w.cpu_started if cpu is not None else now - w.started
                    hung = cpu_used > time_cap or now - w.started > wall_cap
                if not (dead or hung):
                    if not w.ready and now - w.spawned > STARTUP_CAP_S:
                        raise RuntimeError(f"a fuzz worker did not start within {STARTUP_CAP_S:.0f} s")
                    continue
                if hung:
                    w.kill()
                else:
                    w.proc.join(5)  # dead: collect its exit code
                if w.current is not None:
                    job = w.current
                    stage = "hang" if hung else "died"
                    why = _exit_text(w.proc)
                    if hung:
                        why = f"over the time cap: {cpu_used:.1f} s CPU, {now - w.started:.1f} s wall"
                    outcome = Outcome(job.id, job.category, job.tagger, error=why, stage=stage)
                    outcome.seconds, outcome.cpu_seconds = now - w.started, cpu_used if hung else 0.0
                    on_outcome(outcome)
                    w.pending.popleft()
                elif not w.ready:
                    failures += 1
                    if failures > MAX_RESTART_FAILURES:
                        raise RuntimeError(f"fuzz workers keep dying while starting ({_exit_text(w.proc)})")
                w.kill()
                rest = list(w.pending)
                pool[i] = _Worker(config)
                pool[i].give(rest)
    finally:
        for w in pool:
            w.stop()
    return baselines


# ---- the run -----------------------------------------------------------------------------------------------


def _chunks(jobs: Sequence[Job], size: int) -> list[list[Job]]:
    return [list(jobs[i : i + size]) for i in range(0, len(jobs), size)]


def _progress(results: Results, total: int, t0: float, every: int) -> Callable[[Outcome], None]:
    def on_outcome(o: Outcome) -> None:
        results.add(o)
        if results.done % every == 0 or results.done == total:
            t = results.totals()
            elapsed = time.monotonic() - t0
            print(
                f"[fuzz] {results.done}/{total} inputs, {results.done / max(elapsed, 1e-9):.1f}/s, "
                f"crashes {t.crashes}, hangs {t.hangs}, memory {t.memory}, violations {t.violations}, "
                f"{elapsed:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    return on_outcome


def machine() -> dict[str, str]:
    """CPU model and count, load average, Python and gxie versions, git commit of the working tree."""
    import gxie

    cpu = "unknown"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    commit = "unknown"
    try:
        root = Path(__file__).resolve().parents[1]
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "gxie"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        commit += " (gxie/ modified)" if dirty else ""
    except (OSError, subprocess.SubprocessError):
        pass
    return {
        "cpu": f"{cpu} × {os.cpu_count()}",
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "gxie": f"{gxie.__version__} (commit {commit or 'unknown'})",
    }


def render(results: Results, info: dict[str, str]) -> str:
    """The markdown report: how the run was made, one table per input group, the findings."""
    total = results.totals()
    lines = [
        "# Reliability: fuzzing gxie",
        "",
        "Made by `tools/fuzz.py` (see its docstring); every input is rebuilt from the seed and its id, so any",
        "finding below is reproduced with `python -m tools.fuzz --seed SEED --replay ID`.",
        "",
        f"- command: `{info['command']}`",
        f"- gxie {info['gxie']}, Python {info['python']}",
        f"- CPU: {info['cpu']}; load average at start {info['load_start']}, at end {info['load_end']}",
        f"- workers: {info['workers']}; caps per input: {info['time_cap']}, {info['mem_cap']} MB of address "
        f"space above what the worker holds when the input starts (resident memory of a freshly loaded worker: "
        f"{info['baselines']} MB; the memory peak column includes what the worker holds, max growth does not)",
        f"- wall time: {info['wall']}; inputs: {total.inputs} ({info['throughput']})",
        f"- totals: {total.crashes} crashes, {total.hangs} hangs, {total.memory} over the memory cap, "
        f"{total.violations} inputs with contract violations",
        "",
        "Columns: crashes are uncaught exceptions (and workers that died), hangs passed the CPU or wall time cap, "
        "`over memory cap` hit a MemoryError or came within 10% of the cap, contract violations count inputs "
        "whose report broke `tools.fuzz_contract.contract_violations`.",
    ]
    for table, title in TABLES:
        rows = results.rows[table]
        if not rows:
            continue
        lines += ["", f"## {title}", "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(r.cells(c)) + " |" for c, r in rows.items()]
        sub = Row()
        for r in rows.values():
            for o_field in ("inputs", "crashes", "hangs", "memory", "violations", "seconds"):
                setattr(sub, o_field, getattr(sub, o_field) + getattr(r, o_field))
            sub.statuses.update(r.statuses)
            sub.peak_mb, sub.max_seconds = max(sub.peak_mb, r.peak_mb), max(sub.max_seconds, r.max_seconds)
            sub.max_wall = max(sub.max_wall, r.max_wall)
            sub.growth_mb = max(sub.growth_mb, r.growth_mb)
        cells = sub.cells("all")
        lines.append("| " + " | ".join(f"**{c.strip('`')}**" for c in cells) + " |")
    lines += ["", "## Findings", ""]
    if not results.findings:
        lines.append("None: no crash, hang, memory blow-up or contract violation.")
    order = {"crash": 0, "hang": 1, "memory": 2, "violation": 3, "harness": 4}
    seed = info["seed"]
    for f in sorted(results.findings.values(), key=lambda f: (order[f.kind], -f.count)):
        cats = ", ".join(f"{c} ({n})" for c, n in f.categories.most_common(6))
        lines.append(f"- **{f.kind}** {f.title}: {f.count} input(s); in {cats}")
        for job_id, detail in f.examples:
            detail = detail.replace("|", "\\|").replace("\n", " ")[:240]
            lines.append(f"  - `python -m tools.fuzz --seed {seed} --replay {job_id}`: {detail}")
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tools.fuzz", description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, help=f"mutated inputs, rules tagger (default {FULL_N:,}, quick {QUICK_N:,})")
    p.add_argument(
        "--model-sample",
        type=int,
        help=f"mutated inputs with the model tagger (default {FULL_MODEL_SAMPLE:,}, quick {QUICK_MODEL_SAMPLE})",
    )
    p.add_argument("--quick", action="store_true", help="a short run: smaller defaults for --n and --model-sample")
    p.add_argument("--hostile", default="all", help="hostile kinds, comma-separated, 'all' or 'none'")
    p.add_argument("--seed", type=int, default=0, help="the run's seed (default 0)")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--chunk", type=int, default=50, help="inputs sent to a worker at a time (default 50)")
    p.add_argument("--time-cap", type=float, default=10.0, help="CPU seconds per input before a hang (default 10)")
    p.add_argument("--wall-cap", type=float, help="wall seconds per input before a hang (default 10 x --time-cap)")
    p.add_argument("--mem-cap-mb", type=int, default=1024, help="address space an input may add, MB (default 1024)")
    p.add_argument("--progress-every", type=int, help="a progress line to stderr every this many inputs")
    p.add_argument("--out", type=Path, help="write the markdown report here (else to stdout only)")
    p.add_argument("--replay", help="run one input id (r:N, m:N, h:KIND) in this process and print what happened")
    p.add_argument("--dump", type=Path, help="with --replay: also save the input there (text as UTF-8, or the file)")
    return p.parse_args(argv)


def hostile_kinds(spec: str) -> list[str]:
    """The hostile kinds named by ``--hostile``."""
    from tools.fuzz_hostile import HOSTILE

    if spec == "all":
        return list(HOSTILE)
    if spec in ("none", ""):
        return []
    kinds = [k.strip() for k in spec.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in HOSTILE]
    if unknown:
        raise SystemExit(f"unknown hostile kind(s) {', '.join(unknown)}; known: {', '.join(HOSTILE)}")
    return kinds


def make_hostile(kinds: Iterable[str], folder: Path) -> dict[str, str]:
    """Write the hostile files into ``folder``; ``{kind: path}``."""
    from tools.fuzz_hostile import HOSTILE

    folder.mkdir(parents=True, exist_ok=True)
    return {k: str(HOSTILE[k](folder)) for k in kinds}


def replay(args: argparse.Namespace) -> int:
    """Rebuild one input and run it here, printing its status, violations or traceback."""
    import traceback

    from tools.fuzz_contract import contract_violations
    from tools.fuzz_worker import build_input, run_input

    job = job_for(args.replay)
    with tempfile.TemporaryDirectory(prefix="gxie-replay-") as tmp:
        hostile = make_hostile([job.category], Path(tmp)) if job.id.startswith("h:") else {}
        kind, payload = build_input(job, args.seed, Path(tmp), hostile)
        what = f"file {Path(payload).name}" if kind == "file" else f"text of {len(payload):,} characters"
        print(f"{job.id}: category {job.category}, tagger {job.tagger}, {what}", file=sys.stderr)
        if args.dump is not None:
            if kind == "text":
                args.dump.write_text(payload, encoding="utf-8", errors="surrogatepass", newline="")
            else:
                shutil.copyfile(payload, args.dump, follow_symlinks=False)
            print(f"input saved to {args.dump}", file=sys.stderr)
        try:
            report = run_input(kind, payload, job.tagger)
        except Exception:
            traceback.print_exc()
            return 1
        violations = contract_violations(report, payload if kind == "text" else None)
        print(f"status {getattr(report, 'status', None)}; {len(violations)} contract violation(s)")
        for v in violations:
            print(f"  {v}")
        return 1 if violations else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fuzz (or ``--replay`` one input); write the markdown report to ``--out``."""
    args = parse_args(argv)
    if args.replay:
        return replay(args)
    n = args.n if args.n is not None else (QUICK_N if args.quick else FULL_N)
    model_n = args.model_sample
    if model_n is None:
        model_n = QUICK_MODEL_SAMPLE if args.quick else FULL_MODEL_SAMPLE
    kinds = hostile_kinds(args.hostile)
    every = args.progress_every or (500 if args.quick or n <= 10_000 else 5_000)
    command = "python -m tools.fuzz " + shlex.join(list(argv) if argv is not None else sys.argv[1:])
    info = {"command": command.strip(), "seed": str(args.seed), "load_start": machine()["load"]}
    t0 = time.monotonic()
    results = Results()
    total = n + model_n + len(kinds)
    on_outcome = _progress(results, total, t0, every)
    baselines: list[float] = []
    with tempfile.TemporaryDirectory(prefix="gxie-fuzz-") as tmp:
        hostile = make_hostile(kinds, Path(tmp) / "hostile")
        config = WorkerConfig(args.seed, hostile, str(Path(tmp) / "work"), False, args.mem_cap_mb)
        rules_jobs = [job_for(f"h:{k}") for k in kinds]  # hostile first, one per chunk: any worker takes any
        chunks = [[j] for j in rules_jobs] + _chunks([job_for(f"r:{i}") for i in range(n)], args.chunk)
        wall_cap = args.wall_cap if args.wall_cap is not None else 10 * args.time_cap
        common = {"workers": args.workers, "time_cap": args.time_cap, "wall_cap": wall_cap, "on_outcome": on_outcome}
        if chunks:
            baselines += run_pool(chunks, config, **common)
        if model_n:
            model_config = WorkerConfig(args.seed, hostile, config.folder, True, args.mem_cap_mb)
            model_chunks = _chunks([job_for(f"m:{j}") for j in range(model_n)], max(1, args.chunk // 5))
            baselines += run_pool(model_chunks, model_config, **common)
    wall = time.monotonic() - t0
    done = results.totals().inputs
    info.update(
        {
            **{k: v for k, v in machine().items() if k != "load"},
            "load_end": machine()["load"],
            "workers": str(args.workers),
            "time_cap": f"{args.time_cap:g} s of CPU (or {wall_cap:g} s wall)",
            "mem_cap": str(args.mem_cap_mb),
            "baselines": "–".join(f"{x:.0f}" for x in (min(baselines), max(baselines))) if baselines else "n/a",
            "wall": f"{wall:.0f} s",
            "throughput": f"{done / max(wall, 1e-9):.1f} inputs/s overall",
        }
    )
    text = render(results, info)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"[fuzz] report written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


__all__ = ["COLUMNS", "Results", "execute", "main", "render", "run_pool"]

if __name__ == "__main__":
    raise SystemExit(main())
