"""The converted-text benchmark: cells right, trusted precision and coverage per converter, model vs rules.

Reads a corpus built by ``training.convert_corpus`` (one JSON Lines file per converter). Each record's
text is saved as a ``.txt`` file, as a user holding a converter's output would have it, and extracted
with each tagger: ``rules``, ``model`` (the model on every report) and ``default`` (what ``gxie extract``
does: the rules first, the model for every report they do not settle). Per converter and set (synthetic
held-out, seed, real):

- cells right: every key of the gold grid, the value found equal to the gold one (null and 0 told apart);
- trusted cells: cells given with confidence >= ``TRUST_CONFIDENCE`` and outside every failed check, the
  ones a user may take without review; *precision* is the share of them that is right, *coverage* the
  share of all gold cells that they are;
- a calibration table: confidence bins against accuracy, over every cell found.

``--taggers ... gold`` adds a column fed the generator's own labels, carried onto each converted text by
``training.ocr_align`` (generated reports only; the seed and real reports have no such labels, ``-``):
what a perfect tagger would get from that text, the rest being the grid decoder's and the text's. A row
pools the generated reports of every converter, so that the three taggers and gold compare on one set.
``--taggers ... original`` adds the generator's own text of the same reports, before any document or
converter, read with the rules tagger (generated reports only): what the report itself lets gxie read, so
that a converter's row shows what the converter lost (a layout that drops its blank cells, ``pdf_text``,
lost them before any converter ran).

    python -m training.convert_bench --corpus data/convert                 # markdown on stdout
    python -m training.convert_bench --corpus data/convert --out docs/converted_text.md
    python -m training.convert_bench --corpus data/convert data/convert_ocr --taggers rules default  # pooled

With several ``--corpus`` folders the table holds every converter of each, a pooled row per folder and
one over all of them (the whole converted-text set, model against rules).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from gxie.confidence import TRUSTED
from training.bench.score import Score, pooled

TRUST_CONFIDENCE = TRUSTED  # the published rule: Report.trusted_cells
TAGGERS = ("rules", "model", "default")  # model: the model alone; default: rules first, the model for the rest
GOLD = "gold"  # the generator's labels carried onto the text: a perfect tagger (generated reports only)
ORIGINAL = "original"  # the generator's own text, no converter, the rules tagger (generated reports only)
REFERENCES = (GOLD, ORIGINAL)  # columns only the generated reports have
BINS = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 0.95), (0.95, 1.01))


def score(report: Any, gold: dict[str, Any]) -> Score:
    """One report against its gold grid (``training.bench.score.Score``: cells right, trusted cells, and
    each cell's confidence with whether it is right)."""
    out = Score()
    out.add(report, gold)
    return out


def precision(score: Score) -> float:
    """Trusted precision, 100% where no cell is trusted (nothing a user takes is wrong)."""
    p = score.trusted_precision
    return 1.0 if p is None else p


def run(corpus: dict[str, list[dict[str, Any]]], taggers: Sequence[str]) -> dict[tuple[str, str, str], Score]:
    """``{(converter, set, tagger): Score}`` over every record, each text extracted from a .txt file."""
    from gxie import extract_many

    out: dict[tuple[str, str, str], Score] = {}
    total = sum(len(records) for records in corpus.values()) * len(taggers)
    done, started = 0, time.perf_counter()
    originals: dict[str, Any] = {}  # report id -> its original text's report (the same for every converter)
    with tempfile.TemporaryDirectory(prefix="gxie-convbench-") as tmp:
        for converter, records in corpus.items():
            paths = []
            for i, record in enumerate(records):
                path = Path(tmp) / f"{converter}-{i:04d}.txt"
                path.write_text(record["text"], encoding="utf-8")
                paths.append(path)
            for tagger in taggers:
                reports: Iterable[Any]
                if tagger == GOLD:
                    reports = gold_reports(records, paths)
                elif tagger == ORIGINAL:
                    reports = original_reports(records, Path(tmp), originals)
                else:
                    name, first = ("model", True) if tagger == "default" else (tagger, False)
                    reports = extract_many(paths, tagger=name, rules_first=first)
                for record, report in zip(records, reports, strict=True):
                    if report is not None:
                        key = (converter, record["set"], tagger)
                        out.setdefault(key, Score()).add(report, record["flat"])
                done += len(records)
                elapsed = time.perf_counter() - started
                print(f"[{done}/{total}] {converter} {tagger} ({elapsed:.0f} s)", file=sys.stderr, flush=True)
    return out


def gold_reports(records: Sequence[dict[str, Any]], paths: Sequence[Path]) -> list[Any]:
    """Each record's report read with the generator's own labels carried onto its text (None for a record
    without them: a seed or real report): the grid rebuild as a perfect tagger would feed it."""
    from gxie.pipeline import finish, get_tagger, prepare
    from training.bench.score import on_normalized
    from training.ocr_align import carried_labels

    oracle = get_tagger("rules")
    out: list[Any] = []
    for record, path in zip(records, paths, strict=True):
        spans = carried_labels(record)
        if spans is None:
            out.append(None)
            continue
        prepared = prepare(path)
        out.append(finish(prepared, on_normalized(prepared, spans), oracle))
    return out


def original_reports(records: Sequence[dict[str, Any]], folder: Path, done: dict[str, Any]) -> list[Any]:
    """Each generated record's original text (the generator's, before any document or converter) read with
    the rules tagger, once per report id (``done``); None for a record without one (a seed or real report)."""
    from gxie import extract

    out: list[Any] = []
    for record in records:
        source = record.get("source_text")
        if source is None:
            out.append(None)
            continue
        if record["id"] not in done:
            path = folder / f"original-{len(done):04d}.txt"
            path.write_text(source, encoding="utf-8")
            done[record["id"]] = extract(path, tagger="rules")
        out.append(done[record["id"]])
    return out


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def tables(
    results: dict[tuple[str, str, str], Score], taggers: Sequence[str], groups: dict[str, list[str]] | None = None
) -> list[str]:
    """The markdown tables: per converter × set, pooled per group of converters (``groups``: a name and its
    converters, e.g. one per corpus folder, when there are several) and over all, calibration."""
    converters = list(dict.fromkeys(k[0] for k in results))
    sets = list(dict.fromkeys(k[1] for k in results))
    head = ["converter", "set", "reports"]
    for t in taggers:
        head += [f"{t}: cells right", f"{t}: trusted precision", f"{t}: trusted coverage"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def row(name: str, subset: str, parts: dict[str, Score]) -> str:
        first = next(iter(parts.values()))
        cells = [name, subset, str(first.reports)]
        for t in taggers:
            tally = parts.get(t)
            cells += (
                ["-"] * 3 if tally is None else [_pct(tally.accuracy), _pct(precision(tally)), _pct(tally.coverage)]
            )
        return "| " + " | ".join(cells) + " |"

    def pool(keys: list[tuple[str, str]]) -> dict[str, Score]:
        """The taggers' tallies over ``keys`` (converter, set); gold only where every key has it."""
        out = {}
        for t in taggers:
            have = [results[(c, s, t)] for c, s in keys if (c, s, t) in results]
            if have and (t not in REFERENCES or len(have) == len(keys)):
                out[t] = pooled(have)
        return out

    plain = [t for t in taggers if t not in REFERENCES]
    for conv in converters:
        for subset in sets:
            parts = {t: results[(conv, subset, t)] for t in taggers if (conv, subset, t) in results}
            if all(t in parts for t in plain):
                lines.append(row(conv, subset, parts))
    keys = list(dict.fromkeys((k[0], k[1]) for k in results))
    per_folder = groups if groups is not None and len(groups) > 1 else {}
    for name, members in per_folder.items():
        lines.append(row(f"**{name}**", "all", pool([k for k in keys if k[0] in members])))
    if any(t in REFERENCES for t in taggers) and any(k[1] == "synth" for k in keys):
        lines.append(row("**generated reports, all converters**", "synth", pool([k for k in keys if k[1] == "synth"])))
    lines.append(row("**all converters**", "all", pool(keys)))
    lines += ["", "Calibration (every cell found, all converters pooled):", ""]
    lines += ["| confidence | " + " | ".join(f"{t}: cells | {t}: right" for t in taggers) + " |"]
    lines.append("|---|" + "---|---|" * len(taggers))
    for lo, hi in BINS:
        cells = [f"[{lo:.2f}, {min(hi, 1.0):.2f}{']' if hi > 1 else ')'}"]
        for t in taggers:
            found = [
                ok
                for tally in (v for k, v in results.items() if k[2] == t)
                for c, ok in tally.confidence
                if lo <= c < hi
            ]
            cells += [str(len(found)), _pct(sum(found) / len(found)) if found else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Verdicts that the report itself does not add up (a relation failing on cells all read surely: "
        "`source_inconsistency`), against the gold grid, all converters pooled:",
        "",
        "| tagger | verdicts | the gold grid breaks it too | gxie misread a report that adds up |",
        "|---|---|---|---|",
    ]
    for t in taggers:
        tally = pooled(v for k, v in results.items() if k[2] == t)
        lines.append(f"| {t} | {tally.verdicts} | {tally.verdicts_right} | {tally.verdicts - tally.verdicts_right} |")
    return lines


def markdown(
    results: dict[tuple[str, str, str], Score],
    taggers: Sequence[str],
    command: str,
    groups: dict[str, list[str]] | None = None,
) -> str:
    """The whole page."""
    load = os.getloadavg()
    return "\n".join(
        [
            "# Converted text: reports as other tools turned them into text",
            "",
            f"Command: `{command}`  ",
            f"Load average (1 min) at the end: {load[0]:.2f}; a cell is *trusted* when its confidence is >= "
            f"{TRUST_CONFIDENCE} and no failed check involves it.",
            "",
            *tables(results, taggers, groups),
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    from training.convert_corpus import read_corpus

    parser = argparse.ArgumentParser(prog="python -m training.convert_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus", type=Path, nargs="+", required=True, help="folders built by training.convert_corpus"
    )
    parser.add_argument("--out", type=Path, help="write the markdown here (default: stdout)")
    parser.add_argument(
        "--taggers",
        nargs="+",
        choices=(*TAGGERS, *REFERENCES),
        default=list(TAGGERS),
        help=f"{GOLD}: a perfect tagger; {ORIGINAL}: the generator's own text, no converter",
    )
    parser.add_argument("--converters", nargs="+", help="only these converters")
    args = parser.parse_args(argv)
    corpus: dict[str, list[dict[str, Any]]] = {}
    groups: dict[str, list[str]] = {}
    for folder in args.corpus:
        found = read_corpus(folder)
        if not found:
            parser.error(
                f"--corpus {folder}: no converter files there; build them with python -m "
                f"training.convert_corpus --out {folder}, or leave that folder out"
            )
        if args.converters:
            found = {k: v for k, v in found.items() if k in args.converters}
        for converter, records in found.items():
            corpus.setdefault(converter, []).extend(records)
        if found:
            groups[f"all of {folder}"] = list(found)
    if not corpus:
        parser.error(f"--converters {' '.join(args.converters)}: none of them in the --corpus folders")
    command = "python -m training.convert_bench " + " ".join(argv if argv is not None else sys.argv[1:])
    page = markdown(run(corpus, args.taggers), args.taggers, command, groups)
    if args.out:
        args.out.write_text(page, encoding="utf-8")
    else:
        print(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
