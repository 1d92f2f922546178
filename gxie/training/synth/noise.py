"""Character-level noise, applied piece by piece while a report is built (so labels stay aligned).

Noise levels (``NOISE_LEVELS``):

- ``clean``: the text as generated.
- ``light``: occasional OCR-like confusions: look-alike characters (己/已, 未/末, 政→致, 息→意 ...),
  full-/half-width punctuation swaps, stray spaces, a few numeric cells with O/o for 0 or l/I for 1,
  some full-width digits.
- ``heavy``: the same at higher rates plus dropped or doubled characters, dropped list markers,
  prose lines broken mid-sentence, table rules read as ``|``/``1``, tabs read as spaces and label
  cells glued to the number after them.
- ``traditional``: the whole report converted with OpenCC (s2t or s2tw), sometimes 文件→檔案 and
  half-width punctuation; no OCR noise.

Digits are never corrupted beyond what a reader can undo (only O/o for 0 and l/I for 1, in a share
of cells), and labelled pieces never receive a tab or newline.
"""

from __future__ import annotations

import random
import re
from functools import cache, lru_cache
from typing import Any

NOISE_LEVELS: tuple[str, ...] = ("clean", "light", "heavy", "traditional")

LOOKALIKES: dict[str, str] = {
    "己": "已", "已": "己", "未": "末", "末": "未", "政": "致", "息": "意", "人": "入", "入": "人",
    "日": "曰", "土": "士", "士": "土", "千": "干", "干": "千", "申": "由", "由": "申", "予": "子",
    "子": "予", "项": "顶", "结": "给", "给": "结", "况": "兄", "情": "睛", "年": "午", "诉": "拆",
    "复": "夏", "议": "仪", "开": "幵", "理": "埋", "处": "外", "主": "王", "王": "主", "天": "夭",
    "力": "カ", "口": "ロ", "工": "エ", "二": "=", "十": "+", "八": "ハ", "大": "太", "决": "快",
}  # fmt: skip
_FULL_TO_HALF = {"，": ",", "：": ":", "；": ";", "（": "(", "）": ")", "。": ".", "！": "!", "？": "?"}
_HALF_TO_FULL = {v: k for k, v in _FULL_TO_HALF.items() if v not in ".!?"}
_PUNCT = re.compile("[，：；（）。！？,:;()]")
_FULLWIDTH_DIGITS = str.maketrans("0123456789+-.,", "０１２３４５６７８９＋－．，")
_LIST_MARKER = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)]|\d+[.、．])")

