"""Write a synthetic training corpus to disk.

    python -m training.make_corpus --n 2000 --seed 0 --out data/corpus

writes ``reports.jsonl`` (one record per line, see ``gxie.training.synth.to_records``) and
``summary.json`` (options and counts by template / layout / noise) into ``--out``; ``--dataset`` also
saves a ``datasets.Dataset`` under ``<out>/dataset``. ``--sample DIR`` (re)writes the bundled example
report ``sample_report.txt`` / ``sample_report.json`` instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from gxie.training.synth import AGENCY_POOLS, LAYOUTS, NOISE_LEVELS, generate, to_records
from gxie.training.synth.corpus import records_to_dataset, sample_gold, sample_report

REPORTS_FILE = "reports.jsonl"
SUMMARY_FILE = "summary.json"
DATASET_DIR = "dataset"
SAMPLE_TEXT = "sample_report.txt"
SAMPLE_GOLD = "sample_report.json"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m training.make_corpus", description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=2000, help="number of reports (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", type=Path, help="output folder (created if missing)")
    p.add_argument("--templates", nargs="+", default=["2019", "2021"], help="formats to draw from")
    p.add_argument("--layouts", nargs="+", choices=LAYOUTS, help="layouts to draw from (default: all)")
    p.add_argument("--noise", nargs="+", choices=NOISE_LEVELS, help="noise levels to draw from (default: all)")
    p.add_argument("--agency-pool", choices=AGENCY_POOLS, default="train", help="train or heldout agencies")
    p.add_argument("--workers", type=int, default=2, help="processes generating in parallel (default 2)")
    p.add_argument("--dataset", action="store_true", help="also save a datasets.Dataset under <out>/dataset")
    p.add_argument("--sample", type=Path, metavar="DIR", help="write the bundled example report into DIR")
    return p


def _shard(args: tuple[int, int, dict[str, Any]]) -> list[dict[str, Any]]:
    first, count, options = args
    return to_records(generate(count, first=first, **options))


def write_corpus(out: Path, n: int, seed: int, options: dict[str, Any], workers: int = 1) -> dict[str, Any]:
    """Generate ``n`` reports and write them under ``out``; returns the summary that was written."""
    out.mkdir(parents=True, exist_ok=True)
    opts = {"seed": seed, **options}
    chunk = max(1, min(250, -(-n // max(1, workers))))
    shards = [(first, min(chunk, n - first), opts) for first in range(0, n, chunk)]
    counts: dict[str, Counter[str]] = {k: Counter() for k in ("template", "layout", "noise")}
    flags = Counter[str]()
    chars = 0
    with (out / REPORTS_FILE).open("w", encoding="utf-8") as fh, ProcessPoolExecutor(max(1, workers)) as pool:
        batches = pool.map(_shard, shards) if workers > 1 else map(_shard, shards)
        for batch in batches:  # in shard order, so the file does not depend on ``workers``
            for rec in batch:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                for key, counter in counts.items():
                    counter[rec[key]] += 1
                flags["broken"] += bool(rec["broken"])
                flags["truncated"] += rec["truncated"]
                chars += len(rec["text"])
    summary = {
        "n": n,
        "seed": seed,
        "options": {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()},
        "characters": chars,
        **{k: dict(sorted(v.items())) for k, v in counts.items()},
        **flags,
    }
    (out / SUMMARY_FILE).write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return summary


def write_sample(folder: Path) -> None:
    """(Re)write the bundled example report and its gold into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    report = sample_report()
    (folder / SAMPLE_TEXT).write_text(report.text, encoding="utf-8")
    (folder / SAMPLE_GOLD).write_text(gold_json(sample_gold(report)), encoding="utf-8")


def gold_json(gold: dict[str, Any]) -> str:
    """JSON with one key, span or cell per line (readable and diff-friendly)."""

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = []
    for key, value in gold.items():
        if isinstance(value, dict) and value:
            inner = ",\n".join(f"  {dump(k)}: {dump(v)}" for k, v in value.items())
            lines.append(f" {dump(key)}: {{\n{inner}\n }}")
        elif isinstance(value, list) and value:
            inner = ",\n".join(f"  {dump(v)}" for v in value)
            lines.append(f" {dump(key)}: [\n{inner}\n ]")
        else:
            lines.append(f" {dump(key)}: {dump(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    args = _parser().parse_args(argv)
    if args.sample is not None:
        write_sample(args.sample)
        print(f"wrote {args.sample / SAMPLE_TEXT} and {args.sample / SAMPLE_GOLD}")
        return 0
    if args.out is None:
        print("error: --out is required (the folder to write the corpus into)", file=sys.stderr)
        return 2
    options: dict[str, Any] = {"templates": tuple(args.templates), "agency_pool": args.agency_pool}
    if args.layouts:
        options["layouts"] = tuple(args.layouts)
    if args.noise:
        options["noise_levels"] = tuple(args.noise)
    try:
        summary = write_corpus(args.out, args.n, args.seed, options, args.workers)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.dataset:
        with (args.out / REPORTS_FILE).open(encoding="utf-8") as fh:
            records = [json.loads(line) for line in fh]
        records_to_dataset(records).save_to_disk(str(args.out / DATASET_DIR))
        print(f"saved the dataset to {args.out / DATASET_DIR}")
    print(f"wrote {summary['n']} reports ({summary['characters']:,} characters) to {args.out / REPORTS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
