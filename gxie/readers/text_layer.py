"""Is a PDF's text layer worth reading? Scanned reports often carry the text layer of some other OCR
engine, and a poor one (format labels unreadable, digits mangled into letters, boxes for characters the
engine did not know) gives a poor extraction however good the rest of gxie is.

``assess`` scores a text on three signals, each cheap and independent of the tagger:

- **garbage**: the share of its visible characters that are no text at all (U+FFFD, ``□``/``■``,
  private-use and control characters: what an engine writes for a glyph it could not read);
- **mangled numbers**: the share of its number-like tokens that mix digits with look-alike letters
  (``1O``, ``l2``, ``0l0``: an engine that took ``0`` for ``O`` or a ruling line for ``l``);
- **labels**: the share of ``REPORT_WORDS`` (words every report of both formats prints in its tables)
  found in the text (normalized: Traditional characters read as Simplified); a report's text layer that
  spells almost none of them is unreadable where it matters.

A layer is *poor* when any signal is past its limit; the reader then reads the pages again with gxie's
OCR (``gxie[ocr]``) and keeps the better of the two texts (higher ``score``), saying which and why.

    >>> assess("规章 1O 2l").mangled
    1.0
    >>> assess("").poor
    False
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gxie.text.normalize import normalize

# Words in the tables of every report of both formats (section 二 captions, section 三 rows and columns,
# section 四 blocks and columns).
REPORT_WORDS = (
    "主动公开",
    "申请",
    "自然人",
    "法人或其他组织",
    "予以公开",
    "部分公开",
    "不予公开",
    "不予处理",
    "行政复议",
    "行政诉讼",
    "维持",
    "纠正",
    "总计",
    "规章",
    "行政许可",
    "行政处罚",
)
MIN_CHARS = 200  # shorter texts are not judged (a cover page, a stub)
MAX_GARBAGE = 0.02
MAX_MANGLED = 0.10
MIN_LABELS = 0.5

_GARBAGE = re.compile(r"[\ufffd\u25a1\u25a0\ue000-\uf8ff\x00-\x08\x0b\x0c\x0e-\x1f]")
_NUMBER = re.compile(r"[0-9OolI]*[0-9][0-9OolI]*")
_MANGLED = re.compile(r"[0-9]+[OolI]+[0-9OolI]*|[OolI]+[0-9]+[0-9OolI]*")


@dataclass(frozen=True)
class LayerQuality:
    """The signals of one text (see the module docstring)."""

    chars: int  # visible characters
    garbage: float
    mangled: float
    labels: float

    @property
    def poor(self) -> bool:
        """Whether a signal is past its limit (texts shorter than ``MIN_CHARS`` are never poor)."""
        return bool(self.reasons)

    @property
    def reasons(self) -> list[str]:
        """What is wrong, in words, with the figures."""
        if self.chars < MIN_CHARS:
            return []
        out = []
        if self.garbage > MAX_GARBAGE:
            out.append(f"{self.garbage:.1%} of its characters are unreadable (□, U+FFFD, private use)")
        if self.mangled > MAX_MANGLED:
            out.append(f"{self.mangled:.0%} of its numbers mix digits with letters (1O, l2)")
        if self.labels < MIN_LABELS:
            out.append(f"only {self.labels:.0%} of the format's table words are spelled right")
        return out

    @property
    def score(self) -> float:
        """Higher is better: labels found, less garbage and fewer mangled numbers."""
        return round(self.labels - 2 * self.garbage - self.mangled, 4)


def assess(text: str) -> LayerQuality:
    """The quality signals of ``text`` (see the module docstring)."""
    visible = sum(1 for c in text if not c.isspace())
    if not visible:
        return LayerQuality(0, 0.0, 0.0, 0.0)
    garbage = len(_GARBAGE.findall(text)) / visible
    numbers = [m.group(0) for m in _NUMBER.finditer(text)]
    mangled = sum(1 for n in numbers if _MANGLED.fullmatch(n)) / len(numbers) if numbers else 0.0
    squeezed = re.sub(r"\s+", "", normalize(text).text)  # Simplified characters, standard widths
    labels = sum(1 for w in REPORT_WORDS if w in squeezed) / len(REPORT_WORDS)
    return LayerQuality(visible, round(garbage, 4), round(mangled, 4), round(labels, 4))
