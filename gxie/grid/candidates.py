"""Candidates for the grid decoder: each table's text as label fragments and value tokens, in text order.

Converters flatten tables in ways a tagger was not trained on: cells joined by single spaces
(``规章 0 0 0``), labels wrapped over several lines in narrow cells, labels and numbers printed apart,
ruling lines read as ``|`` or ``l``. This module reads the table regions of the normalized text on its
own terms, from the text's lines and cells, with the tagger's spans as hints only:

- a *value* is a whitespace-separated piece that is a number (sign, decimals, unit included), an
  explicit empty marker (无, —, /) or a blank cell kept by the layout;
- a *label* is the other text of a line, merged over wrapped lines, matched against the format's row
  and column labels (``gxie.templates.lexicon``);
- numbers inside brackets or followed by a counting word (``2019 年``, ``3 件``) belong to the text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace

from gxie.confidence import OCR_LOOKALIKE_SCORE, UNTAGGED_VALUE_SCORE
from gxie.grid.aligned_columns import aligned_blanks
from gxie.grid.empty_lines import empty_line_blanks
from gxie.grid.tab_fields import padding, tab_line
from gxie.grid.values import OCR_ONES, parse_number  # OCR_ONES: a 1 or a ruling line, the decoder tries both
from gxie.templates.lexicon import Match, best_label, in_label_wording, label_core, numbering
from gxie.text.cells import PAGE_MARK, LayoutCell, is_md_rule, layout_cells, page_number_lines
from gxie.types import Span, quick_init

NUMBER_PIECE = re.compile(r"^[+\-]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)(?:万元|万|元|%)?$")
UNIT_PIECES = ("万元", "万", "元")
EMPTY_MARKS = frozenset({"无", "/", "／", "—", "——", "-", "－", "―", "\\"})
RULING_MARKS = frozenset({"│", "丨", "｜", "┃"})  # always a ruling line, never a cell
OCR_ZEROS = frozenset({"O", "o", "〇"})  # a 0 as OCR reads it
COUNTING_WORDS = "年月日件条个项次人篇期份家户名批起余亿"
MIN_LABEL_SCORE = 0.6  # a label fragment matching nothing this well is plain text
TAIL_LABEL = 0.7  # a row label after a group label in one fragment is the fragment's label from this score
STRONG_LABEL = 0.9  # two fragments that each match a label this well are two labels, not one wrapped
MAX_WRAPPED_TEXT = 40  # unmatched lines joined as one wrapped text at most this long (a header note)
MAX_TAIL = 2  # a label's last characters alone on a line after an empty one (OCR text) are at most this many
HEADINGS = {
    "section2": ("二", ("主动公开",)),
    "section3": ("三", ("收到和处理", "申请情况")),
    "section4": ("四", ("复议", "诉讼")),
    "section5": ("五", ("问题", "改进")),
}
_INNER_NUMBERING = re.compile(r"(?<=\s)(?:\d{1,2}[.、]|[(（][一二三四五六七八九十]{1,3}[)）])(?!\d)")
_LEADING_NUMBER = re.compile(r"\d+(?=[\u4e00-\u9fff])")
# A run of digits (or OCR's O, I, l) ending a label right after a CJK character, a closing bracket or a closing
# quote (as the rules tagger's ``_GLUED_NUMBER``); linear (no nested
# quantifier); _glued_tail keeps the runs holding a digit, a lone I or l, and the empty marks.
_GLUED_TAIL = re.compile(r"(?<=[\u4e00-\u9fff）)”」\"])(?:\d+\.\d+|[\dOoIl〇]+|无|—|/)$")
_OCR_NUMBER = re.compile(r"^[+\-]?[\dOoIl|〇SB][\dOoIl|〇SB,.]*(?:万元|万|元|%)?$")
_ONE_NUMBER = re.compile(r"^[+\-]?\s?(?:\d[\d,]*(?:\.\d+)?|\.\d+)\s?(?:万元|万|元|%)?$")
_WIDE = re.compile(r" {2,}")
MIN_BLANK_RUNS = 2  # runs of one unit between cells, and runs holding blank cells, a region needs to be read so
MAX_HEADING = 60  # a longer line is prose, not a section heading
MAX_CAPTION = 40  # a longer line holding 第二十条 is prose, not a table caption
_HEADING = re.compile(r"^\s*([一二三四五六七])\s*[、.,，]")
_SPACED_HEADING = re.compile(r"^\s*([一二三四五六七])\s+(?=[\u4e00-\u9fff])")  # ``五 存在的…``: only with its words
_CAPTION = re.compile(r"第\s*二十\s*条")
# Words of section 四's table labels that no label of section 三 holds (its 总计 and 办理结果 do): the
# first of them after section 四's heading ends what section 三 may have left there (_overflow_moved).
_S4_LABEL = re.compile(r"复议|诉讼|维持|纠正|审结")
_STRANDED_NUMBER = re.compile(r"(?<!\S)\d+(?!\S)")
MIN_TITLE = 6  # a section heading's title after its numbering is at least this long (a wrapped label is shorter)
_DIGIT = re.compile(r"\d")
MAX_NOTE_LEAD = 12  # characters from the header note's opening bracket to 勾稽关系 (本列数据的, wrapped)
# section 三's table header, its words broken where a narrow cell wraps them, a line of the PDF text
# perhaps holding a piece of the next cell before the break (``据的勾稽 况`` / ``关系为``), after a run of
# spaces where the text keeps the page's layout (pdftotext -layout)
_WRAP = r"(?:[ \t]*|[ \t]*[^\n]{0,8}\n[ \t]*)"
_S3_TABLE = re.compile("|".join(_WRAP.join(word) for word in ("勾稽关系", "申请人情况")))
_SPACED_TAIL = re.compile(r"\s[+\-]?\d[\d,]*(?:\.\d+)?$")
_NUMBER_LINE = re.compile(r"\d+(?:\s+\d+)*")
S4_CELLS = 15  # section 四's cells in both formats
_S4_WORDS = re.compile(r"复议|诉讼|起诉|维持|纠正|结果|审结|总计")  # any of section 四's row and column labels
MAX_S4_LABEL = 12  # a longer line is not one of section 四's labels


@quick_init
@dataclass(frozen=True)
class Token:
    """A label fragment, a value or a blank cell of a table region (``[start, end)`` of the normalized text)."""

    kind: str  # "label" | "value" | "blank"
    start: int
    end: int
    text: str
    line: int
    score: float = 1.0  # values: how sure the reading is a cell value (the tagger's score when it tagged it)
    match: Match | None = None  # labels: the best row, group, extra or column label it matches
    last_line: int = -1  # labels: the last line a wrapped label reaches (-1: its first line)
    loose: bool = False  # blanks: an empty field of a ``|`` row that is a table of its own (``_lone_rows``)
    spaced: bool = False  # blanks: read from a run of spaces (no tab or ``|`` on its line), not a field
    piped: bool = False  # blanks: an empty field of a ``|`` row (Markdown)

    @property
    def is_value(self) -> bool:
        return self.kind in ("value", "blank")

    def matches(self, kind: str, table: str, ident: str) -> float:
        """The match score of this label for the entry (0 when it is not its best match)."""
        m = self.match
        if m is None or m.entry.kind != kind or m.entry.id != ident:
            return 0.0
        return m.score if m.entry.table in (table, "", "header") else 0.0


def regions(text: str) -> dict[str, tuple[int, int]]:
    """``{table: [start, end)}`` of the section 二, 三 and 四 tables in ``text`` (absent ones left out).

    Sections start at heading-like lines (numbering and the heading's key words, in order); section 二's
    tables start at their first 第二十条 caption, so the numbers of its prose are not read as cells. Where a
    converter printed a table's text boxes across the next section's heading (pdfminer orders a page's
    boxes by its own layout analysis), the stranded part goes back to its table: ``_s4_tail``,
    ``_overflow_moved``. A report numbering its sections its own way (no 收到和处理 heading) has its
    section 三 table found by its header note, section 四's by its caption or header, and both end at the
    report's next heading of its own: ``_s3_table_start``, ``_s4_table_start``, ``_s3_table_end``."""
    heads: dict[str, int] = {}
    offset = 0
    for line in text.split("\n"):
        m = _HEADING.match(line) or _SPACED_HEADING.match(line)
        if m and len(line.strip()) <= MAX_HEADING:
            for table, (number, words) in HEADINGS.items():
                found = m.group(1) == number and any(w in line for w in words) and table not in heads
                if found and (table == "section2" or _after(heads, table, offset)):
                    heads[table] = offset
        if "section2_tables" not in heads and _CAPTION.search(line) and len(line.strip()) <= MAX_CAPTION:
            heads["section2_tables"] = offset
        offset += len(line) + 1
    bounds: dict[str, tuple[int, int]] = {}
    s2 = heads.get("section2_tables", heads.get("section2"))
    s3, s4, s5 = heads.get("section3"), heads.get("section4"), heads.get("section5")
    found3 = s3 is not None
    if s3 is None and s2 is not None and "section2_tables" in heads:
        s3 = _s3_table_start(text, s2)
    if s2 is not None and s3 is not None and s2 < s3:
        bounds["section2"] = (s2, s3)
    last = len(text)
    if s3 is not None:
        if not found3:  # a report numbering its sections its own way: its tables end at a heading of its own
            last = _s3_table_end(text, s3)
            s4 = s4 if s4 is not None else _s4_table_start(text, s3, s5 if s5 is not None and s5 > s3 else last)
        bounds["section3"] = (s3, s4 if s4 is not None else (s5 if s5 is not None else last))
    s5_after = s5 if s5 is not None and s4 is not None and s5 > s4 else None  # section 五's heading after 四's
    if s4 is not None:
        bounds["section4"] = (s4, _s4_tail(text, s4, s5_after) if s5_after is not None else last)
    return _overflow_moved(text, bounds, s5_after)


def _s3_table_start(text: str, after: int) -> int | None:
    """Where section 三's table starts when its heading is not one gxie knows (a report numbering its
    sections its own way): the line of its header note (勾稽关系) or its applicant header (申请人情况),
    after section 二's tables."""
    m = _S3_TABLE.search(text, after)
    if m is None:
        return None
    opening = max(text.rfind("(", after, m.start()), text.rfind("（", after, m.start()))
    lead = len("".join(text[opening : m.start()].split()))  # the spaces of a layout kept are no characters of it
    at = opening if opening >= 0 and lead <= MAX_NOTE_LEAD else m.start()  # the note's bracket
    return text.rfind("\n", after, at) + 1


def _s3_table_end(text: str, start: int) -> int:
    """The end of a section 三 table found by its header (``_s3_table_start``), when no heading gxie knows
    follows: the next heading-like line that is no label of the formats and is long enough not to be a
    label wrapped in a narrow cell (``三、健全制度机制，规范公开流程``), else the end of the text."""
    offset = start
    for line in text[start:].split("\n"):
        m = _HEADING.match(line)
        if m is not None:
            bare, title = line.strip(), line[m.end() :].strip()
            titled = len(title) >= MIN_TITLE and not _DIGIT.search(title)
            if len(bare) <= MAX_HEADING and titled and _best(bare) is None:
                return offset
        offset += len(line) + 1
    return len(text)


def _s4_table_start(text: str, start: int, end: int) -> int | None:
    """Where section 四's table starts inside ``text[start:end]`` when its heading is not one gxie knows:
    its caption or header, a short line naming both 复议 and 诉讼, or one starting with 行政复议."""
    offset = start
    for line in text[start:end].split("\n"):
        bare = line.strip()
        if len(bare) <= MAX_HEADING and (("复议" in bare and "诉讼" in bare) or bare.startswith("行政复议")):
            return offset
        offset += len(line) + 1
    return None


def _s4_tail(text: str, start: int, s5: int) -> int:
    """The end of section 四's table: section 五's heading, or past it when section 四 holds fewer numbers
    than its cells and its table's labels and numbers go on after that heading (a converter that orders
    text boxes by its own layout analysis can print section 五's heading inside section 四's table); the
    stretch ends at its last such line, before any prose."""
    if len(_STRANDED_NUMBER.findall(text, start, s5)) >= S4_CELLS:
        return s5
    offset = text.find("\n", s5)
    if offset < 0:
        return s5
    offset += 1
    end, labelled = s5, False
    for line in text[offset:].split("\n"):
        bare = line.strip()
        label = len(bare) <= MAX_S4_LABEL and _S4_WORDS.search(bare) is not None
        if label or _NUMBER_LINE.fullmatch(bare):
            end, labelled = offset + len(line), labelled or label
        elif len(bare) > MAX_S4_LABEL * 2:
            break
        offset += len(line) + 1
    # a page number alone after the heading is not section 四's: the stretch holds its labels and numbers
    return end if labelled and _STRANDED_NUMBER.search(text, s5, end) else s5


def _overflow_moved(text: str, bounds: dict[str, tuple[int, int]], s5: int | None = None) -> dict[str, tuple[int, int]]:
    """``bounds`` with the text printed between section 四's heading and its table's first label given
    to section 三, when it holds more numbers than section 四 has cells or a row label of section 三: a
    converter that orders a page's text boxes by its own layout analysis (pdfminer, pdftotext) can put the
    part of section 三's table that shares a page with section 四's heading after that heading; section
    四's own numbers cannot be so many, nor its labels section 三's. Section 四 then ends as ``_s4_tail``
    finds from where it now starts (``s5``: section 五's heading)."""
    if "section3" not in bounds or "section4" not in bounds:
        return bounds
    start, end = bounds["section4"]
    head = text.find("\n", start, end)
    if head < 0:
        return bounds
    label = _S4_LABEL.search(text, head, end)
    if label is None:
        return bounds
    cut = text.rfind("\n", head, label.start()) + 1
    if len(_STRANDED_NUMBER.findall(text, head, cut)) <= S4_CELLS and not _s3_labels(text, head, cut):
        return bounds
    if s5 is not None and end == s5:
        end = _s4_tail(text, cut, s5)
    return {**bounds, "section3": (bounds["section3"][0], cut), "section4": (cut, end)}


def _s3_labels(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` holds a row label of section 三 (wrapped labels joined): pdftotext can print
    the last rows of section 三's table, numbers and labels, after section 四's heading."""
    return any(
        _strong_row(tok.match) and tok.match is not None and tok.match.entry.table == "section3"
        for tok in tokens(text, [], start, end)
        if tok.kind == "label"
    )


def _after(heads: dict[str, int], table: str, offset: int) -> bool:
    """A heading comes after the ones of the sections before it (三 after 二, 四 after 三)."""
    order = ["section2", "section3", "section4", "section5"]
    return all(heads[t] < offset for t in order[: order.index(table)] if t in heads)


def tokens(
    text: str,
    spans: list[Span],
    start: int,
    end: int,
    cells: list[LayoutCell] | None = None,
    widths: dict[str, int] | None = None,
) -> list[Token]:
    """The label fragments and values of ``text[start:end]``, wrapped labels merged (``cells``: its
    ``region_cells``, when the caller has them already; ``widths``: the cells of each row of the table,
    to tell a label's padding fields from blank cells, ``gxie.grid.tab_fields``)."""
    tagged = Tagged([s for s in spans if start <= s.start < end])
    out: list[Token] = []
    lone = _lone_rows(text, start, end) if text.find("|", start, end) >= 0 else set()
    numbered = page_number_lines(text)
    for cell in region_cells(text, start, end) if cells is None else cells:
        if cell.blank:
            line = _line_at(text, cell.start)
            spaced = "\t" not in line and "|" not in line  # read from runs of spaces (``text.cells._spaced_blanks``)
            piped, loose = "|" in line, cell.line in lone
            out.append(Token("blank", cell.start, cell.start, "", cell.line, loose=loose, spaced=spaced, piped=piped))
        elif not PAGE_MARK.match(cell.text) and cell.line not in numbered:
            out.extend(_cell_tokens(cell.text, cell.start, cell.line, tagged))
    stream = _header_blanks_dropped(_merge_wrapped(_unglue(out)))
    return _tab_padding_dropped(text, stream, widths) if widths else stream


def _tab_padding_dropped(text: str, stream: list[Token], widths: dict[str, int]) -> list[Token]:
    """The stream without the empty fields that pad a row label of a tab row (``gxie.grid.tab_fields``)."""
    rows: list[tuple[int, list[tuple[int, bool]]]] = []
    for i, tok in enumerate(stream):
        m = tok.match
        if tok.kind != "label" or m is None or m.entry.kind != "row" or m.entry.id not in widths:
            continue
        line = tok.line if tok.last_line < 0 else tok.last_line
        if not tab_line(text, tok.start if tok.last_line < 0 else tok.end):
            continue
        cells = []
        for nxt in stream[i + 1 :]:
            if not nxt.is_value or nxt.line != line:
                break
            cells.append((nxt.start, nxt.kind == "blank"))
        if cells:
            rows.append((widths[m.entry.id], cells))
    pad = padding(text, rows)
    return [t for t in stream if not (t.kind == "blank" and t.start in pad)] if pad else stream


def _lone_rows(text: str, start: int, end: int) -> set[int]:
    """The lines of ``text[start:end]`` that are a ``|`` row of numbers with a table rule right after it:
    markitdown prints each row of a PDF table as a table of its own, so no header row says which of its
    empty fields are cells and which the padding of its label's merged cells."""
    first = text.count("\n", 0, start)
    lines = text[start:end].split("\n")
    return {
        first + k
        for k, line in enumerate(lines[:-1])
        if "|" in line and _DIGIT.search(line) and is_md_rule(lines[k + 1])
    }


def _header_blanks_dropped(stream: list[Token]) -> list[Token]:
    """The stream without the blank cells of lines that hold no value and no row label, or a column
    label: the empty cells of a header (``行政复议⇥⇥⇥⇥行政诉讼``) or a caption, never a row's data. A row
    label followed by blank cells only (``规章⇥⇥⇥``) keeps them: a row printed blank."""
    valued = {t.line for t in stream if t.kind == "value"}
    rows: set[int] = set()
    heads: set[int] = set()
    for t in stream:
        if t.kind == "label" and t.match is not None:
            (rows if t.match.entry.kind == "row" else heads).add(t.last_line)
            if t.match.entry.kind in ("col", "group"):
                heads.add(t.line)
    labelled = {t.line for t in stream if t.kind == "label"} | {t.last_line for t in stream if t.kind == "label"}
    header = (labelled - rows) | heads
    return [t for t in stream if not (t.kind == "blank" and t.line in header and t.line not in valued)]


def _glued_tail(text: str) -> re.Match[str] | None:
    """The number run into the end of a label: digits (with OCR's O, I, l) holding a digit, a lone I or l
    (a 1) or O, o, 〇 (a 0), or an empty mark, right after a CJK character, a closing bracket or quote.
    Not a 无 that goes on a label's wording, cut where a narrow cell wrapped it (``1.申请人无`` of
    申请人无正当理由…).

    >>> texts = ("申请数量42", "数量l", "数量OO", "数量无", "1.申请人无", "禁止公开o")
    >>> [m.group(0) if (m := _glued_tail(t)) else None for t in texts]
    ['42', 'l', None, '无', None, 'o']
    """
    m = _GLUED_TAIL.search(text)
    if m is None:
        return None
    tail = m.group(0)
    if tail in EMPTY_MARKS and in_label_wording(text[max(0, m.start() - 2) : m.end()]):
        return None
    ocr_run = tail[0] in "0123456789OoIl〇"
    return m if not ocr_run or any(ch.isdigit() for ch in tail) or tail in ("I", "l", "O", "o", "〇") else None


def _glued_digits(text: str) -> bool:
    """``text`` ends in a number with a digit run into a label (``行政强制1``)."""
    m = _glued_tail(text)
    return m is not None and any(ch.isdigit() for ch in m.group(0))


def _unglue(stream: list[Token]) -> list[Token]:
    """A label with its row's first number run into it (``申请数量42`` then ``8 0 1 ...`` on the same line)
    gives the number back as a value; so does a row label with digits run into it and no value after it
    on its line (``行政强制49``, a one-cell row of section 二, its separator lost)."""
    out: list[Token] = []
    for k, tok in enumerate(stream):
        nxt = stream[k + 1] if k + 1 < len(stream) else None
        m = _glued_tail(tok.text) if tok.kind == "label" else None
        glued = m is not None and (m.group(0) in EMPTY_MARKS or _ocr_number(m.group(0)))
        followed = nxt is not None and nxt.kind == "value" and nxt.line == tok.line
        alone = (
            m is not None
            and m.group(0).replace(".", "", 1).isdigit()
            and (nxt is None or nxt.line != tok.line or nxt.kind == "blank")
            and _row_label(tok.text[: m.start()])
        )
        if m is None or not glued or not (followed or alone):
            out.append(tok)
            continue
        cut = tok.start + m.start()
        out.append(replace(tok, end=cut, text=tok.text[: m.start()]))
        looks = not _is_number(m.group(0)) and m.group(0) not in EMPTY_MARKS  # OCR look-alikes (``o`` for 0)
        score = min(UNTAGGED_VALUE_SCORE, OCR_LOOKALIKE_SCORE) if looks else UNTAGGED_VALUE_SCORE
        out.append(Token("value", cut, tok.end, m.group(0), tok.line, score))
    return out


def region_cells(
    text: str,
    start: int,
    end: int,
    width: int | None = None,
    rows: dict[str, int] | None = None,
    *,
    sums: bool = False,
) -> list[LayoutCell]:
    """The layout cells of ``text[start:end]``; where the region's lines join cells with a fixed run of
    ``u`` spaces (a tab stop turned into spaces), a run ``k * u`` long holds ``k - 1`` blank cells and a
    trailing run ``k * u`` long holds ``k``: decided over the whole region, not line by line. Where the
    region has no such unit, a line whose own runs happened to look like one (column-aligned PDF text
    whose gaps are all even) keeps no blank cells when its numbers alone fill a row of ``width`` cells
    and the blanks would make it longer than any row; so does a line of tab or ``|`` fields (padding
    columns, merged cells a converter spread over several columns), and, given ``rows`` (each row's id and
    its cells), such a line whose label names a row and whose numbers fill exactly that row
    (``| 政府集中采购（… |  | 5 |  | 5619130元 |  |``: two numbers for the two cells of procurement). Given
    ``rows``, a table printed one cell a line keeps its empty lines as blank cells where they fit its rows
    (``gxie.grid.empty_lines``; ``sums``: each row's last cell is the sum of the others)."""
    cells = [c for c in layout_cells(text) if c.start >= start and c.end <= end]
    lines: dict[int, tuple[int, str]] = {}
    fielded: set[int] = set()
    offset = 0
    for no, line in enumerate(text.split("\n")):
        if offset >= start and offset + len(line) <= end:
            if "\t" not in line and "|" not in line:
                lines[no] = (offset, line)
            else:
                fielded.add(no)
        offset += len(line) + 1
    if rows:
        cells = _filled_rows_blanks_dropped(cells, fielded, rows)
        cells = empty_line_blanks(text, start, end, rows, cells, sums=sums)
    unit = _space_unit([line for _, line in lines.values()])
    if unit is None:
        if width is None:
            return cells
        cells = aligned_blanks(cells, lines, width) if sums else cells
        return _overlong_blanks_dropped(cells, set(lines) | fielded, width)
    if width is not None:
        cells = _overlong_blanks_dropped(cells, fielded, width)
    out: list[LayoutCell] = []
    done: set[int] = set()
    for c in cells:
        if c.line not in lines:
            out.append(c)
        elif c.line not in done:
            done.add(c.line)
            out.extend(_split_by_unit(*lines[c.line], c.line, unit))
    return out


def _overlong_blanks_dropped(cells: list[LayoutCell], plain: set[int], width: int) -> list[LayoutCell]:
    """``cells`` without the blank cells of the lines (among ``plain``) that hold exactly ``width`` numbers
    and, with their blanks, more than ``width`` cells."""
    numbers: dict[int, int] = {}
    blanks: dict[int, int] = {}
    for c in cells:
        if c.blank:
            blanks[c.line] = blanks.get(c.line, 0) + 1
            continue
        whole = c.text.strip()
        if _ONE_NUMBER.match(whole) or whole in EMPTY_MARKS or _SPACED_TAIL.search(c.text):
            numbers[c.line] = numbers.get(c.line, 0) + 1  # a label's cell may end with its row's first number
    drop = {no for no, k in blanks.items() if no in plain and numbers.get(no, 0) == width}
    return [c for c in cells if not (c.blank and c.line in drop)] if drop else cells


def _filled_rows_blanks_dropped(cells: list[LayoutCell], fielded: set[int], rows: dict[str, int]) -> list[LayoutCell]:
    """``cells`` without the blank cells of the ``fielded`` lines whose first text cell is a row's label
    (a strong match, ``_row_label``) and whose numbers are exactly that row's cells."""
    first: dict[int, str] = {}
    numbers: dict[int, int] = {}
    blanks: set[int] = set()
    for c in cells:
        if c.line not in fielded:
            continue
        whole = c.text.strip()
        if c.blank:
            blanks.add(c.line)
        elif _ONE_NUMBER.match(whole):
            numbers[c.line] = numbers.get(c.line, 0) + 1
        elif c.line not in first and c.line not in numbers:
            first[c.line] = whole
    drop = set()
    for no in blanks & set(first):
        m = _best(first[no])
        if _strong_row(m) and m is not None and numbers.get(no, 0) == rows.get(m.entry.id):
            drop.add(no)
    return [c for c in cells if not (c.blank and c.line in drop)] if drop else cells


def _gaps(line: str) -> list[tuple[int, bool]]:
    """The space runs of 2 or more after the indentation of a line: (length, between two pieces of text)."""
    body = line.lstrip(" ")
    return [(len(m.group(0)), m.end() < len(body)) for m in _WIDE.finditer(body)] if body else []


def _space_unit(lines: list[str]) -> int | None:
    """The run of spaces that joins cells in these lines, if one divides every run (2, 3 or 4 spaces),
    several cells are joined by exactly one run and several runs hold blank cells; None for aligned
    columns (PDF text), for trailing space debris, or no such layout."""
    gaps = [g for line in lines for g in _gaps(line)]
    for unit in (4, 3, 2):
        single = sum(1 for g, between in gaps if between and g == unit)
        wide = sum(1 for g, _ in gaps if g >= 2 * unit)
        if gaps and all(g % unit == 0 for g, _ in gaps) and single >= MIN_BLANK_RUNS and wide >= MIN_BLANK_RUNS:
            return unit
    return None


def _split_by_unit(offset: int, line: str, lineno: int, unit: int) -> list[LayoutCell]:
    out: list[LayoutCell] = []
    indent = len(line) - len(line.lstrip(" "))
    pos = indent
    for m in _WIDE.finditer(line, indent):
        if m.start() > pos:
            out.append(LayoutCell(offset + pos, offset + m.start(), line[pos : m.start()], lineno))
        run = len(m.group(0)) // unit
        blanks = run if m.end() == len(line) else run - 1
        out.extend(LayoutCell(offset + m.start() + k * unit, offset + m.start() + k * unit, "", lineno)
                   for k in range(1, blanks + 1))  # fmt: skip
        pos = m.end()
    if pos < len(line):
        out.append(LayoutCell(offset + pos, offset + len(line), line[pos:], lineno))
    return out


def _pieces(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def _cell_tokens(text: str, offset: int, line: int, tagged: Tagged) -> list[Token]:
    """One cell's text as values and label fragments (consecutive label pieces joined)."""
    whole = text.strip()
    if whole in EMPTY_MARKS or _ONE_NUMBER.match(whole) or (len(whole) <= 3 and _ocr_number(whole)):
        return [Token("value", offset, offset + len(text), text, line, _value_score(whole, tagged, offset))]
    pieces = _glued_text(text, _pieces(text))
    numeric = [_is_number(text[a:b]) for a, b in pieces]
    kinds: list[str] = []
    depth = 0
    for k, (a, b) in enumerate(pieces):
        piece = text[a:b]
        nxt = text[pieces[k + 1][0] : pieces[k + 1][1]] if k + 1 < len(pieces) else ""
        in_run = numeric[k] and ((k > 0 and numeric[k - 1]) or (k + 1 < len(numeric) and numeric[k + 1]))
        if piece in UNIT_PIECES and kinds and kinds[-1] == "value":
            kind = "unit"  # also after a label's open bracket: ``采购（以政府集中采购方式 0 7.65 万元``
        elif depth > 0 and not in_run:
            kind = "label"  # numbers inside a label's explanation, unless several stand together (cells)
        elif piece in RULING_MARKS:
            kind = "rule"
        elif (_is_number(piece) and not (nxt[:1] and nxt[0] in COUNTING_WORDS)) or (
            (piece in OCR_ONES or _tagged_num(tagged, offset + a) or _lookalike_number(piece)) and _ocr_number(piece)
        ):
            kind = "value"
        elif piece in OCR_ZEROS and kinds and (kinds[-1] == "value" or _glued_digits(text[slice(*pieces[k - 1])])):
            kind = "value"  # a 0 read as O after a number of the same cell (``0 O``, ``行政强制1 O 1``)
        elif piece in EMPTY_MARKS and not (kinds and kinds[-1] == "label" and nxt and not _value_like(nxt)):
            kind = "value"  # an empty cell, unless it stands between two words of a label
        else:
            kind = "label"
        depth = max(0, depth + piece.count("(") + piece.count("（") - piece.count(")") - piece.count("）"))
        kinds.append(kind)
    out: list[Token] = []
    for (a, b), kind in zip(pieces, kinds, strict=True):
        s, e = offset + a, offset + b
        last = out[-1] if out else None
        if kind == "unit" and last is not None:
            out[-1] = replace(last, end=e, text=text[last.start - offset : b])
        elif kind == "value":
            out.append(Token("value", s, e, text[a:b], line, _value_score(text[a:b], tagged, s)))
        elif kind == "label" and last is not None and last.kind == "label":
            out[-1] = replace(last, end=e, text=text[last.start - offset : b])
        elif kind == "label":
            out.append(Token("label", s, e, text[a:b], line))
    return out


def _glued_text(text: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Pieces with a number glued to the text after it (``2只计这一情形``) split when a number stands just
    before it: a row's last cell run into the next line of its wrapped label."""
    out: list[tuple[int, int]] = []
    for a, b in pieces:
        m = _LEADING_NUMBER.match(text, a, b)
        if m and out and _is_number(text[out[-1][0] : out[-1][1]]) and text[m.end()] not in COUNTING_WORDS:
            out += [(a, m.end()), (m.end(), b)]
        else:
            out.append((a, b))
    return out


def _is_number(piece: str) -> bool:
    return bool(NUMBER_PIECE.match(piece))


def _value_like(piece: str) -> bool:
    return piece in EMPTY_MARKS or _is_number(piece)


def _value_score(value: str, tagged: Tagged, at: int) -> float:
    """The score of a value token at ``at``: the tagger's, and no more than ``OCR_LOOKALIKE_SCORE`` for a number
    read only through look-alikes (``O``, ``IO``, ``72.3I``) that no tagger marked a number."""
    score = _tag_score(tagged, at)
    if value not in EMPTY_MARKS and not _is_number(value) and not _tagged_num(tagged, at):
        score = min(score, OCR_LOOKALIKE_SCORE)
    return score


def _lookalike_number(piece: str) -> bool:
    """Two digits or more with look-alikes among them (``72.3I``): a number whatever the tagger said (a
    plain number before a counting word, ``2022 年``, stays text)."""
    return not _is_number(piece) and sum(ch.isdigit() for ch in piece) >= 2


def _ocr_number(piece: str) -> bool:
    """A number once digit look-alikes an OCR or a font swap produced (``O`` ``l`` ``I``) are read as digits."""
    return parse_number(piece) is not None and bool(_OCR_NUMBER.match(piece))


class Tagged:
    """A region's tagged spans, sorted by start, with the spans holding a position found by bisection
    (a linear scan per value made regions with many numbers quadratic)."""

    def __init__(self, spans: list[Span]) -> None:
        self.spans = sorted(spans, key=lambda s: s.start)
        self.starts = [s.start for s in self.spans]
        self.reach: list[int] = []  # the furthest end of the spans up to each one
        for sp in self.spans:
            self.reach.append(max(sp.end, self.reach[-1]) if self.reach else sp.end)

    def holding(self, pos: int, labels: tuple[str, ...]) -> Span | None:
        """The first span (by start) with one of ``labels`` that holds ``pos``."""
        k = bisect_right(self.starts, pos) - 1
        found = None
        while k >= 0 and self.reach[k] > pos:
            sp = self.spans[k]
            if sp.end > pos and sp.label in labels:
                found = sp
            k -= 1
        return found


def _tagged_num(tagged: Tagged, pos: int) -> bool:
    return tagged.holding(pos, ("NUM",)) is not None


def _tag_score(tagged: Tagged, pos: int) -> float:
    """The tagger's score for a value at ``pos``: its NUM or EMPTY span's, or a fixed one when untagged."""
    sp = tagged.holding(pos, ("NUM", "EMPTY"))
    return sp.score if sp is not None else UNTAGGED_VALUE_SCORE


def _row_label(text: str) -> bool:
    """``text`` names a row of the formats well (a strong label match)."""
    return _strong_row(_best(text))


def _strong_row(m: Match | None) -> bool:
    """``m`` matches a row of the formats well."""
    return m is not None and m.entry.kind == "row" and m.score >= STRONG_LABEL


def _best(text: str) -> Match | None:
    m = best_label(text, ("row", "group", "extra", "col"))
    return m if m is not None and m.score >= MIN_LABEL_SCORE else None


def _merge_wrapped(stream: list[Token]) -> list[Token]:
    """Label fragments on consecutive lines with nothing between them joined when they are one label
    wrapped in a narrow cell: the next line has no numbering and the joined text matches a label at
    least as well (two lines that each match a label well stay two labels)."""
    out: list[Token] = []
    for tok in stream:
        prev = out[-1] if out else None
        if tok.kind != "label":
            out.append(tok)
            continue
        if prev is not None and prev.kind == "label" and _wraps(prev, tok):
            joined = prev.text + tok.text
            out[-1] = replace(prev, end=tok.end, text=joined, match=_match(joined), last_line=tok.line)
            continue
        out.append(replace(tok, match=_match(tok.text), last_line=tok.line))
    return _rejoin(out)


def _wraps(prev: Token, tok: Token) -> bool:
    if tok.line == prev.last_line + 2:  # an empty line between them: only a label's lost tail
        return _tail(prev, tok)
    if tok.line != prev.last_line + 1 and not (tok.line == prev.last_line and not label_core(prev.text)):
        return False
    if not label_core(prev.text):
        return True  # a bare numbering (一、) waiting for its label
    if numbering(tok.text) or _CAPTION.search(tok.text) or _CAPTION.search(prev.text):
        return False
    alone, nxt, joined = prev.match, _match(tok.text), _match(prev.text + tok.text)
    if nxt is not None and nxt.score >= STRONG_LABEL:
        # a label of its own: it continues the one before only if that one then matches its label better
        return alone is not None and joined is not None and joined.entry == alone.entry and joined.score > alone.score
    if joined is None:
        return alone is None and nxt is None and len(label_core(prev.text + tok.text)) <= MAX_WRAPPED_TEXT
    return alone is None or joined.score >= alone.score or (nxt is None and joined.entry == alone.entry)


def _tail(prev: Token, tok: Token) -> bool:
    """``tok`` is the last character or two of the label ``prev``, alone on a line after an empty one (OCR
    text puts an empty line between lines; ``申请数`` then ``量``, or a misread ``星``): it matches no label
    by itself and the joined text still names ``prev``'s row. Left apart, it would stand between the
    label and its numbers and hide the label from them."""
    core = label_core(tok.text)
    if not core or len(tok.text.strip()) > MAX_TAIL or prev.match is None or prev.match.entry.kind != "row":
        return False
    joined = _match(prev.text + tok.text)
    return _match(tok.text) is None and joined is not None and joined.entry == prev.match.entry


def _match(text: str) -> Match | None:
    """The best label for a fragment; one holding a group label and then a row label
    (``(四)无法提供 1.本机关不``, ``(六)其他处理 1.申请人…``) is that row label, the text after its last
    inner numbering."""
    whole = _best(text)
    cuts = [m.start() for m in _INNER_NUMBERING.finditer(text)]
    if not cuts:
        return whole
    tail = _best(text[cuts[-1] :].strip())
    if tail is not None and tail.entry.kind == "row" and (tail.score >= TAIL_LABEL or whole is None):
        return tail
    return whole


def _rejoin(stream: list[Token]) -> list[Token]:
    """A wrapped label's second line printed after the numbers of its first line (``2.其他法律 0 0 0``,
    then ``行政法规禁止公开``) is joined back to its label, so it anchors nothing by itself."""
    out: list[Token] = []
    prev: int | None = None  # index in ``out`` of the last label
    for tok in stream:
        if tok.kind == "label" and prev is not None and out[-1].is_value and not numbering(tok.text):
            p = out[prev]
            joined = _match(p.text + tok.text)
            alone = tok.match
            if _split_by_numbers(p, tok, joined, out[prev + 1 :]):
                # one label on its numbers' line: it keeps that line, so the numbers stay beside it
                out[prev] = replace(p, text=p.text + tok.text, match=joined)
                continue
            if (
                joined is not None
                and p.match is not None
                and (joined.entry == p.match.entry or joined.score > p.match.score + 0.1)
                and joined.score >= p.match.score
                and (alone is None or alone.score < STRONG_LABEL)
                and tok.line <= p.last_line + 2
                and not _CAPTION.search(tok.text)  # a 第二十条 caption heads the next table, it ends no label
            ):
                out[prev] = replace(p, text=p.text + tok.text, match=joined, last_line=tok.line)
                continue
        if tok.kind == "label":
            prev = len(out)
        out.append(tok)
    return out


def _split_by_numbers(p: Token, tok: Token, joined: Match | None, between: list[Token]) -> bool:
    """A label cell's first line too short to name its row (``(七)总``, ``(一)予``), its row's numbers on
    that line and its last line on the next (``计``, ``以公开``): pdfplumber prints wrapped cells so. The
    two lines are one label when together they name a row well and the second line names no other."""
    return (
        p.match is None
        and joined is not None
        and _strong_row(joined)
        and (tok.match is None or tok.match.entry == joined.entry)
        and tok.line == p.last_line + 1
        and all(b.line == p.last_line for b in between)
    )


def column_blocks(stream: list[Token]) -> list[tuple[int, int]]:
    """Where ``stream`` prints a section 二 column as its header and its numbers: ``[start, end)`` of each
    column label followed directly by numbers (no blank, no other label between), then a label or the
    stream's end. pdfminer and pdftotext print stacked tables so, column by column."""
    out = []
    for k, tok in enumerate(stream):
        m = tok.match
        if tok.kind != "label" or m is None or m.entry.kind != "col" or m.entry.table != "section2":
            continue
        end = k + 1
        while end < len(stream) and stream[end].kind == "value":
            end += 1
        if end > k + 1 and (end == len(stream) or stream[end].kind == "label"):
            out.append((k, end))
    return out


def _line_at(text: str, at: int) -> str:
    """The line of ``text`` holding ``at``."""
    start, end = text.rfind("\n", 0, at) + 1, text.find("\n", at)
    return text[start : end if end >= 0 else len(text)]
