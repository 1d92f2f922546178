"""Do faster inference settings change what gxie extracts? Each setting against the torch fp32 reference.

Settings: the ONNX graph in fp32 and int8 (``model.int8.onnx``), the cascade (prose skips the model,
gxie.tagging.cascade) and other strides. Sets: the real seed reports and the accuracy benchmark's
generated sets (clean reports per layout family, noisy reports per noise level, agencies held out; the
sets of ``training.bench`` with the same ``--n`` and ``--seed``). For each setting and set: characters
tagged differently from the reference, reports whose extracted output differs (any value of
``to_flat()``, the status, the sections, a check), cells whose confidence moved by more than 0.01, and
cell accuracy against the gold grids. CPU model and load average are printed with the table.

    python -m training.inference_check --n 20                 # prints a markdown table
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HELDOUT_SEED = 90_001


@dataclass
class Case:
    id: str
    text: str
    flat: dict[str, Any]


@dataclass
class Tally:
    tags_differ: int = 0
    chars: int = 0
    reports_differ: int = 0
    reports: int = 0
    confidence_moved: int = 0
    cells: int = 0
    right: int = 0
    seconds: float = 0.0
    examples: list[str] = field(default_factory=list)


def cpu_model() -> str:
    """The CPU model name (``/proc/cpuinfo``), or the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_line() -> str:
    """CPU model, cores and the load averages now (1, 5, 15 minutes)."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"CPU: {cpu_model()}, {os.cpu_count()} cores; load average {load}"


def benchmark_sets(n: int, seed: int, seeds_dir: Path) -> dict[str, list[Case]]:
    """The seed reports with their gold grids and the generated benchmark sets of training.bench."""
    from gxie.training.synth import LAYOUT_FAMILIES, NOISE_LEVELS, generate

    sets: dict[str, list[Case]] = {}
    seeds = []
    for gold_path in sorted((REPO / "tests" / "gold").glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        if (seeds_dir / gold["file"]).is_file():
            seeds.append(Case(gold_path.stem, (seeds_dir / gold["file"]).read_text(encoding="utf-8"), gold["flat"]))
    if seeds:
        sets["seed reports"] = seeds
    for layout in LAYOUT_FAMILIES:
        reports = generate(n, seed, layouts=(layout,), noise_levels=("clean",), agency_pool="heldout")
        sets[f"synthetic {layout}"] = [Case(r.id, r.text, dict(r.flat)) for r in reports]
    for level in NOISE_LEVELS:
        if level != "clean":
            reports = generate(n, seed, noise_levels=(level,), agency_pool="heldout")
            sets[f"synthetic noise {level}"] = [Case(r.id, r.text, dict(r.flat)) for r in reports]
    return sets


def _output(report: Any) -> tuple[Any, ...]:
    """What a user gets from a report, confidences aside."""
    return (
        report.status,
        report.template,
        tuple(report.to_flat().items()),
        tuple((s.id, s.title, s.span) for s in report.sections),
        tuple((c.rule, c.scope, c.passed) for c in report.checks),
        tuple((c.key, c.raw, c.span) for c in report.cells),
    )


def check(settings: dict[str, Any], sets: dict[str, list[Case]], reference: str) -> dict[str, dict[str, Tally]]:
    """Tally each setting on each set against ``settings[reference]`` (see the module docstring)."""
    from gxie.pipeline import Prepared, finish
    from gxie.text.normalize import normalize
    from gxie.types import Document

    out: dict[str, dict[str, Tally]] = {}
    for set_name, cases in sets.items():
        prepared = [Prepared(c.id, Document(c.text, c.id, "text"), normalize(c.text), c.id) for c in cases]
        texts = [p.normalized.text for p in prepared]
        results: dict[str, tuple[list[Any], list[Any], float]] = {}
        for name, tagger in settings.items():
            start = time.process_time()
            predictions = tagger.predict(texts)
            spent = time.process_time() - start
            spans = tagger.tag_many(texts)
            reports = [finish(p, s, tagger) for p, s in zip(prepared, spans, strict=True)]
            results[name] = (predictions, reports, spent)
        ref_pred, ref_reports, _ = results[reference]
        for name, (pred, reports, spent) in results.items():
            t = out.setdefault(name, {}).setdefault(set_name, Tally())
            t.seconds += spent
            for case, a, b, ra, rb in zip(cases, ref_pred, pred, ref_reports, reports, strict=True):
                t.chars += len(a[0])
                t.tags_differ += sum(x != y for x, y in zip(a[0], b[0], strict=True))
                t.reports += 1
                if _output(ra) != _output(rb):
                    t.reports_differ += 1
                    if len(t.examples) < 3:
                        flat_a, flat_b = ra.to_flat(), rb.to_flat()
                        keys = [k for k in flat_a if flat_a[k] != flat_b.get(k)]
                        t.examples.append(f"{case.id}: {keys[:4] or 'sections/checks/spans'}")
                conf_a = {c.key: c.confidence for c in ra.cells}
                t.confidence_moved += sum(abs(conf_a.get(c.key, -1.0) - c.confidence) > 0.01 for c in rb.cells)
                flat = rb.to_flat()
                for key, gold in case.flat.items():
                    t.cells += 1
                    t.right += flat.get(key) == gold and type(flat.get(key)) is type(gold)
    return out


def table(result: dict[str, dict[str, Tally]], sets: Sequence[str]) -> list[str]:
    """One markdown row per setting, pooled over ``sets``, and a line per set for settings that differ."""
    lines = [
        "| setting | tags differing | reports with a different output | confidences moved > 0.01 | cell accuracy | "
        "CPU s tagging |",
        "|---|---|---|---|---|---|",
    ]
    for name, by_set in result.items():
        pooled = Tally()
        for s in sets:
            t = by_set[s]
            for f in ("tags_differ", "chars", "reports_differ", "reports", "confidence_moved", "cells", "right"):
                setattr(pooled, f, getattr(pooled, f) + getattr(t, f))
            pooled.seconds += t.seconds
        lines.append(
            f"| {name} | {pooled.tags_differ:,} of {pooled.chars:,} | {pooled.reports_differ} of {pooled.reports} | "
            f"{pooled.confidence_moved} | {pooled.right / max(1, pooled.cells):.4f} | {pooled.seconds:.1f} |"
        )
    notes = [
        f"- {name}, {s}: {t.reports_differ} report(s) differ ({'; '.join(t.examples)})"
        for name, by_set in result.items()
        for s, t in by_set.items()
        if t.reports_differ
    ]
    return [*lines, "", *notes]


def settings_of(names: Sequence[str], model_dir: Path) -> dict[str, Any]:
    """Taggers for the named settings: ``torch``, ``onnx``, ``int8``, ``+cascade``, ``@STRIDE`` combined,
    e.g. ``int8+cascade@448``."""
    from gxie.tagging.onnx import OnnxTagger

    out: dict[str, Any] = {}
    for name in names:
        base, _, stride_text = name.partition("@")
        kind, *flags = base.split("+")
        cascade = "cascade" in flags
        stride = int(stride_text) if stride_text else None
        if kind == "torch":
            from gxie.tagging.model import ModelTagger

            tagger: Any = ModelTagger.from_pretrained(model_dir, device="cpu", quantize=False)
            tagger.cascade = cascade
            if stride:
                tagger.stride = stride
        elif kind in ("onnx", "int8"):
            tagger = OnnxTagger(model_dir, device="cpu", quantize=kind == "int8", cascade=cascade)
            if stride:
                tagger.stride = stride
        else:
            raise SystemExit(f"unknown setting {name!r}: use torch, onnx or int8, then +cascade, then @STRIDE")
        out[name] = tagger
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="generated reports per set (training.bench --n)")
    parser.add_argument("--seed", type=int, default=HELDOUT_SEED)
    parser.add_argument("--seeds-dir", type=Path, default=REPO.parent / "shared" / "seeds")
    parser.add_argument("--model", type=Path, default=None, help="model directory (default: the bundled one)")
    parser.add_argument(
        "--settings",
        nargs="+",
        default=["torch", "onnx", "int8", "onnx+cascade", "int8+cascade", "onnx@448", "int8+cascade@448"],
    )
    args = parser.parse_args(argv)
    import torch

    from gxie.pipeline import default_model_dir

    torch.set_num_threads(1)
    print(machine_line())
    sets = benchmark_sets(args.n, args.seed, args.seeds_dir)
    settings = settings_of(args.settings, args.model or default_model_dir())
    result = check(settings, sets, reference=args.settings[0])
    print(f"reference: {args.settings[0]}; {sum(map(len, sets.values()))} reports in {len(sets)} sets, --n {args.n}")
    print("\n".join(table(result, list(sets))))
    print(machine_line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
