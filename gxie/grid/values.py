"""Cell text -> number, in the unit of the column (contract: 元 for procurement.total_amount, 万元 for fees)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Context, Decimal
from functools import lru_cache

from gxie.types import Number

# OCR look-alikes of digits, fixed only inside something that is otherwise a number.
_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "〇": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8"})
OCR_ONES = frozenset({"l", "I", "|"})  # a 1 to an OCR engine, or a ruling line read as text
_NUMBER = re.compile(r"^([+\-]?)(\d[\d,]*(?:\.\d+)?|\.\d+)\s*(万元|万|元|件|个|条|项|%)?$")
YUAN_COLUMNS = {"total_amount"}
WAN_YUAN_COLUMNS = {"amount_10k_yuan"}
# The largest value a cell holds: a signed 64-bit integer, what the tables (pandas Int64, Parquet) store.
# A cell beyond it is not a count or an amount of a report; it is read as not a number.
MAX_VALUE = 2**63 - 1
# Digits, commas and point of one number; longer is not a number of a report (and int() of more than
# 4,300 digits raises).
MAX_NUMBER_CHARS = 40
# A value with a fraction becomes a float, exact only below 2**53: a fraction on a larger value cannot be
# given exactly, so such a cell is read as not a number (its raw text kept) rather than altered.
MAX_FRACTIONAL = 2**53
_EXACT = Context(prec=2 * MAX_NUMBER_CHARS)  # no rounding: every operation below stays exact
_PLACES = Decimal("0.000001")


@lru_cache(maxsize=8192)  # pure; the decoder reads the same few numbers under many placements
def parse_number(raw: str, col: str = "") -> Number | None:
    """The value of a numeric cell in its column's unit, or None when it is not a number.

    Exact: integers stay ``int`` at any size up to ``MAX_VALUE``, decimals and unit conversions are
    computed in ``Decimal``, rounded to 6 places and only then made an ``int`` (when whole) or a ``float``
    (below ``MAX_FRACTIONAL``, where a float still holds the rounded value; above it the cell is no number).

    >>> parse_number("180.16 万元", "total_amount"), parse_number("+7"), parse_number("1O")
    (1801600, 7, 10)
    >>> parse_number("9007199254740993"), parse_number("1" * 400), parse_number("9007199254740993.5")
    (9007199254740993, None, None)
    """
    text = re.sub(r"\s+", "", raw.strip())
    m = _NUMBER.match(text) or _NUMBER.match(text.translate(_OCR_DIGITS))
    if not m:
        return None
    sign, digits, unit = m.group(1), m.group(2), m.group(3) or ""
    if len(digits) > MAX_NUMBER_CHARS:
        return None
    value = Decimal(digits.replace(",", ""))
    if sign == "-":
        value = value.copy_negate()
    if col in WAN_YUAN_COLUMNS:
        if unit == "元":
            value = value.scaleb(-4, _EXACT)
    elif unit in ("万", "万元"):
        value = value.scaleb(4, _EXACT)
    if value.copy_abs() > MAX_VALUE:
        return None
    tidy = _tidy(value)
    return tidy if _exact_enough(tidy) else None


def lone_stroke(raw: str) -> bool:
    """``raw`` is one upright stroke (``I``, ``l``, ``|``): a 1 to an OCR engine, or a ruling line."""
    return raw.strip() in OCR_ONES


def _tidy(value: Decimal) -> Number:
    """The value rounded to 6 places: an exact ``int`` when that is whole (``0.0000001`` too), else a ``float``."""
    rounded = value.quantize(_PLACES, rounding=ROUND_HALF_EVEN, context=_EXACT)
    if rounded == rounded.to_integral_value(context=_EXACT):
        return int(rounded)
    return float(rounded)


def _exact_enough(value: Number) -> bool:
    return isinstance(value, int) or abs(value) < MAX_FRACTIONAL
