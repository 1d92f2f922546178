"""Tab rows whose labels stand in different columns: which empty fields are a label's padding.

A Word or web table saved as tab-separated text keeps one field per column: a row label in the group
column (``\\t（七）总计\\t\\t4…``), in the row column (``\\t\\t2.重复申请\\t0…``) or across both
(``四、结转下年度继续办理\\t\\t\\t1…``) is followed by as many empty fields as merged cells it spans, and every
row's first cell stands in the same field. Where rows printed whole agree on that field, a row's empty
fields before it are padding, not blank cells: ``四、结转…\\t\\t\\t1\\t1\\t1\\t0\\t0\\t0`` is six cells from the
first column (its last one lost), not a blank first cell and the numbers a cell right. Used by today's
rebuild (``gxie.grid.build``) and the decoder's tokens (``gxie.grid.candidates``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

AGREE = 3  # rows printed whole that must agree on their first cell's field


def field_index(text: str, pos: int) -> int:
    """The tab field of its line that ``pos`` stands in (0: before the line's first tab)."""
    return text.count("\t", text.rfind("\n", 0, pos) + 1, pos)


def tab_line(text: str, pos: int) -> bool:
    """Whether the line holding ``pos`` is split by tabs."""
    end = text.find("\n", pos)
    return "\t" in text[text.rfind("\n", 0, pos) + 1 : len(text) if end < 0 else end]


def padding(text: str, rows: Sequence[tuple[int, Sequence[tuple[int, bool]]]]) -> set[int]:
    """The starts of the empty fields that are padding: ``rows`` holds, for each row label on a tab line,
    its width and the cells after it on that line, ``(start, blank)`` each. None where fewer than ``AGREE``
    whole rows (as many cells as their width) agree on the field of their first cell."""
    votes = Counter(field_index(text, cells[0][0]) for width, cells in rows if cells and len(cells) == width)
    if not votes:
        return set()
    first, count = votes.most_common(1)[0]
    if count < AGREE:
        return set()
    out: set[int] = set()
    for _, cells in rows:
        for start, blank in cells:
            if not blank or field_index(text, start) >= first:
                break
            out.add(start)
    return out
