"""Row labels in the item stream -> row hits: which template row each label is, where its values are.

Split labels (``一、`` + ``本年新收…``) and wrapped labels (a second line that continues the first) are
merged; group labels (``（三）不予公开``) are kept as boundaries; local extra rows are recognised so their
numbers are not taken for a neighbour's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from gxie.confidence import MIN_ROW_SCORE, STARTS_NEW_ROW
from gxie.templates.lexicon import Match, label_core, match_label, numbering, split_label
from gxie.text.cells import Item

BOUNDARY_KINDS = {"ROW", "SEC", "CAP", "COL"}
_CJK = re.compile(r"[\u4e00-\u9fff]{2}")  # two Chinese characters: text, not a number or a mark
VALUE_KINDS = {"NUM", "EMPTY", "BLANK"}
SECTION2_ROWS = {
    "regulations",
    "normative_documents",
    "licensing",
    "other_admin_services",
    "punishment",
    "coercion",
    "fees",
    "procurement",
}


@dataclass(frozen=True)
class RowHit:
    """One row label found in the text."""

    kind: str  # "row" | "group" | "extra" | "unknown"
    table: str  # "section2" | "section3" | "" (groups, extras, unknown)
    row: str  # row id (or group/extra id)
    index: int  # index of the label's item (its values are looked for from here)
    first: int  # index of the label's first item (a split-off numbering "一、" comes first)
    start: int
    end: int
    text: str
    score: float
    continuations: tuple[int, ...] = ()  # items that only wrap the label onto further lines


def _best(text: str) -> Match | None:
    found = match_label(text, ("row", "group", "extra"))
    found = [m for m in found if m.entry.table != "section4"]
    return found[0] if found else None


def split_rows(stream: list[Item]) -> list[Item]:
    """The stream with ROW items that hold two labels (``（三）不予公开 1.属于国家秘密``) split in two."""
    out: list[Item] = []
    for it in stream:
        pieces = split_label(it.text) if it.kind == "ROW" else [(0, len(it.text))]
        if len(pieces) == 1:
            out.append(it)
            continue
        for a, b in pieces:
            out.append(Item("ROW", it.start + a, it.start + b, it.text[a:b], it.line, it.score))
    return out


def unwrap(stream: list[Item], hits: list[RowHit]) -> list[Item]:
    """The stream with label continuations turned into plain text, so they bound no value run."""
    cont = {i for h in hits for i in h.continuations}
    return [replace(x, kind="OTHER") if i in cont else x for i, x in enumerate(stream)]


def find_rows(stream: list[Item]) -> list[RowHit]:
    """Row hits in text order, split and wrapped labels merged (continuations listed on the hit)."""
    hits: list[RowHit] = []
    pending: int | None = None  # index of a bare numbering item ("一、") waiting for its label
    for i, it in enumerate(stream):
        if it.kind != "ROW":
            if it.kind not in ("BLANK", "OTHER"):
                pending = None
            continue
        core = label_core(it.text)
        if not core:
            pending = i
            continue
        first = pending if pending is not None else i
        pending = None
        m = _best(it.text)
        prev = hits[-1] if hits else None
        if prev is not None and _continues(prev, it, stream, i):
            hits[-1] = RowHit(
                prev.kind,
                prev.table,
                prev.row,
                prev.index,
                prev.first,
                prev.start,
                it.end,
                prev.text + it.text,
                prev.score,
                (*prev.continuations, i),
            )
            continue
        if m is None or m.score < MIN_ROW_SCORE:
            hits.append(RowHit("unknown", "", core, i, first, stream[first].start, it.end, it.text, 0.0))
            continue
        e = m.entry
        table = e.table if e.kind == "row" else ""
        hits.append(RowHit(e.kind, table, e.id, i, first, stream[first].start, it.end, it.text, m.score))
    return hits


def _continues(prev: RowHit, it: Item, stream: list[Item], i: int) -> bool:
    """A wrapped label: this ROW item completes the previous label rather than starting a row."""
    if prev.kind not in ("row", "group"):
        return False
    last_at = (prev.continuations or (prev.index,))[-1]  # the label's last item
    last, between = stream[last_at], stream[last_at + 1 : i]
    if any(x.kind in BOUNDARY_KINDS for x in between):
        return False
    if any(x.kind in VALUE_KINDS and x.kind != "BLANK" and last.line < x.line < it.line for x in between):
        return False  # a value on a line of its own between them: the row's value, then the next row's label
    core = label_core(it.text)
    m = _best(it.text)
    if numbering(it.text) or (m is not None and m.score >= STARTS_NEW_ROW):
        return False
    joined = label_core(prev.text + it.text)
    whole = _best(prev.text + it.text)
    alone = label_core(prev.text)
    return bool(core) and whole is not None and whole.entry.id == prev.row and len(joined) > len(alone)


def text_before_values(stream: list[Item], hit: RowHit, run: list[Item]) -> bool:
    """Between the label of ``hit`` and the first value of its ``run`` (on a later line) stand something
    the tagger could not read as a value, beside the label or after it, and then a line of other text that
    is not the label's continuation: the row's own cell was unreadable (an OCR'd ``I`` or ``l`` for 1) and
    the value after the text is the next row's, whose label the tagger did not know
    (``行政强制 / I / 行政检查 / 0``, ``行政强制  l`` / ``行政征收  0``)."""
    if not run or run[0].line == stream[hit.index].line:
        return False
    own, line = set(hit.continuations), stream[hit.index].line
    unread = False
    for j in range(hit.index + 1, len(stream)):
        x = stream[j]
        if x.start >= run[0].start:
            return False
        if x.kind != "OTHER" or j in own:
            continue
        if _CJK.search(x.text):
            if unread and x.line > line:
                return True
        elif x.text.strip():
            unread = True  # on the label's line too (``行政强制  l``)
    return False


def values_between(stream: list[Item], lo: int, hi: int) -> list[Item]:
    """Value-like items (NUM, EMPTY, BLANK) of ``stream[lo:hi]``; OTHER text is skipped."""
    return [it for it in stream[lo:hi] if it.kind in VALUE_KINDS]


def next_boundary(stream: list[Item], i: int, stop_at_col: bool = True) -> int:
    """Index of the first item after ``i`` that ends a row's value run."""
    kinds = BOUNDARY_KINDS if stop_at_col else BOUNDARY_KINDS - {"COL"}
    for j in range(i + 1, len(stream)):
        if stream[j].kind in kinds:
            return j
    return len(stream)


def prev_boundary(stream: list[Item], i: int) -> int:
    """Index of the last item before ``i`` that ends a value run (-1 for none)."""
    for j in range(i - 1, -1, -1):
        if stream[j].kind in BOUNDARY_KINDS:
            return j
    return -1
