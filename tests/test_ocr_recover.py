"""Re-reading ink that the text detector missed, with the real recognizer on drawn pages."""

from __future__ import annotations

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2", reason="OpenCV (opencv-python-headless) is needed for the OCR geometry")

from gxie.ocr.engine import Word, ocr_available  # noqa: E402
from gxie.ocr.recover import SLASH_LEAN, fix_slashes, lean, recover_missed  # noqa: E402

pytestmark = pytest.mark.skipif(not ocr_available(), reason='needs the OCR engine: pip install "gxie[ocr]"')

CHAR = 30.0  # text-box height on the drawn pages


def word(text: str, x0: float, y0: float, x1: float) -> Word:
    return Word(text, 0.99, ((x0, y0), (x1, y0), (x1, y0 + CHAR), (x0, y0 + CHAR)))


def page_with(digits: list[tuple[str, int, int]], noise: float = 0.0) -> np.ndarray:
    page = np.full((600, 900), 255, dtype=np.uint8)
    for text, x, y in digits:
        cv2.putText(page, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 0, 2, cv2.LINE_AA)
    if noise:
        rng = np.random.default_rng(3)
        page = np.clip(page + rng.normal(0, noise, page.shape), 0, 255).astype(np.uint8)
    return page


def test_a_lone_value_the_detector_missed_is_read_and_placed() -> None:
    page = page_with([("0", 100, 120), ("37", 400, 120), ("5", 100, 300)], noise=8.0)
    found = recover_missed(page, [word("37", 390, 100, 440)], CHAR)  # "37" was detected, the rest not
    got = sorted((w.text, round(w.x0), round(w.y0)) for w in found)
    assert [g[0] for g in got] == ["0", "5"]
    for text, x, y in [("0", 100, 120), ("5", 100, 300)]:
        w = next(w for w in found if w.text == text)
        assert w.x0 <= x + 5 and w.x1 >= x + 10 and w.y0 <= y - 8 and w.y1 >= y  # the box holds the digit
        assert w.score >= 0.75


def test_rules_specks_and_detected_text_are_not_read_again() -> None:
    page = page_with([("12", 500, 200)])
    cv2.line(page, (100, 50), (100, 500), 0, 2)  # a vertical rule
    cv2.line(page, (300, 80), (300, 140), 0, 2)  # a short piece of a rule, taller than a digit
    cv2.line(page, (100, 400), (800, 400), 0, 2)  # a horizontal rule
    page[250, 600] = page[251, 601] = 0  # specks
    assert recover_missed(page, [word("12", 495, 180, 530)], CHAR) == []


def test_labels_are_not_re_read_only_values() -> None:
    page = page_with([("ABC", 100, 120)])
    assert recover_missed(page, [], CHAR) == []


def test_a_slash_read_as_one_becomes_a_slash_and_a_real_one_stays() -> None:
    page = page_with([("/", 100, 120), ("1", 300, 120), ("7", 500, 120)], noise=6.0)
    words = [word("1", 95, 95, 125), word("1", 295, 95, 325), word("7", 495, 95, 525), word("12", 600, 95, 640)]
    fixed = fix_slashes(page, words)
    assert [w.text for w in fixed] == ["/", "1", "7", "12"]
    assert [w.quad for w in fixed] == [w.quad for w in words]
    assert lean(page, words[0]) < SLASH_LEAN < lean(page, words[1])
    assert lean(page, word("1", 800, 300, 830)) is None  # an empty box


def test_a_stub_of_a_rule_between_two_rules_is_not_read_as_a_one() -> None:
    page = page_with([])
    cv2.line(page, (100, 200), (700, 200), 0, 2)  # an empty ruled row: two rules ...
    cv2.line(page, (100, 227), (700, 227), 0, 2)
    cv2.line(page, (400, 200), (400, 227), 0, 2)  # ... and the short column divider between them
    assert recover_missed(page, [word("规章", 110, 150, 170)], CHAR) == []
