"""Accuracy, calibration and speed of the pipeline: rules tagger vs model tagger, on clean text, on
OCR-damaged scans and on the real seed reports.

Sets: clean synthetic reports per layout family (held-out agencies); the OCR corpus of
training.ocr_corpus per damage level (synthetic and seed reports rendered, damaged and OCR'd); the seed
reports' own text. For each set and tagger: cell accuracy (every key of the format, null and 0 told
apart), share of reports with every cell right, relation checks passing; a ``gold spans`` column feeds
the generator's labels (carried onto the OCR text by training.ocr_align) to the grid rebuild: the
ceiling the text allows. Calibration: accuracy of the cells found, by confidence bucket. Speed: a fresh
process per tagger (training.bench_speed) on typical text reports.

    python -m training.ocr_corpus --out data/ocr            # first, once (OCR: minutes)
    python -m training.bench --corpus data/ocr --out docs/ocr_benchmark.md
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import json
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gxie.normalize import normalize
from gxie.pipeline import Prepared, default_model_dir, finish, get_tagger
from gxie.report import Report
from gxie.tagging.base import Tagger
from gxie.types import Document, Span

HELDOUT_SEED = 90_001
BUCKETS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)  # lower edges of the confidence buckets
REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Case:
    """One report to score: text, gold grid and (synthetic only) gold spans on the text."""

    id: str
    text: str
    flat: dict[str, Any]
    spans: tuple[Span, ...] | None = None


@dataclass
class Score:
    """What one tagger got on one set."""

    cells: int = 0
    right: int = 0
    reports: int = 0
    perfect: int = 0
    checks: int = 0
    checks_passed: int = 0
    confidence: list[tuple[float, bool]] = field(default_factory=list)

    def add(self, report: Report, gold: dict[str, Any]) -> None:
        flat = report.to_flat()
        right = sum(1 for k, v in gold.items() if _same(flat.get(k), v))
        self.cells += len(gold)
        self.right += right
        self.reports += 1
        self.perfect += right == len(gold)
        evaluated = [c for c in report.checks if c.passed is not None]
        self.checks += len(evaluated)
        self.checks_passed += sum(1 for c in evaluated if c.passed)
        for cell in report.cells:
            if cell.key in gold:
                self.confidence.append((cell.confidence, _same(cell.value, gold[cell.key])))

    @property
    def accuracy(self) -> float:
        return self.right / max(1, self.cells)


def _same(found: Any, gold: Any) -> bool:
    return found == gold and type(found) is type(gold)


def prepare_case(case: Case) -> Prepared:
    """A case read as plain text and normalized, as ``extract`` would."""
    return Prepared(case.id, Document(text=case.text, source=case.id, kind="text"), normalize(case.text), case.id)


def on_normalized(prepared: Prepared, spans: Sequence[Span]) -> list[Span]:
    """Raw-text spans moved onto the normalized text."""
    starts = list(prepared.normalized.starts)
    text = prepared.normalized.text
    out = []
    for s in spans:
        a, b = bisect.bisect_left(starts, s.start), bisect.bisect_left(starts, s.end)
        if a < b:
            out.append(Span(a, b, s.label, text[a:b]))
    return out


def score_set(cases: Sequence[Case], taggers: dict[str, Tagger]) -> dict[str, Score]:
    """Score every tagger on ``cases`` (batched tagging); ``gold spans`` when every case has spans."""
    prepared = [prepare_case(c) for c in cases]
    out: dict[str, Score] = {}
    for name, tagger in taggers.items():
        tagged = tagger.tag_many([p.normalized.text for p in prepared])
        out[name] = Score()
        for case, prep, spans in zip(cases, prepared, tagged, strict=True):
            out[name].add(finish(prep, spans, tagger), case.flat)
    if cases and all(c.spans is not None for c in cases):
        oracle = get_tagger("rules")
        out["gold spans"] = Score()
        for case, prep in zip(cases, prepared, strict=True):
            out["gold spans"].add(finish(prep, on_normalized(prep, case.spans or ()), oracle), case.flat)
    return out


def synth_sets(n_per_layout: int, seed: int) -> dict[str, list[Case]]:
    """Clean synthetic reports per layout family, agencies held out from training."""
    from training.synth import LAYOUT_FAMILIES, generate

    sets = {}
    for layout in LAYOUT_FAMILIES:
        reports = generate(n_per_layout, seed, layouts=(layout,), noise_levels=("clean",), agency_pool="heldout")
        sets[f"text: synthetic {layout}"] = [Case(r.id, r.text, dict(r.flat), r.spans) for r in reports]
    return sets


def seed_set(seeds_dir: Path, gold_dir: Path = REPO / "tests" / "gold") -> dict[str, list[Case]]:
    """The real seed reports as text (empty when the seeds folder is absent)."""
    cases = []
    for gold_path in sorted(gold_dir.glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        path = seeds_dir / gold["file"]
        if path.is_file():
            cases.append(Case(gold_path.stem, path.read_text(encoding="utf-8"), gold["flat"]))
    return {"text: seed reports": cases} if cases else {}


def ocr_sets(corpus: Path) -> tuple[dict[str, list[Case]], dict[str, dict[str, float]]]:
    """The OCR corpus per level (synthetic and seed reports apart) and OCR seconds per page by level."""
    from training.ocr_align import carry_spans
    from training.ocr_corpus import DAMAGE, read_corpus

    sets: dict[str, list[Case]] = {}
    timing: dict[str, dict[str, float]] = {}
    for level in DAMAGE:
        path = corpus / f"{level}.jsonl"
        if not path.is_file():
            continue
        pages = seconds = 0.0
        for rec in read_corpus(path):
            pages += rec["pages"]
            seconds += rec["ocr_seconds"]
            spans = None
            if "source_text" in rec:
                carried, _ = carry_spans(rec["source_text"], rec["source_spans"], rec["text"])
                spans = tuple(Span(a, b, lab, rec["text"][a:b]) for a, b, lab in carried)
            name = f"OCR {level}: {'synthetic' if rec['set'] == 'synth' else 'seed reports'}"
            sets.setdefault(name, []).append(Case(rec["id"], rec["text"], rec["flat"], spans))
        timing[level] = {"pages": pages, "seconds_per_page": seconds / max(1.0, pages)}
    return sets, timing


def calibration(scores: Sequence[Score]) -> list[tuple[str, int, float]]:
    """(bucket, cells, accuracy) over the cells found, by confidence bucket."""
    pairs = [p for s in scores for p in s.confidence]
    rows = []
    edges = (*BUCKETS, 1.0 + 1e-9)
    for lo, hi in itertools.pairwise(edges):
        inside = [ok for conf, ok in pairs if lo <= conf < hi]
        label = f"[{lo:.2f}, {min(hi, 1.0):.2f}{']' if hi > 1 else ')'}"
        rows.append((label, len(inside), sum(inside) / len(inside) if inside else float("nan")))
    return rows


def training_time(model_dir: Path) -> str:
    """How long the bundled model took to train, from its gxie_config.json."""
    path = model_dir / "gxie_config.json"
    if not path.is_file():
        return f"unknown ({path} not found)"
    meta = json.loads(path.read_text(encoding="utf-8"))
    training = meta.get("training") or {}
    sec = training.get("seconds") or {}
    env = (training.get("environment") or {}).get("machine") or {}
    return (
        f"{sec.get('total')} s in all ({sec.get('data')} s data, {sec.get('training')} s training and "
        f"evaluation) on {env.get('cpu_count')} CPU cores ({env.get('cpu') or 'cpu'}), device {env.get('device')}; "
        f"model version `{meta.get('model_version')}`"
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every set scored with both taggers, plus OCR timing (see the module docstring)."""
    taggers = {"rules": get_tagger("rules"), "model": get_tagger("model", args.device)}
    sets = synth_sets(args.n, args.seed)
    sets.update(seed_set(args.seeds_dir))
    timing: dict[str, dict[str, float]] = {}
    if args.corpus is not None:
        more, timing = ocr_sets(args.corpus)
        sets.update(more)
    scores = {name: score_set(cases, taggers) for name, cases in sets.items() if cases}
    return {"scores": scores, "ocr_timing": timing}


