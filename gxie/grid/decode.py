"""The grid rebuild as one constrained decoding per table: candidates -> the format's rows and columns.

A table's candidates (``gxie.grid.candidates``) are aligned with its rows or its columns under each
mode (``gxie.grid.align``: numbers after their labels, before them, or as a block), and again with ruling
lines read as ``1`` taken out. Each alignment becomes a *reading*: its runs placed in their slots (a
short run by its row's total, or split where digits ran together), scored by the alignment plus the
arithmetic relations R1-R3 and R5 (``gxie.validate``) as soft constraints. The best reading wins; a cell
on which readings scoring close to it disagree gets a low confidence, and so does a cell whose run was
placed by the format's order alone where values were left over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import combinations, pairwise

from gxie.confidence import (
    DECODED_ANCHORED as ANCHORED,
)
from gxie.confidence import (
    DECODED_BLANK_ROW as BLANK_ROW,
)
from gxie.confidence import (
    DECODED_DOUBTFUL as DOUBTFUL,
)
from gxie.confidence import (
    DECODED_GLUED as GLUED,
)
from gxie.confidence import (
    DECODED_IN_ORDER as IN_ORDER,
)
from gxie.confidence import (
    DECODED_SETTLED as SETTLED,
)
from gxie.confidence import (
    DECODED_SHORT_RUN as SHORT_RUN,
)
from gxie.confidence import (
    DECODED_UNLABELLED as UNLABELLED,
)
from gxie.grid.align import MODES, Aligner, Group, Run, groups
from gxie.grid.assign import _place_dense, cell_of
from gxie.grid.candidates import EMPTY_MARKS, OCR_ONES, Token, column_blocks
from gxie.grid.values import parse_number
from gxie.templates import Relation, Template
from gxie.text.cells import Item
from gxie.types import Cell, Check
from gxie.validate import RowTally, run_checks, touching

# Ranking of readings.
REL_PASS = 0.5  # a relation that holds under the reading
REL_FAIL = 2.0  # a relation that fails under the reading
MARGIN = 1.0  # readings within this of the best are rivals: cells they disagree on are doubtful
# Cell confidences (times the value token's own score).
MAX_GLUED_DIGITS = 9  # longest digit run tried as several cells run together
ROW_RULES = ("section3", "section4")  # tables whose rows have their own relation (R2, R5)
RULING_ONES = OCR_ONES | {"1"}  # what a ruling line between two cells is read as
LOOKALIKE_LETTERS = frozenset("oOlI〇")  # letters OCR reads digits as
STRONG_HEADER = 0.8  # a column label matching this well heads a column block (``_column_blocks``)
STRONG_LABEL = 0.8  # a row label matching this well names its row (``_beside_other_label``)


@dataclass
class Reading:
    """One way of reading a table: cells, score, and what it rests on."""

    name: str
    score: float
    cells: dict[str, Cell]
    notes: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)  # the table's relations under the reading


def _as_item(tok: Token) -> Item:
    return Item(_item_kind(tok.kind, tok.text), tok.start, tok.end, tok.text, tok.line, tok.score)


def _item_kind(kind: str, text: str) -> str:
    """The layout item kind of a token: a blank cell, an empty mark (``-``, ``/``) or a number."""
    return "BLANK" if kind == "blank" else ("EMPTY" if text.strip() in EMPTY_MARKS else "NUM")


def read_table(t: Template, table: str, stream: list[Token], context: dict[str, Cell]) -> list[Reading]:
    """Every reading of ``table`` from its candidate ``stream``, best first."""
    _cell_of.cache_clear()  # cells are shared between the readings of one table, not kept past it
    variants = [("", stream), *_without_rulings(stream), *_column_blocks(t, table, stream)]
    readings: list[Reading] = []
    for vname, toks in variants:
        for order in ("row", "col"):
            grps = groups(t, table, order)
            if not grps or (order == "col" and table == "section2" and not _has_labels(toks, "col")):
                continue
            first = Aligner(grps, toks, MODES[0])
            for mode in MODES:
                aligner = first.in_mode(mode) if mode != MODES[0] else first
                score, runs = aligner.solve()
                name = f"{order}-{mode}{vname}"
                reading = _cells(t, name, aligner, runs, context)
                reading.score += score
                readings.append(reading)
                if _settled(t, table, reading):
                    return [reading]  # every cell next to its own label and every relation holding
    readings.sort(key=lambda r: -r.score)
    return readings


def _settled(t: Template, table: str, reading: Reading) -> bool:
    """A reading no rival can improve on: every cell of the table found, each at least ``SETTLED`` sure
    (a full run next to its own label), and every relation of the table holding; the readings left are
    not tried."""
    if not all(k in reading.cells and reading.cells[k].confidence >= SETTLED for k in t.table_keys(table)):
        return False
    return bool(reading.checks) and all(c.passed for c in reading.checks)


def _has_labels(stream: list[Token], kind: str) -> bool:
    return any(t.match is not None and t.match.entry.kind == kind and t.match.score >= 0.8 for t in stream)


def _without_rulings(stream: list[Token]) -> list[tuple[str, list[Token]]]:
    """The stream with ruling lines read as ``1`` taken out: on a line of values, every other value is
    a lone 1 (``0 1 3 1 0`` or ``1 0 1 3 1 0 1``)."""
    drop: set[int] = set()
    by_line: dict[int, list[int]] = {}
    for k, tok in enumerate(stream):
        if tok.kind == "value":
            by_line.setdefault(tok.line, []).append(k)
    for ks in by_line.values():
        texts = [stream[k].text.strip() for k in ks]
        if len(ks) < 5:
            continue
        for parity in (1, 0):
            if all(x in RULING_ONES for x in texts[parity::2]) and (parity == 1 or len(ks) % 2 == 1):
                drop.update(ks[parity::2])
                break
    if not drop:
        return []
    return [(" rulings", [tok for k, tok in enumerate(stream) if k not in drop])]


def _column_blocks(t: Template, table: str, stream: list[Token]) -> list[tuple[str, list[Token]]]:
    """The stream with its column blocks in the format's order, where a converter printed the blocks of
    several tables interleaved. pdfminer reads a page of stacked section 二 tables column by column across
    them: every label first, then each table's first column (its header and its numbers), then each
    table's second column, and so on. A block is a column label followed by its numbers; each goes to
    the first table of the format whose next column it can be: the header matches that column and the
    numbers are as many as the table's rows. Nothing when a block fits no table, or when the blocks are
    in the format's order already."""
    if table != "section2":
        return []
    blocks = column_blocks(stream)  # [start, end) in the stream: a column label, then its values
    grps = groups(t, table, "col")
    used = [False] * len(grps)
    placed: list[tuple[int, int, int]] = []  # (group index, start, end)
    for lo, hi in blocks:
        header = stream[lo]
        for gi, g in enumerate(grps):
            earlier = all(used[j] for j in range(gi) if grps[j].block == g.block)  # the table's next column
            if used[gi] or not earlier or len(g.keys) != hi - lo - 1:
                continue
            if header.matches(g.anchor[0], table, g.anchor[1]) >= STRONG_HEADER:
                used[gi] = True
                placed.append((gi, lo, hi))
                break
        else:
            return []
    if len(placed) < 2 or placed == sorted(placed) or len({grps[gi].block for gi, _, _ in placed}) < 2:
        return []
    first = placed[0][1]
    inside = {k for _, lo, hi in placed for k in range(lo, hi)}
    moved = [stream[k] for _, lo, hi in sorted(placed) for k in range(lo, hi)]
    rest = [tok for k, tok in enumerate(stream) if k not in inside]
    cut = sum(1 for k in range(first) if k not in inside)
    return [(" blocks", [*rest[:cut], *moved, *rest[cut:]])]


