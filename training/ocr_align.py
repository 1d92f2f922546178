"""Carry the labels of a rendered report over to its OCR text, making OCR-damaged training records.

The OCR text of a rendered synthetic report holds the same characters in nearly the same order as the
text that was rendered, with recognition errors, other separators (tabs for pipes, no NBSP) and
wrapped cells joined. A character alignment (``difflib.SequenceMatcher`` without its junk heuristic)
maps every source character to an OCR character: equal runs one to one, short replaced runs (misread
characters) proportionally, longer replaced runs and deleted characters nowhere. A labelled span is
carried to the OCR text as the range its characters map to, when enough of them map (``MIN_SHARE``),
the range does not cross a tab (a cell never does) and it is not much longer than the source span;
otherwise it is dropped and its characters stay O. A label (not a number) whose range crosses line
breaks, wrapped by the converter, becomes one span per line, as a label split over cells is labelled.
Overlapping results keep the first.

Records come out as gxie.training.data.load_records reads them: ``{"id", "text", "spans": [[s, e,
label]], "template", "layout", "noise", "source"}``.

    python -m training.ocr_align data/ocr_train/*.jsonl --out data/ocr_train_records.jsonl
    python -m training.ocr_align data/convert_train/*.jsonl --out data/convert_records.jsonl \
        --dev data/convert_records_dev.jsonl          # texts of training.convert_corpus --pool train
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from gxie.types import Span

MIN_SHARE = 0.6  # share of a span's characters that must map for the span to be carried
MAX_SUBSTITUTION = 4  # a replaced run up to this long is a misreading, longer ones are different text
MAX_GROWTH = 2.0  # a carried span may be at most this many times (+2 characters) as long as its source
_BREAKS = ("\t", "\n")
SINGLE_LINE = ("NUM", "EMPTY")  # a cell value never wraps: one crossing a line break is dropped
_EDGE = " \u3000\xa0"


def char_map(source: str, target: str) -> list[int]:
    """For each character of ``source`` the index of the ``target`` character it aligns with, or -1.

    Equal runs map one to one; a short replaced run (at most ``MAX_SUBSTITUTION`` characters on either
    side: a misread character or two between matching text) maps proportionally; longer replaced runs,
    where source and OCR text simply differ, and deleted characters map nowhere. Whitespace is left out of
    the alignment (it maps nowhere): converters change it freely, and a ``-layout`` text's runs of spaces
    made the alignment many times slower.
    """
    mapping = [-1] * len(source)
    src = [i for i, c in enumerate(source) if not c.isspace()]
    tgt = [j for j, c in enumerate(target) if not c.isspace()]
    a, b = "".join(source[i] for i in src), "".join(target[j] for j in tgt)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                mapping[src[i1 + k]] = tgt[j1 + k]
        elif tag == "replace" and max(i2 - i1, j2 - j1) <= MAX_SUBSTITUTION:
            n, m = i2 - i1, j2 - j1
            for k in range(n):
                mapping[src[i1 + k]] = tgt[j1 + min(m - 1, k * m // n)]
    return mapping


def carry_spans(
    source: str,
    spans: Iterable[Sequence[Any]],
    target: str,
    *,
    min_share: float = MIN_SHARE,
    mapping: list[int] | None = None,
) -> tuple[list[tuple[int, int, str]], list[tuple[int, int, str]]]:
    """Map ``[start, end, label]`` spans of ``source`` onto ``target``; returns (carried, dropped).
    ``mapping``: ``char_map(source, target)`` when already computed."""
    mapping = char_map(source, target) if mapping is None else mapping
    carried: list[tuple[int, int, str]] = []
    dropped: list[tuple[int, int, str]] = []
    for start, end, label in sorted((int(s), int(e), str(lab)) for s, e, lab in spans):
        hits = [mapping[i] for i in range(start, end) if mapping[i] >= 0 and not source[i].isspace()]
        core = sum(1 for i in range(start, end) if not source[i].isspace())
        a, b = (min(hits), max(hits) + 1) if hits else (0, 0)
        while a < b and target[a] in _EDGE:
            a += 1
        while b > a and target[b - 1] in _EDGE:
            b -= 1
        ok = (
            b > a
            and len(hits) >= min_share * max(core, 1)
            and b - a <= MAX_GROWTH * (end - start) + 2
            and (not carried or a >= carried[-1][1])
        )
        if ok and "\t" not in target[a:b] and "\n" in target[a:b] and label not in SINGLE_LINE:
            pieces = _line_pieces(target, a, b, hits)
            if pieces:
                carried.extend((x, y, label) for x, y in pieces)
                continue
            ok = False
        ok = ok and not any(c in target[a:b] for c in _BREAKS)
        (carried if ok else dropped).append((a, b, label) if ok else (start, end, label))
    return carried, dropped


def carried_labels(record: dict[str, Any]) -> tuple[Span, ...] | None:
    """The generator's labels of a corpus record carried onto its ``text`` (``carry_spans``), as spans; None
    for a record without them (a seed or real report: no ``source_text``)."""
    if "source_text" not in record:
        return None
    text = record["text"]
    carried, _ = carry_spans(record["source_text"], record["source_spans"], text)
    return tuple(Span(a, b, label, text[a:b]) for a, b, label in carried)


def unlabelled_ranges(
    target: str,
    mapping: Sequence[int],
    carried: Sequence[tuple[int, int, str]],
    dropped: Sequence[tuple[int, int, str]],
) -> list[tuple[int, int]]:
    """``[start, end)`` ranges of ``target`` whose tags are unknown: characters no source character maps
    to (text the converter moved, e.g. a table read column by column, or added) and the characters a
    dropped span's characters went to, outside every carried span and whitespace. Training skips the loss
    there instead of teaching ``O`` for a number or label the alignment could not follow.

    >>> unlabelled_ranges("ab 12", [0, 1, 2, -1, -1], [(0, 2, "ROW")], [])
    [(3, 5)]
    """
    hit = [False] * len(target)
    for j in mapping:
        if j >= 0:
            hit[j] = True
    unknown = [not h and not c.isspace() for h, c in zip(hit, target, strict=True)]
    for start, end, _ in dropped:
        targets = [mapping[i] for i in range(start, end) if mapping[i] >= 0]
        if targets and max(targets) + 1 - min(targets) <= MAX_GROWTH * (end - start) + 2:
            for j in range(min(targets), max(targets) + 1):
                unknown[j] = not target[j].isspace()
    for a, b, _ in carried:
        unknown[a:b] = [False] * (b - a)
    ranges: list[tuple[int, int]] = []
    for j, flag in enumerate(unknown):
        if flag and ranges and ranges[-1][1] == j:
            ranges[-1] = (ranges[-1][0], j + 1)
        elif flag:
            ranges.append((j, j + 1))
    return ranges


def _line_pieces(target: str, a: int, b: int, hits: list[int]) -> list[tuple[int, int]]:
    """A label that a converter wrapped over several lines (``本年新收政府`` / ``信息公开申请数量``), as one
    span per line, the way a label split over two cells is labelled: on each line, from the first to the
    last character the label's own characters map to. Empty when some line's piece holds other text (the
    numbers of a row printed beside the wrapped label) or no line is left."""
    pieces: list[tuple[int, int]] = []
    hit = set(hits)
    line_start = a
    while line_start < b:
        line_end = target.find("\n", line_start, b)
        line_end = b if line_end < 0 else line_end
        mine = [i for i in range(line_start, line_end) if i in hit]
        if mine:
            x, y = min(mine), max(mine) + 1
            inner = [i for i in range(x, y) if not target[i].isspace()]
            if sum(1 for i in inner if i in hit) < MIN_SHARE * len(inner) or "\t" in target[x:y]:
                return []
            pieces.append((x, y))
        line_start = line_end + 1
    return pieces


def align_record(record: dict[str, Any]) -> tuple[dict[str, Any], Counter[str]]:
    """One corpus record of training.ocr_corpus (synthetic, with ``source_text``) -> a training record,
    and a count of carried/dropped spans by label (``"NUM carried"``, ``"NUM dropped"`` ...)."""
    if "source_text" not in record:
        raise ValueError(
            f"record {record.get('id')!r} has no source_text/source_spans (a real seed report?); only "
            "synthetic records of training.ocr_corpus carry labels"
        )
    mapping = char_map(record["source_text"], record["text"])
    carried, dropped = carry_spans(record["source_text"], record["source_spans"], record["text"], mapping=mapping)
    counts: Counter[str] = Counter()
    counts.update(f"{lab} carried" for _, _, lab in carried)
    counts.update(f"{lab} dropped" for _, _, lab in dropped)
    out = {
        "id": record["id"],
        "text": record["text"],
        "spans": [[a, b, lab] for a, b, lab in carried],
        "unlabelled": [[a, b] for a, b in unlabelled_ranges(record["text"], mapping, carried, dropped)],
        "template": record.get("template", ""),
        "layout": record.get("layout", ""),
        "noise": record.get("converter") or f"ocr_{record.get('level', '')}",
        "source": "converted" if "converter" in record else "ocr",
    }
    return out, counts


def align_files(paths: Sequence[Path], out: Path, dev: Path | None = None, dev_every: int = 10) -> Counter[str]:
    """Align every synthetic record of the corpus files ``paths`` into one JSON Lines file ``out``; with
    ``dev``, the records of one source report in ``dev_every`` (chosen by a hash of its id, so every
    converter's text of a report goes to the same file) go to ``dev`` instead."""
    if dev_every < 2:
        raise ValueError(f"dev_every must be 2 or more (one report in dev_every goes to dev), got {dev_every}")
    totals: Counter[str] = Counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh, (dev or Path(os.devnull)).open("w", encoding="utf-8") as dh:
        for path in paths:
            for line in path.read_text(encoding="utf-8").splitlines():
                rec = json.loads(line) if line.strip() else None
                if not rec or rec.get("set") != "synth":
                    continue
                aligned, counts = align_record(rec)
                to_dev = dev is not None and zlib.crc32(str(rec["id"]).encode()) % dev_every == 0
                totals.update(counts)
                totals["dev records" if to_dev else "records"] += 1
                (dh if to_dev else fh).write(json.dumps(aligned, ensure_ascii=False) + "\n")
    return totals


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus", type=Path, nargs="+", help="<level>.jsonl files of training.ocr_corpus")
    p.add_argument("--out", type=Path, required=True, help="JSON Lines file of training records")
    p.add_argument("--dev", type=Path, help="JSON Lines file for the records of every --dev-every'th report")
    p.add_argument("--dev-every", type=int, default=10)
    args = p.parse_args(argv)
    totals = align_files(args.corpus, args.out, args.dev, args.dev_every)
    labels = sorted({k.split()[0] for k in totals if " " in k and k != "dev records"})
    print(f"{totals['records']} records -> {args.out}")
    if args.dev is not None:
        print(f"{totals['dev records']} records -> {args.dev}")
    for lab in labels:
        kept, lost = totals[f"{lab} carried"], totals[f"{lab} dropped"]
        print(f"{lab}: {kept} carried, {lost} dropped ({kept / max(1, kept + lost):.1%} kept)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
