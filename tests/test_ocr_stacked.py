"""Boxes over stacked lines (wrapped labels in narrow table cells) read again line by line, with the
real recognizer on drawn pages."""

from __future__ import annotations

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2", reason="OpenCV (opencv-python-headless) is needed for the OCR geometry")

import gxie.ocr.scan as ocr  # noqa: E402
from gxie.ocr.engine import Word, ocr_available  # noqa: E402
from gxie.ocr.images import PageImage  # noqa: E402
from gxie.ocr.stacked import line_bands, split_stacked  # noqa: E402
from tests.fonts import cjk_font_path  # noqa: E402
from tests.fonts import needs_cjk_font as needs_font  # noqa: E402

CHAR = 34.0  # text-box height on the drawn page (28-pixel font)
ROWS, COLS = (100, 300, 400), (60, 160, 300, 440, 580)
LABEL = ["3.危", "及", "三安", "全一", "稳定"]  # 危及"三安全一稳定", wrapped two characters a line
needs_engine = pytest.mark.skipif(not ocr_available(), reason='needs the OCR engine: pip install "gxie[ocr]"')


def box(text: str, x0: float, y0: float, x1: float, y1: float, score: float = 0.95) -> Word:
    return Word(text, score, ((x0, y0), (x1, y0), (x1, y1), (x0, y1)))


def drawn_table(font_size: int = 28) -> np.ndarray:
    """A ruled table whose first (narrow) column holds a label wrapped over five lines."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(cjk_font_path()), font_size)
    image = Image.new("L", (900, 600), 255)
    draw = ImageDraw.Draw(image)
    for y in ROWS:
        draw.line((COLS[0], y, COLS[-1], y), fill=0, width=2)
    for x in COLS:
        draw.line((x, ROWS[0], x, ROWS[-1]), fill=0, width=2)
    for i, text in enumerate(LABEL):
        draw.text((COLS[0] + 10, ROWS[0] + 6 + 36 * i), text, font=font, fill=0)
    for c in range(1, 4):
        draw.text((COLS[c] + 20, ROWS[0] + 8), "0", font=font, fill=0)
    return np.array(image)


def detector_boxes() -> list[Word]:
    """What the detector gives on such a cell on a real scan: one tall box read as vertical text, a
    fragment overlapping it, and the values of the row (see gxie/ocr/stacked.py's docstring)."""
    return [
        box("3.及三全稳", 63, 104, 106, 290, 0.91),
        box(".危", 85, 106, 128, 140, 0.79),
        *(box("0", x, 110, x + 24, 142, 1.0) for x in (176, 316, 456)),
    ]


def test_lines_are_cut_at_paper_and_the_strokes_of_one_character_stay_together() -> None:
    ink = np.zeros((120, 40), dtype=bool)
    ink[2:30, 5:35] = True  # a line of text
    ink[38:41, 5:30] = ink[48:51, 8:28] = ink[60:63, 3:33] = True  # 三: three strokes, gaps wider than a line gap
    ink[75:103, 5:35] = True
    ink[117:120, 5:35] = True  # the top of the next row's text at the area's bottom edge
    assert line_bands(ink, CHAR) == [(2, 30), (38, 63), (75, 103)]
    blob = np.zeros((120, 40), dtype=bool)
    blob[5:110, 5:35] = True  # no paper between lines: nothing to cut
    assert line_bands(blob, CHAR) is None
    assert line_bands(np.zeros((50, 40), dtype=bool), CHAR) is None


@needs_engine
@needs_font
def test_a_box_over_stacked_lines_is_read_again_line_by_line() -> None:
    page = drawn_table()
    words = detector_boxes()
    out = split_stacked(page, words, CHAR)
    assert [w for w in out if w.text == "0"] == words[2:]  # the values of the row are untouched
    lines = sorted((w for w in out if w.text != "0"), key=lambda w: w.y0)
    assert [w.text for w in lines] == LABEL
    for w, i in zip(lines, range(len(LABEL)), strict=True):
        assert COLS[0] < w.x0 < w.x1 < COLS[1]  # inside the cell, one line each
        assert ROWS[0] + 36 * i <= w.y0 < w.y1 <= ROWS[0] + 36 * (i + 1) + 8
        assert w.score >= 0.5


@needs_engine
@needs_font
def test_the_page_text_reads_the_wrapped_label_in_order() -> None:
    page = drawn_table()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ocr, "recognize", lambda pixels: detector_boxes())
        text = ocr.ocr_page(PageImage(1, page, 300.0)).text
    assert text.splitlines()[0] == "3.危及三安全一稳定\t0\t0\t0"


@needs_engine
@needs_font
def test_boxes_one_line_high_and_tall_boxes_that_do_not_split_are_left_alone() -> None:
    page = drawn_table()
    words = detector_boxes()[1:]
    assert split_stacked(page, words, CHAR) == words
    big = drawn_table(font_size=80)  # a heading in a big font: a tall box, one line (the cell's lines merge)
    heading = [box("3.危及三安全一稳定", 63, 104, 160, 400)]
    assert split_stacked(big, heading, CHAR) == heading
