"""The arithmetic relations (勾稽关系) evaluated on the cells that were read, and the report's status.

The relations are data of the format (``Template.relations``: R1, R2, R3, R5). A blank cell that is
present in the table counts as 0; a check that needs a cell that was not read at all is recorded as not
evaluable (``passed=None``), never as failed. ``judge`` decides the status, in this one place.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace

from gxie.confidence import (
    BLANK_CELL,
    CUT_ROW,
    FAILED_RELATION,
    MISREAD_ROWS,
    MISREAD_TABLE,
    OCR_HOLE,
    SOURCE_CONSISTENT,
    SOURCE_FAILURES_MAX,
    TRUSTED,
    UNVERIFIED_IN_DAMAGED,
    VOUCHED_FLOOR,
)
from gxie.templates import Relation, Template
from gxie.types import Cell, Check, Issue, IssueCode, Number, Status

DAMAGED = (IssueCode.MISSING_TABLE, IssueCode.TRUNCATED_TABLE)  # a report whose text lost tables or rows
READ_BY_OCR = (IssueCode.OCR, IssueCode.TEXT_LAYER_REPLACED, IssueCode.TEXT_LAYER_POOR)  # text an OCR engine made
TOLERANCE = 1e-6  # parts and whole are equal within this: sums of decimal cells (万元) carry float error


def balance(parts: Iterable[Number | None], whole: Iterable[Number | None]) -> tuple[Number, Number, bool]:
    """(sum of ``parts``, sum of ``whole``, whether they are equal within ``TOLERANCE``); None counts as 0.

    >>> balance([1, None, 2], [3])
    (3, 3, True)
    """
    expected, found = _total(parts), _total(whole)
    return expected, found, abs(expected - found) <= TOLERANCE


def _total(values: Iterable[Number | None]) -> Number:
    s = sum(filter(None, values))  # None and zeros add nothing (as ``v or 0`` would have it)
    return round(s, 6) if isinstance(s, float) else s


def evaluate(relation: Relation, scope_id: str, cells: Mapping[str, Cell]) -> Check:
    """The check of ``relation`` for column or row ``scope_id`` on ``cells`` (keyed by flat key).

    >>> evaluate(load_template("2021").relation("R5_section4_totals"), "review", cells).passed  # doctest: +SKIP
    True
    """
    keys = relation.keys(scope_id)
    expected, found, passed = _balance_of(len(relation.parts), keys, cells) or (None, None, None)
    return Check(relation.id, f"{relation.scope} {scope_id}", keys, expected, found, passed)


def _balance_of(n: int, keys: Sequence[str], cells: Mapping[str, Cell]) -> tuple[Number, Number, bool] | None:
    """``balance`` of the first ``n`` of ``keys`` (the parts) against the rest (the whole), or None when a
    cell of them was not read."""
    if any(k not in cells for k in keys):
        return None
    return balance((cells[k].value for k in keys[:n]), (cells[k].value for k in keys[n:]))


def run_checks(template: Template, cells: Mapping[str, Cell], table: str | None = None) -> list[Check]:
    """Every relation of ``template`` on ``cells`` (keyed by flat key), one check per column or row; with
    ``table``, only the relations of that table.

    >>> [c.scope for c in run_checks(load_template("2021"), {})][:2]  # doctest: +SKIP
    ['column natural_person', 'column commercial']
    """
    return [evaluate(r, scope, cells) for r, scope in scopes(template, table) if _counts(r, scope, cells)]


def scopes(template: Template, table: str | None = None) -> list[tuple[Relation, str]]:
    """Every ``(relation, column or row id)`` of ``template`` (of ``table`` only, when given), in the
    order ``run_checks`` evaluates them."""
    out: list[tuple[Relation, str]] = []
    for relation in template.relations:
        if table is not None and relation.table != table:
            continue
        block = template.table(relation.table)
        out.extend((relation, item.id) for item in (block.columns if relation.each == "column" else block.rows))
    return out


def count_passed(checks: Iterable[tuple[int, tuple[str, ...]]], cells: Mapping[str, Cell]) -> int:
    """How many of ``checks`` pass on ``cells``: each is ``(number of parts, keys)`` of a relation's check
    (``len(relation.parts)``, ``relation.keys(scope)``), passing as ``evaluate`` would have it."""
    return tally(checks, cells)[0]


def tally(checks: Iterable[tuple[int, tuple[str, ...]]], cells: Mapping[str, Cell]) -> tuple[int, int]:
    """``(passed, failed)`` of ``checks`` (as ``count_passed`` takes them) on ``cells``; a check with a cell
    not read is neither."""
    passed = failed = 0
    for n, keys in checks:
        try:
            values = [cells[k].value for k in keys]
        except KeyError:  # a cell not read: the check is not evaluable
            continue
        if abs(_total(values[:n]) - _total(values[n:])) <= TOLERANCE:
            passed += 1
        else:
            failed += 1
    return passed, failed


class RowTally:
    """How many of ``checks`` (as ``tally`` takes them) pass when the cells ``row_keys`` take one placement
    or another, the rest of ``cells`` fixed: what the other cells add to each check is summed once, and
    each placement adds its own values (the same counts as ``count_passed`` on the cells with the placement
    in; a check whose other values are not all whole numbers is evaluated in full)."""

    def __init__(self, checks: Iterable[tuple[int, tuple[str, ...]]], cells: Mapping[str, Cell], row_keys: set[str]):
        self.cells = cells
        # (parts, keys, the row's keys among them and whether each is a part, the others' sums or None)
        self.items: list[tuple[int, tuple[str, ...], list[tuple[bool, str]], tuple[int, int] | None]] = []
        for n, keys in checks:
            sums: tuple[int, int] | None = (0, 0)
            own: list[tuple[bool, str]] = []
            for i, k in enumerate(keys):
                if k in row_keys:
                    own.append((i < n, k))
                    continue
                c = cells.get(k)
                if c is None:
                    break  # a cell outside the row not read: never evaluable, whatever the row holds
                sums = _add(sums, c.value, i < n)
            else:
                self.items.append((n, keys, own, sums))

    def passed(self, placement: Mapping[str, Cell]) -> int:
        """The checks that pass with the row's cells as ``placement`` has them (a row key it lacks: not read)."""
        count = 0
        for n, keys, own, sums in self.items:
            for is_part, k in own:
                c = placement.get(k)
                if c is None:
                    break  # not read: the check is not evaluable
                sums = _add(sums, c.value, is_part)
            else:
                if sums is not None:
                    count += sums[0] == sums[1]
                else:  # not whole numbers throughout: the check as tally evaluates it
                    mine = {k for _, k in own}
                    values = [(placement if k in mine else self.cells)[k].value for k in keys]
                    count += abs(_total(values[:n]) - _total(values[n:])) <= TOLERANCE
        return count

    def best(self, options: Sequence[Sequence[Cell]]) -> Sequence[Cell]:
        """The first of ``options`` (placements of the row) under which the most checks pass."""
        scores = [self.passed({c.key: c for c in option if c.key}) for option in options]
        return options[scores.index(max(scores))]