def _cells(t: Template, name: str, al: Aligner, runs: list[Run], context: dict[str, Cell]) -> Reading:
    """The cells of an alignment, each group's run placed in its slots; relations settle what is open."""
    out = Reading(name, 0.0, {})
    anchored = [al.mode != "block" and r.lead and bool(r.indices) and _run_anchored(al, g, r)
                for g, r in zip(al.groups, runs, strict=True)]  # fmt: skip
    exact = _exactly_filled(al, runs, anchored)
    taken = {i for r in runs for i in r.indices}
    clean = _clean(al, taken)
    open_rows: list[list[tuple[Cell, ...]]] = []
    printed = _printed_blank(al, runs, clean)
    guessed = _guessed_slots(al, runs)
    left = {v.line for i, v in enumerate(al.values) if i not in taken and v.kind != "blank"}  # a number left out
    for gi, (g, run) in enumerate(zip(al.groups, runs, strict=True)):
        if not run.indices:
            if printed[gi]:
                sure = BLANK_ROW if not guessed.intersection(al.label_at[g.anchor]) else DOUBTFUL
                out.cells.update({key: _blank(key, sure) for key in g.keys})
            continue
        toks = [al.values[i] for i in run.indices]
        w = len(g.keys)
        if len(toks) == w:
            confirmed = g.table in ROW_RULES and al.row_rule(g, run.indices) > 0  # its total adds up
            factor = ANCHORED if anchored[gi] else (IN_ORDER if exact[gi] and confirmed else UNLABELLED)
            if not clean or run.band > 1 or any(al.between[m] for m in range(run.lo + 1, run.hi)):
                factor = min(factor, UNLABELLED)  # values left out, a band, or a run across other text
            if run.band == 1 and (_shiftable(al, run) or _padding_either_side(al, run)):
                factor = min(factor, UNLABELLED)  # its blanks could stand a cell to the left or right
            if any(tok.kind == "blank" and tok.line in left for tok in toks):
                factor = min(factor, UNLABELLED)  # a blank where a number its line left out may belong
            if _blank_beside_other_run(al, toks):
                factor = min(factor, UNLABELLED)  # a blank on the line of a number another row took
            if _spaced_in_ocr_text(al, toks):
                factor = min(factor, UNLABELLED)  # blanks counted from spaces that OCR laid out
            if _beside_other_label(al, g, toks):
                factor = min(factor, UNLABELLED)  # its numbers share a line with another row's label only
            cells = [_cell(key, tok, factor) for key, tok in zip(g.keys, toks, strict=True) if key]
            out.cells.update({c.key: c for c in cells})
            continue
        later = any(r.indices for r in runs[gi + 1 :]) or any(printed[gi + 1 :])  # not a row cut off at the end
        lines = {tok.line for tok in toks}
        kept = any(v.kind == "blank" and v.line in lines for v in al.values)  # the layout keeps its blank cells
        options = _short_options(
            g, toks, dense=later and len(lines) > 1, dropped=later and not kept, relation=t.row_relation(name)
        )
        if not options:
            continue
        first = [c for c in options[0] if c.key]
        out.cells.update({c.key: c for c in first})
        if len(options) > 1:
            open_rows.append(options)
        out.notes.append(f"{g.table} {g.row or g.anchor[1]}: only {len(toks)} of {w} cells found")
    _settle(t, out, open_rows, context)
    for gi in _stacked(al):  # which of the stacked rows holds the values, the text does not say
        for key in al.groups[gi].keys:
            c = out.cells.get(key)
            if c is not None:
                out.cells[key] = replace(c, confidence=min(c.confidence, DOUBTFUL))
    out.checks = checks = table_checks(t, al.table, out.cells, context)
    out.score += REL_PASS * sum(1 for c in checks if c.passed) - REL_FAIL * sum(1 for c in checks if not c.passed)
    return out


