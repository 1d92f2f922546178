"""The OCR engine: RapidOCR (PP-OCR models shipped inside the ``rapidocr`` wheel, run by onnxruntime).

One engine per process, built on first use. ``recognize(page)`` returns the text boxes of one page image
as :class:`Word` objects in the page's pixel coordinates.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

STRIP_RATIO = 1.4  # a strip of a tall image is at most this many times as high as it is wide
THREADS_ENV = "GXIE_OCR_THREADS"  # onnxruntime threads per OCR call (default: onnxruntime's choice)


@dataclass(frozen=True)
class Word:
    """One text box found on a page: its text, the engine's score and its corner points (x, y)."""

    text: str
    score: float
    quad: tuple[tuple[float, float], ...]

    @property
    def x0(self) -> float:
        return min(p[0] for p in self.quad)

    @property
    def x1(self) -> float:
        return max(p[0] for p in self.quad)

    @property
    def y0(self) -> float:
        return min(p[1] for p in self.quad)

    @property
    def y1(self) -> float:
        return max(p[1] for p in self.quad)


def ocr_available() -> bool:
    """True when the OCR engine (the ``gxie[ocr]`` extra: rapidocr + onnxruntime) can be imported."""
    try:
        import onnxruntime  # noqa: F401
        import rapidocr  # noqa: F401
    except ImportError:
        return False
    return True


def _threads() -> int:
    raw = os.environ.get(THREADS_ENV, "").strip()
    if not raw:
        return -1
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{THREADS_ENV}={raw!r} is not a whole number; set it to a thread count such as 2") from None
    if value < 1:
        raise ValueError(f"{THREADS_ENV}={value} must be at least 1 (or unset for onnxruntime's default)")
    return value


@cache
def _engine(threads: int) -> Any:
    from rapidocr import RapidOCR

    # no 180-degree line classifier: report pages are upright, small skews are undone by gxie.ocr.rulings
    params: dict[str, Any] = {"Global.log_level": "warning", "Global.use_cls": False}
    if threads > 0:
        params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
        params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
    return RapidOCR(params=params)


def strips(page: np.ndarray, ratio: float = STRIP_RATIO) -> list[tuple[int, int]]:
    """``[top, bottom)`` row ranges cutting a tall image (a whole report in one picture) into page-like
    pieces, each cut on the row with the least ink near its target so that no text line is split."""
    h, w = page.shape[:2]
    height = max(int(w * ratio), 64)
    if h <= height * 1.25:
        return [(0, h)]
    grey = page if page.ndim == 2 else page.mean(axis=2)
    ink = (grey < 128).sum(axis=1)
    cuts, top = [0], 0
    while h - top > height * 1.25:
        target = top + height
        lo, hi = target - height // 8, min(target + height // 8, h - 1)
        cut = lo + int(np.argmin(ink[lo:hi]))
        cuts.append(cut)
        top = cut
    cuts.append(h)
    return list(itertools.pairwise(cuts))


def recognize(page: np.ndarray) -> list[Word]:
    """The text boxes of one page image (``uint8``, grey ``(h, w)`` or BGR ``(h, w, 3)``).

    A tall image is read in page-sized strips (the engine scales every input to at most 2,000 pixels
    on its long side, which would make the text of a long picture unreadably small).
    """
    if page.ndim not in (2, 3) or page.dtype != np.uint8:
        raise ValueError(f"a page image must be a uint8 array of 2 or 3 dimensions, got {page.dtype} {page.shape}")
    engine = _engine(_threads())
    words = []
    for top, bottom in strips(page):
        result = engine(np.ascontiguousarray(page[top:bottom]))
        if result.boxes is None or result.txts is None or result.scores is None:
            continue
        for box, text, score in zip(result.boxes, result.txts, result.scores, strict=True):
            if not str(text).strip():
                continue
            pts = np.asarray(box, dtype=float).reshape(-1, 2)
            quad = tuple((float(x), float(y) + top) for x, y in pts)
            words.append(Word(str(text), float(score), quad))
    return words


def read_crops(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """The recognizer alone (no detector) on text-line crops (``uint8`` grey or BGR): ``(text, score)``
    for each. Used to re-read ink that the detector left out (a lone digit on a noisy page)."""
    if not crops:
        return []
    from rapidocr.ch_ppocr_rec import TextRecInput

    engine = _engine(_threads())
    recognizer = engine.text_rec if engine.text_rec is not None else engine._load_rec_model()  # built lazily
    images = [np.ascontiguousarray(np.repeat(c[:, :, None], 3, axis=2) if c.ndim == 2 else c) for c in crops]
    result = recognizer(TextRecInput(img=images))
    txts = result.txts or ("",) * len(images)
    return [(str(t), float(s)) for t, s in zip(txts, result.scores, strict=True)]
