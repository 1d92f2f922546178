"""Second looks at the page: ink the text detector missed, and slashes read as ones.

Missed ink: find text-sized blobs of ink that no detected box covers and read them with the
recognizer alone.

PP-OCR's detector drops short isolated text on damaged pages (a lone ``0`` on its own line or in an
otherwise empty table cell, at 150 dpi with blur and noise), and in a report such a ``0`` is a value.
The page is denoised (median filter) and binarized; ink under a detected box, long rules and specks
are set aside; what is left is grouped into word-sized blobs (characters joined across small gaps),
and each blob of a character's height is cropped and recognized. Only readings that are numbers with a
score of at least ``MIN_SCORE`` are kept: a missed value stays missing rather than becoming a guess, and
a re-read piece of a label cannot garble the label the detector did find.

Slashes: reports mark blank cells with ``／``, and on a scanned page the recognizer often reads that
lone slash as ``1``, a value. A one-character reading of ``1`` is checked against the glyph itself: the
ink of a ``1`` stands upright, a slash leans (its ink drifts left going down); a leaning one becomes
``/``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from gxie.ocr.engine import Word, read_crops

NUMBER = re.compile(r"[-+]?\d[\d,.]*%?")  # only values are kept: a re-read label piece would garble its cell
MIN_SCORE = 0.75  # recognizer score a re-read blob needs to be kept
MIN_HEIGHT = 0.3  # blob height range, in text-box heights (a digit's ink is about half a box)
MAX_HEIGHT = 1.25
MAX_WIDTH = 12.0  # wider blobs are rules or pictures, not missed words
ONE_LIKE = frozenset("1lI|")  # readings a slash is mistaken for
SLASH_LEAN = -0.3  # x drift per pixel going down; a slash in CJK fonts leans about -0.5, a "1" +0.1
MIN_CONTRAST = 60  # grey levels between paper and the darkest ink for a box to hold a glyph
STROKE_HEIGHT, STROKE_WIDTH = 0.75, 0.25  # a thinner blob taller than this is a piece of a rule
MIN_INK = 0.03  # ink pixels a blob needs, in squared text-box heights (a lone "1" has about 0.04; specks less)


def recover_missed(gray: np.ndarray, words: Sequence[Word], char_h: float) -> list[Word]:
    """Words for the text-sized ink blobs of ``gray`` (a grey page, ``uint8``) outside every box of
    ``words``, read by the recognizer; ``char_h`` is the page's character height in pixels."""
    import cv2

    if gray.ndim != 2 or char_h < 6:
        return []
    unit = max(round(char_h), 6)
    clean = cv2.medianBlur(gray, 3)
    _, binary = cv2.threshold(clean, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    wide, tall = max(2 * unit, 16), max(round(1.3 * unit), 10)  # longer than any stroke of a character
    bridge = max(unit // 3, 2)  # rules broken by noise are joined before they are looked for
    across = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (bridge, 1)))
    down = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, bridge)))
    rules = cv2.bitwise_or(
        cv2.morphologyEx(across, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (wide, 1))),
        cv2.morphologyEx(down, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, tall))),
    )
    pad = max(2, unit // 5)
    for w in words:
        x0, y0 = max(int(w.x0) - pad, 0), max(int(w.y0) - pad, 0)
        binary[y0 : int(w.y1) + pad + 1, x0 : int(w.x1) + pad + 1] = 0
    near_rules = cv2.dilate(rules, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    binary = cv2.bitwise_and(binary, cv2.bitwise_not(near_rules))
    joined = cv2.dilate(binary, cv2.getStructuringElement(cv2.MORPH_RECT, (max(unit // 2, 3), 1)))
    count, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    boxes, crops = [], []
    h, w = gray.shape
    for x, y, bw, bh, _ in stats[1:count]:
        if not (MIN_HEIGHT * unit <= bh <= MAX_HEIGHT * unit and bw <= MAX_WIDTH * unit):
            continue
        ink = binary[y : y + bh, x : x + bw]
        if int(ink.sum() // 255) < MIN_INK * unit * unit:
            continue
        inked = np.flatnonzero(ink.any(axis=0))
        if bh > STROKE_HEIGHT * unit and inked[-1] - inked[0] < STROKE_WIDTH * unit:
            continue  # a thin upright stroke taller than a digit: a piece of a rule
        left, right = x + int(inked[0]), x + int(inked[-1]) + 1
        if near_rules[max(y - 2, 0) : y, left:right].any() or near_rules[y + bh : y + bh + 2, left:right].any():
            continue  # ink running into a rule: a stub of the grid (a divider of an empty row), not text
        m = max(unit // 4, 2)
        x0, y0, x1, y1 = max(x - m, 0), max(y - m, 0), min(x + bw + m, w), min(y + bh + m, h)
        boxes.append((x0, y0, x1, y1))
        crops.append(clean[y0:y1, x0:x1])
    found = []
    for (x0, y0, x1, y1), (text, score) in zip(boxes, read_crops(crops), strict=True):
        text = text.strip()
        if score >= MIN_SCORE and NUMBER.fullmatch(text):
            quad = ((float(x0), float(y0)), (float(x1), float(y0)), (float(x1), float(y1)), (float(x0), float(y1)))
            found.append(Word(text, score, quad))
    return found


def lean(gray: np.ndarray, word: Word) -> float | None:
    """How the tallest stroke in ``word``'s box leans: the x drift per pixel going down (negative: ``/``);
    None when the box holds no stroke of at least 3 pixels."""
    import cv2

    h, w = gray.shape[:2]
    x0, y0 = max(int(word.x0) - 2, 0), max(int(word.y0) - 2, 0)
    x1, y1 = min(int(word.x1) + 3, w), min(int(word.y1) + 3, h)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    crop = cv2.medianBlur(np.ascontiguousarray(gray[y0:y1, x0:x1]), 3)
    if int(np.median(np.asarray(crop))) - int(crop.min()) < MIN_CONTRAST:  # no ink, only paper and noise
        return None
    _, binary = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if count < 2:
        return None
    tallest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_HEIGHT]))
    ys, xs = np.nonzero(labels == tallest)
    if int(np.ptp(ys)) < 3:
        return None
    return float(np.polyfit(ys, xs, 1)[0])


def fix_slashes(gray: np.ndarray, words: Sequence[Word]) -> list[Word]:
    """``words`` with every one-character reading of ``1`` (or ``l``, ``I``, ``|``) whose glyph leans like
    a slash read as ``/`` (see the module docstring); other words unchanged."""
    out = []
    for w in words:
        text = w.text.strip()
        if len(text) == 1 and text in ONE_LIKE:
            slope = lean(gray, w)
            if slope is not None and slope < SLASH_LEAN:
                w = Word("/", w.score, w.quad)
        out.append(w)
    return out
