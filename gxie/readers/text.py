"""Plain text (.txt, .md): encoding detection and the text reader.

The decoded text is kept exactly as it is (CRLF, NBSP; only a byte-order mark is left out);
normalization happens later and keeps an offset map back to it. Detection order: byte-order mark,
UTF-16 without one (NUL bytes), strict UTF-8, a charset the file declares (HTML), then GB18030 (covers
GBK/GB2312) or Big5 by strict decoding plus a plausibility score. Other encodings are refused with a
clear error rather than guessed: a wrong guess would turn a Chinese report into plausible-looking junk.
"""

from __future__ import annotations

import codecs
from contextlib import suppress
from functools import cache

from gxie.errors import ReadError
from gxie.limits import DEFAULT_LIMITS, Limits
from gxie.types import Document

BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
CJK_CANDIDATES: tuple[str, ...] = ("gb18030", "big5", "cp950")
# Declared names that should be read with a superset codec (pages labelled gb2312 are often GBK).
CODEC_SUPERSETS: dict[str, str] = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "cp950"}
MIN_PLAUSIBILITY = 0.8  # share of common characters a CJK decoding needs to be believed
MAX_CONTROL_SHARE = 0.01  # more control bytes than this and the file is treated as binary
SCORE_SAMPLE_CHARS = 200_000
LATIN1_SIGNS = "\u00a0§°±·×÷"  # the Latin-1 characters Chinese reports use (NBSP, middle dot, ...)

# Control bytes that do not occur in text (tab, LF, VT, FF, CR and ESC excluded).
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_NON_CONTROL_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)


@cache
def _common_chars() -> frozenset[str]:
    """Frequent Han characters (GB2312 level 1, Big5 level 1), CJK and general punctuation, a few signs."""
    chars: set[str] = set()
    for lead in range(0xB0, 0xD8):  # GB2312 level 1: the 3,755 most frequent simplified characters
        for trail in range(0xA1, 0xFF):
            with suppress(UnicodeDecodeError):
                chars.add(bytes((lead, trail)).decode("gb2312"))
    for lead in range(0xA4, 0xC7):  # Big5 level 1: the 5,401 frequent traditional characters
        for trail in (*range(0x40, 0x7F), *range(0xA1, 0xFF)):
            with suppress(UnicodeDecodeError):
                chars.add(bytes((lead, trail)).decode("big5"))
    for start, end in ((0x2000, 0x2070), (0x3000, 0x3040), (0xFF00, 0xFFF0)):
        chars.update(map(chr, range(start, end)))
    chars.update(LATIN1_SIGNS)
    return frozenset(chars)


def plausibility(text: str) -> float:
    """Share of the non-ASCII characters that are common Han or punctuation: near 1 for a right decoding."""
    common = _common_chars()
    unusual = [ch for ch in text[:SCORE_SAMPLE_CHARS] if ch >= "\x80"]
    if not unusual:
        return 1.0
    return sum(1 for ch in unusual if ch in common) / len(unusual)


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _binary_error(source: str, why: str) -> ReadError:
    return ReadError(
        f"{source} looks like binary data, not text ({why}); check that it is the report's text file "
        "and that its suffix matches its type"
    )


def _decode_utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    for encoding in ("utf-16-le", "utf-16-be"):
        text = _strict(data, encoding)
        if text is not None and plausibility(text) >= MIN_PLAUSIBILITY:
            return text, encoding
    return None


def decode(data: bytes, source: str, declared: str | None = None) -> tuple[str, str]:
    """Decode ``data`` to text; return ``(text, encoding)``. ``declared`` is a charset the file names.

    Raises ``ReadError`` for binary data and for bytes no supported encoding reads.
    """
    for bom, encoding in BOMS:
        if data.startswith(bom):
            text = _strict(data, encoding)
            if text is None:
                raise ReadError(
                    f"{source} starts with a {encoding} byte-order mark but is not valid {encoding}; "
                    "re-save it as UTF-8"
                )
            return text, encoding
    if b"\x00" in data:
        found = _decode_utf16_without_bom(data) if len(data) % 2 == 0 else None
        if found is None:
            raise _binary_error(source, "it contains NUL bytes")
        return found
    controls = len(data.translate(None, _NON_CONTROL_BYTES))
    if controls > MAX_CONTROL_SHARE * len(data):
        raise _binary_error(source, f"{controls} of its {len(data)} bytes are control characters")
    text = _strict(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    scored = [(plausibility(t), enc, t) for enc in CJK_CANDIDATES if (t := _strict(data, enc)) is not None]
    best = max(scored, key=lambda s: s[0], default=None)  # max keeps the first of equal scores
    plausible = best is not None and best[0] >= MIN_PLAUSIBILITY
    if declared:  # believed unless it reads as junk where a CJK encoding reads well (GBK labelled latin-1)
        name = _codec_name(declared)
        name = CODEC_SUPERSETS.get(name, name) if name else None
        text = _strict(data, name) if name else None
        if name and text is not None and (not plausible or plausibility(text) >= MIN_PLAUSIBILITY):
            return text, name
    if best is not None and plausible:
        return best[2], best[1]
    raise ReadError(
        f"{source} could not be decoded: it is not valid UTF-8, GB18030/GBK or Big5 text"
        f"{'' if best is None else f' (best guess {best[1]} looked like gibberish)'}; "
        "re-save it as UTF-8"
    )


def _codec_name(declared: str) -> str | None:
    try:
        return codecs.lookup(declared.strip().lower()).name
    except LookupError:
        return None


def read_text(data: bytes, source: str, *, limits: Limits = DEFAULT_LIMITS) -> Document:
    """Read a plain-text report (.txt, .md) from its bytes (``limits``: only ``max_bytes``, checked by ``read``)."""
    text, encoding = decode(data, source)
    if not text.strip():
        raise ReadError(f"{source} contains only whitespace; supply the report's content")
    return Document(text=text, source=source, kind="text", encoding=encoding)
