"""Offsets at the Label Studio boundary: Python code points <-> UTF-16 code units, checked both ways.

gxie counts offsets in code points (Python ``str`` indices) into the original input text. Label Studio's
browser counts UTF-16 code units, so a character outside the Basic Multilingual Plane (an emoji, a CJK
Extension B ideograph) takes two positions there. Offsets are converted here and nowhere else; every
region read back is checked against the text it claims to cover.

Example::

    >>> index = Utf16Index("𠀀12")
    >>> index.to_utf16(1), index.from_utf16(2)
    (2, 1)
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from gxie.errors import GxieError
from gxie.types import IssueCode

_ASTRAL = re.compile(r"[\U00010000-\U0010FFFF]")
_WHITESPACE_RUN = re.compile(r"\s+")


class OffsetError(GxieError):
    """A Label Studio region whose offsets do not cover the text it says it covers."""

    code = IssueCode.OFFSET_ERROR


class Utf16Index:
    """Converts between code-point offsets and UTF-16 offsets of one text."""

    def __init__(self, text: str) -> None:
        self.text = text
        astral = [m.start() for m in _ASTRAL.finditer(text)]
        self._astral = astral  # code-point positions of characters that take two UTF-16 units
        # UTF-16 position at which each astral character starts
        self._astral16 = [i + k for k, i in enumerate(astral)]
        self.length16 = len(text) + len(astral)

    def to_utf16(self, index: int) -> int:
        """UTF-16 offset of code-point offset ``index`` (0 ... len(text))."""
        if not 0 <= index <= len(self.text):
            raise OffsetError(f"offset {index} is outside the text (0 ... {len(self.text)} code points)")
        return index + bisect.bisect_left(self._astral, index)

    def from_utf16(self, offset: int) -> int:
        """Code-point offset of UTF-16 offset ``offset``; refuses one that splits a surrogate pair."""
        if not 0 <= offset <= self.length16:
            raise OffsetError(f"UTF-16 offset {offset} is outside the text (0 ... {self.length16} units)")
        k = bisect.bisect_right(self._astral16, offset - 1)  # astral characters starting before offset
        if k and self._astral16[k - 1] == offset - 1:
            raise OffsetError(
                f"UTF-16 offset {offset} falls inside the character {self.text[self._astral[k - 1]]!r} "
                f"(code point {self._astral[k - 1]}), which takes two UTF-16 units"
            )
        return offset - k


@dataclass(frozen=True)
class Located:
    """A region read back from Label Studio: code-point ``[start, end)`` and how it was matched."""

    start: int
    end: int
    how: str  # "exact" | "whitespace" (Label Studio stored the text with whitespace collapsed or trimmed)


def squash(text: str) -> str:
    """Whitespace runs collapsed to one space, ends stripped: how Label Studio may store a region's text."""
    return _WHITESPACE_RUN.sub(" ", text).strip()


def locate(index: Utf16Index, start16: object, end16: object, quoted: object) -> Located:
    """The code-point span of a Label Studio region ``[start16, end16)`` whose stored text is ``quoted``.

    The offsets must cover exactly ``quoted``; Label Studio may have stored it with whitespace collapsed
    or trimmed (then the offsets are kept and whitespace at the span's edges is dropped, since it is
    outside every label by gxie's conventions). Anything else raises OffsetError: nothing is shifted.
    """
    text = index.text
    if not (isinstance(start16, int) and isinstance(end16, int) and start16 < end16):
        raise OffsetError(f"region offsets {start16!r}, {end16!r} must be integers with start < end")
    if not isinstance(quoted, str):
        raise OffsetError(f"region [{start16}, {end16}) has no text (value.text is {quoted!r})")
    try:
        start, end = index.from_utf16(start16), index.from_utf16(end16)
    except OffsetError as exc:
        where = str(exc)
    else:
        piece = text[start:end]
        if piece == quoted:
            return Located(start, end, "exact")
        if squash(piece) == squash(quoted) and squash(piece):
            lead = len(piece) - len(piece.lstrip())
            trail = len(piece) - len(piece.rstrip())
            return Located(start + lead, end - trail, "whitespace")
        where = f"the task text there is {piece!r}"
    hint = ""
    if end16 <= len(text) and text[start16:end16] == quoted:
        hint = (
            "; the offsets fit if read as code points instead of UTF-16 units: was the export made by a "
            "tool other than Label Studio? Convert its offsets to UTF-16 units"
        )
    raise OffsetError(
        f"region [{start16}, {end16}) says {quoted!r} but {where}{hint}; "
        "correct the region in Label Studio and export again"
    )
