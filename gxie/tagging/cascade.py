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
