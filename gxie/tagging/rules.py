"""The rules tagger: lexicon + patterns over layout cells. The baseline, and the weak labeller.

It tags whole cells: a cell that is a number is NUM, a cell that matches a row or column label of the
formats is ROW/COL, a 第二十条 caption or table title is CAP, a top-level ``一、…`` heading line is SEC.
Numbers are tagged only where a cell stands on its own (table layouts), never inside prose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gxie.confidence import OCR_LOOKALIKE_SCORE
from gxie.templates.lexicon import best_label, label_core, numbering, split_label
from gxie.text.cells import NUMBER_TOKEN, LayoutCell, display_width, layout_cells, line_starts, ocr_number
from gxie.types import Span

RULES_VERSION = "1"
_NUM = re.compile(rf"^{NUMBER_TOKEN}$")
# A cell of digits and the letters OCR puts for them (``o`` ``O`` ``〇`` for 0, ``l`` ``I`` for 1), at least one
# digit or 0-like letter: a lone ``l`` or ``I`` may be a ruling line. Also an amount, with decimals or a unit
# (``597.6I万元``).
_OCR_NUM = re.compile(
    r"^(?:[+\-][\doO〇lI]{1,6}"  # a signed change (+l: +1)
    r"|(?=.*[\doO〇])(?:[\doO〇lI]{1,6}|[\doO〇lI]{1,9}\.[\doO〇lI]{1,4}(?:\s?(?:万元|万|元))?|[\doO〇lI]{1,9}\s?(?:万元|元)))$"
)
# A row label's first number run into it (``行政强制49``): digits (or OCR look-alikes, or an empty mark ``——``) right
# after a CJK character, a closing bracket or a closing quote.
_GLUED_NUMBER = re.compile(r"(?<=[\u4e00-\u9fff）)”」\"]) ?(\d[\d,]*(?:\.\d+)?|[\doO〇lI]{1,6}|—{1,2})$")
# A row label followed by its cells one space apart or more (ideographic spaces normalised to one space:
# ``一、本年新收政府信息公开申请数量　3　1　0``; OCR's ``7.属于行政执法案卷O 0 0``, the first run into the label):
# two cells or more, numbers, OCR look-alikes of a 0 or empty marks.
_SPACED_TOKEN = r"(?:-?\d[\d,]*(?:\.\d+)?|[oO〇]|—{1,2}|-|/)"  # not a lone l or I: a ruling line, maybe
_SPACED_CELLS = re.compile(rf"(?<=[\u4e00-\u9fff）)”」\"])( *{_SPACED_TOKEN}(?: +{_SPACED_TOKEN})+)$")
_ONES = re.compile(r"[lI]{1,6}")  # a field of l and I alone (``ll``): OCR's 11, no ruling line in a field
_LONE_LOOKALIKES = frozenset({"l", "I", "O", "o", "〇"})
_EMPTY = re.compile(r"^(?:无|—+|-{1,2}|/|／|－|–)$")
_CAPTION = re.compile(r"第二十条第\s*[(（]\s*[一二三四五六七八九十]{1,2}\s*[)）]\s*项")
_NOTE = re.compile(r"勾稽关系")
_TITLE_BODY = (
    r"(?:行政机关)?(?:主动公开政府信息|收到和处理政府信息公开申请|政府信息公开申请办理|政府信息公开行政复议、?(?:行政)?诉讼|"
    r"因政府信息公开(?:工作)?被申请行政复议、?提起行政诉讼)(?:的)?情况(?:统计表)?"
)
_TITLE_YEAR = r"\s*[(（]\s*\d{4}\s*年度?\s*[)）]"
# A table's title: numbered as a table (``表2``, ``（2）``), or alone on its line, or with the year after it;
# not a section heading (``三、收到和处理政府信息公开申请情况``, numbered as the report's sections).
_TABLE_TITLE = re.compile(
    rf"^(?:表\s*\d{{1,2}}[:：.、\s]*|[(（]\s*[一二三四五六七八九十\d]{{1,2}}\s*[)）]\s*)?{_TITLE_BODY}(?:{_TITLE_YEAR})?$"
    rf"|^(?:表\s*\d{{1,2}}[:：.、\s]*|[(（]\s*[一二三四五六七八九十\d]{{1,2}}\s*[)）]\s*){_TITLE_BODY}"
    r"|^[(（]?\s*[一二三四五六七八九十\d]{1,2}\s*(?:[)）、.]\s*)?"  # not \s*[)）、.]?\s*: quadratic on spaces
    rf"{_TITLE_BODY}{_TITLE_YEAR}"
)
_HEADING = re.compile(r"^[一二三四五六七八九十]{1,2}\s*[、.．]")
# A section heading numbered with a space for its 、 (``五 存在的主要问题及改进情况``): only with the words of one
# of the formats' six headings, which no label or prose line starts so.
_SPACED_HEADING = re.compile(
    r"^[一二三四五六]\s+(?:总体情况|主动公开|(?:行政机关)?收到和处理|政府信息公开行政复议|存在的主要问题|其他需要报告)"
)
_BARE_NUMBERING = re.compile(r"[一二三四五六七八九十]{1,2}\s*、")  # a numbering split from its label
_SENTENCE_END = re.compile(r"[。；;]")
ROW_THRESHOLD = 0.8
WRAPPED_LINES = 2  # continuation lines of a wrapped label looked at below its first
WRAPPED_COLUMN = 2  # characters a continuation may stand left or right of the first line's column
COL_THRESHOLD = 0.85
MAX_HEADING = 40


def _leading_ones(cells: Sequence[LayoutCell], lines: set[int]) -> set[int]:
    """Where a lone ``l`` or ``I`` opens a line of cells, the line's only one, and the next cell is a number
    or an empty mark (``I  -  -  行政处罚``): a 1, not a ruling line (ruling lines come between cells, more
    than one a line). ``lines``: the lines holding a lone look-alike."""
    by_line: dict[int, list[LayoutCell]] = {}
    for cell in cells:
        if not cell.blank and cell.line in lines:
            by_line.setdefault(cell.line, []).append(cell)
    out = set()
    for row in by_line.values():
        ones = [c for c in row if c.text in ("l", "I")]
        if (
            len(row) > 1
            and len(ones) == 1
            and row[0] is ones[0]
            and (_NUM.match(row[1].text) or _EMPTY.match(row[1].text))
        ):
            out.add(row[0].start)
    return out


def _number_lines(cells: Sequence[LayoutCell], lone: Sequence[LayoutCell]) -> set[int]:
    """The lines holding a number, and those of the lone zero look-alikes next to them, in a chain
    (``0`` / ``o`` / ``O``: a row's last two zeros read by OCR, the last one beside the first)."""
    out = {c.line for c in cells if not c.blank and _NUM.match(c.text)}
    zeros = {c.line for c in lone if c.text in ("O", "o", "〇")}
    while add := {n for n in zeros - out if n - 1 in out or n + 1 in out}:
        out |= add
    return out


def _zero_among_numbers(cell: LayoutCell, number_lines: set[int]) -> bool:
    """An ``O``, ``o`` or ``〇`` alone on its line next to a line holding a number: a table printed one cell a
    line, its 0 read by OCR (a lone ``l`` or ``I`` there may still be a ruling line)."""
    return cell.text in ("O", "o", "〇") and (cell.line - 1 in number_lines or cell.line + 1 in number_lines)


def _field_line(line: str) -> bool:
    """A line whose cells are fields between separators: tab-separated (no ``|``, which OCR reads ruling lines
    as), or a Markdown table row (``| … |``). A lone ``l`` or ``I`` in such a field is a 1, not a ruling line."""
    bare = line.strip()
    return ("\t" in line and "|" not in line) or (len(bare) > 1 and bare[0] == "|" and bare[-1] == "|")


def _in_field(text: str, cell: LayoutCell) -> bool:
    """``cell`` is one field of a line split by tabs or ``|`` (not a line of words one space apart)."""
    start, end = text.rfind("\n", 0, cell.start) + 1, text.find("\n", cell.end)
    line = text[start : end if end >= 0 else len(text)]
    return "\t" in line or "|" in line


def _columns(text: str, line_start: int, pos: int) -> tuple[int, int]:
    """Where ``pos`` stands in its line: in characters, and in display columns (CJK characters two wide, as
    pdftotext -layout lays out a page)."""
    head = text[line_start:pos]
    return len(head), display_width(head)


def _near(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Two positions in the same column, counted either way (``WRAPPED_COLUMN``)."""
    return abs(a[0] - b[0]) <= WRAPPED_COLUMN or abs(a[1] - b[1]) <= WRAPPED_COLUMN


def _cell_spans(text: str, offset: int) -> list[Span]:
    """Each piece of ``text`` (cells a space apart, ``text`` at ``offset``) as a cell: a number, one read
    through look-alikes (``o``: less sure) or an empty mark; [] when a piece is none of them (a lone ``l`` or
    ``I`` among them may be a ruling line)."""
    out = []
    for m in re.finditer(r"\S+", text):
        piece, at = m.group(), offset + m.start()
        if _NUM.match(piece):
            out.append(Span(at, at + len(piece), "NUM", piece))
        elif _OCR_NUM.match(piece):
            out.append(Span(at, at + len(piece), "NUM", piece, OCR_LOOKALIKE_SCORE))
        elif _EMPTY.match(piece):
            out.append(Span(at, at + len(piece), "EMPTY", piece))
        else:
            return []
    return out


class RulesTagger:
    """Tags normalized report text with lexicon matching and patterns (no model)."""

    name = "rules"
    version = RULES_VERSION

    def tag(self, text: str) -> list[Span]:
        spans: list[Span] = []
        cells = layout_cells(text)
        multi_lines = _lines_with_several_cells(cells)
        lines = text.split("\n")
        field_lines = {no for no, line in enumerate(lines) if ("\t" in line or "|" in line) and _field_line(line)}
        pending_numbering: list[Span] = []
        lone = [c for c in cells if c.text in _LONE_LOOKALIKES]  # rare: most reports have none
        number_lines = _number_lines(cells, lone) if lone else set()
        leading_ones = _leading_ones(cells, {c.line for c in lone}) if lone else set()
        wrapped = self._wrapped_labels(text, cells, multi_lines)
        for cell in cells:
            if cell.blank:
                continue
            if cell.start in wrapped:
                pending_numbering.clear()
                spans.append(wrapped[cell.start])
                continue
            in_table_line = cell.line in multi_lines or _zero_among_numbers(cell, number_lines)
            spaced = self._spaced_cells(text, cell) or (self._number_run(cell) if in_table_line else [])
            if spaced:
                pending_numbering.clear()
                spans.extend(spaced)
                continue
            span, glued = self._glued(text, cell, in_table_line)
            if span is None:
                field = cell.line in field_lines or cell.start in leading_ones
                span = self._tag_cell(text, cell.start, cell.end, cell.text, in_table_line, field)
            if span is None:
                pending_numbering.clear()
                continue
            if span.label == "ROW" and not label_core(span.text):
                pending_numbering.append(span)  # a bare "一、" split from its label: keep if a label follows
                continue
            if span.label == "ROW" and pending_numbering:
                spans.extend(pending_numbering)
            pending_numbering.clear()
            if span.label == "ROW":
                spans.extend(
                    Span(span.start + a, span.start + b, "ROW", span.text[a:b]) for a, b in split_label(span.text)
                )
            else:
                spans.append(span)
            if glued is not None:
                spans.append(glued)
        return spans

    def _glued(self, text: str, cell: LayoutCell, table_line: bool = False) -> tuple[Span | None, Span | None]:
        """A row label with its first number run into it (``行政强制49``, ``…稳定o  0  0``): the label and the
        number, or (None, None). One space before the number counts inside a tab or | field, and, for digits,
        on a line of more cells (``1、本机关不掌握相关政府信息 1  1  ⍽ ⍽ 2``: the row's first cell)."""
        m = _GLUED_NUMBER.search(cell.text)
        if m is None:
            return None, None
        if m.group(0).startswith(" ") and not (_in_field(text, cell) or (table_line and _NUM.match(m.group(1)))):
            return None, None
        label = self._tag_cell(text, cell.start, cell.start + m.start(), cell.text[: m.start()], True)
        if label is None or label.label != "ROW":
            return None, None
        number, at = m.group(1), cell.start + m.start(1)  # after the one space a cell may hold (``重复申请 4``)
        if number.startswith("—"):
            return label, Span(at, cell.end, "EMPTY", number)  # an empty mark run into it (``政府集中采购——``)
        if _NUM.match(number):
            return label, Span(at, cell.end, "NUM", number)
        if _OCR_NUM.match(number) or number in ("l", "I"):  # run into a label, a lone l or I is no ruling line
            return label, Span(at, cell.end, "NUM", number, OCR_LOOKALIKE_SCORE)
        return None, None

    def _spaced_cells(self, text: str, cell: LayoutCell) -> list[Span]:
        """A row label and its cells one space apart in one layout cell (a row whose cells a document
        separated by ideographic spaces): the label's spans and one span a cell, or [] when the cell is not
        a known row's label followed by two cells or more."""
        if " " not in cell.text:
            return []  # two cells or more stand a space apart
        m = _SPACED_CELLS.search(cell.text)
        if m is None or len(m.group(1).split()) < 2:
            return []
        labels = self._spaced_label(text, cell.start, cell.text[: m.start()])
        if not labels:
            return []
        out = [
            Span(lab.start + a, lab.start + b, "ROW", lab.text[a:b]) for lab in labels for a, b in split_label(lab.text)
        ]
        return out + _cell_spans(m.group(1), cell.start + m.start(1))  # _SPACED_TOKEN: every piece a cell

    def _wrapped_labels(self, text: str, cells: Sequence[LayoutCell], multi_lines: set[int]) -> dict[int, Span]:
        """Row labels a narrow column wrapped (``2、其他法律`` / ``行政法规禁止`` / ``公开``; ``7、属于`` /
        ``行政执法案`` / ``卷``): a numbered cell on a line with the row's numbers that names no row by itself, and
        the cells just below it in its column that complete a row's label with it (a match of
        ``ROW_THRESHOLD``). Each piece is a row label span (the grid joins them), keyed by its start."""
        starts: list[int] = []  # where each line begins, and the cells of each line: made at the first candidate
        by_line: dict[int, list[LayoutCell]] = {}
        out: dict[int, Span] = {}
        for cell in cells:
            body = cell.text
            # (a label alone on its line is left to the grid, which joins its pieces: one cell a line)
            if cell.line not in multi_lines or cell.blank or len(body) > 20 or cell.start in out:
                continue
            if _NUM.match(body) or not numbering(body) or "。" in body:
                continue
            first = best_label(body, ("row", "group", "extra"))
            if first is not None and first.score >= ROW_THRESHOLD:
                continue  # a label of its own (a row's, or a group's: （三）不予公开)
            if not starts:
                starts = line_starts(text)
                for c in cells:
                    if not c.blank:
                        by_line.setdefault(c.line, []).append(c)
            if not any(_NUM.match(c.text) for c in by_line[cell.line]):
                continue  # no number beside it
            column = _columns(text, starts[cell.line], cell.start)
            pieces, joined = [cell], body
            for line in range(cell.line + 1, cell.line + 1 + WRAPPED_LINES):
                below = [
                    c
                    for c in by_line.get(line, [])
                    if _near(_columns(text, starts[line], c.start), column) and not _NUM.match(c.text)
                ]
                if len(below) != 1 or numbering(below[0].text):
                    break
                pieces.append(below[0])
                joined += below[0].text
                whole = best_label(joined, ("row",))
                if whole is not None and whole.score >= ROW_THRESHOLD:
                    out.update({c.start: Span(c.start, c.end, "ROW", c.text) for c in pieces})
                    break
        return out

    @staticmethod
    def _number_run(cell: LayoutCell) -> list[Span]:
        """A cell of a table line that is numbers one space apart (``0 0 0`` between wider gaps, as OCR lays
        out a row): one span a number (read through look-alikes, ``o``, less sure), or [] when a piece is
        not one (a lone ``l`` or ``I`` among them may be a ruling line)."""
        if " " not in cell.text:
            return []
        out = _cell_spans(cell.text, cell.start)
        return out if len(out) >= 2 else []

    def _spaced_label(self, text: str, start: int, body: str) -> list[Span]:
        """The ROW spans of a label before cells one space apart: the whole of it, or else its pieces one
        space apart (a group's label with a misprint before the row's own: ``(五)不子处理 1.信访…``), the last
        of them a row's label."""
        whole = self._tag_cell(text, start, start + len(body), body, True)
        if whole is not None and whole.label == "ROW":
            return [whole]
        out = []
        for piece in re.finditer(r"\S+", body):
            span = self._tag_cell(text, start + piece.start(), start + piece.end(), piece.group(), True)
            if span is not None and span.label == "ROW":
                out.append(span)
        return out if out and out[-1].end == start + len(body.rstrip()) else []

    def tag_many(self, texts: Sequence[str]) -> list[list[Span]]:
        return [self.tag(t) for t in texts]

    def _tag_cell(
        self, text: str, start: int, end: int, body: str, in_table_line: bool, field: bool = False
    ) -> Span | None:
        if _NUM.match(body):
            return Span(start, end, "NUM", body)
        # no ruling line is a field; a field that is a number once its look-alikes are digits (``I75万``) is one
        lookalike = _OCR_NUM.match(body) or (field and (_ONES.fullmatch(body) or ocr_number(body)))
        if in_table_line and lookalike:
            return Span(start, end, "NUM", body, OCR_LOOKALIKE_SCORE)  # a number read by look-alikes: less sure
        if _EMPTY.match(body):
            return Span(start, end, "EMPTY", body) if in_table_line or len(body) == 1 else None
        cap = _CAPTION.search(body)
        if cap:
            return Span(start + cap.start(), start + cap.end(), "CAP", cap.group(0))
        if _NOTE.search(body) and len(body) < 60:
            return Span(start, end, "CAP", body)
        if _TABLE_TITLE.match(body):
            return Span(start, end, "CAP", body)
        if _BARE_NUMBERING.fullmatch(body):
            return Span(start, end, "ROW", body)  # numbering split from its label (kept only before one)
        if len(label_core(body)) <= 45 and "。" not in body:
            label = self._label(body)
            if label:
                return Span(start, end, label, body)
        heading = _HEADING.match(body)
        if heading:
            title = _SENTENCE_END.split(body, maxsplit=1)[0].rstrip()
            if len(title) <= MAX_HEADING and len(title) > len(heading.group(0)):
                return Span(start, start + len(title), "SEC", title)
        if _SPACED_HEADING.match(body) and len(body) <= MAX_HEADING:
            return Span(start, end, "SEC", body)
        return None

    @staticmethod
    def _label(body: str) -> str | None:
        m = best_label(body)
        if m is None:
            return None
        if m.entry.kind in ("row", "group", "extra") and m.score >= ROW_THRESHOLD:
            # Section 四's blocks (行政复议 …) are printed as column headers.
            return "COL" if m.entry.table == "section4" else "ROW"
        if m.entry.kind == "col" and m.score >= COL_THRESHOLD and not numbering(body):
            return "COL"
        return None


def _lines_with_several_cells(cells: Sequence[LayoutCell]) -> set[int]:
    counts: dict[int, int] = {}
    for c in cells:
        counts[c.line] = counts.get(c.line, 0) + 1
    return {line for line, n in counts.items() if n > 1}
