"""Values -> cells of one row: blanks, surplus cells, dropped blanks, numbers before or after labels."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from gxie.grid.values import parse_number
from gxie.text.cells import Item
from gxie.types import Cell, Number

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
    Returns (kept, dropped non-blank values)."""
    vals = list(values)
    while wide_tables and len(vals) > n and vals[-1].kind == "BLANK":
        vals.pop()
    while len(vals) > n and vals[0].kind == "BLANK":
        vals.pop(0)
    return vals[:n], [v for v in vals[n:] if v.kind != "BLANK"]


def cell_of(table: str, row: str, col: str, item: Item | None, certainty: float) -> Cell:
    """A Cell from a value item (None: a blank dropped from the text)."""
    if item is None or item.kind == "BLANK":
        span = (item.start, item.end) if item is not None else None
        return Cell(table, row, col, None, "", span, round(0.9 * certainty, 3))
    value: Number | None = None
    if item.kind == "NUM":
        value = parse_number(item.text, col)
    conf = item.score * certainty
    if item.kind == "NUM" and value is None:
        conf *= 0.3  # tagged as a number but unreadable
    return Cell(table, row, col, value, item.text, (item.start, item.end), round(conf, 3))


def place_row(
    table: str, row: str, cols: list[str], values: list[Item], hit_score: float, *, more_rows: bool = True
) -> RowValues:
    """Assign a row's value run to its columns.

    ``more_rows``: another row of the table follows (a short run at the very end is a cut-off row)."""
    n = len(cols)
    certainty = min(1.0, 0.5 + hit_score / 2)
    nums = [v for v in values if v.kind != "BLANK"]
    vals, extra = fit(values, n, wide_tables=table == "section2")
    if len(vals) == n:
        note = f"{len(extra)} extra value(s) after the row were ignored" if extra else ""
        c = certainty * (0.7 if extra else 1.0)
        return RowValues([cell_of(table, row, col, v, c) for col, v in zip(cols, vals, strict=True)], c, note)
    if not vals:
        return RowValues([], 0.0)
    # Blank cells dropped (one number per line): choose columns by the total. A short row on one line
    # (a tab row) lost its trailing cells instead, so it is read left to right.
    dense = len(nums) == len(vals) and len({v.line for v in vals}) > 1
    if dense and more_rows and table == "section3" and n == 7:
        return _place_dense(table, row, cols, vals, certainty)
    c = certainty * 0.6
    cells = [cell_of(table, row, col, v, c) for col, v in zip(cols, vals, strict=False)]
    return RowValues(cells, c, f"only {len(vals)} of {n} cells found; read left to right")


def blank_row(table: str, row: str, cols: list[str]) -> RowValues:
    """A row whose label stands alone in a table printed with its blank cells dropped: all blank."""
    return RowValues([cell_of(table, row, col, None, 0.8) for col in cols], 0.8)


def _place_dense(table: str, row: str, cols: list[str], vals: list[Item], certainty: float) -> RowValues:
    """A section 三 row printed with its blank cells dropped: choose the columns the total supports."""
    k = len(vals)
    parsed = [parse_number(v.text) for v in vals]
    good: list[tuple[int, ...]] = []
    for combo in combinations(range(7), k):
        got: dict[int, Number | None] = dict(zip(combo, parsed, strict=True))
        total = got.get(6)
        parts = [got.get(i) or 0 for i in range(6)]
        if total is not None and all(p is not None for p in parsed) and abs(sum(parts) - total) < 1e-9:
            good.append(combo)
    rank = {c: i for i, c in enumerate(_SECTION3_PRIOR)}
    if good:
        good.sort(key=lambda combo: sorted(rank[cols[i]] for i in combo))
        chosen, c = good[0], certainty * (1.0 if len(good) == 1 else 0.6)
        note = "" if len(good) == 1 else f"blank cells dropped: {len(good)} placements add up; chose the likeliest"
    else:
        chosen, c = tuple(range(k)), certainty * 0.4
        note = f"only {k} of 7 cells found and no placement adds up; read left to right"

    def cells_for(combo: tuple[int, ...]) -> list[Cell]:
        by_col = dict(zip(combo, vals, strict=True))
        return [cell_of(table, row, cols[i], by_col.get(i), c) for i in range(7)]

    alternatives = tuple(tuple(cells_for(combo)) for combo in good[1:])
    return RowValues(cells_for(chosen), c, note, "info" if good else "warning", alternatives)
