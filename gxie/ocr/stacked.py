"""Boxes that span several text lines, read again line by line.

In a narrow table cell (the third label column of section 三 holds two characters a line) the text
detector often draws one box around two or more wrapped lines, and the recognizer then reads that
box as vertical text, a column at a time (``3.及三全稳`` for the lines ``3.危 / 及“ / 三安 / 全一 / 稳定”``),
or as a garbled mix of the lines (``分的`` for ``分处 / 理的``). Such a box is found by its height (a text
line is one character high; a box more than ``TALL`` character heights high holds several), joined
with the boxes that overlap it, and the ink of that area is cut into lines where a band of paper
separates them. Each line is read by the recognizer alone and the line readings replace the boxes,
provided every line reads with a fair score; otherwise the detector's boxes stay as they were.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gxie.ocr.engine import Word, read_crops
from gxie.ocr.ink import Ink, runs

TALL = 1.7  # a box this many character heights high (measured along its own side) holds stacked lines
JOIN = 0.3  # share of a box's height that must overlap the tall box for the box to join the re-read area
LINE_FIT = 1.15  # stacked ink runs within this many glyph heights are one line (the strokes of 三)
EDGE = 0.4  # a run at the area's top or bottom edge shorter than this many glyph heights is a neighbour's ink
MAX_LINE = 1.6  # a line taller than this many character heights did not split: the area is left alone
MIN_SCORE, MIN_MEAN = 0.5, 0.8  # every line must read with MIN_SCORE, and the lines MIN_MEAN on average


def _side_height(word: Word) -> float:
    """The box's height along its own sides (a slightly rotated long line stays one line high)."""
    q = np.asarray(word.quad, dtype=float)
    if len(q) != 4:
        return word.y1 - word.y0
    return float((np.linalg.norm(q[3] - q[0]) + np.linalg.norm(q[2] - q[1])) / 2)


def _overlap(a: Word, b: Word) -> tuple[float, float]:
    """Horizontal and vertical overlap of the two boxes' bounds, in pixels (negative: a gap)."""
    return min(a.x1, b.x1) - max(a.x0, b.x0), min(a.y1, b.y1) - max(a.y0, b.y0)


def line_bands(ink: np.ndarray, char_h: float) -> list[tuple[int, int]] | None:
    """The text lines of a binary area (``True`` = ink, rules already removed) as ``[top, bottom)`` rows;
    None when the area does not split into lines of a character's height."""
    found = runs(ink.any(axis=1))
    if not found:
        return None
    heights = sorted(b - a for a, b in found)
    glyph = heights[(3 * len(heights)) // 4]  # most runs are whole lines; a few are strokes or punctuation
    size = len(ink)
    found = [(a, b) for a, b in found if (a > 0 and b < size) or b - a >= EDGE * glyph]  # neighbours' ink at the edge
    lines: list[list[int]] = []
    for a, b in found:
        if lines and b - lines[-1][0] <= LINE_FIT * glyph:
            lines[-1][1] = b
        else:
            lines.append([a, b])
    if any(b - a > MAX_LINE * char_h for a, b in lines):
        return None
    return [(a, b) for a, b in lines]


def _area(words: Sequence[Word], tall: Word) -> list[int]:
    """Indexes of ``tall`` and the boxes that overlap it by at least ``JOIN`` of their height."""
    out = []
    for i, w in enumerate(words):
        across, down = _overlap(w, tall)
        if w is tall or (across > 0 and down >= JOIN * max(w.y1 - w.y0, 1e-6)):
            out.append(i)
    return out


def _reread(ink_of: Ink, box: tuple[int, int, int, int], char_h: float) -> list[Word] | None:
    """One word per text line of ``box`` on the page, or None when it does not split and read well."""
    x0, y0, x1, y1 = box
    ink = ink_of.box(x0, y0, x1, y1, char_h)
    if ink.size == 0:
        return None
    bands = line_bands(ink, char_h)
    if bands is None or len(bands) < 2:
        return None
    m = max(2, round(char_h / 6))
    clean = ink_of.clean
    h, w = clean.shape[:2]
    crops, boxes = [], []
    for top, bottom in bands:
        cols = np.flatnonzero(ink[top:bottom].any(axis=0))
        left, right = x0 + int(cols[0]), x0 + int(cols[-1]) + 1
        cy0, cy1 = y0 + top, y0 + bottom
        crops.append(clean[max(cy0 - m, 0) : min(cy1 + m, h), max(left - m, 0) : min(right + m, w)])
        boxes.append((left - 1.0, cy0 - 1.0, right + 1.0, cy1 + 1.0))
    reads = read_crops(crops)
    texts = [t.strip() for t, _ in reads]
    scores = [s for _, s in reads]
    if not all(texts) or min(scores) < MIN_SCORE or sum(scores) / len(scores) < MIN_MEAN:
        return None
    return [
        Word(t, s, ((bx0, by0), (bx1, by0), (bx1, by1), (bx0, by1)))
        for t, s, (bx0, by0, bx1, by1) in zip(texts, scores, boxes, strict=True)
    ]


def split_stacked(gray: np.ndarray, words: Sequence[Word], char_h: float) -> list[Word]:
    """``words`` with every box that spans stacked lines (and the boxes overlapping it) replaced by one
    word per line, read again (see the module docstring); unchanged where the lines do not read well."""
    tall = [w for w in words if _side_height(w) > TALL * char_h]
    if gray.ndim != 2 or not tall or char_h < 6:
        return list(words)
    ink = Ink.of(gray)
    height, width = gray.shape
    pad = 2
    out = list(words)
    for t in tall:
        if not any(w is t for w in out):
            continue  # already re-read with an earlier tall box
        members = _area(out, t)
        box = (
            max(int(min(out[i].x0 for i in members)) - pad, 0),
            max(int(min(out[i].y0 for i in members)) - pad, 0),
            min(int(max(out[i].x1 for i in members)) + pad + 1, width),
            min(int(max(out[i].y1 for i in members)) + pad + 1, height),
        )
        lines = _reread(ink, box, char_h)
        if lines is not None:
            keep = set(members)
            out = [word for i, word in enumerate(out) if i not in keep] + lines
    return out
