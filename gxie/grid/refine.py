"""Today's label-anchored grid and the decoder's readings, table by table: which cells to keep.

Today's rebuild (``gxie.grid.build``) is exact on the layouts it knows; the decoder
(``gxie.grid.decode``) reads the rest. A table of today's rebuild that is complete and breaks no relation
is kept as it is. Otherwise the decoded table replaces it when it is expected to hold more right cells:
the confidences of its cells summed, halved for cells inside a broken relation.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from dataclasses import replace

from gxie.confidence import DECODED_BROKEN, TRUSTED
from gxie.grid.candidates import Token, region_cells, regions, tokens
from gxie.grid.decode import ROW_RULES, UNLABELLED, doubt, read_table, table_checks
from gxie.grid.plausible import flag_implausible
from gxie.grid.strays import strays_returned
from gxie.templates import Template
from gxie.types import Cell, Check, Issue, IssueCode, Span
from gxie.validate import run_checks

TABLES = ("section2", "section3", "section4")
# Codes of today's rebuild's messages about how it read a table; dropped when the table is replaced.
REBUILD_CODES = {
    IssueCode.UNCERTAIN_ROW,
    IssueCode.PLACEMENT_BY_PRIOR,
    IssueCode.LABELS_AFTER_NUMBERS,
    IssueCode.BLOCK_LAYOUT,
    IssueCode.DUPLICATE_ROW,
}
MAX_FAILED = 2  # a decoded table breaking more relations than this is likely misread: none of it trusted
UNREAD_WEIGHT = 1.0  # a number of the table left unread costs as much as a right cell
REPLACE_MARGIN = 0.5  # expected right cells the decoded table must gain over today's to replace it
# A table region with more numbers than MAX_VALUES_PER_CELL per cell of the table (at least MIN_MAX_VALUES),
# or more text cells than MAX_CELLS_PER_CELL per cell (at least MIN_MAX_CELLS), is not decoded. Real
# converted text holds at most 2.1 numbers per cell (section 三) and 141 numbers, 413 text cells in all.
MAX_VALUES_PER_CELL = 3
MIN_MAX_VALUES = 200
MAX_CELLS_PER_CELL = 4
MIN_MAX_CELLS = 500
FAILED_WEIGHT = 0.5  # weight of a cell inside a broken relation when expected right cells are counted


def refine(
    t: Template, text: str, spans: list[Span], cells: dict[str, Cell], messages: list[Issue]
) -> tuple[dict[str, Cell], list[Issue], tuple[str, ...]]:
    """``cells`` and ``messages`` of today's rebuild, each table replaced by its decoded reading where
    today's is incomplete or breaks a relation and the decoded one is expected to hold more right cells
    (today's messages about a replaced table dropped); values beyond what a cell can hold flagged; and the
    tables replaced."""
    policy = os.environ.get("GXIE_DECODE", "expect")
    if policy == "off":
        return cells, messages, ()
    replaced: set[str] = set()
    bounds = regions(text)
    out = dict(cells)
    messages = list(messages)
    for table in TABLES:
        if table not in bounds:
            continue
        context = {k: c for k, c in out.items() if not k.startswith(table + ".")}
        base = {k: c for k, c in out.items() if k.startswith(table + ".")}
        if policy != "always" and _sound(t, table, base, context, bounds[table]):
            continue  # today's table is complete, breaks no relation and was read in its region: nothing to decode
        # The decoder's work grows with the region's cells: a region far larger than its table is not decoded.
        region = region_cells(text, *bounds[table], row_width(t, table), row_cells(t, table), sums=table in ROW_RULES)
        cells_in = len(region)
        fits = cells_in <= max_cells(t, table)
        stream = tokens(text, spans, *bounds[table], region, row_cells(t, table)) if fits else []
        values_in = sum(1 for tok in stream if tok.is_value)
        if not stream or values_in > max_values(t, table):
            messages.append(
                Issue(
                    "info",
                    IssueCode.TABLE_TOO_LONG,
                    f"{table}: {cells_in} cells and {values_in or 'uncounted'} numbers where the table has "
                    f"{len(t.table_keys(table))} cells (at most {max_cells(t, table)} cells and {max_values(t, table)} "
                    "numbers are decoded); read by its labels only",
                )
            )
            continue
        readings = read_table(t, table, stream, context)
        if not readings or not readings[0].cells:
            continue
        decoded = doubt(readings)
        if sum(1 for c in table_checks(t, table, decoded, context) if not c.passed) > MAX_FAILED:
            decoded = {k: replace(c, confidence=min(c.confidence, UNLABELLED)) for k, c in decoded.items()}
        if policy == "always" or _better(t, table, base, decoded, context, stream, bounds[table]):
            out = {**context, **decoded}
            # a relation the decoded reading breaks on cells placed without a sure label (by the format's
            # order) may be gxie's misplacement, not the report's: those cells drop below SOURCE_CONSISTENT,
            # so validation calls it an uncertain reading; cells read by their labels keep their confidence
            failing = {k for c in run_checks(t, out) if c.passed is False for k in c.cells if k in decoded}
            out.update({k: replace(out[k], confidence=DECODED_BROKEN) for k in failing if out[k].confidence < TRUSTED})
            rows = {r.id for b in t.blocks if b.table == table for r in b.rows}
            messages = [m for m in messages if not _about(m, table, rows)]
            messages.append(
                Issue("info", IssueCode.DECODED_TABLE, f"{table}: read by constrained decoding ({readings[0].name})")
            )
            replaced.add(table)
    out = strays_returned(t, text, spans, bounds, out)
    out, flagged = flag_implausible(out)
    return out, messages + flagged, tuple(sorted(replaced))


def _about(message: Issue, table: str, rows: set[str]) -> bool:
    """A message of today's rebuild about how it read ``table`` (rows placed, layout found)."""
    if message.code not in REBUILD_CODES:
        return False
    if message.message.startswith((table + " ", table + ":")):
        return True
    return message.code is IssueCode.DUPLICATE_ROW and message.message.split(" ")[1] in rows


def _expected(cells: dict[str, Cell], checks: list[Check], keys: set[str]) -> float:
    """How many of ``cells`` among ``keys`` are likely right: their confidences summed, weighed down
    inside a broken relation."""
    doubted = {k for c in checks if not c.passed for k in c.cells}
    return sum(c.confidence * (FAILED_WEIGHT if k in doubted else 1.0) for k, c in cells.items() if k in keys)


def _better(
    t: Template,
    table: str,
    base: dict[str, Cell],
    decoded: dict[str, Cell],
    context: dict[str, Cell],
    stream: list[Token],
    bounds: tuple[int, int],
) -> bool:
    """The decoded table replaces today's when today's is incomplete, breaks a relation or took numbers
    from outside the table's region, and the decoded one is better: more right cells expected among those
    the two give different values (today's cells read outside the region count as wrong), less the
    numbers of the table each leaves unread (the same values: more cells found, or as many found inside
    the region)."""
    keys = t.table_keys(table)
    away = {k for k, c in base.items() if not _inside(c, bounds)}
    b_checks = table_checks(t, table, base, context)
    differ = {k for k in keys if not _same(base.get(k), decoded.get(k))}
    if not differ:  # the same values: the decoded table where it finds more of the table's cells
        found, before = sum(1 for k in keys if k in decoded), sum(1 for k in keys if k in base)
        return found > before or (found == before and bool(away) and all(_inside(c, bounds) for c in decoded.values()))
    d_checks = table_checks(t, table, decoded, context)
    b_score = _expected({k: c for k, c in base.items() if k not in away}, b_checks, differ)
    b_score -= UNREAD_WEIGHT * _unread(stream, base)
    d_score = _expected(decoded, d_checks, differ) - UNREAD_WEIGHT * _unread(stream, decoded)
    return b_score + REPLACE_MARGIN < d_score


def row_width(t: Template, table: str) -> int:
    """The cells of the table's widest row."""
    return max(len(b.columns) for b in t.blocks if b.table == table)


def row_cells(t: Template, table: str) -> dict[str, int]:
    """Each row of the table and the cells it holds."""
    return {r.id: len(b.columns) for b in t.blocks if b.table == table for r in b.rows}


def max_cells(t: Template, table: str) -> int:
    """The most text cells (labels, numbers, blanks) a region of ``table`` may hold to be decoded."""
    return max(MAX_CELLS_PER_CELL * len(t.table_keys(table)), MIN_MAX_CELLS)


def max_values(t: Template, table: str) -> int:
    """The most numbers a region of ``table`` may hold to be decoded (the decoder's time grows with them)."""
    return max(MAX_VALUES_PER_CELL * len(t.table_keys(table)), MIN_MAX_VALUES)


def _sound(t: Template, table: str, base: dict[str, Cell], context: dict[str, Cell], bounds: tuple[int, int]) -> bool:
    """Today's reading of ``table`` has every cell, breaks no relation and took no number from outside the
    table's region (section 四 read from zeros of section 三's text, in a report without a 四 heading):
    the decoder is not asked."""
    inside = all(_inside(c, bounds) for c in base.values())
    return (
        inside
        and all(k in base for k in t.table_keys(table))
        and all(c.passed for c in table_checks(t, table, base, context))
    )


def _inside(cell: Cell, bounds: tuple[int, int]) -> bool:
    """The cell was read from text inside ``bounds`` (or from no text: a blank)."""
    return cell.span is None or cell.span[1] <= cell.span[0] or bounds[0] <= cell.span[0] < bounds[1]


def _unread(stream: list[Token], cells: dict[str, Cell]) -> int:
    """How many numbers of the table's text no cell was read from."""
    spans = sorted(c.span for c in cells.values() if c.span is not None and c.span[1] > c.span[0])
    starts = [a for a, _ in spans]
    count = 0
    for tok in stream:
        if tok.kind != "value":
            continue
        k = bisect_right(starts, tok.start) - 1
        hit = any(a < tok.end and tok.start < b for a, b in spans[max(0, k - 1) : k + 2])
        count += not hit
    return count


def _same(a: Cell | None, b: Cell | None) -> bool:
    """The two cells give the same value (an absent cell reads as blank)."""
    x, y = (a.value if a else None), (b.value if b else None)
    return x == y and type(x) is type(y)
