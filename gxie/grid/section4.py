"""Section 四 in the item stream -> its 15 cells: the one table whose layout is a single row of numbers.

The format prints section 四 as three groups of five columns over one row of 15 numbers; some reports
print it transposed, a block a row (行政复议 / 未经复议直接起诉 / 复议后起诉), and a converter may then give
its numbers a line per block or a column at a time. The block totals (R5) choose between the orders, and
find a total a converter printed before its 尚未审结 cell (``totals_printed_first``, on every reading).
"""

from __future__ import annotations

from dataclasses import replace

from gxie.confidence import BLOCK_LAYOUT_CELL, HEADER_MATCH, SHORT_ROW
from gxie.grid.assign import cell_of, fit
from gxie.grid.rows import RowHit, next_boundary, prev_boundary, values_between
from gxie.templates import Block, Template
from gxie.templates.lexicon import best_label
from gxie.text.cells import Item
from gxie.types import Cell, Issue, IssueCode
from gxie.validate import every_check, tally

SECTION4_HEADERS = {"maintained", "corrected", "other", "pending", "total"}
SECTION4_GROUP_HEADERS = {"review_group", "litigation", "direct_group", "after_review_group"}


def _headers(stream: list[Item]) -> list[int]:
    out = []
    for i, it in enumerate(stream):
        if it.kind != "COL":
            continue
        m = best_label(it.text, ("row", "col"), threshold=HEADER_MATCH)
        if m is None:
            continue
        if (m.entry.table == "section4" and (m.entry.kind == "row" or m.entry.id in SECTION4_HEADERS)) or (
            m.entry.table == "header" and m.entry.id in SECTION4_GROUP_HEADERS
        ):
            out.append(i)
    return out


def _blocks_as_rows(t: Template, stream: list[Item]) -> dict[str, Cell]:
    """Section 四 printed transposed: one line per block (行政复议 / 未经复议直接起诉 / 复议后起诉) with 5 values."""
    found: dict[str, list[Item]] = {}
    for i, it in enumerate(stream):
        if it.kind not in ("ROW", "COL"):
            continue
        m = best_label(it.text, ("row",), threshold=HEADER_MATCH)
        if m is None or m.entry.table != "section4" or m.entry.id in found:
            continue
        run = values_between(stream, i + 1, next_boundary(stream, i))
        if len([v for v in run if v.kind != "BLANK"]) >= 3:
            found[m.entry.id] = run
    out: dict[str, Cell] = {}
    if len(found) < 2:
        return out
    cols = [c.id for c in t.section4.columns]
    for block, run in found.items():
        vals, _ = fit(run, len(cols))
        for col, v in zip(cols, vals, strict=False):
            cell = cell_of("section4", block, col, v, 1.0 if len(vals) == len(cols) else SHORT_ROW)
            out[cell.key] = cell
    return out


