"""Values no cell of the formats can hold: flagged, never trusted.

A count of applications in the hundreds of billions is a reading error (digit runs of neighbouring
cells glued together, a phone number taken for a cell), not a report's number. The ceilings are
generous: the largest agencies decide a few million licences a year and spend a few billion 元.
"""

from __future__ import annotations

from dataclasses import replace

from gxie.confidence import IMPLAUSIBLE_CONFIDENCE
from gxie.types import Cell, Issue, IssueCode, Number

COUNT_LIMIT = 10**6  # applications (section 三) and cases (section 四) of one agency in one year
SECTION2_LIMIT = 10**8  # documents, items and decisions of section 二, and a change in their number
LIMITS: dict[tuple[str, str], Number] = {
    ("section2", "amount_10k_yuan"): 10**8,  # 万元
    ("section2", "total_amount"): 10**12,  # 元
}
TABLE_LIMITS: dict[str, Number] = {"section2": SECTION2_LIMIT, "section3": COUNT_LIMIT, "section4": COUNT_LIMIT}


def limit(table: str, col: str) -> Number | None:
    """The largest value a cell of ``table``'s column ``col`` can plausibly hold (None: no limit known)."""
    return LIMITS.get((table, col), TABLE_LIMITS.get(table))


def flag_implausible(cells: dict[str, Cell]) -> tuple[dict[str, Cell], list[Issue]]:
    """``cells`` with every value beyond its column's limit capped at ``IMPLAUSIBLE_CONFIDENCE``, and one
    warning per such cell.

    >>> c = Cell("section3", "new_received", "total", 10**11, "100000000000", (0, 12), 1.0)
    >>> cells, issues = flag_implausible({c.key: c})
    >>> cells[c.key].confidence, issues[0].code
    (0.3, <IssueCode.IMPLAUSIBLE_VALUE: 'implausible_value'>)
    """
    out = dict(cells)
    messages: list[Issue] = []
    for key, c in cells.items():
        top = limit(c.table, c.col)
        if c.value is None or top is None or abs(c.value) <= top:
            continue
        out[key] = replace(c, confidence=min(c.confidence, IMPLAUSIBLE_CONFIDENCE))
        messages.append(
            Issue(
                "warning",
                IssueCode.IMPLAUSIBLE_VALUE,
                f"{key} reads {c.raw!r} = {c.value}, beyond what the cell can hold (at most {top}); "
                "likely digits of several cells run together: check it by hand",
            )
        )
    return out, messages
