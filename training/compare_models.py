"""Two tagger models side by side: cells right, trusted precision and coverage per set, on the accuracy
benchmark's generated sets (clean per layout family, noisy per level; held-out agencies), the seed reports
and, with ``--convert``, the converted-text corpus per converter (training.convert_corpus, held out).

Columns: the rules tagger; each model alone (every report through the model, ``rules_first=False``); the
new model as ``gxie extract`` runs it by default (rules first, the model for the reports they do not
settle). Trusted cells: confidence >= 0.9 and outside every failed check (training.bench.score.Score).

    python -m training.compare_models --old /tmp/old-model --new models/default --n 20 \\
        --convert data/convert --out docs/model_comparison.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from gxie.pipeline import get_tagger, run
from training.bench.score import Score, pooled
from training.bench.sets import HELDOUT_SEED, Case, noise_sets, seed_set, synth_sets
from training.convert_bench import precision
from training.convert_corpus import read_corpus

REPO = Path(__file__).resolve().parent.parent


def converted_sets(corpus: Path) -> dict[str, list[Case]]:
    """The converted-text corpus as one set per converter (every record: synthetic, seed and real)."""
    return {
        f"converted, {name}": [Case(r["id"], r["text"], r["flat"]) for r in records]
        for name, records in read_corpus(corpus).items()
    }


def columns(old: Path, new: Path) -> list[tuple[str, object, bool]]:
    """(column name, tagger, rules first) of the comparison."""
    return [
        ("rules", get_tagger("rules"), False),
        (f"old model ({old.name}) alone", get_tagger("model", model=old), False),
        (f"new model ({new.name}) alone", get_tagger("model", model=new), False),
        ("new model, default (rules first)", get_tagger("model", model=new), True),
    ]


def compare(sets: dict[str, list[Case]], cols: Sequence[tuple[str, object, bool]]) -> dict[str, dict[str, Score]]:
    """``{set: {column: Score}}``; each text read from a ``.txt`` file, as a user holding it would (HTML
    saved as text is read as HTML)."""
    out: dict[str, dict[str, Score]] = {}
    with tempfile.TemporaryDirectory(prefix="gxie-compare-") as folder:
        tmp = Path(folder)
        for name, cases in sets.items():
            out[name] = _compare_set(tmp / f"{len(out):02d}", cases, cols)
            print(f"{name}: " + ", ".join(f"{c} {t.accuracy:.4f}" for c, t in out[name].items()), file=sys.stderr)
    return out


def _compare_set(folder: Path, cases: Sequence[Case], cols: Sequence[tuple[str, object, bool]]) -> dict[str, Score]:
    """Each column's tally on ``cases``, every text saved in ``folder`` and read from there."""
    folder.mkdir()
    docs = []
    for i, case in enumerate(cases):
        path = folder / f"{i:04d}.txt"
        path.write_text(case.text, encoding="utf-8")
        docs.append(path)
    out: dict[str, Score] = {}
    for col, tagger, first in cols:
        tally = Score()
        for case, e in zip(cases, run(docs, tagger=tagger, rules_first=first), strict=True):  # type: ignore[arg-type]
            tally.add(e.report, case.flat)
        out[col] = tally
    return out


def markdown(results: dict[str, dict[str, Score]], command: str) -> str:
    cols = list(next(iter(results.values())))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        "# Two models side by side",
        "",
        f"Command: `{command}`  ",
        f"Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M UTC}; load average at the end: {load}.",
        "",
        "Cells right (trusted precision / coverage: cells with confidence >= 0.9 outside every failed check).",
        "",
        "| set | reports | " + " | ".join(cols) + " |",
        "|---|---|" + "---|" * len(cols),
    ]
    groups = {
        "generated, clean, every layout (pooled)": [
            k for k in results if k.startswith("text: synthetic ") and "noise" not in k
        ],
        "generated, noisy (pooled)": [k for k in results if k.startswith("text: synthetic noise")],
        "converted text (pooled)": [k for k in results if k.startswith("converted")],
    }
    rows = list(results.items()) + [
        (g, {c: pooled(results[k][c] for k in keys) for c in cols}) for g, keys in groups.items() if keys
    ]
    for name, by in rows:
        cells = [f"{t.accuracy:.4f} ({100 * precision(t):.1f}% / {100 * t.coverage:.1f}%)" for t in by.values()]
        lines.append(f"| {name} | {next(iter(by.values())).reports} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.compare_models", description=__doc__.split("\n\n")[0])
    p.add_argument("--old", type=Path, required=True, help="model directory to compare against")
    p.add_argument("--new", type=Path, default=REPO / "models" / "default")
    p.add_argument("--n", type=int, default=20, help="generated reports per layout family and noise level")
    p.add_argument("--seed", type=int, default=HELDOUT_SEED)
    p.add_argument("--seeds-dir", type=Path, default=REPO.parent / "shared" / "seeds")
    p.add_argument("--convert", type=Path, help="a training.convert_corpus folder (held-out agencies)")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    sets = {**synth_sets(args.n, args.seed), **noise_sets(args.n, args.seed)}
    if args.seeds_dir.is_dir():
        sets.update(seed_set(args.seeds_dir))
    if args.convert is not None:
        sets.update(converted_sets(args.convert))
    command = "python -m training.compare_models " + " ".join(argv if argv is not None else sys.argv[1:])
    page = markdown(compare(sets, columns(args.old, args.new)), command)
    if args.out is None:
        sys.stdout.write(page)
    else:
        args.out.write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
