"""Values -> cells of one row: blanks, surplus cells, dropped blanks, numbers before or after labels."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from gxie.confidence import (
    AMBIGUOUS_PLACEMENT,
    BLANK_CELL,
    BLANK_ROW,
    EXTRA_VALUES,
    NO_PLACEMENT_ADDS_UP,
    OCR_LOOKALIKE_SCORE,
    ROW_CERTAINTY_FLOOR,
    SHORT_ROW,
    UNREADABLE_NUMBER,
)
from gxie.grid.values import lone_stroke, parse_number
from gxie.templates import Relation
from gxie.text.cells import Item
from gxie.types import Cell, Number
from gxie.validate import balance

# Where a row printed with blanks dropped most likely has its numbers (section 三: natural persons
# and the total first). Used only to break ties among placements the arithmetic allows.
_SECTION3_PRIOR = (
    "natural_person",
    "total",
    "commercial",
    "other",
    "legal_service",
    "research",
    "social_welfare",
)


@dataclass(frozen=True)
class RowValues:
    """The cells of one row and how sure the placement is."""

    cells: list[Cell]
    certainty: float  # 1.0: exactly one cell per column
    note: str = ""  # why the placement is uncertain, for messages
    level: str = "warning"  # "info" when the arithmetic and the usual layout settle it
    alternatives: tuple[tuple[Cell, ...], ...] = ()  # other placements the row's own total allows


def fit(values: list[Item], n: int, *, wide_tables: bool = False) -> tuple[list[Item], list[Item]]:
    """Trim a value run to ``n`` cells: leading blanks first (merged label cells), then the tail.

    ``wide_tables``: the row's table may be wider than the row (section 二's small tables printed as one
    table, padded with empty cells at the right), so a trailing blank goes before a leading one.
    A run holding exactly ``n`` numbers among more cells keeps the numbers: its blank cells cannot all be
    cells of the row (padding columns, merged cells a converter spread over several columns).
    Returns (kept, dropped non-blank values)."""
    vals = list(values)
    numbers = [v for v in vals if v.kind != "BLANK"]
    if len(vals) > n and len(numbers) == n:
        return numbers, []
    while wide_tables and len(vals) > n and vals[-1].kind == "BLANK":
        vals.pop()
    while len(vals) > n and vals[0].kind == "BLANK":
        vals.pop(0)
    return vals[:n], [v for v in vals[n:] if v.kind != "BLANK"]


def cell_of(table: str, row: str, col: str, item: Item | None, certainty: float) -> Cell:
    """A Cell from a value item (None: a blank dropped from the text)."""
    if item is None or item.kind == "BLANK":
        span = (item.start, item.end) if item is not None else None
        return Cell(table, row, col, None, "", span, round(BLANK_CELL * certainty, 3))
    value = _value_of(item, col)
    conf = item.score * certainty
    if item.kind == "NUM" and value is None:
        conf *= UNREADABLE_NUMBER
    elif item.kind == "NUM" and lone_stroke(item.text):
        conf = min(conf, OCR_LOOKALIKE_SCORE)  # whichever tagger marked it: a 1 or a ruling line
    return Cell(table, row, col, value, item.text, (item.start, item.end), round(conf, 3))


def place_row(
    table: str,
    row: str,
    cols: list[str],
    values: list[Item],
    hit_score: float,
    *,
    more_rows: bool = True,
    relation: Relation | None = None,
) -> RowValues:
    """Assign a row's value run to its columns.

    ``more_rows``: another row of the table follows (a short run at the very end is a cut-off row).
    ``relation``: the relation along the row (R2 of section 三); a row printed one number per line without
    its blank cells is placed where the relation holds."""
    n = len(cols)
    certainty = min(1.0, ROW_CERTAINTY_FLOOR + hit_score * (1 - ROW_CERTAINTY_FLOOR))
    nums = [v for v in values if v.kind != "BLANK"]
    vals, extra = fit(values, n, wide_tables=table == "section2")
    if len(vals) == n:
        note = f"{len(extra)} extra value(s) after the row were ignored" if extra else ""
        c = certainty * (EXTRA_VALUES if extra else 1.0)
        return RowValues([cell_of(table, row, col, v, c) for col, v in zip(cols, vals, strict=True)], c, note)
    if not vals:
        return RowValues([], 0.0)
    # Blank cells dropped (one number per line): choose columns by the total. A short row on one line
    # (a tab row) lost its trailing cells instead, so it is read left to right.
    dense = len(nums) == len(vals) and len({v.line for v in vals}) > 1
    if dense and more_rows and relation is not None and set(cols) == {*relation.parts, *relation.whole}:
        return _place_dense(table, row, cols, vals, certainty, relation)
    c = certainty * SHORT_ROW
    cells = [cell_of(table, row, col, v, c) for col, v in zip(cols, vals, strict=False)]
    return RowValues(cells, c, f"only {len(vals)} of {n} cells found; read left to right")


def blank_row(table: str, row: str, cols: list[str]) -> RowValues:
    """A row whose label stands alone in a table printed with its blank cells dropped: all blank."""
    return RowValues([cell_of(table, row, col, None, BLANK_ROW) for col in cols], BLANK_ROW)


def _place_dense(
    table: str, row: str, cols: list[str], vals: list[Item], certainty: float, relation: Relation
) -> RowValues:
    """A row printed with its blank cells dropped: choose the columns under which ``relation`` holds."""
    k = len(vals)
    parsed = [parse_number(v.text) for v in vals]
    good: list[tuple[int, ...]] = []
    parts_at, whole_at = [cols.index(c) for c in relation.parts], [cols.index(c) for c in relation.whole]
    whole = set(whole_at)
    for combo in combinations(range(len(cols)), k):
        if None in parsed or not whole <= set(combo):  # the whole must be printed for the row to say anything
            continue
        # the relation on the row as cell_of would read it (evaluate's balance), without building the cells
        value = dict(zip(combo, (_value_of(v, cols[i]) for v, i in zip(vals, combo, strict=True)), strict=True))
        if balance([value.get(i) for i in parts_at], [value.get(i) for i in whole_at])[2]:
            good.append(combo)
    rank = {c: i for i, c in enumerate(_SECTION3_PRIOR)}
    if good:
        good.sort(key=lambda combo: sorted(rank[cols[i]] for i in combo))
        chosen, c = good[0], certainty * (1.0 if len(good) == 1 else AMBIGUOUS_PLACEMENT)
        note = "" if len(good) == 1 else f"blank cells dropped: {len(good)} placements add up; chose the likeliest"
    else:
        chosen, c = tuple(range(k)), certainty * NO_PLACEMENT_ADDS_UP
        note = f"only {k} of {len(cols)} cells found and no placement adds up; read left to right"
    alternatives = tuple(tuple(_cells_for(table, row, cols, vals, combo, c)) for combo in good[1:])
    cells = _cells_for(table, row, cols, vals, chosen, c)
    return RowValues(cells, c, note, "info" if good else "warning", alternatives)


def _value_of(item: Item, col: str) -> Number | None:
    """The value of a non-blank ``item`` in column ``col`` (``cell_of``'s): a number's, None for a mark."""
    return parse_number(item.text, col) if item.kind == "NUM" else None


def _cells_for(
    table: str, row: str, cols: list[str], vals: list[Item], combo: tuple[int, ...], certainty: float
) -> list[Cell]:
    """The row's cells with ``vals`` in the columns ``combo`` (in order) and blanks elsewhere."""
    by_col = dict(zip(combo, vals, strict=True))
    return [cell_of(table, row, col, by_col.get(i), certainty) for i, col in enumerate(cols)]
