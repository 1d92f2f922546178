"""Tagged spans + the format -> the grid of cells. Anchored on row labels, never on number order.

For each table the values of every row are looked for after its label (the usual case) and before it
(labels printed after their numbers); a table whose labels all come first and whose numbers follow as
one block is read column by column or row by row, whichever the arithmetic relations support.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from gxie.confidence import (
    AMBIGUOUS_PLACEMENT,
    BLOCK_LAYOUT_CELL,
    BLOCK_LAYOUT_FIT,
    CLOSE_FIT,
    DECODED_BROKEN,
    FORMAT_CONFIDENT,
    RIVAL_MARGIN,
    TEXT_BEFORE_VALUES,
    TRUSTED,
)
from gxie.grid.assign import RowValues, blank_row, cell_of, place_row
from gxie.grid.detect import detect_template
from gxie.grid.refine import refine
from gxie.grid.rows import (
    RowHit,
    find_rows,
    next_boundary,
    prev_boundary,
    split_rows,
    text_before_values,
    unwrap,
    values_between,
)
from gxie.grid.section4 import read_section4, totals_printed_first
from gxie.grid.tab_fields import padding, tab_line
from gxie.templates import Template, load_template
from gxie.text.cells import Item, items
from gxie.types import Cell, Grid, Issue, IssueCode, Level, Span
from gxie.validate import RowTally, count_passed, every_check, run_checks, tally, touching


@dataclass
class _Draft:
    """The grid while it is rebuilt: cells (keyed by flat key) and issues grow table by table."""

    template: str
    template_confidence: float
    cells: dict[str, Cell] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    unread: int = 0  # numbers of the table a reading leaves unread (``_read_table``'s trials)


def rebuild(
    text: str, spans: list[Span], *, template: str | None = None, year: int | None = None, decode: bool = True
) -> Grid:
    """Rebuild the three tables of ``text`` from a tagger's ``spans``; ``decode=False`` keeps the
    label-anchored reading as it is (no constrained decoding of incomplete or inconsistent tables)."""
    stream = split_rows(items(text, spans))
    hits = find_rows(stream)
    stream = unwrap(stream, hits)
    evidence: list[str] = []
    if template is None:
        template, conf, evidence = detect_template(stream, hits, year)
    else:
        conf = 1.0
    t = load_template(template)
    grid = _Draft(template, conf)
    if conf < FORMAT_CONFIDENT and evidence:
        grid.issues.append(
            Issue(
                "warning",
                IssueCode.FORMAT_UNCERTAIN,
                f"format {template} chosen with low confidence ({'; '.join(evidence)})",
            )
        )
    rows_of = {(b.table, r.id): b for b in t.blocks[:-1] for r in b.rows}
    leaf = {(h.first, h.index) for h in hits if h.kind == "row" and (h.table, h.row) in rows_of}
    groups = {i for h in hits if (h.first, h.index) not in leaf for i in range(h.first, h.index + 1)}
    for table in ("section2", "section3"):
        table_hits = [h for h in hits if h.kind == "row" and h.table == table]
        _read_table(t, text, stream, table_hits, rows_of, groups, grid)
    _report_other_rows(t, stream, hits, grid)
    cells4, issues4 = read_section4(t, stream, hits)
    grid.cells.update(cells4)
    grid.issues.extend(issues4)
    cells, issues, decoded = (
        refine(t, text, spans, grid.cells, grid.issues) if decode else (grid.cells, grid.issues, ())
    )
    cells, swapped = totals_printed_first(t, cells)
    cells, shared = one_cell_per_number(t, cells)
    return Grid(grid.template, grid.template_confidence, cells, (*issues, *swapped, *shared), decoded)


def one_cell_per_number(t: Template, cells: dict[str, Cell]) -> tuple[dict[str, Cell], list[Issue]]:
    """One printed number, one cell: where several cells (of different tables, in text whose sections run
    into each other) were read from the same number, the surest keeps it and the others are dropped (not
    found), with a message naming them. The kept cell keeps its confidence when it was read surely (at
    least ``TRUSTED``) and the others were not; otherwise its table was a choice: ``AMBIGUOUS_PLACEMENT``."""
    order = {k: i for i, k in enumerate(t.flat_keys())}
    by_span: dict[tuple[int, int], list[Cell]] = {}
    for c in cells.values():
        if c.value is not None and c.span is not None:
            by_span.setdefault(c.span, []).append(c)
    out = dict(cells)
    issues: list[Issue] = []
    for claim in by_span.values():
        if len(claim) < 2:
            continue
        claim.sort(key=lambda c: (-c.confidence, order.get(c.key, len(order))))
        kept, dropped = claim[0], claim[1:]
        if not kept.confidence >= TRUSTED > dropped[0].confidence:
            out[kept.key] = replace(kept, confidence=min(kept.confidence, AMBIGUOUS_PLACEMENT))
        for c in dropped:
            del out[c.key]
        issues.append(
            Issue(
                "warning",
                IssueCode.UNCERTAIN_ROW,
                f"{', '.join(c.key for c in claim)} were read from the same number {kept.raw!r}; it is given to "
                f"{kept.key} (the surest reading) and the others are left unread",
            )
        )
    return out, issues


def _runs(
    stream: list[Item], hits: list[RowHit], groups: set[int], widths: list[int]
) -> tuple[list[list[Item]], list[list[Item]]]:
    """Each row's value run after its label, and before it (group labels in front of a label skipped).

    A label whose own line holds a full row of cells (a tab or pipe row) keeps to that line, so the
    empty leading cells of the next line are not taken for its values."""
    after, before = [], []
    for h, n in zip(hits, widths, strict=True):
        run = values_between(stream, h.index + 1, next_boundary(stream, h.index))
        line = stream[h.index].line
        same = [v for v in run if v.line == line]
        run = same if len(same) >= n else _until_empty_line(run)
        if text_before_values(stream, h, run):
            run = [replace(v, score=min(v.score, TEXT_BEFORE_VALUES)) for v in run]
        after.append(run)
        first = h.first
        while True:
            j = prev_boundary(stream, first)
            if j in groups and not values_between(stream, j + 1, first):
                first = j
                continue
            break
        run = values_between(stream, prev_boundary(stream, first) + 1, first)
        line = stream[h.first].line
        same = [v for v in run if v.line == line]
        before.append(same if len(same) >= n else run)
    return after, before


def _tab_aligned(
    text: str, stream: list[Item], hits: list[RowHit], runs: list[list[Item]], widths: list[int]
) -> list[list[Item]]:
    """The runs without the empty fields that are their labels' padding (``gxie.grid.tab_fields``): tab rows
    whose labels stand in different columns, each run on its label's line."""
    tabbed = [
        bool(run) and all(v.line == stream[h.index].line for v in run) and tab_line(text, stream[h.index].start)
        for run, h in zip(runs, hits, strict=True)
    ]
    rows = [
        (n, [(v.start, v.kind == "BLANK") for v in run]) for run, n, ok in zip(runs, widths, tabbed, strict=True) if ok
    ]
    pad = padding(text, rows)
    return [[v for v in run if v.start not in pad or v.kind != "BLANK"] if pad else run for run in runs]


