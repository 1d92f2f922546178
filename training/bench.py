"""gxie benchmarks: accuracy, calibration and speed of the pipeline, rules tagger vs model tagger, on clean
and noisy text, on OCR-damaged scans and on the real seed reports; writes ``docs/benchmarks.md``.

Sets: clean synthetic reports per layout family and noisy synthetic reports per noise level of
gxie.training.synth (every layout family mixed), agencies held out from training; the seed reports' own
text; with ``--corpus``, the OCR corpus of training.ocr_corpus per damage level (synthetic and seed
reports rendered, damaged and OCR'd). For each set and tagger: cell accuracy (every key of the format,
null and 0 told apart), share of reports with every cell right, relation checks passing; a ``gold
spans`` column feeds the generator's labels (carried onto the OCR text by training.ocr_align) to the
grid rebuild: the ceiling the text allows. The synthetic text sets are also split by format and layout.
Calibration: accuracy of the cells found, by confidence bucket. Speed: a fresh process per tagger
(training.bench_speed) on typical text reports. The page opens with a summary computed from these
numbers and the bundled model's card (version, test F1, training time).

    python -m training.ocr_corpus --out data/ocr --n 24 --seed 90001 --levels mild --seed-levels mild
    python -m training.ocr_corpus --out data/ocr --n 6 --seed 90001 \\
        --levels clean lowres blur noise rotate jpeg severe --seed-levels severe
    python -m training.ocr_corpus --out data/ocr --n 9 --seed 90002 --levels mild --no-seeds --append \\
        --layouts cell_lines_dropped word_indent pdf_text          # these three first, once (OCR: ~50 min)
    python -m training.bench --corpus data/ocr                 # every set; writes docs/benchmarks.md
    python -m training.bench --n 5 --speed-reports 0 --out -   # a quick look, printed only
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from gxie.labels import ENTITY_TYPES
from gxie.pipeline import Prepared, default_model_dir, finish, get_tagger
from gxie.report import Report
from gxie.tagging.base import Tagger
from gxie.tagging.model import GXIE_CONFIG_FILE
from gxie.text.normalize import normalize
from gxie.training.card import CARD_FILE, environment
from gxie.types import Document, Span

HELDOUT_SEED = 90_001
BUCKETS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)  # lower edges of the confidence buckets
REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "docs" / "benchmarks.md"
TARGET_REPORTS_PER_SECOND = 5.0  # the model's speed target on typical text reports
MILD_TARGET = 0.98  # the model's cell-accuracy target at OCR damage level ``mild``
FINDINGS = (
    "Findings and what the numbers mean: [benchmark_findings.md](benchmark_findings.md)  \n"
    "Batch throughput (workers, batch size, memory): [batch_benchmark.md](batch_benchmark.md)  \n"
    "Speed and memory of `gxie extract` with the ONNX model (the current figures, defaults and how they were chosen): "
    "[speed.md](speed.md)"
)


@dataclass(frozen=True)
class Case:
    """One report to score: text, gold grid, (synthetic only) gold spans on the text, and the tags it is
    split by (``format 2021``, ``layout tab_rows``, ``noise light``)."""

    id: str
    text: str
    flat: dict[str, Any]
    spans: tuple[Span, ...] | None = None
    tags: tuple[str, ...] = ()


@dataclass
class Score:
    """What one tagger got on one set; ``parts`` holds the same tally per case tag."""

    cells: int = 0
    right: int = 0
    reports: int = 0
    perfect: int = 0
    checks: int = 0
    checks_passed: int = 0
    confidence: list[tuple[float, bool]] = field(default_factory=list)
    parts: dict[str, Score] = field(default_factory=dict)

    def add(self, report: Report, gold: dict[str, Any], tags: Sequence[str] = ()) -> None:
        """Count one report against its gold grid, in the whole and in the part of each tag."""
        flat = report.to_flat()
        right = sum(1 for k, v in gold.items() if _same(flat.get(k), v))
        evaluated = [c for c in report.checks if c.passed is not None]
        one = Score(
            cells=len(gold),
            right=right,
            reports=1,
            perfect=int(right == len(gold)),
            checks=len(evaluated),
            checks_passed=sum(1 for c in evaluated if c.passed),
            confidence=[(c.confidence, _same(c.value, gold[c.key])) for c in report.cells if c.key in gold],
        )
        self.merge(one)
        for tag in tags:
            self.parts.setdefault(tag, Score()).merge(one)

    def merge(self, other: Score) -> None:
        """Add ``other``'s tallies (parts included) to this one."""
        for f in fields(self):
            if f.name not in ("confidence", "parts"):
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        self.confidence.extend(other.confidence)
        for tag, part in other.parts.items():
            self.parts.setdefault(tag, Score()).merge(part)

    @property
    def accuracy(self) -> float:
        return self.right / max(1, self.cells)


