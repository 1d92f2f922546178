"""OCR geometry without the OCR engine: rules found in drawn pages, boxes rebuilt into lines and tab rows,
skew measured and undone, tall images cut between text lines, pages assembled with box offsets."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2", reason="OpenCV (opencv-python-headless) is needed for the OCR geometry")

from gxie.ocr import Box, PageText, ScanPage, assemble, boxes_at  # noqa: E402
from gxie.ocr.engine import Word, strips  # noqa: E402
from gxie.ocr.layout import Placed, lines_of, page_layout  # noqa: E402
from gxie.ocr.rulings import deskew, find_tables, rotation, skew_degrees, text_height  # noqa: E402

ROWS = (300, 360, 480, 540)  # y of the horizontal rules
COLS = (100, 400, 600, 800)  # x of the vertical rules
CHAR = 30.0


def word(text: str, x0: float, y0: float, x1: float | None = None, h: float = CHAR, score: float = 0.99) -> Word:
    x1 = x0 + CHAR * len(text) if x1 is None else x1
    return Word(text, score, ((x0, y0), (x1, y0), (x1, y0 + h), (x0, y0 + h)))


def placed(words: list[Word]) -> list[Placed]:
    return [Placed(w, w.x0, w.y0, w.x1, w.y1) for w in words]


def ruled_page() -> np.ndarray:
    page = np.full((900, 1000), 255, dtype=np.uint8)
    for y in ROWS:
        cv2.line(page, (COLS[0], y), (COLS[-1], y), 0, 2)
    for x in COLS:
        cv2.line(page, (x, ROWS[0]), (x, ROWS[-1]), 0, 2)
    # character-like strokes that must not count as rules
    for x in range(120, 380, 40):
        cv2.line(page, (x, 100), (x + 25, 100), 0, 2)
        cv2.line(page, (x + 12, 90), (x + 12, 115), 0, 2)
    return page


def test_find_tables_reads_the_rules_of_a_drawn_table() -> None:
    tables = find_tables(ruled_page(), CHAR)
    assert len(tables) == 1
    t = tables[0]
    assert [round(y) for y in t.rows] == list(ROWS)
    assert [round(x) for x in t.cols] == list(COLS)


def test_table_cells_become_tab_rows_and_wrapped_labels_join() -> None:
    tables = find_tables(ruled_page(), CHAR)
    words = [
        word("二、主动公开", 100, 200),
        word("信息内容", 110, 315),
        word("本年新制作", 410, 315),
        word("行政许", 110, 370),
        word("可事项", 110, 410),  # the second line of a wrapped label
        word("6", 410, 372),
        word("147", 610, 371),
        word("规章", 110, 495),
        word("0", 610, 497),
    ]
    text, pieces = page_layout(placed(words), tables, CHAR)
    assert text == "二、主动公开\n信息内容\t本年新制作\t\n行政许可事项\t6\t147\n规章\t\t0"
    for p in pieces:
        assert text[p.start : p.end] == p.word.text


def test_lines_group_by_overlap_and_wide_gaps_become_tabs() -> None:
    words = [word("行政处罚", 500, 103), word("1. 属于", 100, 100), word("国家秘密", 260, 98), word("9", 900, 101)]
    words.append(word("下一行", 100, 160))
    lines = lines_of(placed(words))
    assert [[p.word.text for p in line] for line in lines] == [["1. 属于", "国家秘密", "行政处罚", "9"], ["下一行"]]
    text, _ = page_layout(placed(words), [], CHAR)
    assert text == "1. 属于 国家秘密\t行政处罚\t9\n下一行"


def test_skew_is_measured_from_long_boxes_and_undone() -> None:
    angle = 1.5
    t = math.tan(math.radians(angle))
    words = [
        Word("长" * 10, 0.9, ((100, y), (400, y + 300 * t), (400, y + 30 + 300 * t), (100, y + 30)))
        for y in (100, 200, 300)
    ]
    words.append(Word("章", 0.9, ((50, 50), (80, 40), (80, 70), (50, 80))))  # a short box does not vote
    measured = skew_degrees(words)
    assert measured == pytest.approx(angle, abs=0.05)
    matrix = rotation((1000, 800), measured)
    pts = np.array([[100.0, 100.0], [400.0, 100.0 + 300 * t]])
    moved = pts @ matrix[:, :2].T + matrix[:, 2]
    assert moved[0, 1] == pytest.approx(moved[1, 1], abs=0.5)  # the text line is level again
    page = np.full((1000, 800), 255, dtype=np.uint8)
    assert deskew(page, matrix).shape == page.shape
    assert skew_degrees([word("水平的一行文字", 0, 0)]) == 0.0


def test_text_height_is_the_median_box_height() -> None:
    assert text_height([word("a", 0, 0, h=20), word("b", 0, 0, h=30), word("c", 0, 0, h=90)]) == 30
    assert text_height([]) == 20.0


def test_tall_images_are_cut_between_text_lines() -> None:
    page = np.full((3000, 500), 255, dtype=np.uint8)
    for y in range(40, 3000, 50):  # text lines 30 px high, 20 px apart
        page[y : y + 30, 50:450] = 0
    cuts = strips(page, ratio=1.4)
    assert cuts[0][0] == 0 and cuts[-1][1] == 3000 and len(cuts) > 1
    for (_, bottom), (top, _) in itertools.pairwise(cuts):
        assert bottom == top
        assert page[top].min() == 255  # a cut row is blank
    assert strips(np.full((600, 500), 255, dtype=np.uint8)) == [(0, 600)]


def test_assemble_shifts_box_offsets_and_keeps_text_pages() -> None:
    scan = ScanPage(2, 100, 100, 300.0, 0.0, 0)
    ocr = PageText("规章\t0", (Box(2, 1, 2, 3, 4, 0, 2, 0.99), Box(2, 5, 2, 6, 4, 3, 4, 0.5)), scan)
    doc = assemble([(1, "第一页"), (2, "")], [ocr], "scan.pdf", "pdf")
    assert doc.text == "第一页\n规章\t0"
    assert [(p.start, p.end) for p in doc.pages] == [(0, 3), (4, 8)]
    assert [doc.text[b.start : b.end] for b in doc.boxes] == ["规章", "0"]
    assert [b.score for b in boxes_at(doc, 7, 8)] == [0.5]
    assert [m.code for m in doc.issues] == ["ocr"] and "1 read with a score below" in doc.issues[0].message
    assert doc.scans == (scan,)


def test_empty_ruled_rows_keep_their_place_and_slivers_do_not() -> None:
    page = np.full((900, 1000), 255, dtype=np.uint8)
    rows = (300, 360, 420, 437, 480)  # 420-437: a band lower than a character, not a row
    for y in rows:
        cv2.line(page, (100, y), (400, y), 0, 2)
    for x in (100, 400):
        cv2.line(page, (x, rows[0]), (x, rows[-1]), 0, 2)
    tables = find_tables(page, CHAR)
    assert len(tables) == 1 and len(tables[0].rows) == 5
    words = [word("本年新收", 110, 315), word("0", 110, 442)]
    text, _ = page_layout(placed(words), tables, CHAR)
    assert text == "本年新收\n\n0"  # the empty band 360-420 is a blank value on its own line


def test_a_heading_right_under_the_last_rule_is_not_a_table_row() -> None:
    tables = find_tables(ruled_page(), CHAR)
    words = [
        word("规章", 110, 495),
        word("0", 610, 497),
        word("五、存在的主要问题", 100, ROWS[-1] - 3),  # its box starts just above the bottom rule
    ]
    text, _ = page_layout(placed(words), tables, CHAR)
    assert text == "\t\t\n\t\t\n规章\t\t0\n五、存在的主要问题"  # two empty ruled rows, then the last