def _until_empty_line(run: list[Item]) -> list[Item]:
    """Cut a value run at the first empty line inside it: in one-cell-per-line layouts an empty line
    ends a table row, and what follows (merged cells of the next row) is not this row's."""
    for k in range(1, len(run)):
        if run[k].line - run[k - 1].line >= 2:
            return run[:k]
    return run


def _fitness(runs: list[list[Item]], widths: list[int], hits: list[RowHit], stream: list[Item]) -> float:
    """How well value runs fit the rows: full rows count 1, short ones less; values printed on the
    label's own line count extra (they decide between numbers-after and numbers-before readings)."""
    score = 0.0
    for r, n, h in zip(runs, widths, hits, strict=True):
        score += 1.0 if len(r) >= n else 0.5 * len(r) / n
        if r:
            score += 0.5 * sum(v.line == stream[h.index].line for v in r) / len(r)
    return score


def _read_table(
    t: Template,
    text: str,
    stream: list[Item],
    hits: list[RowHit],
    rows_of: dict,
    groups: set[int],
    grid: _Draft,
) -> None:
    """Read one table's rows; numbers after or before their labels, whichever the relations support."""
    hits = [h for h in hits if (h.table, h.row) in rows_of]
    if not hits:
        return
    widths = [len(rows_of[(h.table, h.row)].columns) for h in hits]
    after, before = _runs(stream, hits, groups, widths)
    after = _tab_aligned(text, stream, hits, after, widths)
    f_after, f_before = _fitness(after, widths, hits, stream), _fitness(before, widths, hits, stream)
    if max(f_after, f_before) < BLOCK_LAYOUT_FIT * len(hits) and _read_block(t, stream, hits, rows_of, grid):
        return
    best: tuple[tuple[int, float], str, _Draft] | None = None
    tried: list[tuple[int, int, _Draft]] = []  # (failed relations, passed less failed, reading) of each one asked
    # the numbers each reading leaves unread: before the first label (numbers after their labels), after
    # the last one (numbers before them)
    unread = {"after": len(before[0]), "before": len(after[-1])}
    for mode, runs, fitness in (("after", after, f_after), ("before", before, f_before)):
        if fitness < CLOSE_FIT * max(f_after, f_before):
            continue  # clearly the worse reading: the relations are asked only between close ones
        trial = _Draft(grid.template, grid.template_confidence, dict(grid.cells), unread=unread[mode])
        _place_rows(t, hits, runs, widths, rows_of, trial)
        passed, failed = tally(every_check(t), trial.cells)
        tried.append((failed, passed - failed, trial))
        key = (passed - failed, fitness)
        if best is None or key > best[0]:
            best = (key, mode, trial)
    assert best is not None
    _, mode, chosen = best
    grid.cells = _rival_doubted(chosen, tried)
    if mode == "before" and chosen.unread:
        # numbers read before their labels, yet numbers after the last label: the table may print them after
        # its labels (a reading the fitness ruled out), every row then a row off; none of it is trusted
        table = hits[0].table
        grid.cells = {
            k: replace(c, confidence=min(c.confidence, AMBIGUOUS_PLACEMENT)) if c.table == table else c
            for k, c in grid.cells.items()
        }
    grid.issues.extend(chosen.issues)
    if mode == "before":
        grid.issues.append(
            Issue(
                "info",
                IssueCode.LABELS_AFTER_NUMBERS,
                f"{hits[0].table}: numbers are printed before their row labels",
            )
        )


