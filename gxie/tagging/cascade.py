"""Which parts of a report the model needs to see: everything but plain prose far from any table or heading.

A report is half prose: long paragraphs of full sentences (section 一's summary, sections 五 and 六). The
model tags nothing in them (numbers in prose are ``O``, headings stand on their own lines), so the
cascade sends the model only the other lines (table rows, cells, headings, captions, short lines) with
``context`` characters on both sides, and tags the rest ``O``. A line counts as prose when it is long
(``PROSE_MIN`` characters or more), has a full stop ``。``, no tab or ``|`` (table layouts), and does not
start with a heading or list number (``一、``, ``（二）``, ``3.``).

    >>> model_regions("一、总体情况\\n" + "本年度认真落实条例，做好公开工作。" * 5 + "\\n规章\\t1\\n", context=4)
    [(0, 11), (89, 98)]
"""

from __future__ import annotations

import re
from collections.abc import Sequence

Within = Sequence[Sequence[tuple[int, int]] | None] | None  # per text, the only ranges the model reads

PROSE_MIN = 50
DEFAULT_CONTEXT = 64
_NUMBERED = re.compile(r"^\s*[（(]?\s*(?:[一二三四五六七八九十]{1,3}|\d{1,2})\s*[)）、.．]")


def is_prose(line: str) -> bool:
    """Whether ``line`` (without its line break) is plain prose the model need not see."""
    body = line.strip()
    return (
        len(body) >= PROSE_MIN and "。" in body and "\t" not in body and "|" not in body and not _NUMBERED.match(body)
    )


def model_regions(text: str, context: int | None = None) -> list[tuple[int, int]]:
    """Sorted, disjoint ``[start, end)`` ranges of ``text`` that go through the model (see the module
    docstring); ``context`` (default ``DEFAULT_CONTEXT``) characters of the neighbouring prose are included
    on both sides."""
    context = DEFAULT_CONTEXT if context is None else context
    if context < 0:
        raise ValueError(f"context must be 0 or more characters, got {context}")
    regions: list[tuple[int, int]] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        end = pos + len(line)
        if line.strip() and not is_prose(line):
            start, stop = max(0, pos - context), min(len(text), end + context)
            if regions and start <= regions[-1][1]:
                regions[-1] = (regions[-1][0], max(stop, regions[-1][1]))
            else:
                regions.append((start, stop))
        pos = end
    return regions


def clipped(regions: list[tuple[int, int]], within: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ``regions`` inside ``within`` (both sorted, disjoint ``[start, end)`` ranges).

    >>> clipped([(0, 10), (20, 30)], [(5, 25)])
    [(5, 10), (20, 25)]
    """
    out: list[tuple[int, int]] = []
    for a, b in regions:
        for c, d in within:
            lo, hi = max(a, c), min(b, d)
            if lo < hi:
                out.append((lo, hi))
    return out


def planned_regions(texts: Sequence[str], cascade: bool, within: Within) -> list[list[tuple[int, int]]] | None:
    """Per text, the ranges the model runs over: its ``model_regions`` with ``cascade`` (else the whole text),
    clipped to ``within[i]`` where given (the tables the rules tagger did not settle, ``gxie.rules_first``);
    None: every text whole."""
    if not cascade and (within is None or all(w is None for w in within)):
        return None
    out = []
    for i, text in enumerate(texts):
        regions = model_regions(text) if cascade else [(0, len(text))]
        limit = within[i] if within is not None else None
        out.append(regions if limit is None else clipped(regions, limit))
    return out
