"""The rules-first cascade: a report the rules tagger reads completely and consistently skips the model, and
of the others the model reads only the tables the rules did not settle.

Most reports hold their tables as clean rows of labels and numbers. The rules tagger reads those in a
few milliseconds; the model takes about ten times as long. So a model run first tags each document with
the rules tagger and rebuilds its tables *without* the constrained decoder. When that reading is
*settled* (``settled``) the report is final and the model never sees the document. Otherwise a model
that can (``reads_within``) reads only the regions of the tables not settled (``unsettled_tables``, all
three when none is; ``focus``), and the rules' tags stand elsewhere (``Focus.merged``); a document with
no format, a doubt about it or an error, and every document for a model that cannot, goes through the
model whole (``gxie.pipeline``).

Settled is strict, and checked on the finished report: status ``ok`` (every cell of the three tables
found, every relation holding), no issue of any kind, every cell at least ``TRUSTED`` sure and standing
plainly in the text (``unprinted``): a number, or a blank read from an empty field that only separators
and cells follow on its line, and nothing the rules skipped between two cells of a row on one line. So a
blank the rebuild supplied where the text shows none (a row's label standing alone), an empty field taken
from the start of another row's line, and a row that holds a cell the rules could not read (OCR's ``o``
for ``0``, which they skip) leave the report to the model. The
relations tie most cells of the grid to others, so a misread cell in a settled reading would have to
break no relation while the tagger was sure of it. Reports read this way record
``versions["tags"] = "rules:1"`` (the run's ``tagger`` stays the model's label). ``extract(...,
rules_first=False)``, ``gxie extract --exact`` and Label Studio pre-annotation run the model on every
document.

    >>> from gxie.report import Report
    >>> from gxie.types import IssueCode
    >>> settled(Report.failed("a.txt", IssueCode.READ_ERROR, "unreadable", versions={}))
    False
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from gxie.confidence import TRUSTED
from gxie.report import Report
from gxie.tagging.base import Tagger
from gxie.templates import load_template
from gxie.types import Cell, IssueCode, Span

TAGS_KEY = "tags"  # the versions entry naming the tagger whose tags made the grid, when not the run's
TABLES = ("section2", "section3", "section4")
FOCUS_CONTEXT = 64  # characters of text around an unsettled table the model reads too (not another table's)


def settled(report: Report) -> bool:
    """Whether ``report`` is final without the model (see the module docstring)."""
    ok = report.status == "ok"  # every cell of the format found and no relation failing (validate._status)
    if not ok or report.issues or any(c.confidence < TRUSTED for c in report.cells):
        return False
    return not unprinted(report.cells, report.text)


def unprinted(cells: Sequence[Cell], text: str | None) -> set[str]:
    """The keys of ``cells`` (of one report, spans into its ``text``) whose rows do not stand plainly in the
    text: two cells of the row on one line with something other than spaces, tabs or ``|`` between them
    (a cell the reading skipped), or a blank cell that is not an empty field among the cells of its line:
    after it, up to the line's end, only separators and cells read (``规章\t1\t\t2``, ``行政强制\t``, a
    blank cell on a line of its own, section 四's rows side by side). An empty field before other text (a
    row's leading empty fields taken by the row above) is not a cell of the table."""
    rows: dict[tuple[str, str], list[Cell]] = {}
    for c in cells:
        rows.setdefault((c.table, c.row), []).append(c)
    read = sorted(c.span for c in cells if c.span is not None and c.span[0] < c.span[1])
    out: set[str] = set()
    for row in rows.values():
        if not _plain_row(row, text, read):
            out.update(c.key for c in row)
    return out


def _plain_row(row: list[Cell], text: str | None, read: list[tuple[int, int]]) -> bool:
    blanks = [c for c in row if not c.raw.strip()]
    if text is None or any(c.span is None for c in blanks):
        return not blanks
    placed = sorted((c.span for c in row if c.span is not None), key=lambda s: s[0])
    for (_, end), (start, _) in pairwise(placed):
        gap = text[end:start]
        if "\n" not in gap and any(ch not in _SEPARATORS for ch in gap):
            return False
    for c in blanks:
        assert c.span is not None
        a, b = c.span
        if text[a:b].strip():
            return False
        line_end = text.find("\n", b)
        line_end = len(text) if line_end < 0 else line_end
        rest = list(text[b:line_end])
        for x, y in read[bisect_left(read, (b, b)) :]:  # the cells read later on the line
            if x >= line_end:
                break
            rest[x - b : y - b] = [" "] * (y - x)
        if any(ch not in _SEPARATORS for ch in rest):
            return False
    return True


