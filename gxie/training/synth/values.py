"""Realistic gold values for the three tables, how they are written in a cell, and how to read them back.

Most agencies report small numbers and many zeros; ``large`` agencies (city governments, 公安, 自然资源,
住建) report hundreds to thousands. Section 三 values satisfy R1/R2/R3 and section 四 values R5 unless a
relation is broken on purpose (:func:`break_relation`). Every value comes with the text written in its
cell (:class:`Written`); :func:`parse_cell` reads such a text back to the gold value, OCR look-alikes and
full-width digits included.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from gxie.templates import Template

Value = int | float
SCALES: tuple[str, ...] = ("tiny", "small", "medium", "large")
RELATIONS: tuple[str, ...] = (
    "R1_column_identity",
    "R2_total_column",
    "R3_outcome_total",
    "R5_section4_totals",
)
S3_APPLICANTS: tuple[str, ...] = (
    "natural_person",
    "commercial",
    "research",
    "social_welfare",
    "legal_service",
    "other",
)
S4_BLOCKS: tuple[str, ...] = ("review", "litigation_direct", "litigation_after_review")
S4_PARTS: tuple[str, ...] = ("maintained", "corrected", "other", "pending")

# How many applications a year an agency of each scale receives: (low, high).
_NEW_RECEIVED = {"tiny": (0, 3), "small": (1, 25), "medium": (20, 220), "large": (200, 3200)}
_APPLICANT_WEIGHTS = (80.0, 9.0, 0.6, 0.8, 4.0, 2.5)
# Relative weight of each leaf outcome row, by row-id prefix (the first match wins).
_OUTCOME_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("granted", 32.0),
    ("partially_granted", 9.0),
    ("denied_state_secret", 0.3),
    ("denied_third_party", 1.2),
    ("denied_process", 1.5),
    ("denied_internal", 1.0),
    ("denied_law_enforcement", 0.8),
    ("denied_administrative_query", 0.8),
    ("denied", 0.5),
    ("unable_not_held", 26.0),
    ("unable_needs_creation", 4.0),
    ("unable_unclear", 3.0),
    ("not_processed_petition", 5.0),
    ("not_processed_repeated", 4.0),
    ("not_processed", 1.0),
    ("other_no_correction", 3.0),
    ("other", 2.0),
)
_OCR_DIGITS = str.maketrans({"O": "0", "o": "0", "〇": "0", "l": "1", "I": "1", "|": "1", "萬": "万"})
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


@dataclass(frozen=True)
class Written:
    """A gold value and the text its cell shows (``"180.16 万元"`` for 1801600 yuan)."""

    value: Value
    text: str


def _as_value(d: Decimal) -> Value:
    return int(d) if d == d.to_integral_value() else float(d)


def parse_cell(text: str, key: str | None = None) -> Value:
    """Read a numeric cell's text back to its gold value.

    Handles signs, thousands separators, full-width forms, OCR look-alikes (O/o for 0, l/I for 1),
    inner spaces and the units 元, 万元, 万. ``万`` multiplies by 10,000 only for the procurement amount
    (a 元 column); the fees column is in 万元 as written.

    >>> parse_cell("180.16 万元", "section2.procurement.total_amount")
    1801600
    """
    t = unicodedata.normalize("NFKC", text).translate(_OCR_DIGITS)
    t = re.sub(r"[\s,，]", "", t)
    factor = Decimal(1)
    for unit in ("万元", "万", "元"):
        if t.endswith(unit):
            t = t[: -len(unit)]
            if unit.startswith("万") and key is not None and key.endswith(".total_amount"):
                factor = Decimal(10000)
            break
    if not _NUMBER.match(t):
        raise ValueError(f"cell text {text!r} is not a number; expected digits, a sign and a unit at most")
    try:
        return _as_value(Decimal(t) * factor)
    except InvalidOperation as exc:  # pragma: no cover - the regex above rules this out
        raise ValueError(f"cell text {text!r} is not a number") from exc


def _count(rng: random.Random, low: int, high: int, zero_share: float) -> int:
    """A count skewed towards small values, 0 with probability ``zero_share``."""
    if rng.random() < zero_share or high <= 0:
        return 0
    return min(high, max(low, int(low + (high - low) * rng.random() ** 2.2)))


def _thousands(v: int, rng: random.Random) -> str:
    return f"{v:,}" if v >= 1000 and rng.random() < 0.12 else str(v)


def write_count(v: int, rng: random.Random) -> Written:
    """A count as written in a cell (sometimes with thousands separators)."""
    return Written(v, _thousands(v, rng))


def write_change(v: int, rng: random.Random) -> Written:
    """A signed yearly change: ``+7``, ``7``, ``-4``, ``－4``."""
    if v > 0:
        return Written(v, f"+{v}" if rng.random() < 0.6 else str(v))
    if v < 0:
        return Written(v, f"{'－' if rng.random() < 0.1 else '-'}{-v}")
    return Written(0, "0")


def write_yuan(rng: random.Random, high: float) -> Written:
    """A procurement amount (gold in 元): ``380479.6元``, ``180.16 万元``, ``375万`` or a bare number."""
    if rng.random() < 0.25:
        return Written(0, "0")
    form = rng.random()
    if form < 0.45:  # written in 万元 with up to 2 decimals
        wan = Decimal(str(round(rng.uniform(0.5, high / 10000), rng.choice((0, 1, 2, 2)))))
        wan = wan.quantize(Decimal(1)) if wan == wan.to_integral_value() else wan.normalize()
        space = " " if rng.random() < 0.3 else ""
        unit = rng.choice(("万元", "万元", "万"))
        return Written(_as_value(wan * 10000), f"{wan}{space}{unit}")
    yuan = Decimal(str(round(rng.uniform(800, high), rng.choice((0, 1, 2)))))
    yuan = yuan.quantize(Decimal(1)) if yuan == yuan.to_integral_value() else yuan.normalize()
    text = f"{yuan:,}" if rng.random() < 0.15 else str(yuan)
    if rng.random() < 0.5:
        text += "元"
    return Written(_as_value(yuan), text)


def write_wan(rng: random.Random, high: float) -> Written:
    """A fee amount in 万元 as written (``12.35``, ``0``, ``3.2万元``)."""
    if rng.random() < 0.6:
        return Written(0, rng.choice(("0", "0", "0", "0.00")))
    wan = Decimal(str(round(rng.uniform(0.01, high), rng.choice((1, 2, 2, 4))))).normalize()
    wan = wan.quantize(Decimal(1)) if wan == wan.to_integral_value() else wan
    text = f"{wan}{'万元' if rng.random() < 0.15 else ''}"
    return Written(_as_value(wan), text)


# Upper bounds of section 二 counts by scale (tiny, small, medium, large), keyed "row.col" or ".col".
_S2_HIGH: dict[str, tuple[int, int, int, int]] = {
    "regulations.new_made": (0, 1, 2, 4),
    "regulations.issued": (0, 1, 2, 4),
    "regulations.new_published": (0, 1, 2, 4),
    "regulations.repealed": (0, 1, 1, 3),
    "regulations.total_published": (1, 3, 15, 60),
    "regulations.in_force": (1, 3, 15, 60),
    ".new_made": (2, 8, 25, 60),
    ".issued": (2, 8, 25, 60),
    ".new_published": (2, 8, 25, 60),
    ".repealed": (1, 4, 10, 25),
    ".total_published": (5, 30, 120, 400),
    ".in_force": (5, 30, 120, 400),
    "licensing.prev_year_items": (3, 20, 80, 300),
    "licensing.decisions": (10, 300, 5000, 80000),
    "other_admin_services.prev_year_items": (3, 30, 120, 500),
    "other_admin_services.decisions": (10, 500, 8000, 100000),
    "punishment.prev_year_items": (3, 50, 300, 1500),
    "punishment.decisions": (5, 100, 2000, 30000),
    "coercion.prev_year_items": (1, 5, 20, 60),
    "coercion.decisions": (1, 10, 200, 2000),
    "fees.prev_year_items": (1, 3, 10, 30),
    "procurement.items": (2, 10, 40, 150),
}
_AMOUNT_HIGH = {"tiny": 1e5, "small": 1e6, "medium": 1e7, "large": 8e7}  # procurement, 元
_FEES_HIGH = {"tiny": 1.0, "small": 20.0, "medium": 300.0, "large": 3000.0}  # fees, 万元


def section2_values(template: Template, rng: random.Random, scale: str) -> dict[str, Written]:
    """Gold values of every section 二 cell of ``template``."""
    level = SCALES.index(scale)
    quiet = (0.75, 0.45, 0.25, 0.15)[level]
    out: dict[str, Written] = {}
    for block in template.section2:
        for row in block.rows:
            prev = 0
            for col in block.columns:
                key = f"section2.{row.id}.{col.id}"
                high = _S2_HIGH.get(f"{row.id}.{col.id}") or _S2_HIGH.get(f".{col.id}") or (1, 5, 20, 50)
                if col.id == "change":
                    up = max(1, high[level] // 10 + 2)
                    v = 0 if rng.random() < 0.65 else rng.randint(-min(prev, 12), up)
                    w = write_change(v, rng)
                elif col.id == "total_amount":
                    w = write_yuan(rng, _AMOUNT_HIGH[scale])
                elif col.id == "amount_10k_yuan":
                    w = write_wan(rng, _FEES_HIGH[scale])
                else:
                    v = _count(rng, 1, high[level], quiet)
                    if col.id in ("in_force", "total_published"):  # the stock includes this year's output
                        v = max(v, prev)
                    w = write_count(v, rng)
                    if col.id in ("prev_year_items", "issued", "new_published"):
                        prev = v
                out[key] = w
    return out


def _split(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    counts = [0] * len(weights)
    for i in rng.choices(range(len(weights)), weights, k=total):
        counts[i] += 1
    return counts


def _outcome_weight(row_id: str) -> float:
    return next(w for prefix, w in _OUTCOME_WEIGHTS if row_id.startswith(prefix))


def section3_values(template: Template, rng: random.Random, scale: str) -> dict[str, int]:
    """Gold values of the section 三 table, satisfying R1, R2 and R3."""
    low, high = _NEW_RECEIVED[scale]
    zero_share = 0.55 if scale == "tiny" else 0.08
    total_new = _count(rng, low, high, zero_share)
    app_w = [w * rng.uniform(0.3, 1.7) for w in _APPLICANT_WEIGHTS]
    new = _split(rng, total_new, app_w)
    outcomes = template.outcome_rows()
    out_w = [_outcome_weight(r) * rng.uniform(0.2, 1.8) for r in outcomes]
    carry_share = rng.choice((0.0, 0.0, 0.03, 0.08, 0.15))
    vals: dict[str, int] = {}
    for ci, col in enumerate(S3_APPLICANTS):
        over = sum(1 for _ in range(new[ci]) if rng.random() < carry_share * 0.8)
        forward = sum(1 for _ in range(new[ci] + over) if rng.random() < carry_share)
        processed = new[ci] + over - forward
        split = _split(rng, processed, out_w)
        vals[f"new_received.{col}"] = new[ci]
        vals[f"carried_over.{col}"] = over
        vals[f"carried_forward.{col}"] = forward
        vals[f"total_processed.{col}"] = processed
        for row, v in zip(outcomes, split, strict=True):
            vals[f"{row}.{col}"] = v
    for rdef in template.section3.rows:
        vals[f"{rdef.id}.total"] = sum(vals[f"{rdef.id}.{c}"] for c in S3_APPLICANTS)
    return {f"section3.{k}": v for k, v in vals.items()}


def section4_values(rng: random.Random, scale: str) -> dict[str, int]:
    """Gold values of the section 四 table (15 cells), satisfying R5."""
    high = {"tiny": 1, "small": 3, "medium": 12, "large": 60}[scale]
    quiet = {"tiny": 0.9, "small": 0.7, "medium": 0.35, "large": 0.15}[scale]
    vals: dict[str, int] = {}
    for block in S4_BLOCKS:
        active = rng.random() > quiet
        parts = [_count(rng, 1, high, 0.5) if active else 0 for _ in S4_PARTS]
        for part, v in zip(S4_PARTS, parts, strict=True):
            vals[f"section4.{block}.{part}"] = v
        vals[f"section4.{block}.total"] = sum(parts)
    return vals


def relation_failures(flat: dict[str, Value | None], template: Template) -> tuple[str, ...]:
    """The relation ids (R1, R2, R3, R5) that ``flat`` violates; blank cells count as 0."""

    def v(key: str) -> float:
        return flat.get(key) or 0

    failed: list[str] = []
    cols = (*S3_APPLICANTS, "total")
    s3 = "section3."
    if any(
        v(f"{s3}new_received.{c}") + v(f"{s3}carried_over.{c}")
        != v(f"{s3}total_processed.{c}") + v(f"{s3}carried_forward.{c}")
        for c in cols
    ):
        failed.append("R1_column_identity")
    rows = [r.id for r in template.section3.rows]
    if any(v(f"{s3}{r}.total") != sum(v(f"{s3}{r}.{c}") for c in S3_APPLICANTS) for r in rows):
        failed.append("R2_total_column")
    outcomes = template.outcome_rows()
    if any(v(f"{s3}total_processed.{c}") != sum(v(f"{s3}{r}.{c}") for r in outcomes) for c in cols):
        failed.append("R3_outcome_total")
    if any(v(f"section4.{b}.total") != sum(v(f"section4.{b}.{p}") for p in S4_PARTS) for b in S4_BLOCKS):
        failed.append("R5_section4_totals")
    return tuple(failed)


def break_relation(values: dict[str, int], template: Template, rng: random.Random) -> tuple[str, ...]:
    """Make the printed numbers violate one relation, the way published reports do; returns the
    relations that now fail (a slip in one cell can break more than one)."""
    rule = rng.choice(RELATIONS)
    d = rng.randint(1, 3)
    col = rng.choice(S3_APPLICANTS[:2] if rng.random() < 0.8 else S3_APPLICANTS)
    outcomes = template.outcome_rows()
    if rule == "R1_column_identity":  # carried_forward misreported, row total kept consistent
        values[f"section3.carried_forward.{col}"] += d
        values["section3.carried_forward.total"] += d
    elif rule == "R2_total_column":
        busy = [c for c in S3_APPLICANTS if any(values[f"section3.{r}.{c}"] for r in outcomes)]
        if busy:  # an application moved between outcome rows in one column only
            col = rng.choice(busy)
            src = max(outcomes, key=lambda r: values[f"section3.{r}.{col}"])
            dst = rng.choice([r for r in outcomes if r != src])
            moved = min(d, values[f"section3.{src}.{col}"])
            values[f"section3.{src}.{col}"] -= moved
            values[f"section3.{dst}.{col}"] += moved
        else:  # row totals written where the columns are empty (R1 still holds on the total column)
            values["section3.new_received.total"] += d
            values["section3.carried_forward.total"] += d
    elif rule == "R3_outcome_total":  # an outcome row counted without updating （七）总计
        row = rng.choice(outcomes)
        values[f"section3.{row}.{col}"] += d
        values[f"section3.{row}.total"] += d
    else:
        block = rng.choice(S4_BLOCKS)
        values[f"section4.{block}.{rng.choice((*S4_PARTS, 'total'))}"] += d
    flat: dict[str, Value | None] = dict(values)
    return relation_failures(flat, template)
