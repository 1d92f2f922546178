"""Rows whose blank cells were counted from runs of spaces on a line whose spacing cannot be relied on.

``gxie.text.cells`` reads a line of cells joined by a fixed run of spaces (tabs a text export turned into
spaces) and counts a run k times as long as k-1 blank cells. That holds for an export; it does not hold
where an OCR engine laid the line out or damaged it: full-width digits among ASCII ones (``０  0      0  ０``)
or letters read for digits (``o``, ``l``) show a line whose characters, and so its spaces, were guessed.
A blank counted there may stand a cell to the left or right of where the table has it, and every cell of
the row with it: such rows go below ``TRUSTED`` (``DECODED_UNLABELLED``: placed by order). The decoder's
runs have the same doubt (``gxie.grid.decode._spaced_in_ocr_text``); this covers every row, today's
rebuild's too. The signs are looked for in the original line: normalization makes full-width digits
half-width and an NBSP a plain space (a blank cell printed as NBSP then widens a gap, and the count).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from gxie.confidence import DECODED_UNLABELLED
from gxie.grid.decode import LOOKALIKE_LETTERS
from gxie.types import Cell, NormalizedText

_FULL_WIDTH_DIGIT = re.compile(r"[０-９]")
_ASCII_DIGIT = re.compile(r"[0-9]")
# a cell that is a digit look-alike letter standing for a number (between spaces or at the line's end)
_LOOKALIKE_CELL = re.compile(rf"(?:^|\s)[{''.join(sorted(LOOKALIKE_LETTERS))}](?=\s|$)")
_NBSP_IN_GAP = re.compile(r"\S\xa0| \xa0|\xa0 ")  # an NBSP in a gap of spaces, or right after a cell


def unreliable_spacing(line: str) -> bool:
    """An original line of cells split by spaces alone (no tab, no ``|``) whose characters show OCR or a
    blank printed as NBSP: full-width digits beside ASCII ones, a look-alike letter standing as a cell, or
    an NBSP among the gaps."""
    if "\t" in line or "|" in line:
        return False
    mixed = bool(_FULL_WIDTH_DIGIT.search(line)) and bool(_ASCII_DIGIT.search(line))
    return mixed or bool(_LOOKALIKE_CELL.search(line)) or bool(_NBSP_IN_GAP.search(line.strip()))


def doubt_spaced_rows(norm: NormalizedText, cells: Mapping[str, Cell]) -> Mapping[str, Cell]:
    """``cells`` (spans in ``norm.text``) with every cell of a row capped at ``DECODED_UNLABELLED`` where
    one of the row's blank cells was counted from spaces (a zero-width span inside a line) on a line
    whose original is of ``unreliable_spacing``."""
    text = norm.text
    rows: set[tuple[str, str]] = set()
    for c in cells.values():
        if c.value is not None or c.span is None or c.span[0] != c.span[1] or c.confidence <= DECODED_UNLABELLED:
            continue
        if (c.table, c.row) in rows:
            continue  # doubted already, by another of its blanks
        start = text.rfind("\n", 0, c.span[0]) + 1
        end = text.find("\n", c.span[0])
        end = end if end >= 0 else len(text)
        if start >= end:
            continue
        a, b = norm.original_span(start, end)
        if unreliable_spacing(norm.original[a:b]):
            rows.add((c.table, c.row))
    if not rows:
        return cells
    return {
        k: replace(c, confidence=DECODED_UNLABELLED)
        if (c.table, c.row) in rows and c.confidence > DECODED_UNLABELLED
        else c
        for k, c in cells.items()
    }