def _add(sums: tuple[int, int] | None, value: Number | None, is_part: bool) -> tuple[int, int] | None:
    """``sums`` (parts, whole) with ``value`` added to one of them; None once a value is not a whole number
    (blanks and zeros add nothing)."""
    if sums is None or not value:
        return sums
    if type(value) is not int:
        return None
    return (sums[0] + value, sums[1]) if is_part else (sums[0], sums[1] + value)


def touching(template: Template, keys: set[str]) -> list[tuple[int, tuple[str, ...]]]:
    """The checks of ``template`` (``every_check``) that involve one of ``keys``: a row's placements change
    only those; the others hold or fail alike under each."""
    return [(n, ks) for n, ks in every_check(template) if keys.intersection(ks)]


def every_check(template: Template) -> list[tuple[int, tuple[str, ...]]]:
    """Every check of ``template`` as ``(number of parts, keys)``, for ``tally`` and ``count_passed``
    (kept per template object)."""
    got = _EVERY_CHECK.get(id(template))
    if got is None or got[0] is not template:
        got = _EVERY_CHECK[id(template)] = (template, [(len(r.parts), r.keys(s)) for r, s in scopes(template)])
    return got[1]


_EVERY_CHECK: dict[int, tuple[Template, list[tuple[int, tuple[str, ...]]]]] = {}


def _counts(relation: Relation, scope: str, cells: Mapping[str, Cell]) -> bool:
    """Whether ``run_checks`` gives this check: a relation marked ``only_read`` only where a cell of it was read."""
    return not relation.only_read or any(k in cells for k in relation.keys(scope))