def _rival_doubted(chosen: _Draft, tried: list[tuple[int, int, _Draft]]) -> dict[str, Cell]:
    """The chosen reading's cells; where it breaks a relation and the other close reading (numbers after or
    before their labels) scores within ``RIVAL_MARGIN`` of it, the cells the two give otherwise are capped
    at ``AMBIGUOUS_PLACEMENT``: the relations chose between two flawed readings, and a cell they disagree
    on is a guess (a table of blanks and a few numbers, its labels misread, read a row off: a row took the
    numbers of the row above, 5 relations failing against 7). Where the chosen reading breaks no relation
    but leaves numbers unread that the other reads (the last label's, read before their labels, in a table
    printed labels first), the cells the other reading gives otherwise or only guesses are capped too: it
    may add up only for what it left out (a row of seven zeros read before its label was two rows' zeros,
    four of them blanks the converter dropped; a table of empty marks whose one row of numbers, the
    report's own error, was left unread)."""
    if len(tried) < 2:
        return chosen.cells
    failed, score = next((f, s) for f, s, d in tried if d is chosen)
    rival, other_draft = next((s, d) for _, s, d in tried if d is not chosen)
    if score - rival > RIVAL_MARGIN if failed else chosen.unread <= other_draft.unread:
        return chosen.cells
    other = other_draft.cells
    out = dict(chosen.cells)
    for k, c in chosen.cells.items():
        o = other.get(k)
        guessed = not failed and o is not None and o.confidence < TRUSTED  # no confirmation
        if o is None or o.value != c.value or type(o.value) is not type(c.value) or guessed:
            out[k] = replace(c, confidence=min(c.confidence, AMBIGUOUS_PLACEMENT))
    return out


def _place_rows(
    t: Template, hits: list[RowHit], runs: list[list[Item]], widths: list[int], rows_of: dict, grid: _Draft
) -> None:
    seen: set[str] = set()
    ambiguous: list[RowValues] = []
    dropped = _blanks_dropped(runs, widths)
    for i, (h, run) in enumerate(zip(hits, runs, strict=True)):
        cols = [c.id for c in rows_of[(h.table, h.row)].columns]
        placed = place_row(
            h.table, h.row, cols, run, h.score, more_rows=i + 1 < len(hits), relation=t.row_relation(h.table)
        )
        if not placed.cells and dropped and any(runs[i + 1 :]):
            placed = blank_row(h.table, h.row, cols)
        if not placed.cells:
            continue
        if h.row in seen:
            grid.issues.append(
                Issue(
                    "warning",
                    IssueCode.DUPLICATE_ROW,
                    f"row {h.row} ({h.text!r}) appears twice with values; kept the first",
                )
            )
            continue
        seen.add(h.row)
        _store(grid, placed, h)
        if placed.alternatives:
            ambiguous.append(placed)
    if ambiguous:
        _settle_by_relations(t, grid, ambiguous)


def _settle_by_relations(t: Template, grid: _Draft, ambiguous: list[RowValues]) -> None:
    """Rows printed without their blank cells can often be placed several ways: choose, row by row,
    the placement under which the most column relations (R1, R3) hold (counted over the relations that
    touch the row, ``validate.touching``)."""
    rows = [[tuple(placed.cells), *placed.alternatives] for placed in ambiguous]
    keys = [{c.key for option in options for c in option} for options in rows]
    checks = [touching(t, row_keys) for row_keys in keys]
    for _ in range(2):
        for options, row_keys, pairs in zip(rows, keys, checks, strict=True):
            best = RowTally(pairs, grid.cells, row_keys).best(options)
            grid.cells.update({c.key: c for c in best})