def _by_columns(t: Template, vals: list[Item], cells: dict[str, Cell]) -> dict[str, Cell]:
    """Section 四's 15 numbers read in the format's order (``cells``), or column by column where the table
    was printed transposed (行政复议 / 未经复议直接起诉 / 复议后起诉 as its rows) and dumped a column at a
    time (3 numbers a column): the latter only where more block totals (R5) hold under it, its cells
    ``BLOCK_LAYOUT_CELL`` (the order was a choice)."""
    block = t.section4
    rows, cols = [r.id for r in block.rows], [c.id for c in block.columns]
    if len(vals) != len(rows) * len(cols):
        return cells
    by_columns = {}
    for i, v in enumerate(vals):
        cell = cell_of("section4", rows[i % len(rows)], cols[i // len(rows)], v, BLOCK_LAYOUT_CELL)
        by_columns[cell.key] = cell
    checks = [(n, keys) for n, keys in every_check(t) if keys[0].startswith("section4.")]
    return by_columns if tally(checks, by_columns)[0] > tally(checks, cells)[0] else cells


def read_section4(t: Template, stream: list[Item], hits: list[RowHit]) -> tuple[dict[str, Cell], list[Issue]]:
    """Section 四's cells and the messages about how they were read: its blocks printed as rows with their
    numbers, or its 15 numbers after (or before) its headers, in the format's order or by columns."""
    issues: list[Issue] = []
    rows = _blocks_as_rows(t, stream)
    if rows:
        return rows, issues
    heads = _headers(stream)
    last_row = max((h.index for h in hits if h.kind == "row" and h.table == "section3"), default=-1)
    heads = [i for i in heads if i > last_row] or heads
    if not heads:
        return {}, issues
    end = heads[-1]
    while end + 1 < len(stream) and stream[end + 1].kind in ("COL", "OTHER"):
        end += 1
    run = values_between(stream, end + 1, next_boundary(stream, end))
    if len([v for v in run if v.kind != "BLANK"]) < 5:
        start = prev_boundary(stream, heads[0])
        before = values_between(stream, start + 1, heads[0])
        if len([v for v in before if v.kind != "BLANK"]) > len([v for v in run if v.kind != "BLANK"]):
            run = before
    block: Block = t.section4
    keys = [(r.id, c.id) for r in block.rows for c in block.columns]
    vals, _ = fit(run, len(keys))
    cells = {}
    for (row, col), v in zip(keys, vals, strict=False):
        cell = cell_of("section4", row, col, v, 1.0 if len(vals) == len(keys) else SHORT_ROW)
        cells[cell.key] = cell
    chosen = _by_columns(t, vals, cells)
    if chosen is not cells:
        issues.append(
            Issue(
                "info",
                IssueCode.BLOCK_LAYOUT,
                "section4: numbers printed three a column (the table transposed, a block a row); read column "
                "by column (the block totals support it)",
            )
        )
    if vals and len(vals) < len(keys):
        issues.append(
            Issue(
                "warning",
                IssueCode.UNCERTAIN_ROW,
                f"section4: only {len(vals)} of {len(keys)} cells found; read in order",
            )
        )
    return chosen, issues


def totals_printed_first(t: Template, cells: dict[str, Cell]) -> tuple[dict[str, Cell], list[Issue]]:
    """A block of section 四 whose total reads smaller than its 尚未审结 cell (no count can hold more than its
    total) and whose parts add up once the two swap: the converter printed the total before 尚未审结
    (pdftotext's default mode does, on some ruled tables). The two cells swap and every cell of the block is
    capped at ``BLOCK_LAYOUT_CELL`` (the converter's order was not the table's: its other cells may have
    moved too), instead of a report that does not add up."""
    relation = t.row_relation("section4")
    if relation is None:
        return cells, []
    last, whole = relation.parts[-1], relation.whole[-1]
    out, issues = cells, []
    for row in (r.id for r in t.section4.rows):
        keys = [f"section4.{row}.{c}" for c in (*relation.parts, *relation.whole)]
        got = [cells.get(k) for k in keys]
        values = [c.value for c in got if c is not None and type(c.value) is int]
        if len(values) != len(keys):
            continue
        *parts, total = (int(v) for v in values)
        if not total < parts[-1] or sum(parts[:-1]) + total != parts[-1]:
            continue
        a, b = cells[f"section4.{row}.{last}"], cells[f"section4.{row}.{whole}"]
        if out is cells:
            out = dict(cells)
        for k in keys:  # the converter's order was not the table's: every cell of the block is in doubt
            out[k] = replace(out[k], confidence=min(out[k].confidence, BLOCK_LAYOUT_CELL))
        cap = min(a.confidence, b.confidence, BLOCK_LAYOUT_CELL)
        out[a.key] = replace(a, value=b.value, raw=b.raw, span=b.span, confidence=cap)
        out[b.key] = replace(b, value=a.value, raw=a.raw, span=a.span, confidence=cap)
        issues.append(
            Issue(
                "info",
                IssueCode.BLOCK_LAYOUT,
                f"section4 block {row}: its total ({a.value}) was printed before {last} ({b.value}): read so, "
                "the block adds up",
            )
        )
    return out, issues
