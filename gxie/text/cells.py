"""Table-cell segmentation of normalized text, and the item stream the grid rebuild reads.

Text reaches gxie with its tables flattened in many ways: cells joined by tabs or pipes, one cell per
line (with or without a tab prefix), columns aligned with runs of spaces, or numbers separated by single
spaces. ``layout_cells`` turns each line into cells with exact offsets, keeping blank cells (they are
meaningful: a blank cell is null, not a missing one). ``items`` then combines the cells with a tagger's
spans into a stream of labelled items and blanks.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from functools import lru_cache
from unicodedata import east_asian_width

from gxie.confidence import MIN_LABEL_COVER
from gxie.templates.lexicon import best_label
from gxie.types import Span, quick_init

# A markdown rule line (``|---|:--:|``) is told apart by ``is_md_rule``, cell by cell: one regex over the
# whole line (``\s*`` around optional parts) backtracked cubically on a long run of spaces.
_MD_RULE_CELL = re.compile(r":?-{2,}:?")
_MD_RULE_TAIL = re.compile(r":?-*:?")
_SEP = re.compile(r"[\t|]")
_WIDE_GAP = re.compile(r"\s{2,}")
MAX_SPACE_UNIT = 4
MAX_HEADER_CELL = 20  # longest cell tried as a column label of a header row
HEADER_LABEL = 0.85  # how well a header cell matches a column label
HEADER_ROWS = 3  # rows at the top of a ``|`` table looked at for its header
NUMBER_TOKEN = r"[+\-]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:\s?(?:万元|万|元|件|个|条|项|%))?"
_NUMBERS_RUN = re.compile(rf"^{NUMBER_TOKEN}(?: {NUMBER_TOKEN})+$")
_NUMBER_ITEM = re.compile(NUMBER_TOKEN)
# One number, sign and unit included, with no space inside the digits ("1 2" is two glued cells).
_ONE_NUMBER = re.compile(r"^[+\-]?\s?(?:\d[\d,]*(?:\.\d+)?|\.\d+)\s?(?:万元|万|元|件|个|条|项|%)?$")
_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "〇": "0", "l": "1", "I": "1"})
# Page headers/footers that PDF and Word exports leave inside tables: never a value, whatever a tagger says.
PAGE_MARK = re.compile(
    r"^(?:[-—–~_]+\s*\d{1,4}\s*[-—–~_]+|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|page\s*\d{1,4}(?:\s*of\s*\d{1,4})?)$",
    re.IGNORECASE,
)


@quick_init
@dataclass(frozen=True)
class LayoutCell:
    """One cell of a line: ``[start, end)`` of its stripped text (empty range for a blank cell)."""

    start: int
    end: int
    text: str
    line: int

    @property
    def blank(self) -> bool:
        return not self.text


def is_md_rule(line: str) -> bool:
    """Whether ``line`` is a markdown table rule: ``|``-ended cells of ``:?-{2,}:?`` (spaces around them),
    an optional leading ``|`` and a last cell ``:?-*:?`` with or without its ``|``. Linear in the line."""
    if "--" not in line:  # every rule has a cell of two dashes or more: most lines end here
        return False
    rest = line.strip()
    if rest.startswith("|"):
        rest = rest[1:]
    parts = [p.strip() for p in rest.split("|")]

    def ruled(cells: list[str], tail: str) -> bool:
        return bool(cells) and all(_MD_RULE_CELL.fullmatch(c) for c in cells) and bool(_MD_RULE_TAIL.fullmatch(tail))

    if ruled(parts[:-1], parts[-1]):
        return True
    return len(parts) >= 3 and not parts[-1] and ruled(parts[:-2], parts[-2])


def line_fields(line: str, offset: int) -> list[tuple[int, int]]:
    """Raw ``[start, end)`` ranges of the fields of one line (before stripping)."""
    if _SEP.search(line):
        bounds, pos = [], 0
        for m in _SEP.finditer(line):
            bounds.append((pos, m.start()))
            pos = m.end()
        bounds.append((pos, len(line)))
        stripped = line.strip(" ")
        if stripped.startswith("|") and bounds:
            bounds = bounds[1:]
        if stripped.endswith("|") and bounds:
            bounds = bounds[:-1]
        # A line that is only a tab prefix plus one cell ("\t0", "\t") is one cell, not a blank + a cell.
        if line.startswith("\t") and line.count("\t") == 1 and "|" not in line:
            bounds = bounds[1:]
        return [(offset + a, offset + b) for a, b in bounds]
    if not line.strip():
        return []
    bounds, gaps, pos = [], [], 0
    for m in _WIDE_GAP.finditer(line):
        if m.start() > pos:
            bounds.append((pos, m.start()))
            gaps.append((m.start(), m.end()))
        pos = m.end()
    if pos < len(line):
        bounds.append((pos, len(line)))
    elif bounds and line.strip():
        gaps.append((bounds[-1][1], len(line)))  # trailing run: blank cells at the end of the row
    return [(offset + a, offset + b) for a, b in _spaced_blanks(bounds, gaps)]


def _spaced_blanks(bounds: list[tuple[int, int]], gaps: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Cells joined by a fixed short run of spaces (tabs turned into spaces by a text export): a run
    k times as long holds k-1 blank cells. Only when most gaps are that short unit (2-4 spaces) and
    every gap is a multiple of it; column-aligned PDF text, with its wide uneven gaps, is left alone."""
    widths = [b - a for a, b in gaps]
    if len(bounds) < 2 or not widths:
        return bounds
    unit = min(widths)
    if not 2 <= unit <= MAX_SPACE_UNIT or any(w % unit for w in widths) or max(widths) == unit:
        return bounds
    if 2 * widths.count(unit) < len(widths):
        return bounds
    out: list[tuple[int, int]] = []
    gap_at = dict(gaps)
    for a, b in bounds:
        out.append((a, b))
        end = gap_at.get(b)
        if end is not None:
            out.extend((b + k * unit, b + k * unit) for k in range(1, (end - b) // unit))
    return out


def layout_cells(text: str) -> tuple[LayoutCell, ...]:
    """Cells of every line, in text order. Blank lines give no cells; markdown rule lines are skipped.
    Cached for the last 64 texts: the rules tagger, the grid rebuild and the decoder's regions of one
    document all ask for them, and a chunk's documents are read by the rules first and rebuilt after the
    model tagged them all."""
    return _layout_cells(text)


@lru_cache(maxsize=64)
def _layout_cells(text: str) -> tuple[LayoutCell, ...]:
    cells: list[LayoutCell] = []
    offset = 0
    lines = text.split("\n")
    fields: list[list[tuple[int, int]] | None] = []  # per line; None for a markdown rule line
    for line in lines:
        fields.append(None if is_md_rule(line) else line_fields(line, offset))
        offset += len(line) + 1
    padding = _padding_columns(text, lines, fields) if "|" in text else set()
    for lineno, bounds in enumerate(fields):
        if bounds is not None:
            for a, b in bounds:
                raw = text[a:b]
                lead = len(raw) - len(raw.lstrip())
                body = raw.strip()
                s = a + lead
                if not body and b in padding:
                    continue
                if body and _NUMBERS_RUN.match(body):
                    for m in _NUMBER_ITEM.finditer(body):
                        cells.append(LayoutCell(s + m.start(), s + m.end(), m.group(0), lineno))
                else:
                    cells.append(LayoutCell(s, s + len(body), body, lineno))
    return tuple(cells)


def _padding_columns(text: str, lines: list[str], fields: list[list[tuple[int, int]] | None]) -> set[int]:
    """The ends of the fields of padding columns: in a block of ``|`` rows (a markdown table a PDF converter
    wrote, merged cells spread over several columns) with a header row among its first ``HEADER_ROWS`` (two
    column labels or more), a column empty in every row, the header's included, is no column of the table,
    and its fields give no blank cell. A blank cell's field is known by its end, where the blank cell
    starts. ``fields``: each of the ``lines``' field bounds (None for a markdown rule line)."""
    blocks: list[list[list[tuple[int, str]]]] = []
    block: list[list[tuple[int, str]]] = []
    for line, bounds in zip(lines, fields, strict=True):
        if bounds is None:
            continue  # the rule under a header row: the same table goes on
        if "|" in line and "\t" not in line:
            block.append([(b, text[a:b].strip()) for a, b in bounds])
        elif block:
            blocks.append(block)
            block = []
    if block:
        blocks.append(block)
    out: set[int] = set()
    for rows in blocks:
        width = max(len(r) for r in rows)
        empty = [k for k in range(width) if all(k >= len(r) or not r[k][1] for r in rows)]
        if len(rows) < 2 or not empty or not any(_header(r) for r in rows[:HEADER_ROWS]):
            continue
        out.update(r[k][0] for r in rows for k in empty if k < len(r))
    return out


def _header(row: list[tuple[int, str]]) -> bool:
    """A row of two column labels or more (``信息内容 | 上一年项目数量 | 本年增/减``)."""
    found = 0
    for _, body in row:
        m = best_label(body, ("col",)) if body and len(body) <= MAX_HEADER_CELL else None
        found += m is not None and m.score >= HEADER_LABEL
        if found >= 2:
            return True
    return False


@quick_init
@dataclass(frozen=True)
class Item:
    """One element of the stream read by the grid: a labelled span, a blank cell or unlabelled text."""

    kind: str  # an entity label (SEC, CAP, ROW, COL, NUM, EMPTY), "BLANK" or "OTHER"
    start: int
    end: int
    text: str
    line: int
    score: float = 1.0


def items(text: str, spans: list[Span]) -> list[Item]:
    """Merge layout cells and tagged spans into one ordered stream.

    A cell holding spans yields one item per span (a glued cell can hold several); a blank cell
    yields BLANK; a cell with text but no span yields OTHER (prose, footers: never a value).
    Spans not inside any cell (a tagger may span a separator) are kept as items of their own.
    """
    cells = layout_cells(text)
    ordered = sorted(spans, key=lambda s: s.start)
    out: list[Item] = []
    si = 0
    starts = line_starts(text)
    numbered = page_number_lines(text)
    for cell in cells:
        if cell.blank:
            while si < len(ordered) and ordered[si].start < cell.start:
                out.append(_span_item(ordered[si], starts))
                si += 1
            out.append(Item("BLANK", cell.start, cell.start, "", cell.line))
            continue
        if PAGE_MARK.match(cell.text) or cell.line in numbered:
            while si < len(ordered) and ordered[si].start < cell.end:
                si += 1
            out.append(Item("OTHER", cell.start, cell.end, cell.text, cell.line))
            continue
        inside = False
        first = len(out)
        while si < len(ordered) and ordered[si].start < cell.end:
            out.append(_span_item(ordered[si], starts))
            inside = inside or ordered[si].end > cell.start
            si += 1
        _whole_number_cell(out, first, cell)
        _whole_numbers_inside(out, first, cell)
        _whole_label_cell(out, first, cell)
        if not inside and not _covered(out, cell):
            out.append(Item("OTHER", cell.start, cell.end, cell.text, cell.line))
    out.extend(_span_item(s, starts) for s in ordered[si:])
    return [_signed(text, item) for item in out]


_BARE_PAGE_NUMBER = re.compile(r"\s*\d{1,3}\s*")
_CJK = re.compile(r"[\u4e00-\u9fff]")
PAGE_GAP = 6  # the empty lines an export leaves between a page number and the next page's header, and more
HEADER_MIN_CHARS = 6  # a running header is a title or an agency's name, not a short label (结果维持)


def char_width(ch: str) -> int:
    """A character's display width: 2 for a CJK (wide or full-width) one, as pdftotext -layout lays out a
    page, else 1."""
    return 2 if east_asian_width(ch) in "WF" else 1


def display_width(s: str) -> int:
    """The display width of ``s`` (``char_width`` of each character)."""
    return sum(char_width(ch) for ch in s)


CENTRED = 10  # a bare number indented this far among lines of one cell each, flush left, is a page's foot


@lru_cache(maxsize=8)
def page_number_lines(text: str) -> frozenset[int]:
    """Lines holding a bare page number (``5``): the number alone on its line, next to a running header,
    a line the document prints again (the report's title, or one that says 报告) with only empty lines
    between, and the next or the previous page's number standing so too. PDF and Word exports leave them
    inside tables; read as a cell they shift a row (a row's total read as the page number).

    (The last 8 texts are cached: the rebuild and each table's decoding ask.)

    >>> title = "某某局2020年年度报告"
    >>> sorted(page_number_lines(f"{title}\\n规章 0 0\\n5\\n\\n{title}\\n规范性文件 1 0\\n6\\n{title}\\n"))
    [2, 6]
    """
    if "\n" not in text:
        return frozenset()
    lines = text.split("\n")
    bare = [k for k, line in enumerate(lines) if _BARE_PAGE_NUMBER.fullmatch(line) and line.strip()]
    if not bare:
        return frozenset()
    first = next((line.strip() for line in lines if line.strip()), "")
    counts: dict[str, int] = {}
    for line in lines:
        key = line.strip()
        if len(key) >= HEADER_MIN_CHARS and _CJK.search(key):
            counts[key] = counts.get(key, 0) + 1

    def header(k: int) -> bool:
        key = lines[k].strip()
        return counts.get(key, 0) >= 2 and (key == first or "报告" in key)

    centred = {k for k in bare if _centred(lines, k)}
    near = []
    for k in bare:
        after = next((m for m in range(k + 1, min(len(lines), k + 1 + PAGE_GAP)) if lines[m].strip()), None)
        before = next((m for m in range(k - 1, max(-1, k - 1 - PAGE_GAP), -1) if lines[m].strip()), None)
        if (after is not None and header(after)) or (before is not None and header(before)):
            near.append((k, int(lines[k])))
    # page numbers count up: one beside a header with no next or previous page beside one may be a cell
    # (a table's last number at the foot of a page with no page number)
    numbers = {n for _, n in near}
    return frozenset(k for k, n in near if n - 1 in numbers or n + 1 in numbers) | centred


def _centred(lines: list[str], k: int) -> bool:
    """Line ``k``, a bare number, stands centred (indented ``CENTRED`` spaces or more) between lines that
    each hold one cell flush left: a page number in a table printed one cell a line (``0`` / ``0`` /
    30 spaces and ``2`` / ``(三)不予公开``), where a cell is never indented so."""
    if len(lines[k]) - len(lines[k].lstrip(" ")) < CENTRED:
        return False
    for step in (-1, 1):
        m = next(
            (m for m in range(k + step, k + step * (1 + PAGE_GAP), step) if 0 <= m < len(lines) and lines[m].strip()),
            None,
        )
        if m is None:
            return False
        line = lines[m]
        if line[:1].isspace() or "\t" in line or "|" in line or _WIDE_GAP.search(line.strip()):
            return False
    return True


SIGNS = "+-"  # a sign written right before a number (本年增/减: ``-11``, ``+3``)


def _signed(text: str, item: Item) -> Item:
    """A number tagged without the sign written right before it (``行政许可 15 -11 900`` tagged ``11``) with
    its sign: the sign stands after a space, a tab, a ``|`` or the start of a line, so a range such as
    ``2019-2020`` keeps its parts."""
    a = item.start
    if item.kind != "NUM" or a == 0 or text[a - 1] not in SIGNS or item.text[:1] in SIGNS:
        return item
    if a >= 2 and not (text[a - 2].isspace() or text[a - 2] == "|"):
        return item
    return replace(item, start=a - 1, text=text[a - 1] + item.text)


def _whole_number_cell(out: list[Item], first: int, cell: LayoutCell) -> None:
    """A cell that is one number (sign and unit included) is one NUM item, however a tagger cut it:
    ``-`` + ``1`` or ``180.16`` without its ``万元`` would otherwise misread the cell."""
    if len(out) - first == 1:  # most cells: one item (a number tagged whole, a label)
        only = out[first]
        if only.kind != "NUM" or (only.start == cell.start and only.end == cell.end):
            return
    pieces = out[first:]
    if not any(p.kind == "NUM" for p in pieces):
        return
    if not _ONE_NUMBER.match(cell.text.translate(_OCR_DIGITS)):
        return
    score = min(p.score for p in pieces)
    out[first:] = [Item("NUM", cell.start, cell.end, cell.text, cell.line, score)]


def ocr_number(text: str) -> bool:
    """``text`` holds a digit and is one number once OCR look-alikes are read as digits (``I75万``, ``28o,897元``)."""
    return any(ch.isdigit() for ch in text) and bool(_ONE_NUMBER.match(text.strip().translate(_OCR_DIGITS)))


_DIGITY = frozenset("0123456789.,")


def _whole_numbers_inside(out: list[Item], first: int, cell: LayoutCell) -> None:
    """A NUM item that is part of a number printed without a break (``215.99`` tagged ``2`` + ``1`` +
    ``5.99`` by a model) becomes the whole number, at the lowest score of the pieces it takes in: read as
    ``2``, the cell was wrong and sure."""
    k = first
    while k < len(out):
        it = out[k]
        if it.kind != "NUM" or it.start < cell.start or it.end > cell.end:
            k += 1
            continue
        a, b = it.start - cell.start, it.end - cell.start
        while a > 0 and cell.text[a - 1] in _DIGITY:
            a -= 1
        while b < len(cell.text) and cell.text[b] in _DIGITY:
            b += 1
        whole = cell.text[a:b]
        if (a, b) == (it.start - cell.start, it.end - cell.start) or not _ONE_NUMBER.match(whole):
            k += 1
            continue
        lo, hi = k, k + 1
        while lo > first and out[lo - 1].end > cell.start + a:
            lo -= 1
        while hi < len(out) and out[hi].start < cell.start + b:
            hi += 1
        score = min(p.score for p in out[lo:hi])
        out[lo:hi] = [Item("NUM", cell.start + a, cell.start + b, whole, it.line, score)]
        k = lo + 1


LABEL_KINDS = ("ROW", "COL", "CAP", "SEC")
MAX_LABEL_CELL = 150


def _whole_label_cell(out: list[Item], first: int, cell: LayoutCell) -> None:
    """A label cell a tagger broke into pieces (long labels with explanations) is one item, of the
    label its first piece carries (a label comes first, explanations follow it). Cells with numbers,
    long prose cells and cells only sparsely tagged are left alone."""
    pieces = out[first:]
    if len(pieces) < 2 or any(p.kind not in LABEL_KINDS for p in pieces) or len(cell.text) > MAX_LABEL_CELL:
        return
    weight: dict[str, int] = {}
    for p in pieces:
        weight[p.kind] = weight.get(p.kind, 0) + (p.end - p.start)
    dense = len(cell.text.replace(" ", ""))
    if sum(weight.values()) < MIN_LABEL_COVER * dense:
        return
    kind = pieces[0].kind
    score = min(p.score for p in pieces)
    out[first:] = [Item(kind, cell.start, cell.end, cell.text, cell.line, score)]


def _covered(out: list[Item], cell: LayoutCell) -> bool:
    return bool(out) and out[-1].kind != "BLANK" and out[-1].end > cell.start


def line_starts(text: str) -> list[int]:
    """Where each line of ``text`` begins."""
    starts = [0]
    starts.extend(m.end() for m in re.finditer("\n", text))
    return starts


def _span_item(span: Span, starts: list[int]) -> Item:
    return Item(span.label, span.start, span.end, span.text, bisect_right(starts, span.start) - 1, span.score)
