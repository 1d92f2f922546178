"""Cell text -> number, in the unit of the column (contract: 元 for procurement.total_amount, 万元 for fees)."""

from __future__ import annotations

import re

from gxie.types import Number

# OCR look-alikes of digits, fixed only inside something that is otherwise a number.
_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "〇": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8"})
_NUMBER = re.compile(r"^([+\-]?)(\d[\d,]*(?:\.\d+)?|\.\d+)\s*(万元|万|元|件|个|条|项|%)?$")
YUAN_COLUMNS = {"total_amount"}
WAN_YUAN_COLUMNS = {"amount_10k_yuan"}


def parse_number(raw: str, col: str = "") -> Number | None:
    """The value of a numeric cell in its column's unit, or None when it is not a number.

    >>> parse_number("180.16 万元", "total_amount"), parse_number("+7"), parse_number("1O")
    (1801600, 7, 10)
    """
    text = re.sub(r"\s+", "", raw.strip())
    m = _NUMBER.match(text) or _NUMBER.match(text.translate(_OCR_DIGITS))
    if not m:
        return None
    sign, digits, unit = m.group(1), m.group(2).replace(",", ""), m.group(3) or ""
    try:
        value = float(digits)
    except ValueError:
        return None
    if sign == "-":
        value = -value
    if col in WAN_YUAN_COLUMNS:
        if unit == "元":
            value /= 10000
    elif unit in ("万", "万元"):
        value *= 10000
    return _tidy(value)


def _tidy(value: float) -> Number:
    rounded = round(value)
    if abs(value - rounded) < 1e-9:
        return int(rounded)
    return round(value, 6)