# Per-level rates: (char edits per char, punct swap share, digit-confusion share of numeric cells,
# full-width share of numeric cells, line breaks per prose char, glue share, list-marker drop share).
_RATES: dict[str, tuple[float, float, float, float, float, float, float]] = {
    "clean": (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    "light": (0.004, 0.06, 0.04, 0.03, 0.0, 0.0, 0.0),
    "heavy": (0.02, 0.3, 0.12, 0.1, 0.008, 0.15, 0.05),
    "traditional": (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
}


@cache
def _converter(config: str) -> Any:
    import opencc

    return opencc.OpenCC(config)


@lru_cache(maxsize=8192)
def _convert(config: str, text: str) -> str:
    """Convert a short piece (labels repeat across reports, so they are cached)."""
    return str(_converter(config).convert(text))


class Noise:
    """The noise of one report: drawn once from ``level`` and ``rng``, then applied to each piece."""

    def __init__(self, level: str, rng: random.Random) -> None:
        if level not in NOISE_LEVELS:
            raise ValueError(f"unknown noise level {level!r}; allowed: {', '.join(NOISE_LEVELS)}")
        self.level = level
        self.rng = random.Random(rng.random())
        r = self.rng
        scale = r.uniform(0.5, 1.5)
        edit, punct, confuse, fullw, breaks, glue, marker = _RATES[level]
        self.edit_rate = edit * scale
        self.punct_rate = punct * scale
        self.confuse_rate = confuse * scale
        self.fullwidth_rate = 1.0 if level != "clean" and edit and r.random() < 0.15 else fullw * scale
        self.break_rate = breaks * scale
        self.glue_rate = glue * scale
        self.marker_rate = marker
        self.tab_as_space = level == "heavy" and r.random() < 0.5
        self.rule_rate = 0.3 if level == "heavy" and r.random() < 0.5 else 0.0
        self.opencc = r.choice(("s2t", "s2tw", "s2tw")) if level == "traditional" else None
        self.dangan = level == "traditional" and r.random() < 0.4
        self.halfwidth = level == "traditional" and r.random() < 0.35
        if level in ("light", "heavy") and r.random() < 0.2:
            self.halfwidth = True

    # -- helpers -------------------------------------------------------------------------------
    def _script(self, text: str) -> str:
        if self.opencc is None:
            return text
        out = _convert(self.opencc, text) if len(text) <= 40 else _converter(self.opencc).convert(text)
        return out.replace("文件", "檔案") if self.dangan else out

    def _punct(self, text: str) -> str:
        if self.halfwidth:
            return _PUNCT.sub(lambda m: _FULL_TO_HALF.get(m.group(), m.group()), text)
        if not self.punct_rate:
            return text
        r = self.rng

        def swap(m: re.Match[str]) -> str:
            c = m.group()
            if r.random() >= self.punct_rate:
                return c
            return _FULL_TO_HALF.get(c) or _HALF_TO_FULL.get(c, c)

        return _PUNCT.sub(swap, text)

    def _edits(self, text: str, rate: float, *, breaks: float, min_len: int) -> str:
        """Look-alikes, dropped/doubled characters, stray spaces and (prose only) line breaks."""
        n = len(text)
        expected = (rate + breaks) * n
        r = self.rng
        k = int(expected) + (1 if r.random() < expected - int(expected) else 0)
        if k == 0 or n < min_len:
            return text
        chars = list(text)
        for pos in sorted(r.sample(range(n), min(k, n)), reverse=True):
            c = chars[pos]
            if c in "\n\t":
                continue
            roll = r.random() * (rate + breaks)
            if roll < breaks:
                chars[pos] = c + "\n"
                continue
            roll = r.random()
            if roll < 0.5 and c in LOOKALIKES:
                chars[pos] = LOOKALIKES[c]
            elif roll < 0.62 and self.level == "heavy" and not c.isdigit():
                chars[pos] = ""
            elif roll < 0.72 and self.level == "heavy" and not c.isdigit():
                chars[pos] = c + c
            elif roll < 0.9 and not c.isspace():
                chars[pos] = c + " "
        return "".join(chars)

    # -- the PieceNoise interface --------------------------------------------------------------
    def prose(self, text: str) -> str:
        """O text: script conversion, punctuation swaps, character edits, broken lines."""
        if self.level == "clean":
            return text
        text = self._punct(self._script(text))
        if self.edit_rate:
            text = self._edits(text, self.edit_rate, breaks=self.break_rate, min_len=1)
        if self.fullwidth_rate >= 1.0:
            text = text.translate(_FULLWIDTH_DIGITS)
        return text

    def label(self, text: str) -> str:
        """A heading, caption, row or column label: never receives a tab or newline."""
        if self.level == "clean":
            return text
        text = self._punct(self._script(text))
        if self.marker_rate and self.rng.random() < self.marker_rate:
            m = _LIST_MARKER.match(text)
            if m and m.end() < len(text):
                text = text[m.end() :]
        if self.edit_rate:
            text = self._edits(text, self.edit_rate * 0.6, breaks=0.0, min_len=3)
        return text

    def number(self, text: str) -> str:
        """A numeric cell: O/o for 0 or l/I for 1 in a share of cells, full-width digits."""
        if self.level == "clean":
            return text
        text = self._script(text)
        r = self.rng
        if self.confuse_rate and r.random() < self.confuse_rate and any(d in text for d in "01"):
            zero, one = r.choice("Oo"), r.choice("lI")
            if r.random() < 0.5:
                text = text.replace("0", zero).replace("1", one)
            else:
                i = max(text.rfind("0"), text.rfind("1"))
                text = text[:i] + (zero if text[i] == "0" else one) + text[i + 1 :]
        if self.fullwidth_rate and (self.fullwidth_rate >= 1.0 or r.random() < self.fullwidth_rate):
            text = text.translate(_FULLWIDTH_DIGITS)
        return text

    def marker(self, text: str) -> str:
        """An explicit empty marker (无 → 無 in Traditional)."""
        return self._script(text)

    def sep(self, text: str, glue: bool) -> str:
        """A cell separator: tabs read as spaces, cells glued together."""
        if not self.glue_rate and not self.tab_as_space:
            return text
        r = self.rng
        if glue and r.random() < self.glue_rate:
            return ""
        if self.tab_as_space and "\t" in text:
            return text.replace("\t", r.choice((" ", "  ", " ")))
        return text

    def rule(self, before_label: bool) -> str:
        """A table rule read as a character at a row edge ("|" or, before a label, "1"/"l")."""
        if not self.rule_rate or self.rng.random() >= self.rule_rate:
            return ""
        return self.rng.choice(("|", "1", "l")) if before_label else "|"
