"""Accuracy of the whole pipeline on held-out synthetic reports: rules tagger vs model tagger.

The held-out set uses agency names never seen in training (``agency_pool="heldout"``), a seed no
training run uses, both formats and every layout family, mostly with OCR-like or Traditional noise.
A third row, ``gold spans``, feeds the generator's own labels to the grid rebuild: the ceiling the
post-processor allows, which separates tagging errors from grid errors.

    python -m training.benchmark --n 300 --out docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import platform
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from gxie.normalize import normalize
from gxie.pipeline import Prepared, default_model_dir, finish, get_tagger
from gxie.report import Report
from gxie.types import Document, Span

HELDOUT_SEED = 90_001
NOISE_MIX = ("clean", "light", "heavy", "traditional")


@dataclass
class Tally:
    cells: int = 0
    right: int = 0
    reports: int = 0
    perfect: int = 0

    def add(self, right: int, cells: int) -> None:
        self.cells += cells
        self.right += right
        self.reports += 1
        self.perfect += right == cells

    def row(self) -> str:
        return f"{self.right / max(1, self.cells):.4f} | {self.perfect}/{self.reports}"


@dataclass
class Result:
    name: str
    by: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    seconds: float = 0.0
    chars: int = 0
    checks: int = 0
    checks_passed: int = 0


def gold_spans(norm_starts: list[int], norm_text: str, spans: Iterable[Span]) -> list[Span]:
    """The generator's raw-text spans moved onto the normalized text."""
    out = []
    for s in spans:
        a, b = bisect.bisect_left(norm_starts, s.start), bisect.bisect_left(norm_starts, s.end)
        if a < b:
            out.append(Span(a, b, s.label, norm_text[a:b]))
    return out


def score(report: Report, gold: dict) -> int:
    flat = report.to_flat()
    return sum(1 for k, v in gold.items() if flat.get(k) == v and type(flat.get(k)) is type(v))


def run(n: int, seed: int, device: str) -> tuple[list[Result], dict[str, str]]:
    from training.synth import generate

    reports = list(generate(n, seed, noise_levels=NOISE_MIX, agency_pool="heldout"))
    taggers = {"rules tagger": get_tagger("rules"), "model tagger": get_tagger("model", device)}
    results = {name: Result(name) for name in (*taggers, "gold spans (grid ceiling)")}
    prepared = []
    for r in reports:
        norm = normalize(r.text)
        doc = Document(text=r.text, source=r.id, kind="text")
        prepared.append((r, Prepared(r.id, doc, norm, r.id)))
    for name, tagger in taggers.items():
        t0 = time.perf_counter()
        tagged = tagger.tag_many([p.normalized.text for _, p in prepared])
        reps = [finish(p, s, tagger) for (_, p), s in zip(prepared, tagged, strict=True)]
        results[name].seconds = time.perf_counter() - t0
        results[name].chars = sum(len(r.text) for r in reports)
        _tally(results[name], reports, reps)
    oracle = get_tagger("rules")
    reps = [finish(p, gold_spans(list(p.normalized.starts), p.normalized.text, r.spans), oracle) for r, p in prepared]
    _tally(results["gold spans (grid ceiling)"], reports, reps)
    meta = {"model": str(default_model_dir()), "n": str(n), "seed": str(seed)}
    return list(results.values()), meta


def _tally(res: Result, reports: list, reps: list[Report]) -> None:
    for r, rep in zip(reports, reps, strict=True):
        right = score(rep, r.flat)
        for key in ("all", f"layout {r.layout}", f"noise {r.noise}", f"format {r.template}"):
            res.by[key].add(right, len(r.flat))
        evaluated = [c for c in rep.checks if c.passed is not None]
        res.checks += len(evaluated)
        res.checks_passed += sum(1 for c in evaluated if c.passed)


def markdown(results: list[Result], meta: dict[str, str], command: str) -> str:
    keys = sorted({k for r in results for k in r.by}, key=lambda k: (k != "all", k))
    head = "| subset | " + " | ".join(f"{r.name}: cells right / reports all right" for r in results) + " |"
    lines = [head, "|---|" + "---|" * len(results)]
    for k in keys:
        lines.append(f"| {k} | " + " | ".join(r.by[k].row() if k in r.by else "-" for r in results) + " |")
    speed = [
        f"| {r.name} | {r.by['all'].reports / r.seconds:.1f} | {r.chars / r.seconds:,.0f} |"
        for r in results
        if r.seconds
    ]
    rel = [f"| {r.name} | {r.checks_passed / max(1, r.checks):.4f} |" for r in results]
    return "\n".join(
        [
            "## Pipeline accuracy on held-out synthetic reports (rules vs model tagger)",
            "",
            f"Command: `{command}`  ",
            f"Date: {dt.date.today().isoformat()}; machine: {platform.machine()}, {torch.get_num_threads()} torch "
            f"threads, {platform.processor() or 'cpu'}; model: `{Path(meta['model']).name}`; "
            f"{meta['n']} reports, seed {meta['seed']}, agency names held out from training.",
            "",
            "Cell accuracy compares every key of the format (null and 0 distinguished) with the generator's gold "
            "grid; 'reports all right' counts reports with every cell right. `gold spans` feeds the generator's "
            "own labels to the grid rebuild: the post-processor's ceiling.",
            "",
            *lines,
            "",
            "| pipeline | relation checks passing |",
            "|---|---|",
            *rel,
            "",
            "| tagger (tag + grid, batched) | reports/s | characters/s |",
            "|---|---|---|",
            *speed,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--seed", type=int, default=HELDOUT_SEED)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", type=Path, default=None, help="write the markdown section to this file")
    args = p.parse_args(argv)
    results, meta = run(args.n, args.seed, args.device)
    command = f"python -m training.benchmark --n {args.n} --seed {args.seed} --device {args.device}"
    text = markdown(results, meta, command + (f" --out {args.out}" if args.out else ""))
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
