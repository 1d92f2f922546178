"""A row the format does not have, printed one cell a line after a row whose own cell is unreadable.

``行政强制 / I / 行政检查 / 0``: an OCR engine read 行政强制's 1 as ``I``, and 行政检查 (not a row of the 2021
format) follows with its 0. Neither tagger may make that 0 行政强制's trusted value: the rules tagger leaves
``I`` untagged and names 行政检查 a local row; a tagger that marks ``I`` a number and 行政检查 a row label must
not have the label taken for the wrapped end of 行政强制's; a lone stroke read as 1 is below trust whoever
tagged it. Rows of the other format (其他对外管理服务事项 in a 2021 report) are local rows here too.
"""

from __future__ import annotations

from collections.abc import Sequence

from gxie import extract
from gxie.confidence import TRUSTED
from gxie.tagging.rules import RulesTagger
from gxie.templates import Block, RowDef
from gxie.types import Document, Span
from tests.handmade import LABEL_PAD, T2021, report_text, section2_numbers_left

COERCION = "section2.coercion.decisions"


def _report_text(coercion: str, extra_row: bool) -> str:
    """``coercion`` as 行政强制's cell, and an unknown row 行政检查 with 0 after it when ``extra_row``."""

    def cells(row: str, n: int) -> list[str]:
        if row != "coercion":
            return ["2"] * n
        return [coercion, "", "行政检查", "0"] if extra_row else [coercion]

    return report_text(cells)


class _MarksStrokeAndUnknownRow:
    """The rules tagger, plus what a model marks here: a lone ``I`` a number, 行政检查 a row label."""

    name, version = "stroke-marker", "1"

    def __init__(self) -> None:
        self._rules = RulesTagger()

    def tag(self, text: str) -> list[Span]:
        spans = [s for s in self._rules.tag(text) if "行政检查" not in s.text]
        for word, label in (("\tI\n", "NUM"), ("\t行政检查\n", "ROW")):
            at = text.index(word) + 1
            spans.append(Span(at, at + len(word) - 2, label, word[1:-1]))
        return sorted(spans, key=lambda s: s.start)

    def tag_many(self, texts: Sequence[str]) -> list[list[Span]]:
        return [self.tag(t) for t in texts]


def _coercion(text: str, tagger: object) -> tuple[object, float]:
    report = extract(Document(text=text, source="unknown-row.txt", kind="text"), tagger=tagger)  # type: ignore[arg-type]
    cell = report.cell(COERCION)
    assert cell is not None
    return cell.value, cell.confidence


def test_the_hand_made_report_is_read_whole_and_trusted_without_the_unknown_row() -> None:
    report = extract(Document(text=_report_text("1", False), source="plain.txt", kind="text"), tagger="rules")
    assert report.status == "ok" and report.to_flat()[COERCION] == 1
    assert {c.key for c in report.trusted_cells} == set(T2021.flat_keys())


def test_rules_tagger_the_next_rows_value_after_its_label_is_not_trusted() -> None:
    value, confidence = _coercion(_report_text("I", True), "rules")
    assert confidence < TRUSTED, (value, confidence)


def test_a_label_after_a_value_on_its_own_line_is_a_new_row_not_a_wrapped_label() -> None:
    value, confidence = _coercion(_report_text("I", True), _MarksStrokeAndUnknownRow())
    assert value == 1 and confidence < TRUSTED  # the I, read as 1: a lone stroke, below trust


def test_a_number_printed_as_a_digit_keeps_its_trust_beside_the_unknown_row() -> None:
    value, confidence = _coercion(_report_text("1", True), "rules")
    assert value == 1 and confidence >= TRUSTED


def test_an_unreadable_cell_beside_the_label_then_an_unknown_row_keeps_the_next_value_below_trust() -> None:
    """``行政强制  l`` / ``行政征收  0``: the row's own cell (an OCR'd 1) on the label's line, unread; the 0 on
    the next line is 行政征收's, a row the 2021 format does not have."""
    text = report_text(lambda row, n: ["2"] * n).replace(
        "\t行政强制\n\t2\n", "\u3000行政强制\u3000\u3000l\xa0\n\u3000行政征收\u3000\u3000 0\n"
    )
    assert "行政征收" in text
    report = extract(Document(text=text, source="same-line.txt", kind="text"), tagger="rules")
    cell = report.cell(COERCION)
    assert cell is not None and not (cell.value == 0 and cell.confidence >= TRUSTED)


def test_a_local_row_after_a_row_whose_blank_cell_was_dropped_keeps_its_number() -> None:
    """One cell a line, blank cells dropped: ``行政处罚 / 0 / 行政强制 / 行政征收 / 0``. The 0 is 行政征收's (a
    local row: 2021 has no such row), 行政强制's cell was blank; read as 行政强制's, it had stood trusted
    (typical report 42424-121). Now the local row is named, its value reported outside the grid."""

    def cells(row: str, n: int) -> list[str]:
        return {"punishment": ["0"], "coercion": ["行政征收", "0"]}.get(row, ["2"] * n)

    report = extract(Document(text=report_text(cells), source="levy.txt", kind="text"), tagger="rules")
    cell = report.cell(COERCION)
    assert cell is not None and not (cell.value == 0 and cell.confidence >= TRUSTED), cell
    assert any("行政征收" in m.message and m.code.value == "extra_row" for m in report.issues)
    trusted = {c.key: c.value for c in report.trusted_cells if c.table == "section2"}
    assert all(v == 2 for k, v in trusted.items() if k not in (COERCION, "section2.punishment.decisions"))


def _other_format_section2() -> list[str]:
    """Section 二 numbers left of their labels (``handmade.section2_numbers_left``): every row 2 in each cell,
    but 行政许可 alone (its cell blank) and 其他对外管理服务事项 (a row of the 2019 format) with 23 after it."""

    def row_lines(block: Block, row: RowDef) -> list[str]:
        if row.id == "licensing":
            return [LABEL_PAD + row.label, "     23" + " " * 17 + "其他对外管理服务事项"]
        numbers = "  2     2     2   " if len(block.columns) > 1 else "     2" + " " * 12
        return [numbers + " " * 6 + row.label]

    return section2_numbers_left(row_lines)


def test_a_number_on_the_line_of_a_row_of_the_other_format_is_not_trusted_for_the_row_above() -> None:
    """A 2021 report printing the 2019 format's 其他对外管理服务事项 under 行政许可, its numbers left of the
    labels (pdftotext -layout of a table whose label column stands right): ``行政许可`` alone (its cell
    blank), then ``23   其他对外管理服务事项``. The 23 read as the number after 行政许可 had stood trusted
    (typical report 42424-001); the line's one label is a row this format does not have."""
    section2 = _other_format_section2()
    text = report_text()
    a, b = text.index("二、主动公开"), text.index("三、收到和处理")
    text = text[:a] + "\n".join(section2) + "\n" + text[b:]
    report = extract(Document(text=text, source="other-format-row.txt", kind="text"), tagger="rules")
    licensing = report.cell("section2.licensing.decisions")
    assert licensing is not None and not (licensing.value == 23 and licensing.confidence >= TRUSTED), licensing
