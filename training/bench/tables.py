"""The benchmark page: summary, model card, accuracy tables, calibration, OCR and speed sections, as markdown."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gxie.labels import ENTITY_TYPES
from gxie.pipeline import default_model_dir
from gxie.tagging.model import GXIE_CONFIG_FILE
from gxie.training.card import CARD_FILE, environment
from training.bench.score import Score, breakdown, calibration, ocr_levels, pooled, pooled_sets
from training.bench.sets import REPO, TYPED
from training.bench.speed import TYPICAL, rates, speed_lines
from training.speed_table import block_span

TARGET_REPORTS_PER_SECOND = 5.0  # the model's speed target on typical text reports
MILD_TARGET = 0.98  # the model's cell-accuracy target at OCR damage level ``mild``
TRUST_TARGET = 0.995  # trusted cells (Report.trusted_cells) right on every set
FINDINGS = (
    "Findings and what the numbers mean: [benchmark_findings.md](benchmark_findings.md)  \n"
    "Batch throughput (workers, batch size, memory): [batch_benchmark.md](batch_benchmark.md)"
)


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


def _cell(score: Score | None) -> str:
    return f"{score.accuracy:.4f}" if score else "-"


def _relations(score: Score | None) -> str:
    return f"{score.checks_passed / max(1, score.checks):.3f}" if score else "-"


def _trusted(score: Score | None) -> str:
    """Trusted precision / coverage of a score (``-`` for precision where no cell is trusted)."""
    if score is None:
        return "-"
    p = score.trusted_precision
    return f"{'-' if p is None else f'{p:.2%}'} / {score.coverage:.1%}"


def accuracy_table(scores: dict[str, dict[str, Score]]) -> list[str]:
    """The accuracy table: per set, reports, cells right, trusted cells right and their coverage, reports
    all right and relations passing by tagger.

    >>> accuracy_table({"text: seed reports": {"rules": Score(10, 9, 1), "model": Score(10, 10, 1, 1)}})[2]
    '| text: seed reports | 1 | 0.9000 | 1.0000 | - | - / 0.0% | - / 0.0% | - | 0/1 | 1/1 | 0.000 | 0.000 | - |'
    """
    lines = [
        "| set | reports | rules: cells right | model: cells right | gold spans: cells right | rules: trusted "
        "right / coverage | model: trusted right / coverage | gold spans: trusted right / coverage | rules: "
        "reports all right | model: reports all right | rules: relations pass | model: relations pass | gold "
        "spans: relations pass |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, by in scores.items():
        r, m, g = by["rules"], by["model"], by.get("gold spans")
        lines.append(
            f"| {name} | {r.reports} | {_cell(r)} | {_cell(m)} | {_cell(g)} | {_trusted(r)} | {_trusted(m)} | "
            f"{_trusted(g)} | {r.perfect}/{r.reports} | {m.perfect}/{m.reports} | {_relations(r)} | "
            f"{_relations(m)} | {_relations(g)} |"
        )
    return lines


def trust_lines(scores: dict[str, dict[str, Score]]) -> list[str]:
    """The published trust rule against its target on every set: per tagger, the sets whose trusted cells
    are below ``TRUST_TARGET`` right (or all meet it), the lowest set, and the coverage over all sets."""
    lines = []
    for tagger in ("rules", "model"):
        rows = [(name, by[tagger]) for name, by in scores.items() if tagger in by]
        rated = [(name, s.trusted_precision, s) for name, s in rows if s.trusted_precision is not None]
        if not rated:
            continue
        below = [name for name, p, _ in rated if p < TRUST_TARGET]
        low_name, low, low_score = min(rated, key=lambda x: x[1])
        whole = pooled(s for _, s in rows)
        verdict = (
            f"at least {TRUST_TARGET:.1%} right on every one of the {len(rated)} sets"
            if not below
            else f"below {TRUST_TARGET:.1%} right on {len(below)} of {len(rated)} sets ({', '.join(below)})"
        )
        lines.append(
            f"- Trusted cells, {tagger}: {verdict}; lowest {low:.2%} ({low_name}, {low_score.trusted_right:,} of "
            f"{low_score.trusted:,}); coverage {whole.coverage:.1%} of all {whole.cells:,} cells "
            f"({whole.trusted_right:,} of {whole.trusted:,} trusted cells right)."
        )
        lines.append(
            f"- 'The report does not add up' verdicts (`source_inconsistency`), {tagger}: {whole.verdicts:,} over all "
            f"sets, {whole.verdicts_right:,} of them broken in the gold grid too, "
            f"{whole.verdicts - whole.verdicts_right:,} misreads of a report that adds up."
        )
    return lines


def calibration_table(scores: dict[str, dict[str, Score]], prefix: str) -> list[str]:
    """The calibration table of the sets named ``prefix ...``: per confidence bucket, cells and their
    accuracy for the rules and the model tagger (no lines when no set matches)."""
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


def summary_lines(scores: dict[str, dict[str, Score]], speed: Sequence[dict[str, Any]]) -> list[str]:
    """The summary: model vs rules per OCR damage level and on all text sets pooled, the ``mild`` target,
    and the model's speed against the reports/s target."""
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
    lines += trust_lines(scores)
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
            "- Model speed: not measured in this run (`--speed-reports 0`); the speed of `gxie extract` is the "
            "table of `python -m training.bench.speed --table` (docs/speed.md)."
        )
    return [*lines, ""]


CONVERTED = (
    "Text that other tools made of the reports (pdftotext, pdfminer, pypdf, markitdown, LibreOffice, browsers, "
    "tesseract, rapidocr), per converter × set (generated held-out, seed, real) with the rules, the model and the "
    "default, cells right with trusted precision and coverage: [`docs/converted_text.md`](converted_text.md)."
)


def kept_block(page: Path) -> str:
    """The speed table block (``BEGIN`` .. ``END``, written by ``training.bench.speed --table --also``) of an
    existing page, so that a rerun of the accuracy benchmark keeps it; empty when the page has none."""
    old = page.read_text(encoding="utf-8") if page.is_file() else ""
    span = block_span(old)
    return "" if span is None else old[span[0] : span[1]]


def markdown(result: dict[str, Any], speed: list[dict[str, Any]], command: str, kept: str = "") -> str:
    """The benchmark page for :func:`run`'s result (plus ``environment`` and ``load``) and the speed results;
    ``kept``: the speed table block of the page it replaces (``kept_block``)."""
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
        *([kept, ""] if kept else []),
        CONVERTED,
        "",
        *summary_lines(scores, speed),
        *model_section(Path(result.get("model_dir") or default_model_dir())),
        "*rules*: the rules tagger; *model*: the bundled model as `gxie extract` runs it by default (the rules "
        "tagger first, the model for every report the rules do not read completely and consistently). Cells "
        "right: every key of the report's format compared with the gold grid (null and 0 told apart); trusted "
        "right / coverage: of the cells a user may take without review (`Report.trusted_cells`: confidence >= "
        f"0.9 and in no failed check), the share that is right (target {TRUST_TARGET:.1%} on every set), and "
        "their share of all the set's cells; reports all right: reports with every cell right; relations pass: "
        "the report's relation checks that hold. `gold spans` feeds the generator's own labels (carried onto "
        "OCR text by `training.ocr_align`) to "
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