def judge(
    template: Template,
    cells: Mapping[str, Cell],
    checks: Sequence[Check],
    issues: Sequence[Issue],
    *,
    no_tables: str | None = None,
    decoded: Collection[str] = (),
) -> tuple[dict[str, Cell], tuple[Check, ...], tuple[Issue, ...], Status]:
    """Judge failed checks, note missing cells and decide the status: (cells, checks, issues, status).

    A failed relation on cells all read surely is the source's (``source_inconsistency``); on unsure cells
    it lowers their confidence. ``failed``: no cell at all; ``partial``: a cell missing, a relation failed
    or an issue whose code is ``uncertain``; else ``ok``. ``no_tables``: the message of the ``no_tables``
    issue when there is no cell (the caller knows what the input was; a generic one otherwise); ``decoded``:
    the tables read by constrained decoding (``gxie.types.Grid.decoded``).

    >>> judge(load_template("2021"), {}, [], [])[3]  # doctest: +SKIP
    'failed'
    """
    if not cells:
        return {}, (), (_no_tables(no_tables),), "failed"
    ocr = any(m.code in READ_BY_OCR for m in issues)  # the issues judging adds are never OCR's
    cells = _cut_rows_doubted(template, cells)  # before the verdicts: a cut row's failure is no verdict
    judged, out_checks, more = _judge_checks(cells, checks, ocr=ocr)
    out_issues = (*issues, *more, *_missing(template, judged))
    if any(m.code in DAMAGED for m in out_issues):
        judged = _unverified_doubted(judged, out_checks, None if ocr else _doubted_tables(template, judged, decoded))
    judged = _vouched(template, judged, out_checks)
    if ocr:
        judged = _ocr_holes_doubted(judged)
    return judged, out_checks, out_issues, _status(template, judged, out_checks, out_issues)


def _ocr_holes_doubted(cells: dict[str, Cell]) -> dict[str, Cell]:
    """In text an OCR engine made, a blank or empty-marked cell whose row's other cells all hold values is
    capped at ``OCR_HOLE``, below trust: likely a faint digit the OCR lost (or a thin ``1`` read as ``/``),
    and no relation tells a lost 0 from a blank. Rows printed blank, and blanks beside other blanks, keep
    their confidence (capping every blank cell of OCR text cut trusted coverage from 98% to 36% on clean
    scans, whose tables print many blank cells)."""
    valued: dict[tuple[str, str], int] = {}
    blank: dict[tuple[str, str], int] = {}
    for c in cells.values():
        row = (c.table, c.row)
        if c.value is None:
            blank[row] = blank.get(row, 0) + 1
        else:
            valued[row] = valued.get(row, 0) + 1
    return {
        k: replace(c, confidence=min(c.confidence, OCR_HOLE))
        if c.value is None and blank[(c.table, c.row)] == 1 and valued.get((c.table, c.row), 0) > 0
        else c
        for k, c in cells.items()
    }


def _unverified_doubted(
    cells: dict[str, Cell], checks: Sequence[Check], tables: set[str] | None = None
) -> dict[str, Cell]:
    """In a report whose text lost a table or the end of one, the cells no passing relation vouches for
    (section 二's, a row left unchecked) are capped at ``UNVERIFIED_IN_DAMAGED``: the damage that lost a
    table may have changed them too, and nothing shows it. ``tables``: only the cells of these tables
    (None: every table). In text a converter made (not OCR) the damage drops cells but does not change
    digits: a table read beside its labels keeps its cells, a table placed by the format's order (decoded)
    does not (on converted text such section 二 cells stood a row or a column off; read by their labels,
    395 of 395 were right)."""
    verified = {k for c in checks if c.passed for k in c.cells}
    return {
        k: c
        if k in verified or (tables is not None and c.table not in tables)
        else replace(c, confidence=min(c.confidence, UNVERIFIED_IN_DAMAGED))
        for k, c in cells.items()
    }


def _doubted_tables(template: Template, cells: Mapping[str, Cell], decoded: Collection[str]) -> set[str]:
    """The tables the constrained decoder read and those with a cell not found."""
    return set(decoded) | {k.split(".", 1)[0] for k in template.flat_keys() if k not in cells}


