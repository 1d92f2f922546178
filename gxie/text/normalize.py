"""Text normalization with an exact offset map back to the original text.

``normalize(text)`` returns a ``NormalizedText``: Traditional characters converted to Simplified (OpenCC
``t2s`` plus a few Taiwan phrase forms seen in reports), full-width ASCII made half-width, every Unicode
space a plain space, line breaks ``"\\n"``, browser innerText cell separators joined into tabs, and
invisible debris removed (zero-width characters, soft
hyphens, Word bookmark markers such as ``[bookmark: _GoBack]``, stray control characters). Chinese
punctuation outside U+FF01-FF5E (、。“”《》【】〔〕) is kept; （），： become ASCII ``(),:``.

For each normalized character ``i``, ``starts[i]``/``ends[i]`` is the range of the original text that
produced it, so a span of the normalized text maps back with ``original_span``.

Example::

    >>> from gxie.text.normalize import normalize
    >>> nt = normalize("規範性檔案\\u3000１２")
    >>> nt.text
    '规范性文件 12'
    >>> nt.original_span(6, 8)
    (6, 8)
"""

from __future__ import annotations

import re
from array import array
from functools import cache
from typing import Any

import numpy as np

from gxie.types import NormalizedText

NORMALIZE_VERSION = "2"  # 2: browser innerText cell separators joined into tabs

# Taiwan-style phrase forms (as produced by zh-TW converters) mapped to the mainland wording the report
# formats use; replaced in the Traditional text before OpenCC ``t2s``, which would keep 檔案 as 档案.
# Keys are Han characters only and each value has its key's length.
PHRASES: dict[str, str] = {
    "規範性檔案": "规范性文件",
    "公開檔案": "公开文件",
    "政府資訊": "政府信息",
    "資訊公開": "信息公开",
    "資訊內容": "信息内容",
    "項目數量": "项目数量",
    "專案數量": "项目数量",
    "本列資料": "本列数据",
    "公開程式": "公开程序",
    "視窗單位": "窗口单位",
}

# What changes, character by character (BMP code points; nothing above the BMP is touched here):
_LINE_BREAKS = "\r\x0b\x0c\x85\u2028\u2029"  # lone CR, vertical tab (Word line break), form feed, ...
_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_FULL_WIDTH = (0xFF01, 0xFF5E)  # full-width ASCII: minus 0xFEE0
# Removed: zero-width and bidi format characters, BOM, soft hyphen, C0/C1 controls except \t \n \v \f \r.
_DROPPED_RANGES: tuple[tuple[int, int], ...] = (
    (0x00, 0x08), (0x0E, 0x1F), (0x7F, 0x84), (0x86, 0x9F), (0xAD, 0xAD), (0x200B, 0x200F),
    (0x202A, 0x202E), (0x2060, 0x2064), (0xFEFF, 0xFEFF),
)  # fmt: skip
# Word bookmark markers left by docx-to-text converters, e.g. "[bookmark: _GoBack]".
_BOOKMARK = re.compile(r"\[bookmark: [^\]\r\n]{0,200}\]")
# Characters OpenCC t2s may change (measured over all of Unicode): CJK ideographs and extensions.
_HAN_RUNS = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]+)")
_PHRASE_KEYS = sorted(PHRASES, key=len, reverse=True)
# A browser's innerText (select-all and copy, or a crawler's headless browser) writes each table cell as
# its own paragraph and separates the cells of a row by a line holding one tab: "a\n\n\t\n\nb". Such a
# separator becomes the tab it stands for (so do blank lines on one side of a tab, where a cell held a
# paragraph of its own); only in documents that show the pattern often, so a lone
# tab line elsewhere (a merged cell of one cell per line) is left alone.
_CELL_BREAK = re.compile(r"\n\n\t\n\n")
_AROUND_TAB = re.compile(r"\n\n\t(?:\n\n)?|\t\n\n")
CELL_BREAKS_MIN = 20
if any(len(k) != len(v) or not _HAN_RUNS.fullmatch(k) for k, v in PHRASES.items()):
    raise ValueError("every PHRASES entry must be Han characters only and keep its length (the offset map)")

_BMP = 0x10000
Ranges = tuple[np.ndarray, np.ndarray]  # starts, ends: int64 arrays as long as the current text


def _lookup_tables() -> tuple[np.ndarray, np.ndarray]:
    """(drop, replacement): per BMP code point, whether it is removed and what it becomes."""
    drop = np.zeros(_BMP, dtype=bool)
    for first, last in _DROPPED_RANGES:
        drop[first : last + 1] = True
    replacement = np.arange(_BMP, dtype=np.uint32)
    replacement[_FULL_WIDTH[0] : _FULL_WIDTH[1] + 1] -= 0xFEE0
    replacement[[ord(c) for c in _SPACES]] = ord(" ")
    replacement[[ord(c) for c in _LINE_BREAKS]] = ord("\n")
    return drop, replacement


_DROP_TABLE, _REPLACEMENT_TABLE = _lookup_tables()