def _beside_other_label(al: Aligner, g: Group, toks: list[Token]) -> bool:
    """A row's numbers stand on a line whose one label is another row's of the table (``行政处罚`` /
    ``1      行政强制``: numbers printed left of their labels read as numbers after them): the label on the
    number's line may be its own, whichever the reading chose. A line with more labels (a group's label
    and a wrapped row label's first piece) says nothing."""
    if not g.row:
        return False
    on_line = al.labels_by_line()
    for line in {tok.line for tok in toks if tok.kind != "blank"}:
        labels = on_line.get(line, [])
        m = labels[0].match if len(labels) == 1 else None
        if m is None or m.score < STRONG_LABEL or m.entry.id == g.row:
            continue
        other_row = m.entry.kind == "row" and (("row", m.entry.id) in al.ids or al.outside(m.entry.id))
        if other_row or m.entry.kind == "extra":
            return True  # another row of the format, or a row outside it (a local row, the other format's)
    return False


def _blank_beside_other_run(al: Aligner, toks: list[Token]) -> bool:
    """A run of only blank cells on a line that holds a number not in it (``1      行政许可``: the
    space between a number and its label read as blank cells): which of them the number is, the line does
    not say."""
    if any(tok.kind != "blank" for tok in toks):
        return False
    return not al.number_lines().isdisjoint(tok.line for tok in toks)  # none of those numbers is in the run


