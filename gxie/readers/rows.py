"""Table rows as text lines, the one shape every reader writes: cells joined by a tab, one row per line."""

from __future__ import annotations

import re
from collections.abc import Iterable

_CELL_BREAKS = re.compile(r"[\t\n\r\f\v]+")


def cell_text(text: str) -> str:
    """One table cell as it goes into a row line: inner tabs and line breaks become spaces.

    >>> cell_text("行政\\n许可 ")
    '行政 许可'
    """
    return _CELL_BREAKS.sub(" ", text).strip(" ")


def row_line(cells: Iterable[str]) -> str:
    """One table row as one line: the cells' texts joined by a tab.

    >>> row_line(["行政许可", "6", ""])
    '行政许可\\t6\\t'
    """
    return "\t".join(cell_text(c) for c in cells)