def _cut_rows_doubted(template: Template, cells: Mapping[str, Cell]) -> Mapping[str, Cell]:
    """In a table whose text stops before its last row, the last row read is capped at ``CUT_ROW``: the cut
    may have gone through it, and its cells may then stand one place off (a row's empty label field read as
    its first cell, the row's last number gone), which no relation shows when they are zeros; and a
    relation that fails on them is no verdict on the report (below ``SOURCE_CONSISTENT``)."""
    out: dict[str, Cell] | None = None  # a copy, made at the first cut row
    for block in template.blocks:
        keys, width = block.keys(), len(block.columns)
        if all(k in cells for k in keys[-width:]) or not any(k in cells for k in keys):
            continue  # its last row read whole (most tables), or none of it
        rows = [keys[i : i + width] for i in range(0, len(keys), width)]
        cut = next(row for row in reversed(rows) if any(k in cells for k in row))
        out = dict(cells) if out is None else out
        for k in cut:
            if k in out:
                out[k] = replace(out[k], confidence=min(out[k].confidence, CUT_ROW))
    return cells if out is None else out


def _vouched(template: Template, cells: dict[str, Cell], checks: Sequence[Check]) -> dict[str, Cell]:
    """Cells placed by the format's order (confidence ``VOUCHED_FLOOR`` up to ``TRUSTED``) that a holding row
    relation and a holding column relation vouch for, and no failed one touches, are raised to ``TRUSTED``:
    a wrong value or a wrong place would have to balance a row and a column at once (two column relations
    alone hold for a whole column read into another column's place). A relation cannot tell a blank cell from a 0,
    so a blank or 0 cell is raised only where its whole table was found, breaks no relation and has no
    blank beside a 0 among the cells placed by order (a row printed blank in a table that adds up
    everywhere; not a row whose numbers the text lost, nor zeros placed where a converter dropped blank
    cells: the format's order then fills rows with zeros that belong elsewhere and leaves blank the rows
    they ran out on). Doubted cells (a rival reading or placement, 0.6) stay below."""
    failed = {k for c in checks if c.passed is False for k in c.cells}
    broken = {k.split(".", 1)[0] for k in failed}
    broken.update(k.split(".", 1)[0] for k in template.flat_keys() if k not in cells)
    held: dict[str, int] = {}  # the kinds of holding relation through each cell: 1 a column's, 2 a row's
    for check in checks:
        if check.passed:
            kind = 1 if check.scope.startswith("column") else 2
            for k in check.cells:
                held[k] = held.get(k, 0) | kind
    placed = [c for c in cells.values() if VOUCHED_FLOOR <= c.confidence < TRUSTED]  # by the format's order
    # a blank placed by order is the less sure (``BLANK_CELL``): 0.765 where a number beside it is 0.85
    floor = BLANK_CELL * VOUCHED_FLOOR
    blanks = {c.table for c in cells.values() if c.value is None and floor <= c.confidence < TRUSTED}
    broken.update(c.table for c in placed if c.value == 0 and c.table in blanks)  # blank and 0 cells
    # a relation failing on an unsure cell of the row (one placed by order, or doubted): the row's values
    # may stand a column off (a number read into its neighbour's place balances the neighbour's column and
    # the row, and breaks its own column); a cell read surely beside its label says nothing of the kind
    shaky = {k.rsplit(".", 1)[0] for k in failed if k in cells and cells[k].confidence < TRUSTED}
    out = dict(cells)
    for k, c in cells.items():
        if not VOUCHED_FLOOR <= c.confidence < TRUSTED or k in failed or held.get(k, 0) != 3:
            continue
        if k.rsplit(".", 1)[0] in shaky:
            continue
        if not c.value and c.table in broken:  # a blank or a 0: the relations hold alike on either
            continue
        out[k] = replace(c, confidence=TRUSTED)
    return out


def _no_tables(message: str | None) -> Issue:
    return Issue(
        "error",
        IssueCode.NO_TABLES,
        message
        or "no table of the report format (sections 二, 三, 四) was found in this document; is it an annual "
        "report of 政府信息公开? If it is, check the text extraction (e.g. a scanned PDF needs OCR).",
    )