def pooled(scores: Iterable[Score]) -> Score:
    """One score over several sets (cells, reports and checks summed)."""
    out = Score()
    for score in scores:
        out.merge(score)
    return out


def pooled_sets(group: Sequence[dict[str, Score]]) -> dict[str, Score]:
    """Several sets' scores pooled per tagger; a column (``gold spans``) only when every set has it."""
    names = [name for name in group[0] if all(name in by for by in group)] if group else []
    return {name: pooled(by[name] for by in group) for name in names}


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
            out[name].add(finish(prep, spans, tagger), case.flat, case.tags)
    if cases and all(c.spans is not None for c in cases):
        oracle = get_tagger("rules")
        out["gold spans"] = Score()
        for case, prep in zip(cases, prepared, strict=True):
            out["gold spans"].add(finish(prep, on_normalized(prep, case.spans or ()), oracle), case.flat, case.tags)
    return out


def _synth_case(r: Any) -> Case:
    tags = (f"format {r.template}", f"layout {r.layout}", f"noise {r.noise}")
    return Case(r.id, r.text, dict(r.flat), r.spans, tags)


def synth_sets(n_per_layout: int, seed: int) -> dict[str, list[Case]]:
    """Clean synthetic reports per layout family, agencies held out from training."""
    from gxie.training.synth import LAYOUT_FAMILIES, generate

    sets = {}
    for layout in LAYOUT_FAMILIES:
        reports = generate(n_per_layout, seed, layouts=(layout,), noise_levels=("clean",), agency_pool="heldout")
        sets[f"text: synthetic {layout}"] = [_synth_case(r) for r in reports]
    return sets


def noise_sets(n_per_level: int, seed: int) -> dict[str, list[Case]]:
    """Noisy synthetic reports per non-clean noise level of gxie.training.synth (OCR-like ``light`` and
    ``heavy``, ``traditional`` Chinese), every layout family mixed, agencies held out from training."""
    from gxie.training.synth import NOISE_LEVELS, generate

    return {
        f"text: synthetic noise {level}": [
            _synth_case(r) for r in generate(n_per_level, seed, noise_levels=(level,), agency_pool="heldout")
        ]
        for level in NOISE_LEVELS
        if level != "clean"
    }


def seed_set(seeds_dir: Path, gold_dir: Path = REPO / "tests" / "gold") -> dict[str, list[Case]]:
    """The real seed reports as text (empty when the seeds folder is absent)."""
    from training.ocr_corpus import seed_sources

    cases = [Case(s.id, s.text, s.flat, None, (f"format {s.template}",)) for s in seed_sources(seeds_dir, gold_dir)]
    return {"text: seed reports": cases} if cases else {}


TYPED = "synthetic, tables typed as text"  # OCR set of reports whose tables were printed as text lines


