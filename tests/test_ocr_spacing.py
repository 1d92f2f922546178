"""Numbers that OCR ran together (``1 1 0 1 3`` read as ``11013``) spaced again from the glyphs on the page."""

from __future__ import annotations

import numpy as np
import pytest

from gxie.ocr.ink import runs
from gxie.ocr.spacing import respace
from tests.fonts import cjk_font_path, needs_cjk_font

H = 20  # digit height of the glyphs below, in pixels


def glyphs(pattern: str, pitch: float, width: int = 12, start: int = 0) -> list[tuple[int, int, int]]:
    """Glyph runs for ``pattern`` (``d`` digit, ``.`` point, ``C`` a CJK character, ``_`` one more pitch of
    paper), a character every ``pitch`` pixels."""
    out, x = [], float(start)
    for c in pattern:
        if c == "_":
            x += pitch
            continue
        w, h = {"d": (width, H), ".": (3, 3), "C": (20, 22)}[c]
        out.append((round(x), round(x) + w, h))
        x += pitch
    return out


def test_runs_of_a_mask() -> None:
    assert runs(np.array([0, 1, 1, 0, 0, 1, 0, 1], dtype=bool)) == [(1, 3), (5, 6), (7, 8)]
    assert runs(np.ones(3, dtype=bool)) == [(0, 3)] and runs(np.zeros(3, dtype=bool)) == []


def test_digits_a_space_apart_are_split_and_a_number_stays_whole() -> None:
    spaced = glyphs("dddddd", 1.3 * H)  # digit advance plus a space
    assert respace("110130", spaced) == "1 1 0 1 3 0"
    assert respace("行政处罚110", glyphs("CCCC", 26) + glyphs("ddd", 1.3 * H, start=120)) == "行政处罚1 1 0"
    close = glyphs("dddd", 0.75 * H)  # one number: digits at the digit advance
    assert respace("2025", close) is None
    assert respace("0.7301", glyphs("d.dddd", 0.5 * H)) is None
    mixed = glyphs("dd", 0.75 * H) + glyphs("ddd", 0.75 * H, start=3 * H)  # "12" and "345", read as one
    assert respace("12345", mixed) == "12 345"


def test_spaces_the_recognizer_read_are_kept() -> None:
    assert respace("0000 00", glyphs("dddd", 1.4 * H) + glyphs("dd", 0.75 * H, start=8 * H)) == "0 0 0 0 00"
    assert respace("7 12", glyphs("d", H) + glyphs("dd", 0.75 * H, start=2 * H)) is None  # nothing to change


def test_glyphs_that_do_not_match_the_characters_leave_the_text_alone() -> None:
    assert respace("110130", glyphs("ddddd", 1.3 * H)) is None  # one glyph short (two digits touching)
    wide = [(0, 30, H), (40, 52, H), (66, 78, H)]  # a glyph wider than a digit: touching digits
    assert respace("123", wide) is None
    assert respace("2023年", glyphs("ddddC", 1.3 * H)) is None  # no numbers at the end
    assert respace("第5", glyphs("Cd", 1.3 * H)) is None  # a single digit: nothing to split
    assert respace("12", [(0, 12, 4), (30, 42, H)]) is None  # a fragment, not a digit


cv2 = pytest.importorskip("cv2", reason="OpenCV (opencv-python-headless) is needed for the OCR geometry")


def _drawn_line(text: str, size: int = 28) -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (900, 120), 255)
    ImageDraw.Draw(image).text((40, 40), text, font=ImageFont.truetype(str(cjk_font_path()), size), fill=0)
    return np.array(image)


@needs_cjk_font
def test_a_drawn_row_of_single_digit_cells_is_split_and_a_year_is_not() -> None:
    from gxie.ocr.engine import Word
    from gxie.ocr.spacing import split_run_together

    def word(text: str, page: np.ndarray) -> Word:
        ys, xs = np.nonzero(page < 128)
        x0, y0, x1, y1 = xs.min() - 3.0, ys.min() - 5.0, xs.max() + 3.0, ys.max() + 5.0
        return Word(text, 0.99, ((x0, y0), (x1, y0), (x1, y1), (x0, y1)))

    row = _drawn_line("行政复议 1 1 0 1 3 0 1 1 0 2")
    year = _drawn_line("本年度共计2025")
    for page, read, expected in (
        (row, "行政复议1101301102", "行政复议1 1 0 1 3 0 1 1 0 2"),
        (year, "本年度共计2025", "本年度共计2025"),
    ):
        (out,) = split_run_together(page, [word(read, page)], 36.0)
        assert out.text == expected


@needs_cjk_font
def test_the_page_text_of_a_row_typed_as_text_has_one_value_per_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    import gxie.ocr.scan as ocr
    from gxie.ocr.engine import Word
    from gxie.ocr.images import PageImage

    page = _drawn_line("行政复议 1 1 0 1 3")
    ys, xs = np.nonzero(page < 128)
    x0, y0, x1, y1 = xs.min() - 3.0, ys.min() - 5.0, xs.max() + 3.0, ys.max() + 5.0
    read = Word("行政复议11013", 0.99, ((x0, y0), (x1, y0), (x1, y1), (x0, y1)))
    monkeypatch.setattr(ocr, "recognize", lambda pixels: [read])
    assert ocr.ocr_page(PageImage(1, page, 300.0)).text == "行政复议1 1 0 1 3"


def test_evenly_spaced_digits_are_decided_together() -> None:
    # a row of fifteen single-digit cells whose pitches scatter around 1.05 digit heights (a narrow "1"
    # sits off its advance's centre): all apart, none left joined
    pitches = [21, 20, 20, 20, 21, 20, 20, 21, 20, 19, 20, 22, 19, 20]
    row, x = [], 0
    for p in [0, *pitches]:
        x += p
        row.append((x, x + 13, 19))
    assert respace("000000000011024", row) == "0 0 0 0 0 0 0 0 0 0 1 1 0 2 4"
    assert respace("2025", [(x, x + 13, 19) for x in (0, 15, 30, 44)]) is None  # one number, evenly


def test_digits_too_small_to_place_are_left_alone() -> None:
    # at 100 dpi a digit is about 9 pixels high: a pixel of rounding is a tenth of it, and "13" at a
    # paragraph's end would come out as "1 3"
    small = [(0, 6, 9), (11, 17, 9)]
    assert respace("13", small) is None
    assert respace("13", [(a * 2, b * 2, h * 2) for a, b, h in small]) == "1 3"  # the same shape, larger