def _judge_checks(
    cells: Mapping[str, Cell], checks: Sequence[Check], *, ocr: bool = False
) -> tuple[dict[str, Cell], tuple[Check, ...], list[Issue]]:
    """Tell 'the source does not add up' apart from 'we are unsure what we read'. In text an OCR engine made
    (``ocr``) a digit misread looks like the report's own error: no failure is the source's there."""
    out_checks, issues = [], []
    judged = dict(cells)
    surely = [ch.passed is False and all(judged[k].confidence >= SOURCE_CONSISTENT for k in ch.cells) for ch in checks]
    sure_failures = [ch for ch, read_surely in zip(checks, surely, strict=True) if read_surely]
    # so many, rows among them: gxie's misreading (a cell moved within its row breaks the row's sum), not the
    # report's own errors (a report that does not add up keeps its rows' sums and breaks column identities)
    rows_failing = sum(1 for ch in sure_failures if ch.scope.split(" ")[0] in ("row", "block"))
    misread = len(sure_failures) > SOURCE_FAILURES_MAX and rows_failing >= MISREAD_ROWS
    for ch, read_surely in zip(checks, surely, strict=True):
        if ch.passed is not False:
            out_checks.append(ch)
            continue
        if read_surely and not misread and not ocr:
            out_checks.append(replace(ch, source_inconsistency=True))
            issues.append(
                Issue(
                    "warning",
                    IssueCode.SOURCE_INCONSISTENCY,
                    f"the report's printed numbers do not add up ({ch.rule}, {ch.scope}): expected "
                    f"{ch.expected} from the parts, the report prints {ch.found}; values are kept "
                    "as printed",
                )
            )
        else:
            out_checks.append(ch)
            for k in ch.cells:
                c = judged[k]
                judged[k] = replace(c, confidence=round(c.confidence * FAILED_RELATION, 3))
            if misread and read_surely:
                why = (
                    f"fails, one of {len(sure_failures)} relations failing on cells read surely (too many for a "
                    "report's own errors: more likely a table misread)"
                )
            elif ocr and read_surely:
                why = "fails in text an OCR engine read (a digit it misread, or the report's own error: see the scan)"
            else:
                why = "fails on cells read with low confidence"
            issues.append(
                Issue(
                    "warning",
                    IssueCode.UNCERTAIN_READING,
                    f"{ch.rule} ({ch.scope}) {why}: expected {ch.expected}, found {ch.found}; "
                    "check these cells by hand",
                )
            )
    # A table breaking so many relations on cells read unsurely is misread too (numbers read before their
    # labels where they follow them: 10 relations failing on rows placed by prior; the columns that happened
    # to add up had stood trusted a row off). Failures on cells read surely are the report's (above).
    unsure: dict[str, int] = {}
    for ch, read_surely in zip(checks, surely, strict=True):
        if ch.passed is False and not read_surely and ch.cells:
            table = ch.cells[0].split(".", 1)[0]
            unsure[table] = unsure.get(table, 0) + 1
    broken = {table for table, n in unsure.items() if n > SOURCE_FAILURES_MAX}
    if (misread or broken) and not ocr:  # a table misread: its cells outside the failing relations may be out
        # of place too (in OCR text the failures are mostly digits the OCR misread, the other cells in place)
        tables = {k.split(".", 1)[0] for ch in sure_failures for k in ch.cells} if misread else set()
        tables |= broken
        for k, c in judged.items():
            if c.table in tables and c.confidence >= TRUSTED:
                judged[k] = replace(c, confidence=MISREAD_TABLE)
    return judged, tuple(out_checks), issues


def _missing(template: Template, cells: Mapping[str, Cell]) -> list[Issue]:
    out = []
    for block in template.blocks:
        keys = block.keys()
        absent = [k for k in keys if k not in cells]
        if not absent:
            continue
        name = block.caption if block.table == "section2" else block.table
        if len(absent) == len(keys):
            out.append(Issue("warning", IssueCode.MISSING_TABLE, f"{name}: table not found ({len(keys)} cells null)"))
            continue
        rows = sorted({k.split(".")[1] for k in absent}, key=lambda r: [x.id for x in block.rows].index(r))
        last = block.rows[-1].id
        code = IssueCode.TRUNCATED_TABLE if last in rows else IssueCode.MISSING_ROWS
        out.append(Issue("warning", code, f"{name}: {len(absent)} cells not found, rows {', '.join(rows)}"))
    return out


def _status(template: Template, cells: Mapping[str, Cell], checks: Sequence[Check], issues: Sequence[Issue]) -> Status:
    if any(k not in cells for k in template.flat_keys()):
        return "partial"
    if any(c.passed is False for c in checks):
        return "partial"
    if any(m.code.uncertain for m in issues):
        return "partial"
    return "ok"