def ocr_sets(corpus: Path) -> tuple[dict[str, list[Case]], dict[str, dict[str, float]]]:
    """The OCR corpus per level (synthetic and seed reports apart) and OCR seconds per page by level."""
    from training.ocr_align import carry_spans
    from training.ocr_corpus import DAMAGE, TEXT_LAYOUTS, read_corpus

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
            kinds = (("format", "template"), ("layout", "layout"), ("noise", "noise"))
            tags = tuple(f"{kind} {rec[key]}" for kind, key in kinds if rec.get(key))
            typed = rec.get("layout") in TEXT_LAYOUTS
            name = f"OCR {level}: {'seed reports' if rec['set'] != 'synth' else TYPED if typed else 'synthetic'}"
            sets.setdefault(name, []).append(Case(rec["id"], rec["text"], rec["flat"], spans, tags))
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


def training_time(meta: dict[str, Any]) -> str:
    """How long the model took to train, from its gxie_config.json data (``meta``)."""
    training = meta.get("training") or {}
    sec = training.get("seconds") or {}
    if not sec:
        return "not recorded in the model's config"
    env = (training.get("environment") or {}).get("machine") or {}
    return (
        f"{sec.get('total')} s in all ({sec.get('data')} s data, {sec.get('training')} s training and "
        f"evaluation) on {env.get('cpu_count')} CPU cores ({env.get('cpu') or 'cpu'}), device {env.get('device')}"
    )


def load_note(load: tuple[float, float], cores: int) -> str:
    """What the load average says about the timings (``cores``: the machine's core count)."""
    if max(load) > cores:
        return "(above the core count: other jobs shared the CPU and the timings are pessimistic)."
    return f"(at most the core count, {cores}: the timings had the CPU to themselves, or nearly)."


def _shown(path: Path) -> str:
    """``path`` relative to the repository when inside it."""
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def model_section(model_dir: Path) -> list[str]:
    """The model's version, test scores and training time, from the model card data (gxie_config.json,
    rendered as README.md by gxie.training.card)."""
    path = model_dir / GXIE_CONFIG_FILE
    lines = ["## Model", ""]
    if not path.is_file():
        return [*lines, f"No model card data: `{path}` not found.", ""]
    meta = json.loads(path.read_text(encoding="utf-8"))
    card = model_dir / CARD_FILE
    lines.append(
        f"- `{_shown(model_dir)}`, model version `{meta.get('model_version')}`"
        + (f"; model card `{_shown(card)}`" if card.is_file() else "")
    )
    test = (meta.get("metrics") or {}).get("test") or {}
    if test.get("micro"):
        lines.append(
            f"- test micro-F1 (seqeval, strict IOB2, {test.get('n_texts')} held-out texts of its training run): "
            f"{test['micro']['f1']:.4f}"
        )
    per_label = test.get("per_label") or {}
    if per_label:
        lines.append(
            "- test F1 per label: "
            + ", ".join(f"{label} {per_label[label]['f1']:.4f}" for label in ENTITY_TYPES if label in per_label)
        )
    lines.append(f"- training time: {training_time(meta)}")
    return [*lines, ""]


def bench_environment(device: str) -> dict[str, Any]:
    """``gxie.training.card.environment`` of the accuracy runs, plus the CUDA GPU the speed runs use when one
    is present and the accuracy runs are on the CPU."""
    import torch

    env = environment(device)
    if not env["machine"].get("gpu") and torch.cuda.is_available():
        env["machine"]["cuda"] = torch.cuda.get_device_name(0)
    return env


