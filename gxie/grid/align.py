"""The dynamic programme of the grid decoder: a table's values, in text order, into its groups of slots.

Each table of the format is a fixed sequence of *groups* of slots: its rows in order (row-major reading)
or its columns in order (column-major reading, a table dumped column by column). An alignment gives
each group a run of consecutive values (fewer than its slots when blank cells were dropped), or a band
of rows printed column by column, and skips values that fit nowhere as noise. It weighs

- label agreement: the run starts right after a label of its row (``after``), ends right before one
  (``before``), or labels are ignored (``block``: labels first, numbers after, or no labels at all);
- the fixed order of the format's rows and columns (runs are monotone in text order, and a run does not
  stand on the wrong side of its own row's label);
- how many values each row holds (a full run, a short one, an empty one);
- line structure (a run does not begin in the middle of a line of numbers nor cross another row's label).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from gxie.grid.candidates import Token
from gxie.grid.values import parse_number
from gxie.templates import Template
from gxie.types import Number

# Scores of an alignment (one unit: one row read in full).
FILL = 1.0  # a group given all its values
SHORT = 0.3  # per slot a group is short of (blank cells dropped)
SHORT_COLUMN = 1.0  # a column short of cells: column-by-column dumps keep their blank cells
ANCHOR = 2.0  # times the label score, for a run next to its own row's label
WRONG = 2.0  # a run next to another row's label, or on the wrong side of its own
CROSS = 3.0  # a run that crosses another row's label
NEUTRAL = 0.1  # a run that crosses other text (column headers, page headers)
SKIP = 1.0  # a value left out as noise
EMPTY_EARLY = 0.001  # per group after an empty one: of readings alike, the format's rows are filled first
SKIP_LONE = 0.2  # a lone number on its own line between lines of cells left out (a page number)
LINE_OF_CELLS = 3  # values a line holds to count as a row of cells
SKIP_BLANK = 0.05  # a blank cell left out (padding of wide tables, merged label cells, empty header cells)
BLANK_WEIGHT = 0.3  # a blank cell fills its slot this much less surely than a value
SPLIT_LINE = 1.0  # a run that starts in the middle of a line of values
PARA_CUT = 0.3  # a run that starts inside a paragraph of values (one per line, no blank line between)
MAX_BAND = 25  # most rows a band printed column by column holds (section 三's rows: a page's rows can all be one band)
STRONG = 0.8  # a label matching its entry this well is that row's or column's label
ROW_HOLDS = 0.3  # a row whose own relation (R2, R5) holds on its values
ROW_BREAKS = 0.5  # a row whose own relation cannot hold on its values
ROW_RULE_TABLES = ("section3", "section4")  # tables whose rows have their own relation
MIXED_BEFORE = 0.9  # in ``mixed`` mode, a label after its numbers counts this much of one before them
MODES = ("after", "before", "mixed", "block")


def _holds(numbers: list[Number | None], width: int) -> float:
    """``ROW_HOLDS`` when the last of ``width`` cells can be the sum of the others with ``numbers``
    placed in order into some of them (all of them when there are ``width``), ``-ROW_BREAKS`` when
    no placement makes it so, 0 when a value is unreadable."""
    if any(v is None for v in numbers) or not numbers:
        return 0.0
    vals = [v or 0 for v in numbers]
    k = len(vals)
    if k > width:
        return -ROW_BREAKS
    # In order, the last value takes the last cell (then the others sum to it) or no value does (then
    # the total is 0 and the values sum to 0): the two cases of every placement.
    if abs(sum(vals[:-1]) - vals[-1]) < 1e-9 or (k < width and abs(sum(vals)) < 1e-9):
        return ROW_HOLDS
    return -ROW_BREAKS


def _holds_by_placements(numbers: list[Number | None], width: int) -> float:
    """``_holds`` by trying every placement (kept to check the closed form against)."""
    if any(v is None for v in numbers) or not numbers:
        return 0.0
    vals = [v or 0 for v in numbers]
    for combo in combinations(range(width), len(vals)):
        got = dict(zip(combo, vals, strict=True))
        if abs(sum(got.get(c, 0) for c in range(width - 1)) - got.get(width - 1, 0)) < 1e-9:
            return ROW_HOLDS
    return -ROW_BREAKS


@dataclass(frozen=True)
class Group:
    """A run of slots the format prints together: one row's cells, or one column's cells."""

    table: str
    keys: tuple[str, ...]  # flat keys of the slots in reading order ("" for a slot of a row not in the format)
    anchor: tuple[str, str]  # (label kind, label id) whose label marks the run: ("row", id) or ("col", id)
    row: str = ""  # the row of a row-major group
    block: int = 0  # the format block it belongs to (a band of rows stays inside one)
    rows: float = 1.0  # how many of its block's rows its cells make: a row 1, a column rows/columns


def groups(t: Template, table: str, order: str) -> list[Group]:
    """The table's groups in the format's order; ``order`` is ``row`` or ``col``."""
    blocks = [b for b in t.blocks if b.table == table]
    out: list[Group] = []
    for bi, b in enumerate(blocks):
        if order == "row":
            for r in b.rows:
                if table == "section3" and r.id == "other_no_correction":
                    out.append(Group(table, ("",) * len(b.columns), ("row", "other"), "other", bi))
                keys = tuple(f"{table}.{r.id}.{c.id}" for c in b.columns)
                out.append(Group(table, keys, ("row", r.id), r.id, bi))
        else:
            for c in b.columns:
                keys = tuple(f"{table}.{r.id}.{c.id}" for r in b.rows)
                out.append(Group(table, keys, ("col", c.id), "", bi, len(b.rows) / len(b.columns)))
    return out


@dataclass(frozen=True)
class Run:
    """The values one group takes: their indices in slot order, and the stretch ``[lo, hi)`` they come from
    (a band of rows printed column by column shares one stretch)."""

    indices: tuple[int, ...]
    lo: int
    hi: int
    band: int = 1  # rows in the band (1: a plain run)
    lead: bool = True  # the first row of its band (the one its label stands next to)


class Aligner:
    """The dynamic programme of one table under one order and mode."""

    def __init__(self, grps: list[Group], stream: list[Token], mode: str) -> None:
        self.groups, self.mode = grps, mode
        self.values = [t for t in stream if t.is_value]
        self.between: list[list[Token]] = [[] for _ in range(len(self.values) + 1)]
        self.last_label: list[Token | None] = []  # the label nearest before each value
        n, last = 0, None
        for t in stream:
            if t.is_value:
                n += 1
                self.last_label.append(last)
            else:
                self.between[n].append(t)
                last = t
        self.table = grps[0].table if grps else ""
        # The label right after each stretch of values: the first one, or, where several labels start on
        # the line of the stretch's last value (a group's label and its first row's, printed right of the
        # row's numbers: ``0 0 0  （六）其他处理  1.申请人…``), the last of those, the row's own.
        self.next_label: list[list[Token]] = [labels[:1] for labels in self.between]
        for j in range(1, len(self.values) + 1):
            on_its_line = [lab for lab in self.between[j] if lab.line == self.values[j - 1].line]
            if len(on_its_line) >= 2:
                self.next_label[j] = on_its_line[-1:]
        self.ids = {g.anchor for g in grps}
        self.rows = {key.split(".")[1] for g in grps for key in g.keys if key}  # the format's rows of the table
        # Where each row's or column's own label stands (as a count of values before it).
        self.label_at: dict[tuple[str, str], list[int]] = {}
        for n_before, labels in enumerate(self.between):
            for lab in labels:
                m = lab.match
                if m is not None and m.score >= 0.8 and (m.entry.kind, m.entry.id) in self.ids:
                    self.label_at.setdefault((m.entry.kind, m.entry.id), []).append(n_before)
        self.numbers = [0 if v.kind == "blank" else parse_number(v.text) for v in self.values]
        # Leaving out the blank cells right after a label costs nothing while the values up to the next
        # label are more than a row has (merged label cells).
        width = max((len(g.keys) for g in grps), default=0)
        self.skip_cost = [SKIP if v.kind != "blank" else SKIP_BLANK for v in self.values]
        on_line: dict[int, int] = {}
        for v in self.values:
            on_line[v.line] = on_line.get(v.line, 0) + 1
        for i, v in enumerate(self.values):
            # A lone number on its own line between lines of several cells: likely a page number.
            near = [on_line.get(v.line + d, 0) for d in (-2, -1, 1, 2)]
            if v.kind == "value" and on_line[v.line] == 1 and sum(1 for n in near if n >= LINE_OF_CELLS) >= 2:
                self.skip_cost[i] = SKIP_LONE
        for i in range(len(self.values)):
            if not self.between[i]:
                continue
            end = next((x for x in range(i + 1, len(self.values)) if self.between[x]), len(self.values))
            same = [x for x in range(i, end) if self.values[x].line == self.values[i].line]
            if len(same) >= width:
                end = same[-1] + 1  # the label's own line holds the whole row
            k = i
            while k < end and end - k > width and self.values[k].kind == "blank":
                self.skip_cost[k] = 0.0
                k += 1
        # A run after such blanks still stands next to the label before them.
        self.label_slot = list(range(len(self.values) + 1))
        for i in range(1, len(self.values) + 1):
            if not self.between[i] and self.skip_cost[i - 1] == 0.0:
                self.label_slot[i] = self.label_slot[i - 1]
        self._sums: dict[tuple[tuple[int, ...], int], float] = {}
        # Paragraphs: values on one line or on consecutive lines, with no label between them.
        self.para: list[int] = []
        for i, v in enumerate(self.values):
            new = i == 0 or bool(self.between[i]) or v.line - self.values[i - 1].line > 1
            self.para.append((self.para[-1] + 1 if i else 0) if new else self.para[-1])
        self._joined = [0]  # _joined[x]: the values before x that continue the paragraph of the one before them
        for x in range(1, len(self.values) + 1):
            self._joined.append(self._joined[-1] + (x < len(self.values) and self.para[x] == self.para[x - 1]))
        self._precompute()

    def _precompute(self) -> None:
        """Tables of the terms ``run_score`` asks for at every (group, start, end): the dynamic programme
        looks them up instead of walking the labels each time."""
        n = len(self.values)
        self._blanks = [0]
        for v in self.values:
            self._blanks.append(self._blanks[-1] + (v.kind == "blank"))
        self._cross = self._crossings()
        self._starts = [self._start(i) for i in range(n + 1)]
        self._headers = [self._header_row(i) if i < n else False for i in range(n + 1)]
        self._before = [self.between[self.label_slot[i]][-1:] if i < n else self.between[i][-1:] for i in range(n + 1)]
        self._after = [self.next_label[j] for j in range(n + 1)]
        # A label names only the group of its best match: each label fills its group's entry.
        of_anchor: dict[tuple[str, str], list[int]] = {}
        for gi, g in enumerate(self.groups):
            of_anchor.setdefault(g.anchor, []).append(gi)
        self._aff_before = [[0.0] * (n + 1) for _ in self.groups]
        self._aff_after = [[0.0] * (n + 1) for _ in self.groups]
        for table, near in ((self._aff_before, self._before), (self._aff_after, self._after)):
            for i, labels in enumerate(near):
                hit = labels[0].match if labels else None
                if hit is None:
                    continue
                for gi in of_anchor.get((hit.entry.kind, hit.entry.id), []):
                    table[gi][i] = self._affinity(labels, self.groups[gi])
        self._foreign_near: dict[tuple[str, int, int], bool] = {}
        # Per group: width, anchor kind, whether the row's own relation applies, whether it is in the format.
        self._facts = [
            (len(g.keys), g.anchor[0], bool(g.row and self.table in ROW_RULE_TABLES and all(g.keys)), any(g.keys))
            for g in self.groups
        ]
        self._order_bounds = [
            (min(self.label_at[g.anchor]), max(self.label_at[g.anchor])) if self.label_at.get(g.anchor) else None
            for g in self.groups
        ]
        self._alike: dict[tuple[int, int], bool] = {}
        self._rule_matrices: dict[tuple[int, int], np.ndarray] = {}
        self._terms: dict[tuple[int, str, bool, float], tuple[np.ndarray, ...]] = {}
        self._shapes: dict[tuple[int, int, int], bool] = {}
        self._end_index: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._band_rules: dict[tuple[int, int, int], float] = {}
        self._row_rules: dict[tuple[int, int, int], float] = {}

    def _crossings(self) -> dict[str, list[float]]:
        """Per label kind, the prefix sums of the penalties of the labels between values (``acc[m + 1]``: the
        labels at slots 0..m); they depend on the mode."""
        out: dict[str, list[float]] = {}
        for kind in ("row", "col"):
            acc = [0.0]
            for labels in self.between:
                pen = sum(CROSS if self.mode != "block" and self._foreign([lab], kind) else NEUTRAL for lab in labels)
                acc.append(acc[-1] + pen)
            out[kind] = acc
        return out

    def number_lines(self) -> set[int]:
        """The lines holding a value that is not a blank cell (made once)."""
        if not hasattr(self, "_number_lines"):
            self._number_lines = {v.line for v in self.values if v.kind != "blank"}
        return self._number_lines

    def labels_by_line(self) -> dict[int, list[Token]]:
        """The labels between the values, by the line they stand on (made once)."""
        if not hasattr(self, "_labels_by_line"):
            self._labels_by_line: dict[int, list[Token]] = {}
            for labels in self.between:
                for lab in labels:
                    self._labels_by_line.setdefault(lab.line, []).append(lab)
        return self._labels_by_line

    def in_mode(self, mode: str) -> Aligner:
        """This alignment of the same groups and values under another ``mode``: what does not depend on the
        mode (labels, paragraphs, the rows' relations) is shared, not computed again."""
        other = copy.copy(self)
        other.mode = mode
        other._cross = other._crossings()
        other._foreign_near = {}
        other._terms = {}
        if hasattr(self, "_np_blanks"):
            other._np_cross = {kind: np.array(acc) for kind, acc in other._cross.items()}
        return other

    def row_rule(self, g: Group, idx: tuple[int, ...]) -> float:
        """The row's own relation (R2, R5: the last cell is the sum of the others) on the values
        ``idx``: a bonus when it holds (for a short row, under some placement of its blanks), a
        penalty when it cannot."""
        if not g.row or self.table not in ROW_RULE_TABLES or not all(g.keys):
            return 0.0
        key = (idx, len(g.keys))
        if key not in self._sums:
            self._sums[key] = _holds([self.numbers[i] for i in idx], len(g.keys))
        return self._sums[key]

    def near(self, i: int, j: int) -> list[Token]:
        """The labels a run of values ``[i, j)`` stands next to: the last one before it (``after``), the
        first one after it (``before``), both (``mixed``: each row's numbers on either side of its label)."""
        before, after = self.between[self.label_slot[i]][-1:], self.next_label[j]
        return {"after": before, "before": after, "mixed": before + after}.get(self.mode, [])

    def _affinity(self, labels: list[Token], g: Group) -> float:
        kind, ident = g.anchor
        return max((lab.matches(kind, self.table, ident) for lab in labels), default=0.0)

    def _foreign(self, labels: list[Token], kind: str) -> bool:
        """A label of another row (or a local extra row) of this table stands here."""
        for lab in labels:
            m = lab.match
            if m is None or m.score < 0.8:
                continue
            if m.entry.kind == "extra" and kind == "row":
                return True
            if kind == "row" and m.entry.kind == "row" and m.entry.table == self.table and self.outside(m.entry.id):
                return True  # a row of the other format (其他对外管理服务事项 in a 2021 report): a local row here
            if m.entry.kind == kind and m.entry.table in (self.table, "") and (kind, m.entry.id) in self.ids:
                return True
        return False

    def outside(self, row: str) -> bool:
        """``row`` (a row id of this table in either format) is a section 二 row of the other format
        (其他对外管理服务事项 in a 2021 report). Section 三's rows of the two formats share their words (2021's
        ``3.其他`` and 2019's ``(六)其他处理`` wrapped as ``(六) 其他``): there a label names no row outside."""
        return self.table == "section2" and row not in self.rows

    def _header_row(self, i: int) -> bool:
        """The labels before value ``i`` end with two column labels: a header row, after which the values
        run row by row, not one column's values after its own header."""
        labels = self.between[self.label_slot[i]][-2:]
        return len(labels) == 2 and all(lab.match is not None and lab.match.entry.kind == "col" for lab in labels)

    def affinity(self, g: Group, i: int, j: int) -> float:
        """How well the labels next to the run ``[i, j)`` name group ``g`` (0: not at all)."""
        if self.mode == "block" or (g.anchor[0] == "col" and self._header_row(i)):
            return 0.0
        if self.mode != "mixed":
            return self._affinity(self.near(i, j), g)
        before, after = self.between[self.label_slot[i]][-1:], self.next_label[j]
        if not any(g.keys):  # a row outside the format is only read right after its own label
            return self._affinity(before, g)
        return max(self._affinity(before, g), MIXED_BEFORE * self._affinity(after, g))

    def _label_term(self, g: Group, i: int, j: int) -> float:
        """Label agreement of a run with the labels next to it; -inf for a row outside the format
        read where its label does not stand."""
        aff = self.affinity(g, i, j)
        near = self.near(i, j)
        if not any(g.keys) and aff == 0:
            return -math.inf
        if self.mode == "block":
            return 0.0
        if aff > 0:
            return ANCHOR * aff
        if self._foreign(near, g.anchor[0]) or g.anchor[0] == "col":
            return -WRONG  # a column read apart from its header is no column-by-column layout
        return 0.0

    def _order_term(self, g: Group, i: int, j: int) -> float:
        """Penalty for a run on the wrong side of its own row's label (before it when numbers follow
        their labels, after it when they precede them)."""
        at = self.label_at.get(g.anchor)
        if self.mode in ("block", "mixed") or not at:
            return 0.0
        if self.mode == "after" and all(n >= j for n in at):
            return -WRONG
        if self.mode == "before" and all(n <= i for n in at):
            return -WRONG
        return 0.0

    def _inside(self, kind: str, i: int, j: int) -> float:
        """Penalty for the labels a run of values ``[i, j)`` crosses."""
        s = 0.0
        for m in range(i + 1, j):
            for lab in self.between[m]:
                s -= CROSS if self.mode != "block" and self._foreign([lab], kind) else NEUTRAL
        return s

    def _start(self, i: int) -> float:
        """Penalty for a run starting inside a line of values or inside a paragraph."""
        if i == 0 or i >= len(self.values) or self.between[self.label_slot[i]]:
            return 0.0
        if self.values[i - 1].line == self.values[i].line:
            return -SPLIT_LINE
        return -PARA_CUT if self.para[i - 1] == self.para[i] else 0.0

    def run_score(self, gi: int, i: int, j: int) -> float:
        """Score of group ``gi`` taking the values ``[i, j)`` (the terms looked up in the tables of
        ``_precompute``; ``run_score_slow`` computes the same from the labels)."""
        g = self.groups[gi]
        k = j - i
        if k == 0:
            return -EMPTY_EARLY * (len(self.groups) - gi)
        w, kind, applies, _ = self._facts[gi]
        blanks = self._blanks[j] - self._blanks[i]
        s = (
            FILL * g.rows * (1 - (1 - BLANK_WEIGHT) * blanks / w)
            - SHORT * (w - k)
            - (SHORT_COLUMN if k < w and not g.row else 0)
        )
        s += self._fast_label_term(gi, g, i, j)
        bounds = self._order_bounds[gi]
        if bounds is not None and (  # _order_term, from where the group's own label stands
            (self.mode == "after" and bounds[0] >= j) or (self.mode == "before" and bounds[1] <= i)
        ):
            s -= WRONG
        inside = -(self._cross[kind][j] - self._cross[kind][i + 1]) if j > i + 1 else 0.0
        rule = 0.0
        if applies:  # else row_rule is 0
            key = (i, j, w)
            got = self._row_rules.get(key)
            rule = self._row_rules[key] = self.row_rule(g, tuple(range(i, j))) if got is None else got
        return s + inside + self._starts[i] + rule

    def _fast_label_term(self, gi: int, g: Group, i: int, j: int) -> float:
        """``_label_term`` from the tables."""
        _, kind, _, in_format = self._facts[gi]
        if self.mode == "block" or (kind == "col" and self._headers[i]):
            aff = 0.0
        elif self.mode == "after":
            aff = self._aff_before[gi][i]
        elif self.mode == "before":
            aff = self._aff_after[gi][j]
        elif not in_format:
            aff = self._aff_before[gi][i]
        else:
            aff = max(self._aff_before[gi][i], MIXED_BEFORE * self._aff_after[gi][j])
        if not in_format and aff == 0:
            return -math.inf
        if self.mode == "block":
            return 0.0
        if aff > 0:
            return ANCHOR * aff
        if kind == "col":
            return -WRONG
        fkey = (kind, self.label_slot[i], j)
        foreign = self._foreign_near.get(fkey)
        if foreign is None:
            foreign = self._foreign_near[fkey] = self._foreign(self.near(i, j), kind)
        return -WRONG if foreign else 0.0

    def run_score_slow(self, gi: int, i: int, j: int) -> float:
        """Score of group ``gi`` taking the values ``[i, j)``, computed from the labels."""
        g = self.groups[gi]
        k, w = j - i, len(g.keys)
        if k == 0:
            return -EMPTY_EARLY * (len(self.groups) - gi)
        blanks = sum(1 for v in self.values[i:j] if v.kind == "blank")
        s = (
            FILL * g.rows * (1 - (1 - BLANK_WEIGHT) * blanks / w)
            - SHORT * (w - k)
            - (SHORT_COLUMN if k < w and not g.row else 0)
        )
        s += self._label_term(g, i, j) + self._order_term(g, i, j)
        return s + self._inside(g.anchor[0], i, j) + self._start(i) + self.row_rule(g, tuple(range(i, j)))

    def band_score(self, gi: int, k: int, i: int) -> float:
        """Score of rows ``gi .. gi+k-1`` printed as a band column by column: each of the ``w`` columns
        one paragraph of ``k`` values (-inf where the paragraphs do not fall so)."""
        grps = self.groups[gi : gi + k]
        w = len(grps[0].keys)
        j = i + w * k
        alike = self._alike.get((gi, k))
        if alike is None:
            alike = self._alike[gi, k] = len(grps) == k and all(
                g.row and all(g.keys) and len(g.keys) == w and g.block == grps[0].block for g in grps
            )
        if j > len(self.values) or not alike:
            return -math.inf
        shaped = self._band_shape(i, k, w)
        if not shaped and not self._lone_band(i, j):
            return -math.inf
        rules = self._band_rules.get((gi, k, i))
        if rules is None:  # the same under every mode
            rules = self._band_rules[gi, k, i] = self._rows_of_band(grps, i, k, shaped)
        if rules == -math.inf:
            return rules
        return k * FILL + self._band_labels(grps, i) + sum(self._order_term(g, i, j) for g in grps) + rules

    def _rows_of_band(self, grps: list[Group], i: int, k: int, shaped: bool) -> float:
        """The rows' own relations on a band (``row_rule`` of each row, read column by column). A band
        paragraphs do not mark (``_lone_band``) stands only where every row adds up, on some number
        (not zeros alone): -inf otherwise, found at the first row that does not."""
        w = len(grps[0].keys)
        if not shaped and not any(self.numbers[i : i + w * k]):
            return -math.inf
        total = 0.0
        for r, g in enumerate(grps):
            got = self.row_rule(g, tuple(i + m * k + r for m in range(w)))
            if not shaped and got < ROW_HOLDS:
                return -math.inf
            total += got
        return total

    def _band_shape(self, i: int, k: int, w: int) -> bool:
        """The ``w * k`` values from ``i`` fall in ``w`` paragraphs of ``k`` values each (cached: the same
        for every group)."""
        key = (i, k, w)
        got = self._shapes.get(key)
        if got is None:
            p, j = self.para, i + w * k
            ends_there = not (j < len(p) and p[j - 1] == p[j])  # the band's last paragraph ends with it
            got = self._shapes[key] = ends_there and all(
                len({p[x] for x in range(a, a + k)}) == 1 and not (a > 0 and p[a - 1] == p[a]) for a in range(i, j, k)
            )
        return got

    def _lone_band(self, i: int, j: int) -> bool:
        """The values ``[i, j)`` each stand alone (a paragraph of one: pdfminer prints every cell of a ruled
        table as a box of its own) with labels right before and right after them (or the table's end):
        paragraphs cannot mark the band's columns, the labels bound it (``band_score`` then asks every row
        of the band to add up)."""
        n = len(self.values)
        if j > n or j - i < 2 or not self.between[self.label_slot[i]] or (j < n and not self.between[j]):
            return False
        joined = self._joined  # joined[x]: values before x that continue their paragraph
        return joined[min(j + 1, n)] - joined[max(i, 1)] == 0

    def _band_labels(self, grps: list[Group], i: int) -> float:
        """Label agreement of a band: the labels just before it are its rows' labels, in order."""
        if self.mode == "block":
            return 0.0
        labels = self.between[self.label_slot[i]][-len(grps) :]
        aff = sum(self._affinity([lab], g) for lab, g in zip(reversed(labels), reversed(grps), strict=False))
        if aff > 0:
            return ANCHOR * aff / len(grps)
        return -WRONG if self._foreign(labels[-1:], "row") else 0.0

    def _arrays(self) -> None:
        """numpy copies of the lookup tables, for scoring every start of a run at once (once: an alignment
        ``in_mode`` shares them)."""
        if hasattr(self, "_np_blanks"):
            return
        n = len(self.values)
        self._np_blanks = np.array(self._blanks, dtype=np.int64)
        self._np_cross = {kind: np.array(acc) for kind, acc in self._cross.items()}
        self._np_starts = np.array(self._starts)
        self._np_headers = np.array(self._headers, dtype=bool)
        self._np_aff_before = [np.array(a) for a in self._aff_before]
        self._np_aff_after = [np.array(a) for a in self._aff_after]
        slots = [self.label_slot[i] for i in range(n + 1)]
        self._np_foreign: dict[str, tuple[np.ndarray, np.ndarray]] = {
            kind: (
                np.array([self._foreign(self.between[s][-1:], kind) for s in slots], dtype=bool),
                np.array([self._foreign(self.next_label[j], kind) for j in range(n + 1)], dtype=bool),
            )
            for kind in ("row", "col")
        }
        # The length of the paragraph starting at each value (0 inside one): a band of k rows starts only
        # where a paragraph of exactly k values does.
        p = self.para
        self._para_len = [0] * (n + 1)
        for i in range(n):
            if i == 0 or p[i - 1] != p[i]:
                e = i
                while e < n and p[e] == p[i]:
                    e += 1
                self._para_len[i] = e - i

    def run_matrix(self, gi: int) -> np.ndarray:
        """``run_score(gi, i, i + k)`` at ``[k, i]`` for every run length ``k`` (0 to the group's width) and
        start ``i``; -inf where the run would end past the last value. Each term is computed in the same
        order as ``run_score``, element by element, so the floats are the same."""
        g = self.groups[gi]
        n = len(self.values)
        w, kind, applies, in_format = self._facts[gi]
        mode = self.mode
        top = min(w, n)
        i, _, valid, j, s, inside = self._run_terms(w, kind, bool(g.row), g.rows)
        aff_before, aff_after = self._np_aff_before[gi], self._np_aff_after[gi]
        foreign_before, foreign_after = self._np_foreign[kind]
        shape = (top, n + 1)
        aff: np.ndarray
        if mode == "block":
            aff = np.zeros(shape)
        elif mode == "after" or (mode == "mixed" and not in_format):
            aff = np.broadcast_to(aff_before[i], shape)
        elif mode == "before":
            aff = aff_after[j]
        else:
            aff = np.maximum(aff_before[i], MIXED_BEFORE * aff_after[j])
        if kind == "col":
            aff = np.where(self._np_headers[i], 0.0, aff)
        label: np.ndarray
        if mode == "block":
            label = np.zeros(shape)
        else:
            if kind == "col":
                other: np.ndarray = np.full(shape, -WRONG)
            else:
                if mode == "after":
                    foreign = np.broadcast_to(foreign_before[i], shape)
                elif mode == "before":
                    foreign = foreign_after[j]
                else:
                    foreign = foreign_before[i] | foreign_after[j]
                other = np.where(foreign, -WRONG, 0.0)
            label = np.where(aff > 0, ANCHOR * aff, other)
        if not in_format:
            label = np.where(aff == 0, -math.inf, label)
        s = s + label
        bounds = self._order_bounds[gi]
        if bounds is not None and mode == "after":
            s = np.where(bounds[0] >= j, s - WRONG, s)
        elif bounds is not None and mode == "before":
            s = np.where(bounds[1] <= i, s - WRONG, s)
        total = s + inside + self._np_starts[i]
        if applies:
            total = total + self._rule_matrix(top, w)
        out = np.full((top + 1, n + 1), -math.inf)
        out[0] = -EMPTY_EARLY * (len(self.groups) - gi)
        out[1:] = np.where(valid, total, -math.inf)
        return out

    def _run_terms(self, w: int, kind: str, row: bool, rows: float) -> tuple[np.ndarray, ...]:
        """The terms of ``run_matrix`` that do not depend on the group's labels, shared by the groups alike:
        starts ``i``, lengths ``k``, which runs fit, their ends ``j``, the score of their fill and of the
        labels they cross."""
        got = self._terms.get((w, kind, row, rows))
        if got is None:
            n = len(self.values)
            top = min(w, n)
            i = np.arange(n + 1)[None, :]
            k = np.arange(1, top + 1)[:, None]
            j = np.minimum(i + k, n)
            blanks = self._np_blanks[j] - self._np_blanks[i]
            s = FILL * rows * (1 - (1 - BLANK_WEIGHT) * blanks / w) - SHORT * (w - k)
            if not row:
                s = s - np.where(k < w, SHORT_COLUMN, 0)
            cross = self._np_cross[kind]
            inside = np.where(k > 1, -(cross[j] - cross[np.minimum(i + 1, n)]), 0.0)
            got = self._terms[w, kind, row, rows] = (i, k, i + k <= n, j, s, inside)
        return got

    def _rule_matrix(self, top: int, w: int) -> np.ndarray:
        """``_holds`` of the run of ``k`` values starting at each value, as a row of ``w`` cells, at ``[k - 1, i]``
        (shared by the rows alike; 0 past the last value)."""
        got = self._rule_matrices.get((top, w))
        if got is None:
            nums, n = self.numbers, len(self.numbers)
            got = np.zeros((top, n + 1))
            for k in range(1, top + 1):
                got[k - 1, : n - k + 1] = [_holds(nums[x : x + k], w) for x in range(n - k + 1)]
            self._rule_matrices[top, w] = got
        return got

    def _by_end_index(self, top: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For runs of length ``k`` (0 to ``top``) ending at each ``e`` (0 to n): where ``run_matrix[k, e - k]``
        sits in the flattened matrix, the start ``e - k`` (0 where negative) and whether the run fits
        (``e - k >= 0``); cached per ``top``."""
        got = self._end_index.get(top)
        if got is None:
            n = len(self.values)
            starts = np.arange(n + 1)[None, :] - np.arange(top + 1)[:, None]
            first = np.maximum(starts, 0)
            got = self._end_index[top] = (np.arange(top + 1)[:, None] * (n + 1) + first, first, starts >= 0)
        return got

    def solve(self) -> tuple[float, list[Run]]:
        """Best score and each group's run: the dynamic programme of ``solve_slow`` with each group's runs
        scored for all starts and lengths at once. Of the runs ending at one value, the best wins and, of
        equal ones, the longest, as ``solve_slow`` takes them (earlier starts first, a later one only when
        strictly better); the same result."""
        n, grps = len(self.values), self.groups
        G = len(grps)
        neg = -math.inf
        self._arrays()
        best: list[np.ndarray] = [np.full(n + 1, neg) for _ in range(G + 1)]
        # back pointers per group count and end: (group, start, kind) as three arrays, -1 where none
        back = [np.full((3, n + 1), -1, dtype=np.int64) for _ in range(G + 1)]
        best[0][0] = 0.0
        skip = self.skip_cost
        # bands to try, (start, rows): each paragraph of 2 to MAX_BAND values, and for rows whose own
        # relation applies, values standing one a paragraph from after a label to before one (per row width)
        marked = [(i, self._para_len[i]) for i in range(n + 1) if 2 <= self._para_len[i] <= MAX_BAND]
        lone_starts = [i for i in range(n) if self._para_len[i] == 1 and self.between[self.label_slot[i]]]
        label_ends = [j for j in range(1, n + 1) if j == n or self.between[j]]
        with_lone: dict[int, list[tuple[int, int]]] = {}
        for gi in range(G + 1):
            r = best[gi].tolist()
            skipped = []
            for i in range(n):  # leaving value i out: within the row, in order (-inf stays -inf)
                cur = r[i] - skip[i]
                if cur > r[i + 1]:
                    r[i + 1] = cur
                    skipped.append(i)
            row = best[gi] = np.array(r)
            if skipped:
                tb, at = back[gi], np.array(skipped)
                tb[0, at + 1], tb[1, at + 1], tb[2, at + 1] = gi, at, 0
            if gi == G:
                continue
            g = grps[gi]
            target, tb = best[gi + 1], back[gi + 1]
            scores = self.run_matrix(gi)
            top = len(scores) - 1
            # by_end[k, e]: the run of length k ending at e (starting at e - k), -inf where there is none
            flat, first, fits = self._by_end_index(top)
            by_end = np.where(fits, row[first] + scores.ravel()[flat], neg)
            longest = top - np.argmax(by_end[::-1], axis=0)
            cand = by_end.max(axis=0)
            better = np.flatnonzero(cand > target)
            if len(better):
                target[better] = cand[better]
                tb[0, better], tb[1, better], tb[2, better] = gi, better - longest[better], 1
            if g.row and self.mode != "before":
                limit = min(MAX_BAND, G - gi)
                w, applies = len(g.keys), self._facts[gi][2]
                if applies and w not in with_lone:
                    lone = [
                        (i, (j - i) // w)
                        for i in lone_starts
                        for j in label_ends
                        if j > i and not (j - i) % w and self._lone_band(i, j)
                    ]
                    with_lone[w] = sorted(marked + lone)
                for i, k in with_lone[w] if applies else marked:
                    if not 2 <= k <= limit or r[i] == neg:
                        continue
                    j = i + w * k
                    sc = r[i] + self.band_score(gi, k, i)
                    if sc > neg and sc > best[gi + k][j]:
                        best[gi + k][j] = sc
                        back[gi + k][:, j] = (gi, i, k)

        def pointer(gi: int, i: int) -> tuple[int, int, int] | None:
            g, start, kind = back[gi][:, i].tolist()
            return None if g < 0 else (g, start, kind)

        return float(best[G][n]), self._trace(pointer)

    def solve_slow(self) -> tuple[float, list[Run]]:
        """Best score and each group's run (one transition at a time; kept to check ``solve`` against)."""
        n, grps = len(self.values), self.groups
        neg = -math.inf
        best = [[neg] * (n + 1) for _ in range(len(grps) + 1)]
        back: list[list[tuple[int, int, int] | None]] = [[None] * (n + 1) for _ in range(len(grps) + 1)]
        best[0][0] = 0.0
        for gi in range(len(grps) + 1):
            row = best[gi]
            for i in range(n + 1):
                cur = row[i]
                if cur == neg:
                    continue
                if i < n:
                    skip = self.skip_cost[i]
                    if cur - skip > row[i + 1]:
                        row[i + 1], back[gi][i + 1] = cur - skip, (gi, i, 0)
                if gi == len(grps):
                    continue
                g = grps[gi]
                for k in range(min(len(g.keys), n - i) + 1):
                    s = cur + self.run_score(gi, i, i + k)
                    if s > best[gi + 1][i + k]:
                        best[gi + 1][i + k], back[gi + 1][i + k] = s, (gi, i, 1)
                if g.row and self.mode != "before":
                    for k in range(2, min(MAX_BAND, len(grps) - gi) + 1):
                        j = i + len(g.keys) * k
                        s = cur + self.band_score(gi, k, i)
                        if s > neg and s > best[gi + k][j]:
                            best[gi + k][j], back[gi + k][j] = s, (gi, i, k)
        return best[len(grps)][n], self._trace(lambda gi, i: back[gi][i])

    def _trace(self, back: Callable[[int, int], tuple[int, int, int] | None]) -> list[Run]:
        """Each group's run, following the back pointers ``back(groups done, values done)`` from the end."""
        gi, i = len(self.groups), len(self.values)
        runs = [Run((), 0, 0)] * len(self.groups)
        while gi > 0 or i > 0:
            prev = back(gi, i)
            assert prev is not None
            pg, pi, k = prev
            if k == 1:
                runs[pg] = Run(tuple(range(pi, i)), pi, i)
            elif k > 1:
                w = len(self.groups[pg].keys)
                for r in range(k):
                    runs[pg + r] = Run(tuple(pi + m * k + r for m in range(w)), pi, i, k, r == 0)
            gi, i = pg, pi
        return runs