@cache
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def _clean(text: str) -> tuple[str, Ranges]:
    """Step 1: drop debris, CRLF -> one "\\n" standing for both, one-for-one replacements (vectorized)."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    in_bmp = codes < _BMP
    index = np.where(in_bmp, codes, 0)
    drop = _DROP_TABLE[index] & in_bmp
    crlf = np.flatnonzero((codes[:-1] == 0x0D) & (codes[1:] == 0x0A))  # the CR of each CRLF
    drop[crlf + 1] = True  # the CR becomes the "\n" and maps to both characters
    marks = [m.span() for m in _BOOKMARK.finditer(text)]
    if marks:  # mark [start, end) of every marker via +1/-1 boundaries and a running sum
        bounds = np.zeros(len(codes) + 1, dtype=np.int32)
        np.add.at(bounds, [a for a, _ in marks], 1)
        np.add.at(bounds, [b for _, b in marks], -1)
        drop |= np.cumsum(bounds[:-1]) > 0
    keep = ~drop
    starts = np.flatnonzero(keep).astype(np.int64)
    ends = starts + 1
    if crlf.size:
        ends[np.searchsorted(starts, crlf)] += 1
    cleaned = np.where(in_bmp, _REPLACEMENT_TABLE[index], codes)[keep].astype("<u4")
    return cleaned.tobytes().decode("utf-32-le", "surrogatepass"), (starts, ends)


def _to_simplified(text: str, ranges: Ranges) -> tuple[str, Ranges]:
    """Step 2: Traditional -> Simplified over runs of Han characters, keeping the offset map exact."""
    parts = _HAN_RUNS.split(text)  # even items: other text, odd items: Han runs
    runs = parts[1::2]
    if not runs:
        return text, ranges
    joined = "\n".join(runs)
    for key in _PHRASE_KEYS:  # same length: the offset map is unchanged
        if key in joined:
            joined = joined.replace(key, PHRASES[key])
    converted = _converter().convert(joined).split("\n")  # one call; no phrase spans a "\n"
    if len(converted) != len(runs):
        raise RuntimeError("OpenCC changed the number of lines while converting; please report this")
    lengths = [len(p) for p in parts]
    parts[1::2] = converted
    text_out = "".join(parts)
    if lengths[1::2] == list(map(len, converted)):
        return text_out, ranges
    # OpenCC changed a run's length (no such entry is known in t2s; handled so the map stays exact):
    # every output character of that run stands for the whole run.
    offsets = np.cumsum([0, *lengths])
    changes = [
        (int(offsets[2 * k + 1]), len(run), len(out))
        for k, (run, out) in enumerate(zip(runs, converted, strict=True))
        if len(run) != len(out)
    ]
    return text_out, _splice(ranges, changes)


def _splice(ranges: Ranges, changes: list[tuple[int, int, int]]) -> Ranges:
    """Rebuild the offset map for runs that changed length: (offset, source length, output length)."""
    starts, ends = ranges
    new_starts: list[np.ndarray] = []
    new_ends: list[np.ndarray] = []
    pos = 0
    for at, length, out_length in changes:
        new_starts += [starts[pos:at], np.repeat(starts[at], out_length)]
        new_ends += [ends[pos:at], np.repeat(ends[at + length - 1], out_length)]
        pos = at + length
    new_starts.append(starts[pos:])
    new_ends.append(ends[pos:])
    return np.concatenate(new_starts), np.concatenate(new_ends)


def _join_cell_breaks(text: str, ranges: Ranges) -> tuple[str, Ranges]:
    """Step 3: in a browser's innerText, the blank lines around each cell-separating tab go; the tab stands
    for them all. A cell whose content is a paragraph of its own has them on one side only."""
    if len(_CELL_BREAK.findall(text)) < CELL_BREAKS_MIN:
        return text, ranges
    starts, ends = ranges
    keep = np.ones(len(text), dtype=bool)
    new_starts, new_ends = starts.copy(), ends.copy()
    for m in _AROUND_TAB.finditer(text):
        tab = m.start() + m.group(0).index("\t")
        keep[m.start() : m.end()] = False
        keep[tab] = True
        new_starts[tab], new_ends[tab] = starts[m.start()], ends[m.end() - 1]
    joined = _AROUND_TAB.sub("\t", text)
    return joined, (new_starts[keep], new_ends[keep])


def normalize(text: str) -> NormalizedText:
    """Normalize report text for tagging; the result maps every character back to ``text``.

    Example: ``normalize("１２\\r\\n").text == "12\\n"``, and ``original_span(2, 3) == (2, 4)``.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize() takes the document text as str, not {type(text).__name__}")
    cleaned, ranges = _clean(text)
    simplified, ranges = _to_simplified(cleaned, ranges)
    joined, (starts, ends) = _join_cell_breaks(simplified, ranges)
    return NormalizedText(text=joined, original=text, starts=_as_array(starts), ends=_as_array(ends))


def _as_array(values: np.ndarray) -> array:
    out = array("l")
    out.frombytes(values.astype(np.dtype("l"), copy=False).tobytes())
    return out