def _cell(score: Score | None) -> str:
    return f"{score.accuracy:.4f}" if score else "-"


def accuracy_table(scores: dict[str, dict[str, Score]]) -> list[str]:
    lines = [
        "| set | reports | rules: cells right | model: cells right | gold spans: cells right | rules: reports "
        "all right | model: reports all right | rules: relations pass | model: relations pass |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, by in scores.items():
        r, m, g = by["rules"], by["model"], by.get("gold spans")
        lines.append(
            f"| {name} | {r.reports} | {_cell(r)} | {_cell(m)} | {_cell(g)} | {r.perfect}/{r.reports} | "
            f"{m.perfect}/{m.reports} | {r.checks_passed / max(1, r.checks):.3f} | "
            f"{m.checks_passed / max(1, m.checks):.3f} |"
        )
    return lines


def calibration_table(scores: dict[str, dict[str, Score]], prefix: str) -> list[str]:
    chosen = [by for name, by in scores.items() if name.startswith(prefix)]
    if not chosen:
        return []
    rules = calibration([by["rules"] for by in chosen])
    model = calibration([by["model"] for by in chosen])
    lines = [
        "| confidence | rules: cells | rules: accuracy | model: cells | model: accuracy |",
        "|---|---|---|---|---|",
    ]
    for (label, rn, ra), (_, mn, ma) in zip(rules, model, strict=True):
        lines.append(f"| {label} | {rn} | {ra:.4f} | {mn} | {ma:.4f} |".replace("nan", "-"))
    return lines


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def markdown(result: dict[str, Any], speed: list[dict[str, Any]], args: argparse.Namespace, command: str) -> str:
    from training.bench_speed import speed_lines

    scores: dict[str, dict[str, Score]] = result["scores"]
    load = result.get("load", (0.0, 0.0))
    out = [
        "# OCR and accuracy/speed benchmark",
        "",
        f"Command: `{command}`  ",
        f"Date: {dt.date.today().isoformat()}; machine: {machine()}; model: `{default_model_dir()}`.  ",
        f"Training time of the model: {training_time(default_model_dir())}.  ",
        f"1-minute load average at the start and the end of the run: {load[0]:.1f} / {load[1]:.1f} (above the "
        "core count, other jobs shared the CPU and the timings are pessimistic).",
        "",
        "Cells right: every key of the report's format compared with the gold grid (null and 0 told apart). "
        "`gold spans` feeds the generator's own labels (carried onto OCR text by `training.ocr_align`) to the "
        "grid rebuild: what a perfect tagger would get from that text. OCR sets: reports rendered with "
        "LibreOffice (real ruled tables, WenQuanYi Micro Hei), damaged (`training/ocr_corpus.py` `DAMAGE`) and "
        "read by gxie's OCR (rapidocr PP-OCR models on onnxruntime).",
        "",
        "## Accuracy",
        "",
        *accuracy_table(scores),
        "",
        "## Confidence calibration (cells found, by the confidence gxie gives them)",
        "",
        "Text sets (clean synthetic and seed texts):",
        "",
        *calibration_table(scores, "text:"),
        "",
        "OCR sets (all damage levels):",
        "",
        *calibration_table(scores, "OCR"),
        "",
    ]
    if result["ocr_timing"]:
        out += [
            "## OCR speed (while the corpus was built)",
            "",
            "| level | pages | seconds per page |",
            "|---|---|---|",
        ]
        for level, t in result["ocr_timing"].items():
            out.append(f"| {level} | {t['pages']:.0f} | {t['seconds_per_page']:.2f} |")
        out.append("")
    out += speed_lines(speed)
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=30, help="clean synthetic reports per layout family")
    p.add_argument("--seed", type=int, default=HELDOUT_SEED)
    p.add_argument("--corpus", type=Path, default=None, help="folder of training.ocr_corpus <level>.jsonl files")
    p.add_argument("--seeds-dir", type=Path, default=REPO.parent / "shared" / "seeds")
    p.add_argument("--device", default="cpu", help="device of the accuracy runs")
    p.add_argument("--speed-reports", type=int, default=40, help="typical reports timed per tagger (0: no timing)")
    p.add_argument("--threads", type=int, default=2, help="torch threads of the speed runs")
    p.add_argument("--out", type=Path, default=None, help="write the markdown to this file")
    args = p.parse_args(argv)
    from training.bench_speed import measure_all

    load_before = os.getloadavg()[0]
    result = run(args)
    speed = measure_all(args.speed_reports, args.threads) if args.speed_reports else []
    result["load"] = (load_before, os.getloadavg()[0])
    parts = [f"python -m training.bench --n {args.n} --seed {args.seed}"]
    if args.corpus is not None:
        parts.append(f"--corpus {args.corpus}")
    parts.append(f"--speed-reports {args.speed_reports} --threads {args.threads}")
    if args.out:
        parts.append(f"--out {args.out}")
    text = markdown(result, speed, args, " ".join(parts))
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