def _printed_blank(al: Aligner, runs: list[Run], clean: bool) -> list[bool]:
    """For each group: a row printed with every cell blank, its blank cells dropped by the converter. Its
    label stands in the table, it got no value, and no value of the table was left out; a table with no
    value at all counts as printed blank when most of its rows' labels stand in it."""
    rows = [g for g in al.groups if g.row and all(g.keys)]
    if not rows or not clean:
        return [False] * len(runs)
    if not any(r.indices for r in runs) and 2 * sum(1 for g in rows if g.anchor in al.label_at) < len(rows):
        return [False] * len(runs)
    return [
        bool(g.row) and all(g.keys) and not r.indices and g.anchor in al.label_at
        for g, r in zip(al.groups, runs, strict=True)
    ]


def _guessed_slots(al: Aligner, runs: list[Run]) -> set[int]:
    """Where the labels stand that a short row run (blank cells dropped) was placed beside by the mode:
    the slot before its values (after, mixed) and the one after them (before, mixed), unless that label
    shares a line with the values. A row printed blank whose label stands in the same stack of labels
    could be the one those values belong to (pdftotext prints a page's labels as one block, then the
    values of its rows that are not blank): the table then adds up on a guess, which vouches for none of
    its blank rows."""
    out: set[int] = set()
    for g, run in zip(al.groups, runs, strict=True):
        if not g.row or not run.indices or len(run.indices) >= len(g.keys):
            continue
        first, last = al.values[run.indices[0]], al.values[run.indices[-1]]
        before, after = al.between[run.lo][-1:], al.between[run.hi][:1]
        if al.mode != "before" and not any(lab.last_line == first.line for lab in before):
            out.add(run.lo)
        if al.mode in ("before", "mixed") and not any(lab.line == last.line for lab in after):
            out.add(run.hi)
    return out


def _stacked(al: Aligner) -> list[int]:
    """The rows whose labels stand together before every value of the table, when there are two or more
    of them and the values are too few to fill them all: labels printed as a column with the values
    after it (a block, the first rows' values), or rows printed blank with their blank cells dropped and
    the last row's values after its label. The text cannot tell these apart."""
    first = next((i for i, v in enumerate(al.values) if v.kind != "blank"), None)
    if first is None:
        return []
    rows = [gi for gi, g in enumerate(al.groups) if g.row and al.label_at.get(g.anchor)]
    if len(rows) < 2 or any(max(al.label_at[al.groups[gi].anchor]) > first for gi in rows):
        return []
    return rows if len(al.values) < sum(len(al.groups[gi].keys) for gi in rows) else []