_SEPARATORS = frozenset(" \t|｜\u00a0\u3000")


def unsettled_tables(report: Report) -> tuple[str, ...] | None:
    """The tables of a rules reading that are not settled (a cell missing, below ``TRUSTED`` or
    ``unprinted``, in a failed relation, or named by an issue: ``section3: ...``), when the others are: the
    model need read only those (all three when none is settled). None when the whole document needs it: no
    format, a doubt about the format, an error, or no table unsettled (the report is not settled for a
    reason that names no table)."""
    if report.template is None or any(
        i.level == "error" or i.code is IssueCode.FORMAT_UNCERTAIN for i in report.issues
    ):
        return None
    keys = load_template(report.template).table_keys
    cells = {c.key: c for c in report.cells}
    failed = {k for c in report.checks if c.passed is False for k in c.cells}
    named = {i.message.split(":", 1)[0].split(" ", 1)[0] for i in report.issues}  # "section2: ...", "section2 row"

    doubtful = unprinted(report.cells, report.text)

    def sure(key: str) -> bool:
        c = cells.get(key)
        return c is not None and c.confidence >= TRUSTED and key not in doubtful and key not in failed

    out = tuple(t for t in TABLES if t in named or not all(sure(k) for k in keys(t)))
    return out if out else None


@dataclass(frozen=True)
class Focus:
    """Where the model reads a document the rules did not settle: ``ranges`` of the normalized text (the
    ``tables`` not settled, with context), and the rules tagger's ``spans`` for the rest."""

    tables: tuple[str, ...]
    ranges: tuple[tuple[int, int], ...]
    spans: tuple[Span, ...]

    def merged(self, model_spans: Sequence[Span]) -> list[Span]:
        """The model's spans inside ``ranges``, the rules' spans outside them, sorted by start."""
        outside = [s for s in self.spans if not any(s.start < b and a < s.end for a, b in self.ranges)]
        inside = [s for s in model_spans if any(a <= s.start and s.end <= b for a, b in self.ranges)]
        return sorted([*outside, *inside], key=lambda s: s.start)


def focus(report: Report, spans: Sequence[Span], bounds: Mapping[str, tuple[int, int]], length: int) -> Focus | None:
    """The part of a document (``length`` characters) the model must read after the rules reading
    ``report`` (tagged ``spans``) was not settled: the regions (``bounds``, ``gxie.grid.candidates.regions``)
    of its unsettled tables (all three when none is settled), widened by ``FOCUS_CONTEXT`` characters that
    are no settled table's; where an unsettled table's region was not found, all the text outside the
    settled tables. None: the whole document (``unsettled_tables``)."""
    tables = unsettled_tables(report)
    if tables is None:
        return None
    kept = [bounds[t] for t in TABLES if t not in tables and t in bounds]
    if any(t not in bounds for t in tables):  # a table not found: wherever no settled table stands
        edges = [0, *(x for a, b in sorted(kept) for x in (a, b)), length]
        gaps = tuple((lo, hi) for lo, hi in zip(edges[::2], edges[1::2], strict=True) if lo < hi)
        return Focus(tables, gaps, tuple(spans))
    wanted_ranges = []
    for t in tables:
        a, b = bounds[t]
        lo = max([0, a - FOCUS_CONTEXT, *(e for s, e in kept if e <= a)])
        hi = min([length, b + FOCUS_CONTEXT, *(s for s, e in kept if s >= b)])
        wanted_ranges.append((lo, hi))
    ranges: list[tuple[int, int]] = []
    for lo, hi in sorted(wanted_ranges):
        if ranges and lo <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(hi, ranges[-1][1]))
        else:
            ranges.append((lo, hi))
    return Focus(tables, tuple(ranges), tuple(spans))


def wanted(tagger: Tagger, rules_first: bool | None) -> bool:
    """Whether a run with ``tagger`` tries the rules first: ``rules_first`` when given, else on for a
    model tagger whose cascade is on (its default) and off for every other tagger."""
    if tagger.name == "rules":
        return False
    if rules_first is not None:
        return rules_first
    return getattr(tagger, "cascade", False) is True
