"""Page geometry from pixels: the skew of the text lines and the ruled tables (their row and column rules).

A scanned table is found from its rules: long horizontal and vertical strokes, picked out of the
binarized page by morphological opening with kernels longer than any character stroke. The rules of one
connected frame make one table; its row boundaries are the y positions of its horizontal rules and its
column boundaries the x positions of its vertical rules.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gxie.ocr.engine import Word

MIN_SKEW_DEGREES = 0.1  # below this a page is left as it is
MAX_SKEW_DEGREES = 10.0


@dataclass(frozen=True)
class Table:
    """A ruled table in deskewed page pixels: its frame and its sorted row and column boundaries."""

    x0: float
    y0: float
    x1: float
    y1: float
    rows: tuple[float, ...]
    cols: tuple[float, ...]

    def contains(self, x: float, y: float, slack: float = 0.0) -> bool:
        return self.x0 - slack <= x <= self.x1 + slack and self.y0 - slack <= y <= self.y1 + slack


def text_height(words: Sequence[Word]) -> float:
    """The median height of the text boxes (a character's size in pixels); 20 when there is no text."""
    heights = sorted(w.y1 - w.y0 for w in words if w.y1 > w.y0)
    return float(heights[len(heights) // 2]) if heights else 20.0


def skew_degrees(words: Sequence[Word]) -> float:
    """The page's skew from the slope of its long text boxes, in degrees (positive: lines fall to the right)."""
    angles: list[float] = []
    weights: list[float] = []
    for w in words:
        if len(w.quad) != 4:
            continue
        (ax, ay), (bx, by), (cx, cy), (dx, dy) = w.quad
        width = math.hypot(bx - ax, by - ay)
        height = math.hypot(dx - ax, dy - ay)
        if width < 3 * max(height, 1.0):
            continue
        top = math.atan2(by - ay, bx - ax)
        bottom = math.atan2(cy - dy, cx - dx)
        angles.append(math.degrees((top + bottom) / 2))
        weights.append(width)
    if not angles:
        return 0.0
    order = sorted(range(len(angles)), key=angles.__getitem__)
    half, acc = sum(weights) / 2, 0.0
    for i in order:  # weighted median: robust to a few boxes of slanted stamps or handwriting
        acc += weights[i]
        if acc >= half:
            angle = angles[i]
            break
    return angle if MIN_SKEW_DEGREES <= abs(angle) <= MAX_SKEW_DEGREES else 0.0


def rotation(shape: tuple[int, ...], degrees: float) -> np.ndarray:
    """The 2x3 affine matrix that turns a page skewed by ``degrees`` straight (about its centre)."""
    import cv2

    h, w = shape[:2]
    return np.asarray(cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0), dtype=float)


def deskew(gray: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The page image turned by ``matrix`` (see :func:`rotation`), borders filled with white."""
    import cv2

    h, w = gray.shape[:2]
    return np.asarray(
        cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    )


def _clusters(values: list[float], tolerance: float) -> tuple[float, ...]:
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tolerance:
            out[-1].append(v)
        else:
            out.append([v])
    return tuple(sum(c) / len(c) for c in out)


def _segments(mask: np.ndarray, horizontal: bool, min_length: int) -> list[tuple[int, int, int, int]]:
    import cv2

    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out = []
    for i in range(1, count):
        x, y, w, h, _ = (int(v) for v in stats[i])
        if (w if horizontal else h) >= min_length:
            out.append((x, y, w, h))
    return out


def find_tables(gray: np.ndarray, char_height: float) -> list[Table]:
    """The ruled tables of a (deskewed) grey page; ``char_height`` sizes the kernels (see :func:`text_height`)."""
    import cv2

    h, w = gray.shape[:2]
    unit = max(round(char_height), 8)
    block = 2 * unit + 1
    binary = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 12)
    length = max(3 * unit, min(h, w) // 40)  # longer than any horizontal stroke of a character
    tall = round(1.3 * unit)  # taller than any character, shorter than the rules of a two-row table
    bridge = max(unit // 3, 2)
    hmask = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    hmask = cv2.morphologyEx(hmask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (bridge, 3)))
    vmask = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, tall)))
    vmask = cv2.morphologyEx(vmask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (3, bridge)))
    hsegs = _segments(hmask, True, length)
    vsegs = _segments(vmask, False, tall)
    frame = cv2.dilate(cv2.bitwise_or(hmask, vmask), cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    tables = []
    for x, y, fw, fh in _segments(frame, True, 4 * unit):
        if fh < tall:
            continue
        box = (x - 4, y - 4, x + fw + 4, y + fh + 4)
        rows = _clusters([sy + sh / 2 for sx, sy, sw, sh in hsegs if _inside(box, sx, sy, sw, sh)], unit / 2)
        cols = _clusters([sx + sw / 2 for sx, sy, sw, sh in vsegs if _inside(box, sx, sy, sw, sh)], unit / 2)
        if len(rows) >= 2 and len(cols) >= 2:
            tables.append(Table(float(x), float(y), float(x + fw), float(y + fh), rows, cols))
    return tables


def _inside(box: tuple[int, int, int, int], x: int, y: int, w: int, h: int) -> bool:
    """True when the centre of the segment ``(x, y, w, h)`` lies in ``box`` (x0, y0, x1, y1)."""
    cx, cy = x + w / 2, y + h / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]