def _shiftable(al: Aligner, run: Run) -> bool:
    """A run holding an empty field of a ``|`` row that is a table of its own (``Token.loose``) with
    another empty field just before or after it on the same line: the same fields one cell to the left or
    right are as long a run, with the numbers in other slots, and nothing says which is the row's."""
    toks = [al.values[i] for i in run.indices]
    if not any(_field(t) for t in toks):
        return False
    before = al.values[run.lo - 1] if run.lo > 0 else None
    after = al.values[run.hi] if run.hi < len(al.values) else None
    return (before is not None and _field(before) and before.line == toks[0].line) or (
        after is not None and _field(after) and after.line == toks[-1].line
    )


def _field(tok: Token) -> bool:
    """An empty field of a ``|`` row (markitdown's tables: a row's fields may stand one off)."""
    return tok.kind == "blank" and (tok.loose or tok.piped)


def _spaced_in_ocr_text(al: Aligner, toks: list[Token]) -> bool:
    """A run holding a blank read from a run of spaces on a line with a number read from OCR look-alikes
    (``o`` for 0, ``l`` for 1): the spaces were laid out by an OCR engine, not exported from tabs, and how
    many cells a gap holds is a guess (a gap before the row's first number read as a blank cell while a
    real blank was lost)."""
    lines = {t.line for t in toks if t.kind == "blank" and t.spaced}
    return bool(lines) and any(
        v.line in lines and v.kind == "value" and any(ch in LOOKALIKE_LETTERS for ch in v.text) for v in al.values
    )


def _padding_either_side(al: Aligner, run: Run) -> bool:
    """Text printed one cell a line whose stretch between two labels holds more blank lines than the row
    has cells: the extra ones may be the row's empty label columns after its label or the next row's
    before its label (a layout printing three label columns does both), and the row's cells read from
    either end differ. Nothing says which; the run is a guess."""
    n, values = len(al.values), al.values
    before = run.lo > 0 and not al.between[run.lo] and values[run.lo - 1].kind == "blank"
    if not before and not (run.hi < n and not al.between[run.hi] and values[run.hi].kind == "blank"):
        return False  # no blank beside the run inside its stretch (most runs)
    lo = run.lo
    while lo > 0 and not al.between[lo]:
        lo -= 1
    hi = run.lo + 1
    while hi < n and not al.between[hi]:
        hi += 1
    width = run.hi - run.lo
    if hi - lo <= width or len({al.values[k].line for k in range(lo, hi)}) < hi - lo:
        return False  # no extra values, or two values on one line: not one cell a line
    starts = [
        s
        for s in range(lo, hi - width + 1)
        if all(al.values[k].kind == "blank" for k in (*range(lo, s), *range(s + width, hi)))
    ]
    readings = {tuple((v.kind, v.text.strip()) for v in al.values[s : s + width]) for s in starts}
    return len(readings) > 1


def _clean(al: Aligner, taken: set[int]) -> bool:
    """No value between the table's first and last cell was left out, except after a local extra row's label
    (``taken``: the values the runs took)."""
    if not taken:
        return True
    for i in range(min(taken), max(taken)):
        lab = al.last_label[i]
        extra = lab is not None and lab.match is not None and lab.match.entry.kind == "extra"
        if i not in taken and al.values[i].kind != "blank" and not extra:
            return False
    return True


