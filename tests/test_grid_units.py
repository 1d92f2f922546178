"""Unit tests of the grid's building blocks: label matching, cell layout, number parsing, relations."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gxie.grid.assign import place_row
from gxie.grid.values import parse_number
from gxie.templates import load_template
from gxie.templates.lexicon import best_label, label_core
from gxie.text.cells import Item, items, layout_cells
from gxie.types import Cell, Span
from gxie.validate import run_checks


@pytest.mark.parametrize(
    ("text", "kind", "ident"),
    [
        ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "row", "partially_granted"),
        ("(二) 部分公开(区分处理的, 只计这一情形, 不计其他情形)", "row", "partially_granted"),
        ("3、危及“三安全一稳定”", "row", "denied_three_safeties_one_stability"),
        ("规范性文件(行政机关制定发布的决定、公告…)", "row", "normative_documents"),
        ("行政规范性文件", "row", "normative_documents"),
        ("规范性档案", "row", "normative_documents"),
        ("(七)总计", "row", "total_processed"),
        ("总计", "col", "total"),
        ("3.其他", "row", "other_other"),
        ("社会组织", "col", "social_welfare"),
        ("1.属于国家秘蜜", "row", "denied_state_secret"),  # a typo inside the label
        ("四、结转下年度继续办理", "row", "carried_forward"),
        ("其他主动公开文件(含以本单位…)", "extra", "other_proactive_documents"),
        ("行政征收", "extra", "administrative_levy"),  # a local row of 第二十条第（六）项, no format's row
        ("行政检查", "extra", "administrative_inspection"),
        ("（六其他处理", "row", "other"),
    ],
)
def test_label_matching(text: str, kind: str, ident: str) -> None:
    m = best_label(text)
    assert m is not None and (m.entry.kind, m.entry.id) == (kind, ident), m


def test_label_core_strips_numbering_and_explanations() -> None:
    assert label_core("1、属于国家秘密") == "属于国家秘密"
    assert label_core("上一年项目数量 (指2019年事项数)") == "上一年项目数量"
    assert label_core("（二）部分公开（区分处理的，只计") == "部分公开"  # wrapped: bracket left open
    assert label_core("（六其他处理") == "其他处理"  # the numbering's closing bracket lost (OCR, 42424-288)
    assert label_core("（一般情况）") == ""  # a bracketed note starting with a numeral is no numbering


def test_layout_cells_keep_blanks_and_offsets() -> None:
    text = "行政许可\t6\t\t147\n| 规章 | 0 | 0 |\n|---|---|---|\n\t0\n\t \n1 2 3\n规章    0    1"
    cells = layout_cells(text)
    assert [c.text for c in cells] == ["行政许可", "6", "", "147", "规章", "0", "0", "0", "", "1", "2", "3",
                                       "规章", "0", "1"]  # fmt: skip
    for c in cells:
        assert text[c.start : c.end] == c.text


@pytest.mark.parametrize(
    ("raw", "col", "value"),
    [
        ("0", "", 0), (" 0", "", 0), ("+7", "", 7), ("-4", "", -4), ("1,234", "", 1234), ("1O", "", 10),
        ("380479.6元", "total_amount", 380479.6), ("180.16 万元", "total_amount", 1801600),
        ("375万", "total_amount", 3750000), ("12.5", "amount_10k_yuan", 12.5),
        ("125000元", "amount_10k_yuan", 12.5), ("无", "", None), ("第3页", "", None),
        # exact: no float on the way (issue 13)
        ("9007199254740993", "", 9007199254740993), ("-9007199254740993", "", -9007199254740993),
        ("9,223,372,036,854,775,807", "", 2**63 - 1), ("9223372036854775808", "", None),
        ("922337203685477.5807万", "", 2**63 - 1), ("0.1", "total_amount", 0.1), ("1.0000005", "", 1),
        ("0.0000001", "", 0), ("2.0000006", "", 2.000001),
        ("123456789012.34 万元", "total_amount", 1234567890123400), ("3.3元", "amount_10k_yuan", 0.00033),
        ("-0.0", "", 0), ("1" * 309, "", None), ("9" * 5000, "", None), ("0." + "1" * 5000, "", None),
        # a fraction on a value a float cannot hold exactly is no number, not an altered one
        ("9007199254740993.5", "", None), ("4503599627370495.5", "", 4503599627370495.5),
    ],
)  # fmt: skip
def test_parse_number(raw: str, col: str, value: object) -> None:
    got = parse_number(raw, col)
    assert got == value and type(got) is type(value)


def _items(*texts: str, line_per_item: bool = False) -> list[Item]:
    return [
        Item("BLANK" if t == "" else "NUM", i, i + len(t), t, i if line_per_item else 0) for i, t in enumerate(texts)
    ]


def test_place_row_drops_merged_label_blanks_then_tail() -> None:
    cols = ["a", "b", "c"]
    placed = place_row("section2", "licensing", cols, _items("", "", "6", "0", "147", ""), 1.0)
    assert [c.value for c in placed.cells] == [6, 0, 147]
    assert placed.certainty == 1.0


def test_section2_rows_of_a_wider_table_drop_trailing_blanks_first() -> None:
    # a fees row in a 4-column table: blank, 0, then the empty cell of a column it does not have
    placed = place_row("section2", "fees", ["prev_year_items", "change"], _items("", "0", ""), 1.0)
    assert [c.value for c in placed.cells] == [None, 0]
    # section 三: the blank before the values is a merged label cell, the last blank is the total
    cols = ["natural_person", "commercial", "research", "social_welfare", "legal_service", "other", "total"]
    placed = place_row("section3", "granted", cols, _items("", "1", "0", "0", "0", "0", "0", ""), 1.0)
    assert [c.value for c in placed.cells] == [1, 0, 0, 0, 0, 0, None]


def test_place_row_dense_section3_row_uses_the_total() -> None:
    cols = ["natural_person", "commercial", "research", "social_welfare", "legal_service", "other", "total"]
    r2 = load_template("2021").relation("R2_total_column")
    placed = place_row("section3", "granted", cols, _items("3", "2", "5", line_per_item=True), 1.0, relation=r2)
    by_col = {c.col: c.value for c in placed.cells}
    assert by_col["total"] == 5 and by_col["natural_person"] == 3 and sum(v or 0 for v in by_col.values()) == 10


def test_checks_blank_counts_as_zero_absent_is_not_evaluable() -> None:
    t = load_template("2019")
    cells = {k: Cell(*k.split("."), 0, "0", (0, 1), 1.0) for k in t.flat_keys()}
    cells["section3.new_received.total"] = Cell("section3", "new_received", "total", None, "", None, 1.0)
    checks = run_checks(t, cells)
    assert all(c.passed for c in checks)
    del cells["section3.carried_forward.natural_person"]
    r1 = next(c for c in run_checks(t, cells) if c.rule.startswith("R1") and c.scope == "column natural_person")
    assert r1.passed is None
    cells["section4.review.total"] = Cell("section4", "review", "total", 2, "2", (0, 1), 1.0)
    r5 = next(c for c in run_checks(t, cells) if c.scope == "block review")
    assert (r5.expected, r5.found, r5.passed) == (0, 2, False)


def test_space_joined_cells_keep_their_blanks() -> None:
    """Tabs turned into a fixed run of spaces: a longer run holds blank cells; aligned PDF columns do not."""
    cells = layout_cells("  一、本年新收政府信息公开申请数量   2   2            1   5")
    assert [c.text for c in cells][1:] == ["2", "2", "", "", "", "1", "5"]
    pdf = layout_cells("规章     1       0      11")
    assert [c.text for c in pdf] == ["规章", "1", "0", "11"]


def test_a_number_tagged_without_the_sign_before_it_takes_the_sign() -> None:
    """A tagger that marks ``11`` in ``行政许可 15 -11 900`` (seen on pdftotext's text of a Traditional report)
    would give 11 for -11 at full confidence; the sign written right before the number, after a space, is
    part of it. A hyphen inside a range (``2019-2020``) is not a sign."""
    text = "行政许可 15 -11 900\n其他 |+3| 2019-2020\n"

    def num(part: str, after: int = 0) -> Span:
        start = text.index(part, after)
        return Span(start, start + len(part), "NUM", part, 0.98)

    spans = [num("15"), num("11", 8), num("900"), num("3"), num("2020")]
    got = [(i.kind, i.text, text[i.start : i.end]) for i in items(text, spans) if i.kind == "NUM"]
    assert got == [
        ("NUM", "15", "15"),
        ("NUM", "-11", "-11"),
        ("NUM", "900", "900"),
        ("NUM", "+3", "+3"),
        ("NUM", "2020", "2020"),
    ]
    assert parse_number("-11") == -11


def test_one_printed_number_is_one_cell() -> None:
    """Two tables read the same number (sections that run into each other): the surest cell keeps it, the
    other is left unread and named; a sure reading against an unsure one keeps its confidence, a close
    contest does not."""
    from gxie.grid.build import one_cell_per_number

    t = load_template("2021")

    def c(key: str, value: int, span: tuple[int, int], confidence: float) -> Cell:
        table, row, col = key.split(".")
        return Cell(table, row, col, value, str(value), span, confidence)

    sure = c("section3.carried_forward.total", 1, (10, 11), 1.0)
    weak = c("section4.review.other", 1, (10, 11), 0.42)
    alone = c("section3.carried_forward.other", 0, (8, 9), 1.0)
    cells, issues = one_cell_per_number(t, {x.key: x for x in (sure, weak, alone)})
    assert cells == {sure.key: sure, alone.key: alone}
    assert [(i.code, i.message) for i in issues] == [
        (
            "uncertain_row",
            "section3.carried_forward.total, section4.review.other were read from the same number '1'; it is "
            "given to section3.carried_forward.total (the surest reading) and the others are left unread",
        )
    ]
    close = c("section2.fees.change", 1, (10, 11), 0.95)
    cells, _ = one_cell_per_number(t, {x.key: x for x in (sure, close)})
    assert cells == {sure.key: replace(sure, confidence=0.6)}


def test_rows_outside_the_format_are_reported_with_their_table() -> None:
    # a local extra row and a row of the other format: their values stay out of the grid, and the message
    # names the table (the rules-first cascade leaves that table to the model)
    from gxie import extract_text
    from gxie.training.synth import generate
    from gxie.types import IssueCode

    wanted = {"synth-3-000017": IssueCode.EXTRA_ROW, "synth-3-000044": IssueCode.ROW_NOT_IN_FORMAT}
    seen = {}
    for r in generate(45, 3, noise_levels=("clean",), agency_pool="heldout"):
        if r.id in wanted:
            report = extract_text(r.text, tagger="rules")
            seen[r.id] = [i.message for i in report.issues if i.code is wanted[r.id]]
    assert seen["synth-3-000017"][0].startswith("section2: local row '其他主动公开文件' is not part of format 2019")
    assert seen["synth-3-000044"][0].startswith("section2: row '其他对外管理服务事项' (other_admin_services) does not")


def test_label_scores_equal_core_score_of_every_alias() -> None:
    """``lexicon._scores`` (one cdist, prefix rules only on cores with the same first character, a reduceat
    per entry) gives exactly the best ``core_score`` over each entry's alias cores."""
    from gxie.templates.lexicon import _scores, _targets, core_score, entries

    cores, owner = _targets()

    def slow(core: str) -> list[float]:
        best = [-1.0] * len(entries())
        for k, target in enumerate(cores):
            best[owner[k]] = max(best[owner[k]], core_score(core, target))
        return best

    probes = {"", "总计", "其他", "规章", "本年新收", "行政许可x", "一二三", "本机关不掌握相关政府信息y", "abc"}
    for target in cores:
        probes.update({target, target[:2], target[:4], target[1:], target + "（说明）", target + "等"})
    assert all(_scores(core) == slow(core) for core in probes)


def test_a_run_with_exactly_a_rows_numbers_among_more_cells_keeps_the_numbers() -> None:
    """A PDF converter spread merged cells over several columns: ``| 行政许可 |  | 4 |  |  | 0 |  | 54 |  |  |``.
    Three numbers for three cells: the blanks between them are no cells of the row."""
    cols = ["prev_year_items", "change", "decisions"]
    placed = place_row("section2", "licensing", cols, _items("", "4", "", "", "0", "", "54", "", ""), 1.0)
    assert [c.value for c in placed.cells] == [4, 0, 54]
    # fewer numbers than cells: the blanks may be cells, read as before
    placed = place_row("section2", "fees", ["prev_year_items", "change"], _items("", "0", ""), 1.0)
    assert [c.value for c in placed.cells] == [None, 0]


def test_padding_columns_of_a_markdown_table_give_no_blank_cells() -> None:
    """A markdown table (a PDF converter's) whose header spreads over padding columns: a column empty in every
    row, the header's included, gives no blank cell; a column with a header label keeps its blank cells;
    a block without a header row is left as it is."""
    text = (
        "| 信息内容 |  | 上一年项目数量 |  |  | 本年增/减 |  | 处理决定数量 |  |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        "| 行政许可 |  | 4 |  |  | 0 |  | 54 |  |\n"
        "| 行政事业性收费 |  | 1 |  |  |  |  |  |  |\n"
        "说明\n"
        "| 规章 |  | 0 |  |  | 0 |\n"
    )
    rows: dict[int, list[str]] = {}
    for c in layout_cells(text):
        rows.setdefault(c.line, []).append(c.text)
    assert rows[0] == ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"]
    assert rows[2] == ["行政许可", "4", "0", "54"]
    assert rows[3] == ["行政事业性收费", "1", "", ""]  # 本年增/减 and 处理决定数量 printed blank
    assert rows[5] == ["规章", "", "0", "", "", "0"]  # no header: no column is known to be padding


def test_a_table_read_from_another_tables_text_is_decoded_again_from_its_own() -> None:
    """In a report without a 四 heading, today's rebuild read section 四's fifteen zeros from section 三's
    text (the same numbers as section 三's last rows). Complete and adding up, it is still not sound: its
    cells lie outside its region. The decoded reading of its own region, the same values, replaces it."""
    from gxie.grid.candidates import Token
    from gxie.grid.refine import _better, _sound

    t = load_template("2021")
    keys = t.table_keys("section4")
    region = (500, 700)

    def cells(start: int) -> dict[str, Cell]:
        return {
            k: Cell(*k.split("."), value=0, raw="0", span=(start + 3 * i, start + 3 * i + 1), confidence=0.97)
            for i, k in enumerate(keys)
        }

    stolen, own = cells(100), cells(520)
    stream = [Token("value", a, b, "0", 1) for a, b in (c.span for c in own.values())]
    assert not _sound(t, "section4", stolen, {}, region)
    assert _sound(t, "section4", own, {}, region)
    assert _better(t, "section4", stolen, own, {}, stream, region)
    assert not _better(t, "section4", own, cells(530), {}, stream, region)  # both inside: nothing gained
