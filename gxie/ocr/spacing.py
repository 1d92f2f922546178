"""Numbers that OCR ran together: digits a space apart read as one number.

The recognizer drops narrow spaces between digits: a row of a table typed as text, ``1 1 0 1 3``, comes
back as ``11013``, one value where the page has five. The ink tells them apart. Inside a number the
digits follow each other at the font's digit advance, a little less than a digit's height from centre
to centre; a space between two digits adds its width to that. So for each box whose text ends in
numbers (a row's values follow its label), the glyphs of that tail are found on the page, right to left
(runs of ink columns between columns of paper, one per character), and the tail is written again with a
space wherever two digits' centres are more than ``SPLIT`` digit heights apart (spaces the recognizer
did read are kept). Digit advance over digit height is 0.74-0.92 in common fonts, and 1.1-1.6 with a
space; a narrow ``1`` sits off the centre of its advance, so where all pitches of a tail are about
equal (``EVEN``) their median decides for all of them. Where the glyphs do not match the characters one
for one (touching digits, a broken stroke, a box that holds more than the text), the box is left as it
was.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gxie.ocr.engine import Word
from gxie.ocr.ink import Ink, runs

SPLIT = 0.9  # digit centres further apart than this many digit heights have a space between them
EVEN = 1.25  # pitches within this ratio of each other are one spacing (decided on their median)
MAX_WIDTH = 0.95  # a digit's ink is narrower than this many digit heights (wider: touching digits)
MIN_HEIGHT = 0.6  # a digit's ink is at least this share of the tail's typical digit height
MIN_DIGIT = 12  # pixels; smaller digits (100 dpi scans) place too coarsely to tell a space from none


def number_tail(text: str) -> tuple[int, int] | None:
    """``[start, end)`` of the numbers that end a box's text (digit groups ``\\d[\\d.,]*`` apart by white
    space, at the end: what ``(?:\\d[\\d.,]*\\s*)*\\d[\\d.,]*$`` finds), or None. One backward pass: that
    regex backtracked exponentially on a long run of digits."""
    end = len(text) - 1 if text.endswith("\n") else len(text)  # ``$`` also matches before a final newline
    start = None
    k = end
    while True:
        j = k  # text[j:k]: the run of digits, points and commas that ends at k
        while j > 0 and _in_number(text[j - 1]):
            j -= 1
        digit = next((i for i in range(j, k) if text[i].isdecimal()), None)
        if digit is None:
            break
        start = digit
        w = j  # a run that starts with a digit joins the run before its white space
        while w > 0 and text[w - 1].isspace():
            w -= 1
        if digit != j or w == j or w == 0 or not _in_number(text[w - 1]):
            break
        k = w
    return None if start is None else (start, end)


def _in_number(ch: str) -> bool:
    return ch.isdecimal() or ch in ".,"


def _glyphs(ink: np.ndarray) -> list[tuple[int, int, int]]:
    """``(left, right, height)`` of each glyph (run of ink columns) of a box's ink, left to right."""
    out = []
    for a, b in runs(ink.any(axis=0)):
        rows = np.flatnonzero(ink[:, a:b].any(axis=1))
        out.append((a, b, int(rows[-1] - rows[0] + 1)))
    return out


def respace(text: str, glyphs: Sequence[tuple[int, int, int]]) -> str | None:
    """``text`` with its tail of numbers written again from the glyphs of the box (see the module
    docstring); None when the tail and the glyphs do not match one for one or nothing changes."""
    found = number_tail(text)
    if found is None:
        return None
    at, end = found
    tail = text[at:end]
    chars = [c for c in tail if not c.isspace()]
    if sum(c.isdigit() for c in chars) < 2 or len(glyphs) < len(chars):
        return None
    mine = list(glyphs[len(glyphs) - len(chars) :])
    digits = [g for g, c in zip(mine, chars, strict=True) if c.isdigit()]
    height = float(np.median([g[2] for g in digits]))
    if height < MIN_DIGIT or any(b - a > MAX_WIDTH * height or h < MIN_HEIGHT * height for a, b, h in digits):
        return None
    read_gaps, k = set(), -1  # after which character the recognizer read a space
    for part in tail.split()[:-1]:
        k += len(part)
        read_gaps.add(k)
    pitch = {
        k: (mine[k][0] + mine[k][1] - mine[k - 1][0] - mine[k - 1][1]) / 2
        for k in range(1, len(chars))
        if chars[k - 1].isdigit() and chars[k].isdigit()
    }
    if pitch and max(pitch.values()) < EVEN * min(pitch.values()):  # evenly spaced: all apart or one number
        apart = float(np.median(list(pitch.values()))) > SPLIT * height
        wide = set(pitch) if apart else set()
    else:
        wide = {k for k, p in pitch.items() if p > SPLIT * height}
    out = [chars[0]]
    for k in range(1, len(chars)):
        out.append((" " if k in wide or (k - 1) in read_gaps else "") + chars[k])
    new_tail = "".join(out)
    if new_tail == tail:
        return None
    return text[:at] + new_tail


def split_run_together(gray: np.ndarray, words: Sequence[Word], char_h: float) -> list[Word]:
    """``words`` with the numbers at the end of each box spaced as the page spaces them (see the module
    docstring); other words unchanged."""
    candidates = [i for i, w in enumerate(words) if sum(c.isdigit() for c in w.text) >= 2 and number_tail(w.text)]
    if gray.ndim != 2 or not candidates or char_h < 6:
        return list(words)
    ink = Ink.of(gray)
    out = list(words)
    for i in candidates:
        w = words[i]
        glyphs = _glyphs(ink.box(int(w.x0), int(w.y0), int(np.ceil(w.x1)) + 1, int(np.ceil(w.y1)) + 1, char_h))
        text = respace(w.text, glyphs)
        if text is not None:
            out[i] = Word(text, w.score, w.quad)
    return out