def _exactly_filled(al: Aligner, runs: list[Run], anchored: list[bool]) -> list[bool]:
    """For each group: it lies in a stretch between labelled runs (or the table's ends, when no label
    is used) whose values fill the stretch's groups exactly, none left over and no group short: the
    format's order alone then places them."""
    out = [False] * len(runs)
    edges = [-1, *[gi for gi, a in enumerate(anchored) if a], len(runs)]
    for lo, hi in pairwise(edges):
        inner = range(lo + 1, hi)
        if not inner:
            continue
        first = runs[lo].hi if lo >= 0 else 0
        last = runs[hi].lo if hi < len(runs) else len(al.values)
        full = all(len(runs[gi].indices) == len(al.groups[gi].keys) for gi in inner)
        used = sum(len(runs[gi].indices) for gi in inner)
        if full and used == last - first:
            for gi in inner:
                out[gi] = True
    return out


def _run_anchored(al: Aligner, g: Group, run: Run) -> bool:
    return al.affinity(g, run.lo, run.hi) > 0


def _cell(key: str, tok: Token, factor: float) -> Cell:
    return _cell_of(key, tok.kind, tok.start, tok.end, tok.text, tok.line, tok.score, factor)


@lru_cache(maxsize=8192)
def _cell_of(key: str, kind: str, start: int, end: int, text: str, line: int, score: float, factor: float) -> Cell:
    """The cell ``key`` read from a token (given by its fields), at ``factor`` of its confidence: the
    readings of a table place the same tokens in the same slots over and over (cells are immutable; the
    cache is emptied for each table, ``read_table``)."""
    table, row, col = key.split(".")
    return cell_of(table, row, col, Item(_item_kind(kind, text), start, end, text, line, score), factor)


def _short_options(
    g: Group, toks: list[Token], *, dense: bool, dropped: bool, relation: Relation | None
) -> list[tuple[Cell, ...]]:
    """Placements of a run shorter than its group: glued digits split, or blank cells dropped (section
    三 rows by their total; ``dense``: one value per line and more rows follow; ``dropped``: the row's
    lines keep no blank cell, so blanks may have been left out anywhere); otherwise left to right (a row
    cut off, or a tab row that lost its trailing cells). The first is the likeliest."""
    w = len(g.keys)
    glued = _glued_splits(g, toks) if g.row and g.table in ROW_RULES else []
    if glued:
        return glued
    keys = list(g.keys)
    values_only = bool(g.row) and all(keys) and all(t.kind == "value" for t in toks)
    cols = [k.split(".")[2] for k in keys] if values_only else []
    if dense and values_only and relation is not None and set(cols) == {*relation.parts, *relation.whole}:
        placed = _place_dense(g.table, g.row, cols, [_as_item(t) for t in toks], 1.0, relation)
        return [tuple(placed.cells), *placed.alternatives]
    in_order = tuple(_cell(key, tok, SHORT_RUN) for key, tok in zip(keys[:w], toks, strict=False) if key)
    if values_only and dropped and g.table in ROW_RULES:
        # left to right, the rest blank: a whole row like the placements by the total it is weighed against
        rest = tuple(_blank(key, SHORT_RUN) for key in keys[len(toks) :] if key)
        by_total = _total_placements(g, toks)
        # the leftmost placement under which the row adds up is the likeliest; left to right, the total
        # would stay blank
        return [*by_total[:1], in_order + rest, *by_total[1:]]
    return [in_order]


def _total_placements(g: Group, toks: list[Token]) -> list[tuple[Cell, ...]]:
    """Placements of a short run (blank cells dropped from a line) under which the row's total is the
    sum of its parts (R2, R5), in slot order; each cell's confidence says whether it is the only one."""
    numbers = [parse_number(t.text) for t in toks]
    if any(v is None for v in numbers):
        return []
    found: list[tuple[int, ...]] = []
    for combo in combinations(range(len(g.keys)), len(toks)):
        got = dict(zip(combo, numbers, strict=True))
        parts = sum(got.get(i) or 0 for i in range(len(g.keys) - 1))
        if abs(parts - (got.get(len(g.keys) - 1) or 0)) < 1e-9:
            found.append(combo)
    factor = UNLABELLED if len(found) == 1 else DOUBTFUL
    out = []
    for combo in found:
        by_slot = dict(zip(combo, toks, strict=True))
        out.append(tuple(_cell(key, by_slot[i], factor) if i in by_slot else _blank(key, factor)
                         for i, key in enumerate(g.keys)))  # fmt: skip
    return out