def _blanks_dropped(runs: list[list[Item]], widths: list[int]) -> bool:
    """A table printed one number per line with blank cells left out (short runs over several lines)."""
    return any(
        0 < len(r) < n and all(v.kind != "BLANK" for v in r) and len({v.line for v in r}) > 1
        for r, n in zip(runs, widths, strict=True)
    )


def _store(grid: _Draft, placed: RowValues, h: RowHit) -> None:
    for c in placed.cells:
        grid.cells[c.key] = c
    if placed.note:
        code = IssueCode.PLACEMENT_BY_PRIOR if placed.level == "info" else IssueCode.UNCERTAIN_ROW
        level: Level = "info" if placed.level == "info" else "warning"
        grid.issues.append(Issue(level, code, f"{h.table} row {h.row} ({h.text!r}): {placed.note}"))


def _read_block(t: Template, stream: list[Item], hits: list[RowHit], rows_of: dict, grid: _Draft) -> bool:
    """Labels first, then all numbers: read them column by column or row by row."""
    if len({rows_of[(h.table, h.row)].columns for h in hits}) != 1:
        return False
    ncol = len(rows_of[(hits[0].table, hits[0].row)].columns)
    nrow = len(hits)
    block = values_between(stream, hits[-1].index + 1, next_boundary(stream, hits[-1].index, stop_at_col=False))
    block = [v for v in block if v.kind != "BLANK"] if len(block) > nrow * ncol else block
    if len(block) < nrow * ncol:
        return False
    block = block[: nrow * ncol]
    cols = [c.id for c in rows_of[(hits[0].table, hits[0].row)].columns]
    best: tuple[int, str, dict[str, Cell]] | None = None
    for order in ("column by column", "row by row"):
        cells: dict[str, Cell] = {}
        for r, h in enumerate(hits):
            for c, col in enumerate(cols):
                idx = c * nrow + r if order == "column by column" else r * ncol + c
                cell = cell_of(h.table, h.row, col, block[idx], BLOCK_LAYOUT_CELL)
                cells[cell.key] = cell
        passed = count_passed(every_check(t), {**grid.cells, **cells})
        if best is None or passed > best[0]:
            best = (passed, order, cells)
    assert best is not None
    grid.cells.update(best[2])
    # a relation the chosen order breaks may be the order's fault, not the report's: below SOURCE_CONSISTENT
    broken = {k for c in run_checks(t, grid.cells) if c.passed is False for k in c.cells if k in best[2]}
    grid.cells.update({k: replace(grid.cells[k], confidence=DECODED_BROKEN) for k in broken})
    grid.issues.append(
        Issue(
            "info",
            IssueCode.BLOCK_LAYOUT,
            f"{hits[0].table}: numbers printed as one block after the labels; read {best[1]} "
            f"(the arithmetic relations support it)",
        )
    )
    return True


def _report_other_rows(t: Template, stream: list[Item], hits: list[RowHit], grid: _Draft) -> None:
    """Messages about labelled rows whose values are not in the grid, each naming its table (``section2:``)
    where it is known: the row's own, else that of the format's row before it."""
    ids = {r.id for b in t.blocks for r in b.rows}
    table = ""
    for h in hits:
        table = h.table or table
        where = f"{h.table or table}: " if h.table or table else ""
        run = [v for v in values_between(stream, h.index + 1, next_boundary(stream, h.index)) if v.kind != "BLANK"]
        if h.kind == "extra" and run:
            grid.issues.append(
                Issue(
                    "info",
                    IssueCode.EXTRA_ROW,
                    f"{where}local row {h.text!r} is not part of format {t.id}; its values "
                    f"({', '.join(v.text for v in run)}) are not in the grid",
                )
            )
        elif h.kind == "row" and h.row not in ids and run:
            grid.issues.append(
                Issue(
                    "warning",
                    IssueCode.ROW_NOT_IN_FORMAT,
                    f"{where}row {h.text!r} ({h.row}) does not exist in format {t.id}; its values "
                    f"({', '.join(v.text for v in run)}) are not in the grid",
                )
            )
        elif h.kind == "unknown" and run:
            grid.issues.append(
                Issue(
                    "info", IssueCode.UNKNOWN_ROW, f"{where}unrecognised row label {h.text!r}; its values were not used"
                )
            )
