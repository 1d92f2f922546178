"""Ink on a scanned page: the page binarized once, and the ink of one box with table rules taken out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

RULE = 0.8  # an ink column or row this full across a box is a table rule, not text


@dataclass(frozen=True)
class Ink:
    """A grey page denoised (median filter) with its Otsu threshold: darker than ``threshold`` is ink."""

    clean: np.ndarray
    threshold: float

    @classmethod
    def of(cls, gray: np.ndarray) -> Ink:
        import cv2

        clean = cv2.medianBlur(gray, 3)
        threshold, _ = cv2.threshold(clean, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        return cls(clean, float(threshold))

    def box(self, x0: int, y0: int, x1: int, y1: int, char_h: float) -> np.ndarray:
        """Ink of ``[y0:y1, x0:x1]`` (``True`` = ink) without the rules that cross it (and their
        anti-aliased fringe)."""
        h, w = self.clean.shape[:2]
        ink = self.clean[max(y0, 0) : min(y1, h), max(x0, 0) : min(x1, w)] < self.threshold
        if ink.size == 0:
            return ink
        grow = max(1, round(char_h / 16))
        for axis in (0, 1):
            rule = np.convolve(ink.mean(axis=axis) > RULE, np.ones(2 * grow + 1), mode="same") > 0
            if axis == 0:
                ink[:, rule] = False
            else:
                ink[rule, :] = False
        return ink


def runs(mask: Any) -> list[tuple[int, int]]:
    """``[start, end)`` of each run of True in a 1-d mask."""
    padded = np.concatenate(([False], np.asarray(mask, dtype=bool), [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