def machine_line(env: dict[str, Any]) -> str:
    """One readable line for an ``environment()`` dict: CPU, cores, torch, Python, device / CUDA GPU."""
    m, v = env.get("machine") or {}, env.get("versions") or {}
    device = f"device {m.get('device')}" + (f" ({m['gpu']})" if m.get("gpu") else "")
    line = (
        f"{m.get('cpu')}, {m.get('cpu_count')} cores ({m.get('torch_threads')} torch threads), "
        f"torch {v.get('torch')}, Python {v.get('python')}, {device}"
    )
    return line + (f", CUDA GPU {m['cuda']}" if m.get("cuda") else "")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every set scored with both taggers, plus OCR timing (see the module docstring)."""
    taggers = {"rules": get_tagger("rules"), "model": get_tagger("model", args.device)}
    sets = synth_sets(args.n, args.seed)
    sets.update(noise_sets(args.n, args.seed))
    sets.update(seed_set(args.seeds_dir))
    timing: dict[str, dict[str, float]] = {}
    if args.corpus is not None:
        more, timing = ocr_sets(args.corpus)
        sets.update(more)
    scores = {name: score_set(cases, taggers) for name, cases in sets.items() if cases}
    return {"scores": scores, "ocr_timing": timing, "model_dir": default_model_dir()}


def _cell(score: Score | None) -> str:
    return f"{score.accuracy:.4f}" if score else "-"


def _relations(score: Score | None) -> str:
    return f"{score.checks_passed / max(1, score.checks):.3f}" if score else "-"


def accuracy_table(scores: dict[str, dict[str, Score]]) -> list[str]:
    lines = [
        "| set | reports | rules: cells right | model: cells right | gold spans: cells right | rules: reports "
        "all right | model: reports all right | rules: relations pass | model: relations pass | gold spans: "
        "relations pass |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, by in scores.items():
        r, m, g = by["rules"], by["model"], by.get("gold spans")
        lines.append(
            f"| {name} | {r.reports} | {_cell(r)} | {_cell(m)} | {_cell(g)} | {r.perfect}/{r.reports} | "
            f"{m.perfect}/{m.reports} | {_relations(r)} | {_relations(m)} | {_relations(g)} |"
        )
    return lines


def breakdown(
    scores: dict[str, dict[str, Score]], prefix: str, kinds: Sequence[str] = ("format", "layout")
) -> dict[str, dict[str, Score]]:
    """The sets named ``prefix ...`` pooled (row ``all``) and split by the case tags of ``kinds``."""
    chosen = [by for name, by in scores.items() if name.startswith(prefix)]
    if not chosen:
        return {}
    whole = pooled_sets(chosen)
    tags = sorted(
        {t for s in whole.values() for t in s.parts if t.split(" ", 1)[0] in kinds},
        key=lambda t: (kinds.index(t.split(" ", 1)[0]), t),
    )
    out = {f"{prefix} (all {len(chosen)} sets)": whole}
    for tag in tags:
        out[f"{prefix}, {tag}"] = {name: s.parts.get(tag, Score()) for name, s in whole.items()}
    return out


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


def ocr_levels(scores: dict[str, dict[str, Score]], typed: bool = False) -> dict[str, dict[str, Score]]:
    """The OCR sets pooled per damage level, in corpus order: the reports printed with ruled tables
    (synthetic and seed reports together), or with ``typed`` the stress sets of tables typed as text."""
    groups: dict[str, list[dict[str, Score]]] = {}
    for name, by in scores.items():
        if name.startswith("OCR ") and ":" in name and name.endswith(TYPED) == typed:
            groups.setdefault(name[4:].split(":", 1)[0], []).append(by)
    return {level: pooled_sets(group) for level, group in groups.items()}


def summary_lines(scores: dict[str, dict[str, Score]], speed: Sequence[dict[str, Any]]) -> list[str]:
    """The summary: model vs rules per OCR damage level and on all text sets pooled, the ``mild`` target,
    and the model's speed against the reports/s target."""
    from training.bench_speed import TYPICAL, rates

    rows: dict[str, dict[str, Score]] = {
        f"OCR {level} (ruled tables, seed reports)": by for level, by in ocr_levels(scores).items()
    }
    typed = ocr_levels(scores, typed=True)
    rows.update({f"OCR {level}, {TYPED} (stress set)": by for level, by in typed.items()})
    text = [by for name, by in scores.items() if name.startswith("text:")]
    if text:
        rows[f"all text sets pooled ({len(text)} sets)"] = pooled_sets(text)
    lines = ["## Summary", ""]
    if rows:
        lines += [
            "| set | reports | rules: cells right | model: cells right | model - rules |",
            "|---|---|---|---|---|",
        ]
        for name, by in rows.items():
            r, m = by["rules"], by["model"]
            lines.append(
                f"| {name} | {r.reports} | {r.accuracy:.4f} | {m.accuracy:.4f} | {m.accuracy - r.accuracy:+.4f} |"
            )
        lines.append("")
    mild = ocr_levels(scores).get("mild")
    if mild:
        m = mild["model"]
        verdict = "meets" if m.accuracy >= MILD_TARGET else "misses"
        lines.append(
            f"- OCR damage `mild` (ruled tables, seed reports): the model gets {m.accuracy:.2%} of the cells right "
            f"({m.reports} reports): it "
            f"{verdict} the {MILD_TARGET:.0%} target (rules tagger: {mild['rules'].accuracy:.2%})."
        )
    else:
        lines.append(
            f"- OCR damage `mild`: not measured in this run (no `--corpus`); the {MILD_TARGET:.0%} target is unchecked."
        )
    for level, by in typed.items():
        lines.append(
            f"- OCR damage `{level}`, {TYPED} (a stress set, apart from the level's reports and the target): "
            f"model {by['model'].accuracy:.2%} of the cells right, rules tagger {by['rules'].accuracy:.2%} "
            f"({by['model'].reports} reports)."
        )
    if text:
        by = pooled_sets(text)
        lines.append(
            f"- All text sets pooled ({by['model'].reports} reports, {by['model'].cells:,} cells): model "
            f"{by['model'].accuracy:.2%} of the cells right, rules tagger {by['rules'].accuracy:.2%}; reports with "
            f"every cell right: model {by['model'].perfect}/{by['model'].reports}, rules "
            f"{by['rules'].perfect}/{by['rules'].reports}."
        )
    models = [res for res in speed if res["tagger"] == "model"]
    target = TARGET_REPORTS_PER_SECOND
    for res in models:
        single, batched = rates(res)
        met = [way for way, rate in (("one by one", single), ("batched", batched)) if rate >= target]
        verdict = (
            "meets the target both ways"
            if len(met) == 2
            else f"meets the target {met[0]} only"
            if met
            else "misses the target both ways"
        )
        lines.append(
            f"- Model speed on {res['device']} ({res['threads']} torch threads), typical text reports of "
            f"{TYPICAL[0]:,}-{TYPICAL[1]:,} characters, end to end: {single:.1f} reports/s one by one, "
            f"{batched:.1f} reports/s batched, against a target of {target:.0f} reports/s: it {verdict}."
        )
    if not models:
        lines.append(
            f"- Model speed: not measured in this run (`--speed-reports 0`); the {target:.0f} reports/s "
            "target is unchecked."
        )
    return [*lines, ""]