@lru_cache(maxsize=4096)
def _blank(key: str, factor: float) -> Cell:
    table, row, col = key.split(".")
    return cell_of(table, row, col, None, factor)


def _glued_splits(g: Group, toks: list[Token]) -> list[tuple[Cell, ...]]:
    """A row short of cells because digits ran together (``0 024`` for ``0 0 24``): the splits of one long
    digit run that give the row all its cells and make the row's own relation (R2, R5) hold."""
    missing = len(g.keys) - len(toks)
    out: list[tuple[Cell, ...]] = []
    for k, tok in enumerate(toks):
        digits = tok.text.strip()
        if not digits.isdigit() or len(digits) <= missing or len(digits) > MAX_GLUED_DIGITS:
            continue
        lead = len(tok.text) - len(tok.text.lstrip())
        for cuts in combinations(range(1, len(digits)), missing):
            bounds = list(pairwise((0, *cuts, len(digits))))
            parts = [
                replace(tok, start=tok.start + lead + a, end=tok.start + lead + b, text=digits[a:b]) for a, b in bounds
            ]
            if any(len(p.text) > 1 and p.text[0] == "0" for p in parts):
                continue
            pieces = [*toks[:k], *parts, *toks[k + 1 :]]
            values = [parse_number(p.text) for p in pieces]
            numbers = [v for v in values if v is not None]
            if len(numbers) != len(values) or sum(numbers[:-1]) != numbers[-1]:
                continue
            cells = [_cell(key, piece, 1.0) for key, piece in zip(g.keys, pieces, strict=True)]
            out.append(tuple(replace(c, confidence=min(c.confidence, GLUED)) for c in cells))
    return out


def _settle(t: Template, reading: Reading, open_rows: list[list[tuple[Cell, ...]]], context: dict[str, Cell]) -> None:
    """Rows with several placements: each takes the one under which the most relations hold (counted over
    the relations that touch the row: the others hold or fail alike under every placement of it)."""
    cells = {**context, **reading.cells}  # kept up to date with reading.cells below
    row_keys = [{c.key for option in options for c in option if c.key} for options in open_rows]
    checks = [touching(t, keys) for keys in row_keys]

    def place(option: Sequence[Cell], keys: set[str]) -> None:
        """The row's cells as ``option`` has them: none left over from another option (a short one
        places fewer cells than one with its blanks)."""
        for key in keys:
            reading.cells.pop(key, None)
            cells.pop(key, None)
        placed = {c.key: c for c in option if c.key}
        reading.cells.update(placed)
        cells.update(placed)

    for _ in range(2):
        for options, pairs, keys in zip(open_rows, checks, row_keys, strict=True):
            place(RowTally(pairs, cells, keys).best(options), keys)


def table_checks(t: Template, table: str, cells: dict[str, Cell], context: dict[str, Cell]) -> list[Check]:
    """The checks of ``table``'s own relations (every cell of them in the table) that ``cells``, read with
    the other tables' ``context``, decide (passed or failed)."""
    return [c for c in run_checks(t, {**context, **cells}, table) if c.passed is not None]


def doubt(readings: list[Reading]) -> dict[str, Cell]:
    """The best reading's cells, those that a rival reading within ``MARGIN`` reads otherwise capped at
    ``DOUBTFUL`` confidence."""
    best = readings[0]
    cells = dict(best.cells)
    for rival in readings[1:]:
        if rival.score < best.score - MARGIN:
            break
        for key, c in cells.items():
            other = rival.cells.get(key)
            if other is not None and (other.value != c.value or other.span != c.span):
                cells[key] = replace(c, confidence=min(c.confidence, DOUBTFUL))
    return cells