def markdown(result: dict[str, Any], speed: list[dict[str, Any]], command: str) -> str:
    """The benchmark page for :func:`run`'s result (plus ``environment`` and ``load``) and the speed results."""
    from training.bench_speed import speed_lines

    scores: dict[str, dict[str, Score]] = result["scores"]
    load = result.get("load", (0.0, 0.0))
    env = result.get("environment") or {}
    parts = breakdown(scores, "text: synthetic")
    ocr_parts = breakdown(scores, "OCR mild", kinds=("layout",))
    out = [
        "# gxie benchmarks",
        "",
        f"Command: `{command}`  ",
        f"Date: {dt.date.today().isoformat()}; machine: {machine_line(env)}.  ",
        f"1-minute load average at the start and the end of the run: {load[0]:.1f} / {load[1]:.1f} "
        + load_note(load, os.cpu_count() or 1),
        "",
        *summary_lines(scores, speed),
        *model_section(Path(result.get("model_dir") or default_model_dir())),
        "Cells right: every key of the report's format compared with the gold grid (null and 0 told apart); "
        "reports all right: reports with every cell right; relations pass: the report's relation checks that "
        "hold. `gold spans` feeds the generator's own labels (carried onto OCR text by `training.ocr_align`) to "
        "the grid rebuild: what a perfect tagger would get from that text. Text sets: synthetic reports with "
        "agency names held out from training, clean per layout family and noisy per noise level of "
        "`gxie.training.synth` (`light` and `heavy` OCR-like confusions, `traditional` Chinese; every layout family "
        "mixed), and the real seed reports' text. OCR sets: reports rendered with LibreOffice (real ruled "
        "tables, WenQuanYi Micro Hei; at `mild` also reports whose tables are typed as text), damaged "
        "(`training/ocr_corpus.py` `DAMAGE`) and read by gxie's OCR (rapidocr PP-OCR models on onnxruntime).",
        "",
        "## Accuracy",
        "",
        *accuracy_table(scores),
        "",
    ]
    if parts:
        out += [
            "### Synthetic text sets by format and layout",
            "",
            "The clean and noisy synthetic text sets above pooled, then split by the report's format and layout "
            "(`mixed`: each table drew its own layout family).",
            "",
            *accuracy_table(parts),
            "",
        ]
    if len(ocr_parts) > 2:  # the whole and more than one layout
        out += [
            "### OCR `mild` by layout",
            "",
            "The `mild` OCR sets pooled, then split by how the report's tables were printed: ruled tables "
            "(`tab_rows`, `html_rows`, `markdown`), tables typed as text (`cell_lines_dropped`: one cell per line, "
            "blank cells left out; `word_indent`: rows of space-separated cells; `pdf_text`: space-aligned "
            "columns, wrapped labels), and the real seed reports (`seed`).",
            "",
            *accuracy_table(ocr_parts),
            "",
        ]
    out += [
        "## Confidence calibration (cells found, by the confidence gxie gives them)",
        "",
        "Text sets (clean and noisy synthetic, seed texts):",
        "",
        *calibration_table(scores, "text:"),
        "",
    ]
    if any(name.startswith("OCR") for name in scores):
        out += ["OCR sets (all damage levels):", "", *calibration_table(scores, "OCR"), ""]
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
    out.append(FINDINGS)
    return "\n".join(out) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; ``out`` is a Path, or None for ``--out -`` (print only)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=30, help="synthetic reports per layout family and per noise level")
    p.add_argument("--seed", type=int, default=HELDOUT_SEED)
    p.add_argument("--corpus", type=Path, default=None, help="folder of training.ocr_corpus <level>.jsonl files")
    p.add_argument("--seeds-dir", type=Path, default=REPO.parent / "shared" / "seeds")
    p.add_argument("--device", default="cpu", help="device of the accuracy runs")
    p.add_argument("--speed-reports", type=int, default=40, help="typical reports timed per tagger (0: no timing)")
    p.add_argument("--threads", type=int, default=2, help="torch threads of the speed runs")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="markdown file (default docs/benchmarks.md; -: print)")
    args = p.parse_args(argv)
    args.out = None if args.out == "-" else Path(args.out)
    if args.corpus is not None and not any(args.corpus.glob("*.jsonl")):
        p.error(
            f"--corpus {args.corpus}: no <level>.jsonl files there; build the OCR corpus first with "
            f"python -m training.ocr_corpus --out {args.corpus} (see tests/ocr_sample/README.md for the benchmark's)"
        )
    return args


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this run (options at their defaults left out where they do not matter)."""
    parts = [f"python -m training.bench --n {args.n} --seed {args.seed}"]
    if args.corpus is not None:
        parts.append(f"--corpus {args.corpus}")
    if args.device != "cpu":
        parts.append(f"--device {args.device}")
    parts.append(f"--speed-reports {args.speed_reports} --threads {args.threads}")
    if args.out is None:
        parts.append("--out -")
    elif args.out.resolve() != DEFAULT_OUT:
        parts.append(f"--out {args.out}")
    return " ".join(parts)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from training.bench_speed import measure_all

    load_before = os.getloadavg()[0]
    result = run(args)
    speed = measure_all(args.speed_reports, args.threads) if args.speed_reports else []
    result["load"] = (load_before, os.getloadavg()[0])
    result["environment"] = bench_environment(args.device)
    text = markdown(result, speed, command_line(args))
    if args.out is None:
        print(text, end="")
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
